# SPDX-License-Identifier: Apache-2.0
"""SMTP receiving (src/smtp/): EHLO features, STARTTLS + AUTH, pipelining,
8BITMIME, SIZE, relaying rules, the Return-Path check (docs/behaviour.md, B6), submission
and smtps, the Received: header (B13) -- with real clients (smtplib, swaks,
curl), each delivered message read back from the account store and compared
byte for byte."""

import email.utils
import os
import re
import smtplib
import socket
import sqlite3
import ssl
import subprocess
import time

import pytest

DOMAIN = "test.example"
SMTP_SERVICES = ["smtp", "submission", "smtps", "cli"]


def tls_ctx():
    return ssl._create_unverified_context()


def start(make_server, client_ips="127.0.0.1", accounts=("user1",),
          log_level=4):
    """A server with the SMTP services, Client IPs set, the SMTP log at
    log_level and accounts with password "pw-<name>"."""
    s = make_server(services=SMTP_SERVICES, domain=DOMAIN).start()
    s.tegami("UpdateModule", "SMTP", "{LogLevel=%d;}" % log_level)
    if client_ips is not None:
        s.tegami("SetClientIPs", client_ips)
    for a in accounts:
        s.tegami("CreateAccount", a, '{Password="pw-%s";}' % a)
    return s


def inbox_messages(s, account):
    """The INBOX message texts of a main-domain account, in UID order."""
    folder = s.path("Accounts", account + ".macnt")
    db = os.path.join(folder, "mail.db")
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(db, timeout=10)
    try:
        rows = con.execute(
            "SELECT b.data, b.file FROM messages m JOIN mailboxes x "
            "ON m.mailbox = x.id JOIN bodies b ON m.body = b.id "
            "WHERE x.name = 'INBOX' ORDER BY m.uid").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    out = []
    for data, fname in rows:
        if data is None and fname:
            with open(os.path.join(folder, fname) if not os.path.isabs(fname)
                      else fname, "rb") as f:
                data = f.read()
        out.append(bytes(data))
    return out


def wait_messages(s, account, n, timeout=20.0):
    end = time.time() + timeout
    msgs = []
    while time.time() < end:
        msgs = inbox_messages(s, account)
        if len(msgs) >= n:
            return msgs
        time.sleep(0.1)
    raise AssertionError(f"{account}: {len(msgs)} messages, wanted {n}")


def split_trace(stored, added=0):
    """(our trace header lines, the rest) of a stored message; added: how
    many Date:/Message-ID: lines we expect after Received:."""
    lines = stored.split(b"\r\n")
    if lines[0].startswith(b"Return-Path: "):   # added by local delivery
        lines = lines[1:]
    assert lines[0].startswith(b"Received: from ")
    i = 1
    while i < len(lines) and lines[i][:1] in (b"\t", b" "):
        i += 1
    for _ in range(added):
        assert lines[i].startswith((b"Date: ", b"Message-ID: "))
        i += 1
    return b"\r\n".join(lines[:i]) + b"\r\n", b"\r\n".join(lines[i:])


def body_of(stored):
    return split_trace(stored)[1]


MSG = (b"From: a@remote.example\r\nTo: user1@test.example\r\n"
       b"Subject: hello\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
       b"Message-ID: <m1@remote.example>\r\n\r\n"
       b"line one\r\n.leading dot\r\n..two dots\r\nend\r\n")


def test_ehlo_features(make_server):
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        code, text = c.ehlo("client.example")
        assert code == 250
        assert text.startswith(b"test.example Hello client.example")
        for f in ("pipelining", "8bitmime", "size", "enhancedstatuscodes",
                  "dsn", "starttls", "auth", "smtputf8"):
            assert c.has_extn(f), f
        assert c.esmtp_features["size"] == str(50 * 1024 * 1024)
        # CRAM-MD5 only where the domain's AUTHMethods lists it
        assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert c.docmd("NOOP")[0] == 250
        assert c.docmd("VRFY", "user1")[0] == 252
        assert c.docmd("EXPN", "list")[0] == 502
        assert c.docmd("HELP")[0] == 214
        assert c.docmd("XYZZY")[0] == 500
        c.starttls(context=tls_ctx())
        c.ehlo("client.example")
        assert not c.has_extn("starttls")
        assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert c.docmd("STARTTLS")[0] == 503
    s.tegami("UpdateDomainSettings", s.domain,
             '{AUTHMethods = (PLAIN, LOGIN, "CRAM-MD5");}')
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("client.example")
        assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN",
                                                    "CRAM-MD5"]
    assert s.wait_log(r"SMTP-\d+\(\[127\.0\.0\.1\]:\d+\) TLS established")


def test_deliver_8bit_intact_with_dot_stuffing(make_server):
    s = start(make_server)
    body = MSG.replace(b"line one", "Grüße, 8-bit ünïcödé".encode())
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("client.example")
        rej = c.sendmail("a@remote.example", ["user1@test.example"], body,
                         mail_options=["BODY=8BITMIME"])
        assert rej == {}
    stored = wait_messages(s, "user1", 1)[0]
    assert body_of(stored) == body
    trace = split_trace(stored)[0].decode()
    assert "for <user1@test.example>" in trace
    assert "with ESMTP id" in trace
    assert s.wait_log(r"SMTP-\d+.* from <a@remote\.example> to 1 recipient")


def test_smtputf8_address_and_header(make_server):
    """RFC 6531: a UTF-8 return-path and header pass with SMTPUTF8, byte for
    byte, and Received says UTF8SMTP; without SMTPUTF8 the address is 553."""
    s = start(make_server)
    sender = "jörg@remote.example"
    body = ("From: Jörg <jörg@remote.example>\r\nTo: user1@test.example\r\n"
            "Subject: Grüße\r\n\r\nHallo ünïcödé\r\n").encode()
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("client.example")
        c.send("MAIL FROM:<jörg@remote.example>\r\n".encode())
        code, text = c.getreply()
        assert (code, text[:5]) == (553, b"5.6.7"), (code, text)
        rej = c.sendmail(sender, ["user1@test.example"], body,
                         mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        assert rej == {}
    stored = wait_messages(s, "user1", 1)[0]
    assert stored.startswith("Return-Path: <jörg@remote.example>\r\n".encode())
    assert body_of(stored) == body
    assert "with UTF8SMTP id" in split_trace(stored)[0].decode()


def test_auth_over_starttls_and_relay_after_auth(make_server):
    # 127.0.0.2 is not a client address: relaying needs AUTH.
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10,
                      source_address=("127.0.0.2", 0)) as c:
        c.ehlo("client.example")
        c.mail("user1@test.example")
        code, text = c.rcpt("someone@remote.example")
        assert code == 550 and b"5.7.1" in text and b"elaying" in text
        # local delivery is allowed to anybody
        assert c.rcpt("user1@test.example")[0] == 250
        c.rset()
        c.starttls(context=tls_ctx())
        c.ehlo("client.example")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("user1", "wrong")
        c.login("user1", "pw-user1")
        assert c.docmd("AUTH", "PLAIN")[0] == 503
        c.mail("user1@test.example")
        assert c.rcpt("someone@remote.example")[0] == 250
        assert c.rcpt("user1@test.example")[0] == 250
        code, _ = c.data(MSG)
        assert code == 250
    stored = wait_messages(s, "user1", 1)[0]
    trace, rest = split_trace(stored)
    assert rest == MSG
    trace = trace.decode()
    assert "with ESMTPSA" in trace
    assert "(authenticated as user1@test.example)" in trace
    assert re.search(r"\(TLSv1\.[23] \S+\)", trace)
    assert "for <" not in trace  # two recipients
    log = s.log_text()
    assert re.search(r"RCPT TO:<someone@remote\.example> refused: relaying", log)
    assert "pw-user1" not in log


def test_auth_login_mechanism_and_clear_text_policy(make_server):
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        c.user, c.password = "user1", "pw-user1"
        code, _ = c.auth("LOGIN", c.auth_login)
        assert code == 235
    s.tegami("UpdateModule", "SMTP", "{RequireTLSForAUTH=YES;}")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        assert not c.has_extn("auth")
        code, text = c.docmd("AUTH", "PLAIN AHVzZXIxAHB3LXVzZXIx")
        assert code == 538
        c.starttls(context=tls_ctx())
        c.ehlo("x")
        assert "PLAIN" in c.esmtp_features["auth"]
        c.login("user1", "pw-user1")


def test_pipelining(make_server):
    s = start(make_server)
    with socket.create_connection(("127.0.0.1", s.ports["smtp"]), 10) as sk:
        f = sk.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sk.sendall(b"EHLO p.example\r\nMAIL FROM:<a@remote.example>\r\n"
                   b"RCPT TO:<user1@test.example>\r\nRCPT TO:<nobody@test.example>\r\n"
                   b"DATA\r\n")
        while True:
            line = f.readline()
            if line.startswith(b"250 "):
                break
        assert f.readline().startswith(b"250 2.1.0")
        assert f.readline().startswith(b"250 2.1.5")
        assert f.readline().startswith(b"550 5.1.1")
        assert f.readline().startswith(b"354 ")
        sk.sendall(b"Subject: piped\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 2.0.0")
        assert f.readline().startswith(b"221 ")
    assert body_of(wait_messages(s, "user1", 1)[0]) == b"Subject: piped\r\n\r\nhi\r\n"


def test_size_refusals(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP", "{MaxMessageSize=10K;}")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        assert c.esmtp_features["size"] == "10240"
        code, text = c.mail("a@remote.example", ["SIZE=10241"])
        assert code == 552 and b"5.3.4" in text
        code, text = c.mail("a@remote.example", ["SIZE=2147483648"])
        assert code == 552
        assert c.mail("a@remote.example", ["SIZE=100"])[0] == 250
        assert c.rcpt("user1@test.example")[0] == 250
        code, text = c.data(b"Subject: big\r\n\r\n" + b"x" * 100 + b"\r\n" * 0 +
                            (b"y" * 70 + b"\r\n") * 200)
        assert code == 552 and b"5.3.4" in text
        # the session goes on
        assert c.noop()[0] == 250
    assert inbox_messages(s, "user1") == []
    assert s.wait_log(r"SIZE=10241 over the limit 10240")


def test_account_max_message_size(make_server):
    s = start(make_server, accounts=("user1", "small"))
    s.tegami("UpdateAccountSettings", "small", "{MaxMessageSize=1K;}")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        c.mail("a@remote.example", ["SIZE=5000"])
        assert c.rcpt("small@test.example")[0] == 552
        assert c.rcpt("user1@test.example")[0] == 250
        c.rset()
        c.mail("a@remote.example")
        assert c.rcpt("small@test.example")[0] == 250
        assert c.data(b"Subject: s\r\n\r\n" + b"z" * 3000 + b"\r\n")[0] == 552
        c.rset()
        c.mail("a@remote.example")
        assert c.rcpt("small@test.example")[0] == 250
        assert c.data(b"Subject: s\r\n\r\nsmall\r\n")[0] == 250
    assert len(wait_messages(s, "small", 1)) == 1


def test_return_path_b6(make_server):
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        code, text = c.mail("webform@test.example")
        assert code == 550 and text.startswith(b"5.1.8 Return-Path rejected")
        assert c.mail("<>")[0] == 250
        c.rset()
        assert c.mail("someone@remote.example")[0] == 250
    s.tegami("SetAccountAliases", "postmaster", "(webform)")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        assert c.mail("webform@test.example")[0] == 250
        assert c.rcpt("user1@test.example")[0] == 250
        assert c.data(b"Subject: form\r\n\r\nfilled\r\n")[0] == 250
    assert body_of(wait_messages(s, "user1", 1)[0]) == b"Subject: form\r\n\r\nfilled\r\n"
    assert re.search(r"MAIL FROM:<webform@test\.example> refused", s.log_text())


def test_submission_requires_auth_and_adds_headers(make_server):
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=10) as c:
        c.ehlo("x")
        code, text = c.mail("user1@test.example")
        assert code == 530 and text == b"5.7.0 Authentication required"
        c.starttls(context=tls_ctx())
        c.ehlo("x")
        c.login("user1", "pw-user1")
        assert c.mail("user1@test.example")[0] == 250
        assert c.rcpt("user1@test.example")[0] == 250
        assert c.data(b"Subject: no date\r\n\r\nbody\r\n")[0] == 250
    stored = wait_messages(s, "user1", 1)[0]
    trace, rest = split_trace(stored, added=2)
    assert rest == b"Subject: no date\r\n\r\nbody\r\n"
    trace = trace.decode()
    m = re.search(r"\r\nDate: ([^\r]+)\r\n", trace)
    assert m and email.utils.parsedate_tz(m.group(1)) is not None
    assert re.search(r"\r\nMessage-ID: <[^@>]+@test\.example>\r\n", trace)


def test_smtps_implicit_tls(make_server):
    s = start(make_server)
    with smtplib.SMTP_SSL("127.0.0.1", s.ports["smtps"], timeout=10,
                          context=tls_ctx()) as c:
        c.ehlo("x")
        assert not c.has_extn("starttls")
        c.login("user1", "pw-user1")
        c.sendmail("user1@test.example", ["user1@test.example"], MSG)
    trace, rest = split_trace(wait_messages(s, "user1", 1)[0])
    assert rest == MSG
    assert b"with ESMTPSA" in trace


def local_offset_text(t):
    off = time.localtime(t).tm_gmtoff
    sign = "+" if off >= 0 else "-"
    off = abs(off)
    return "%s%02d%02d" % (sign, off // 3600, off % 3600 // 60)


def test_received_header_date_and_zone(make_server):
    s = start(make_server)
    t0 = time.time()
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("client.example")
        c.sendmail("a@remote.example", ["user1@test.example"], MSG)
    trace = split_trace(wait_messages(s, "user1", 1)[0])[0].decode()
    m = re.match(r"Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n"
                 r"\tby test\.example \(Tegami SMTP [^)]*\) with ESMTP id (\S+)"
                 r"\r\n\tfor <user1@test\.example>; (.+)\r\n$", trace)
    assert m, trace
    date = m.group(2)
    assert date.endswith(" " + local_offset_text(t0))
    parsed = email.utils.parsedate_to_datetime(date).timestamp()
    assert t0 - 5 <= parsed <= time.time() + 5
    # untrusted (port 25, no AUTH): no Date:/Message-ID: added
    assert "Message-ID:" not in trace


def test_swaks_starttls_auth_pipelining(make_server):
    s = start(make_server)
    p = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(s.ports["smtp"]),
         "--from", "user1@test.example", "--to", "user1@test.example",
         "--tls", "--auth", "PLAIN", "--auth-user", "user1",
         "--auth-password", "pw-user1", "--pipeline",
         "--data", "Subject: swaks\r\nX-Test: 1\r\n\r\nvia swaks\r\n",
         "--helo", "swaks.example"],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "250 2.0.0" in p.stdout
    rest = split_trace(wait_messages(s, "user1", 1)[0], added=2)[1]
    # swaks ends the data with its own CRLF before "."
    assert rest == b"Subject: swaks\r\nX-Test: 1\r\n\r\nvia swaks\r\n\r\n"


def test_curl_smtp_upload(make_server, tmp_path):
    s = start(make_server)
    f = tmp_path / "m.eml"
    f.write_bytes(MSG)
    p = subprocess.run(
        ["curl", "-sS", f"smtp://127.0.0.1:{s.ports['smtp']}/curl.example",
         "--mail-from", "a@remote.example", "--mail-rcpt", "user1@test.example",
         "--upload-file", str(f)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert body_of(wait_messages(s, "user1", 1)[0]) == MSG


def test_blacklisted_refused_at_connect(make_server):
    s = start(make_server)
    s.tegami("SetBlacklistedIPs", "127.0.0.3")
    with socket.create_connection(("127.0.0.1", s.ports["smtp"]), 10,
                                  source_address=("127.0.0.3", 0)) as sk:
        data = sk.makefile("rb").readline()
        assert data.startswith(b"554 5.7.1 ")
    # others still work
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        assert c.ehlo("x")[0] == 250
    assert s.wait_log(r"\[127\.0\.0\.3\].*blacklisted")


def test_debug_ip_logs_everything_but_auth(make_server):
    s = start(make_server, log_level=3)
    s.tegami("SetDebugIPs", "127.0.0.1")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("dbg.example")
        c.login("user1", "pw-user1")
    assert s.wait_log(r"(?i)inp: EHLO dbg\.example")
    assert s.wait_log(r"out: 235 2\.7\.0")
    log = s.log_text()
    assert "inp: AUTH PLAIN ..." in log or "inp: AUTH CRAM-MD5 ..." in log
    assert "AHVzZXIx" not in log and "pw-user1" not in log


def test_queue_down_answers_451(make_server):
    """Without the queue the server must not accept a message: covered by
    the 451 path; here we just check DATA answers 354 or 451 coherently."""
    s = start(make_server)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=10) as c:
        c.ehlo("x")
        c.mail("a@remote.example")
        c.rcpt("user1@test.example")
        code, _ = c.data(b"Subject: q\r\n\r\nq\r\n")
        assert code in (250, 451)
