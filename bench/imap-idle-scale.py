#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Holds many authenticated IMAP sessions in IDLE and reports the server's
resident memory.

usage: imap-idle-scale.py HOST PORT USER PASS SESSIONS SECONDS SERVER_PID
       [SETTLE [SMTP_PORT DOMAIN]]

USER may hold "%d": session i logs in as USER % (i % 100), spreading the
sessions over 100 accounts.

Opens SESSIONS connections (bounded concurrency while connecting), each does
LOGIN, SELECT INBOX, IDLE; holds them SECONDS; reads VmRSS of SERVER_PID every
few seconds and its CPU time (utime + stime from /proc/PID/stat) over the
hold, printed as a percentage of one CPU; then sends DONE/LOGOUT and closes.
SETTLE (default 10) seconds pass between the last login and the start of the
hold (the sessions hibernate meanwhile).  Also printed: the thread count at
the end of the hold and the resident memory per session (the growth of VmRSS
from before the first connection, divided by the sessions).  With SMTP_PORT,
after the hold: 20 messages are delivered one at a time over SMTP to the
first session's account (USER % 0 @ DOMAIN), each timed from the start of the
SMTP transaction to the "* n EXISTS" read by that session; median and
maximum printed.  With the environment variable HOLD_LOAD (a bash
command, bench/imap scale -S), after the hold's figures and before the
deliveries: runs it (bounded, 600 s) while the sessions are still held and
prints its last output line as "HOLD_LOAD <line>" and the threads and CPU
meanwhile.  Stops by itself.
"""
import asyncio
import os
import re
import smtplib
import subprocess
import sys
import time

host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
n, secs, pid = int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
settle = float(sys.argv[8]) if len(sys.argv) > 8 else 10.0
smtp_port = int(sys.argv[9]) if len(sys.argv) > 9 else 0
domain = sys.argv[10] if len(sys.argv) > 10 else ""


def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    return float("nan")


def cpu_ticks():
    """tegamid's user + system CPU time so far, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)


def threads():
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("Threads:"):
                return int(ln.split()[1])
    return -1


async def expect(reader, tag):
    while True:
        ln = await asyncio.wait_for(reader.readline(), 60)
        if not ln:
            raise ConnectionError("closed")
        if ln.startswith(tag.encode() + b" "):
            if not ln.startswith(tag.encode() + b" OK"):
                raise ConnectionError(ln.decode(errors="replace"))
            return


async def session(i, sem, conns):
    async with sem:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 60)
        await asyncio.wait_for(r.readline(), 60)
        name = user % (i % 100) if "%d" in user else user
        w.write(f'a LOGIN {name} "{pw}"\r\n'.encode())
        await expect(r, "a")
        w.write(b"b SELECT INBOX\r\n")
        await expect(r, "b")
        w.write(b"c IDLE\r\n")
        ln = await asyncio.wait_for(r.readline(), 60)
        if not ln.startswith(b"+"):
            raise ConnectionError(ln.decode(errors="replace"))
        conns.append((r, w, i))


def send_one(rcpt, k):
    with smtplib.SMTP(host, smtp_port, timeout=30) as c:
        c.sendmail("bench@example.org", [rcpt],
                   f"From: bench@example.org\r\nTo: {rcpt}\r\n"
                   f"Subject: delay {k}\r\n\r\nping\r\n")


async def delivery_delays(conns):
    """Delay from the start of an SMTP delivery to the EXISTS of one IDLE
    session of that account (the first session's)."""
    r, _, i = conns[0]
    name = user % (i % 100) if "%d" in user else user
    rcpt = f"{name}@{domain}"
    delays = []
    for k in range(20):
        t0 = time.time()
        await asyncio.to_thread(send_one, rcpt, k)
        while True:
            ln = await asyncio.wait_for(r.readline(), 30)
            if not ln:
                raise ConnectionError("closed")
            if re.match(rb"^\* \d+ EXISTS", ln):
                break
        delays.append(1000 * (time.time() - t0))
        await asyncio.sleep(1.5)        # past HibernateAfter 1 s (-h 1)
    delays.sort()
    print(f"RESULT delivery_to_exists_ms median={delays[len(delays) // 2]:.1f}"
          f" max={delays[-1]:.1f} (n={len(delays)}, SMTP transaction"
          f" included)")


async def hold_load(cmd, held):
    """Runs cmd (bash) while the sessions are held; its last line."""
    hz = os.sysconf("SC_CLK_TCK")
    c0, w0, t0 = cpu_ticks(), time.time(), threads()
    p = await asyncio.to_thread(subprocess.run, ["bash", "-c", cmd],
                                capture_output=True, text=True, timeout=600)
    cpu = 100.0 * (cpu_ticks() - c0) / hz / max(0.001, time.time() - w0)
    lines = p.stdout.strip().splitlines()
    print(f"HOLD_LOAD {lines[-1] if lines else 'nan nan'}")
    print(f"  load beside {held} held sessions (3 s settle per round included): "
          f"{time.time() - w0:.1f}s, tegamid CPU {cpu:.1f}%, threads "
          f"{t0} before, {threads()} after; rc={p.returncode}")
    for ln in p.stderr.strip().splitlines():
        if ln.startswith("#"):
            print("  " + ln)


async def main():
    conns, sem = [], asyncio.Semaphore(200)
    rss0 = rss_mib()
    t0 = time.time()
    res = await asyncio.gather(*(session(i, sem, conns) for i in range(n)),
                               return_exceptions=True)
    errs = [e for e in res if isinstance(e, Exception)]
    print(f"established {len(conns)}/{n} IDLE sessions in {time.time() - t0:.1f}s"
          f" ({len(errs)} errors{': ' + repr(errs[0]) if errs else ''})")
    peak = 0.0
    end = time.time() + settle
    while time.time() < end:
        print(f"  t={time.time() - t0:6.1f}s rss={rss_mib():8.1f} MiB threads={threads()} (settling)")
        await asyncio.sleep(min(5, max(0.1, end - time.time())))
    end = time.time() + secs
    c0, w0 = cpu_ticks(), time.time()
    while time.time() < end:
        m = rss_mib()
        peak = max(peak, m)
        print(f"  t={time.time() - t0:6.1f}s rss={m:8.1f} MiB threads={threads()}")
        await asyncio.sleep(min(10, max(0.1, end - time.time())))
    hz = os.sysconf("SC_CLK_TCK")
    cpu = 100.0 * (cpu_ticks() - c0) / hz / max(0.001, time.time() - w0)
    per_kib = (rss_mib() - rss0) * 1024 / max(1, len(conns))
    print(f"RESULT sessions={len(conns)} held={secs:g}s peak_rss_mib={peak:.1f}"
          f" cpu_during_hold={cpu:.1f}% threads={threads()}"
          f" rss_per_session_kib={per_kib:.1f}")
    if os.environ.get("HOLD_LOAD") and conns:
        await hold_load(os.environ["HOLD_LOAD"], len(conns))
    if smtp_port and conns:
        await delivery_delays(conns)
    for r, w, _ in conns:
        try:
            w.write(b"DONE\r\nd LOGOUT\r\n")
            w.close()
        except Exception:
            pass

asyncio.run(main())
