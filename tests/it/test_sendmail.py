# SPDX-License-Identifier: Apache-2.0
"""build/sendmail (docs/behaviour.md, B17; docs/sendmail.md): form-mail style
scripts piping to sendmail get their messages delivered byte for byte (apart
from the Return-Path: and Received: trace fields), with the usual options."""

import os
import subprocess
import time

import pytest

import storeutil
from conftest import SENDMAIL, hold_remote_mail

MSG = (b"From: Web Form <form@test.example>\n"
       b"To: user1@test.example\n"
       b"Cc: \"User Two\" <user2@test.example>\n"
       b"Subject: Contact form\n"
       b"Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
       b"Message-ID: <form.1@test.example>\n"
       b"X-Folded: first\n\tsecond\n"
       b"\n"
       b"Name: Someone\n"
       b".\n"
       b"..two dots\n"
       b"From the form\n")


wait_for, inbox, wait_inbox = storeutil.wait_for, storeutil.inbox, storeutil.wait_inbox


def sendmail(s, args, data, env=None):
    e = dict(os.environ)
    e.pop("TEGAMI_BASE", None)
    e.update(env or {})
    base = [] if "TEGAMI_BASE" in (env or {}) else ["--base", s.base]
    return subprocess.run([SENDMAIL, *base, *args], input=data, capture_output=True,
                          timeout=30, env=e)


def crlf(b):
    return b.replace(b"\n", b"\r\n")


def check_exact(raw, original, return_path):
    """raw = Return-Path + Received + original (CRLF) exactly."""
    rp = b"Return-Path: <" + return_path + b">\r\n"
    assert raw.startswith(rp), raw[:200]
    rest = raw[len(rp):]
    assert rest.startswith(b"Received: from localhost (Submitted/")
    i = rest.index(b"(Tegami PIPE)")
    j = rest.index(b"\r\n", i)
    # the Received field: three lines, the last one the date
    k = rest.index(b"\r\n", j + 2)
    assert rest[j + 2:j + 3] == b"\t"
    assert rest[k + 2:] == crlf(original)


@pytest.fixture
def srv(server):
    for n in ("user1", "user2", "user3", "form"):
        server.tegami("CreateAccount", n, '{Password="x";}')
    return server


def test_formmail_script_t_i(srv, tmp_path):
    s = srv
    script = tmp_path / "formmail.sh"
    script.write_text("#!/bin/sh\n# a CGI form-mail handler\n"
                      f"printf '%s' \"$1\" | {SENDMAIL} --base {s.base} -t -i\n")
    script.chmod(0o755)
    p = subprocess.run([str(script), MSG.decode()], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    for acct in ("user1", "user2"):
        raw = wait_inbox(s, acct, 1)[0]
        # -i: the lone "." line and ".." stayed in the body.
        check_exact(raw, MSG, b"form@test.example")
    assert inbox(s, "user3") == []


def test_arguments_and_f(srv):
    s = srv
    p = sendmail(s, ["-oi", "-f", "bounce@test.example", "user3@test.example"], MSG)
    assert p.returncode == 0, p.stderr
    raw = wait_inbox(s, "user3", 1)[0]
    check_exact(raw, MSG, b"bounce@test.example")
    # Without -t the To:/Cc: fields are not recipients.
    time.sleep(1.0)
    assert inbox(s, "user1") == [] and inbox(s, "user2") == []


def test_attached_f_and_bare_name(srv):
    s = srv
    p = sendmail(s, ["-i", "-fform", "user1"], b"Subject: s\n\nbody\n")
    assert p.returncode == 0, p.stderr
    raw = wait_inbox(s, "user1", 1)[0]
    assert raw.startswith(b"Return-Path: <form@test.example>\r\n")
    # No From: in the message: one is added with the sender.
    assert b"\r\nFrom: form@test.example\r\n" in raw
    assert raw.endswith(b"\r\n\r\nbody\r\n")


def test_dot_ends_input_without_i(srv):
    s = srv
    p = sendmail(s, ["-t"], MSG)
    assert p.returncode == 0, p.stderr
    raw = wait_inbox(s, "user1", 1)[0]
    assert raw.endswith(b"\r\n\r\nName: Someone\r\n")


def test_t_with_arguments_adds_them(srv):
    s = srv
    p = sendmail(s, ["-t", "-i", "user3@test.example"], MSG)
    assert p.returncode == 0, p.stderr
    for acct in ("user1", "user2", "user3"):
        raw = wait_inbox(s, acct, 1)[0]
        check_exact(raw, MSG, b"form@test.example")


def test_F_fullname_and_null_sender(srv):
    s = srv
    p = sendmail(s, ["-i", "-F", "Web \"Site\"", "-f", "<>", "user2"],
                 b"To: user2@test.example\nSubject: F\n\nx\n")
    assert p.returncode == 0, p.stderr
    raw = wait_inbox(s, "user2", 1)[0]
    assert raw.startswith(b"Return-Path: <>\r\n")
    assert b"\r\nFrom: \"Web \\\"Site\\\"\" <" in raw


def test_bcc_removed_with_t(srv):
    s = srv
    p = sendmail(s, ["-t", "-i"], b"From: form@test.example\nTo: user1@test.example\n"
                 b"Bcc: user3@test.example\nSubject: b\n\nx\n")
    assert p.returncode == 0, p.stderr
    for acct in ("user1", "user3"):
        raw = wait_inbox(s, acct, 1)[0]
        assert b"Bcc:" not in raw and b"user3" not in raw


def test_env_base_and_ignored_options(srv):
    s = srv
    p = sendmail(s, ["-oem", "-v", "-bm", "-N", "never", "--", "user1"],
                 b"Subject: env\n\nx\n", env={"TEGAMI_BASE": s.base})
    assert p.returncode == 0, p.stderr
    wait_inbox(s, "user1", 1)
    assert sendmail(s, ["-q"], b"").returncode == 0


def test_usage_errors(srv):
    s = srv
    p = sendmail(s, [], b"Subject: x\n\nx\n")
    assert p.returncode == 64 and b"no recipients" in p.stderr
    p = sendmail(s, ["-Z", "user1"], b"x\n")
    assert p.returncode == 64
    p = sendmail(s, ["-bs"], b"x\n")
    assert p.returncode == 64
    p = sendmail(s, ["<unterminated"], b"x\n")
    assert p.returncode == 65
    p = sendmail(s, ["-f"], b"x\n")
    assert p.returncode == 64
    # Nothing was written.
    assert [n for n in os.listdir(s.path("Submitted")) if not n.startswith(".")] == []


def test_base_not_writable(srv, tmp_path):
    p = subprocess.run([SENDMAIL, "--base", str(tmp_path / "missing" / "base"), "user1"],
                       input=b"x\n", capture_output=True, timeout=30)
    assert p.returncode == 73, p.stderr


def test_sendmail_while_stopped(srv):
    s = srv
    s.stop()
    p = sendmail(s, ["-i", "user1@test.example", "user2@test.example"], MSG)
    assert p.returncode == 0, p.stderr
    subs = [n for n in os.listdir(s.path("Submitted")) if n.endswith(".sub")]
    assert len(subs) == 1
    with open(s.path("Submitted", subs[0]), "rb") as f:
        data = f.read()
    assert data.startswith(b"Envelope-To: <user1@test.example>\nEnvelope-To: <user2@test.example>\n")
    s.start()
    for acct in ("user1", "user2"):
        raw = wait_inbox(s, acct, 1)[0]
        check_exact(raw, MSG, b"form@test.example")
    assert wait_for(lambda: not os.path.exists(s.path("Submitted", subs[0])))


def test_remote_recipient_queued(srv):
    s = srv
    hold_remote_mail(s)
    p = sendmail(s, ["-i", "-f", "form@test.example", "far@remote.example"], b"Subject: r\n\nx\n")
    assert p.returncode == 0

    def listed():
        return "far@remote.example" in s.tegami("ListQueue")[1]
    assert wait_for(listed)
