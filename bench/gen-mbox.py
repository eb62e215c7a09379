#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a deterministic sample mbox (CRLF line ends) for imaptest.

usage: bench/gen-mbox.py OUT.mbox [COUNT=1000] [SEED=42]

The mix: plain text, multipart/alternative, multipart/mixed with a base64
attachment; body sizes spread from a few hundred bytes to ~200 KiB; threads
built from In-Reply-To/References so SORT, THREAD and SEARCH have work.
"""
import base64
import random
import sys
from email.utils import formatdate

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)

WORDS = ("queue router account domain mailbox folder message report meeting budget "
         "release schedule invoice travel storage index latency client session flag "
         "archive review project update kernel network listener delivery").split()
PEOPLE = [f"{n}@{d}" for n in ("ann", "ben", "cho", "dev", "eli", "fay", "gus", "hal")
          for d in ("bench.test", "example.org")]


def text(nbytes):
    lines, size = [], 0
    while size < nbytes:
        ln = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 12)))
        lines.append(ln)
        size += len(ln) + 2
    return "\r\n".join(lines) + "\r\n"


def size():
    return min(int(rnd.lognormvariate(8.0, 1.0)), 200 * 1024)


ids = []
with open(out, "w", newline="") as f:
    t0 = 1700000000
    for i in range(count):
        mid = f"<{i}.{rnd.randint(0, 10**9)}@bench.test>"
        hdr = [f"From: {rnd.choice(PEOPLE)}",
               f"To: {rnd.choice(PEOPLE)}",
               f"Subject: {'Re: ' if ids and rnd.random() < 0.3 else ''}"
               f"{' '.join(rnd.choice(WORDS) for _ in range(4))}",
               f"Date: {formatdate(t0 + i * 600, localtime=False)}",
               f"Message-ID: {mid}"]
        if ids and rnd.random() < 0.4:
            parent = rnd.choice(ids[-50:])
            hdr += [f"In-Reply-To: {parent}", f"References: {parent}"]
        ids.append(mid)
        kind = rnd.random()
        if kind < 0.6:
            hdr.append("Content-Type: text/plain; charset=us-ascii")
            body = text(size())
        elif kind < 0.85:
            b = f"alt{i}"
            hdr += ["MIME-Version: 1.0",
                    f'Content-Type: multipart/alternative; boundary="{b}"']
            t = text(size() // 2)
            body = (f"--{b}\r\nContent-Type: text/plain\r\n\r\n{t}"
                    f"--{b}\r\nContent-Type: text/html\r\n\r\n<p>{t}</p>\r\n--{b}--\r\n")
        else:
            b = f"mix{i}"
            data = bytes(rnd.getrandbits(8) for _ in range(size()))
            enc = base64.encodebytes(data).decode().replace("\n", "\r\n")
            hdr += ["MIME-Version: 1.0",
                    f'Content-Type: multipart/mixed; boundary="{b}"']
            body = (f"--{b}\r\nContent-Type: text/plain\r\n\r\n{text(300)}"
                    f"--{b}\r\nContent-Type: application/octet-stream; name=a{i}.bin\r\n"
                    f"Content-Transfer-Encoding: base64\r\n\r\n{enc}--{b}--\r\n")
        f.write(f"From bench@bench.test {formatdate(t0 + i * 600)}\r\n")
        f.write("\r\n".join(hdr) + "\r\n\r\n" + body.replace("\r\nFrom ", "\r\n>From ") + "\r\n")
