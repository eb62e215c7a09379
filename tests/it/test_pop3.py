# SPDX-License-Identifier: Apache-2.0
"""POP3 module (src/pop/) against a real tegamid with real clients: Python's
poplib (USER/PASS, APOP, STLS, POP3_SSL), raw sockets (AUTH PLAIN/LOGIN/
CRAM-MD5, byte-stuffing, pipelining, malformed input, limits), curl's POP3
client and fetchmail.  Messages go in through deliver() (SMTP or the
Submitted folder, see conftest.py)."""

import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import poplib

import pytest

from conftest import deliver

USER, PW = "user1", "pw-clear-1"          # stored in clear: APOP, CRAM-MD5 work
HUSER, HPW = "huser", "pw-hashed-2"       # stored hashed (SetAccountPassword)

MSG1 = (b"From: a@remote.example\r\nTo: user1@test.example\r\n"
        b"Subject: first\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"Message-ID: <m1@it.example>\r\n\r\n"
        b"line one\r\n.dot line\r\n..two dots\r\n.\r\nline five\r\n")
MSG2 = (b"From: b@remote.example\r\nTo: user1@test.example\r\n"
        b"Subject: second\r\nDate: Mon, 1 Jan 2024 11:00:00 +0000\r\n"
        b"Message-ID: <m2@it.example>\r\n\r\n" + b"x" * 70 + b"\r\n") * 1


def pop_server(make_server, services=("cli", "pop3", "pop3s"), listen=None):
    """A server with POP and the two test accounts; SMTP too when the module
    exists (deliver() then uses it)."""
    svcs = list(services)
    s = make_server(services=svcs)
    if listen:
        s.listen.update(listen)
    s.start()
    s.tegami("CreateAccount", USER, '{Password="%s"; PasswordEncryption=clear;}' % PW)
    s.tegami("CreateAccount", HUSER)
    s.tegami("SetAccountPassword", HUSER, "TO", HPW)
    return s


def login(s, user=USER, pw=PW, port=None):
    p = poplib.POP3("127.0.0.1", port or s.ports["pop3"], timeout=30)
    p.user(user)
    p.pass_(pw)
    return p


def wait_messages(s, n, user=USER, pw=PW, timeout=20.0):
    """Polls STAT until the INBOX holds n messages (local delivery is
    asynchronous after the queue accepted the message)."""
    end = time.time() + timeout
    count = -1
    while time.time() < end:
        p = login(s, user, pw)
        count = p.stat()[0]
        p.quit()
        if count >= n:
            return count
        time.sleep(0.1)
    raise AssertionError(f"INBOX has {count} messages, expected {n}")


def put(s, *msgs, user=USER, pw=PW):
    p = login(s, user, pw)
    have = p.stat()[0]
    p.quit()
    for m in msgs:
        deliver(s, f"{user}@{s.domain}", m)
    wait_messages(s, have + len(msgs), user, pw)


class Raw:
    """A line-level POP3 client on a raw socket (malformed input, SASL)."""

    def __init__(self, port, addr="127.0.0.1", source=None, tls=False):
        self.sock = socket.create_connection((addr, port), timeout=30,
                                             source_address=(source, 0) if source else None)
        if tls:
            self.sock = ssl._create_unverified_context().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode("latin-1").rstrip("\r\n")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multi(self):
        """Reads a multi-line body up to the lone dot, raw (still stuffed)."""
        out = []
        while True:
            b = self.f.readline()
            if b in (b".\r\n", b""):
                return out
            out.append(b)

    def quit(self):
        """QUIT and close: the maildrop lock is released before the reply."""
        assert self.cmd("QUIT").startswith("+OK")
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


# ---- greeting, CAPA, login methods -----------------------------------------

def test_greeting_and_capa(make_server):
    s = pop_server(make_server)
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    assert re.match(rb"^\+OK .*<[^<>@]+@test\.example>$", p.getwelcome())
    caps = p.capa()
    for c in ("TOP", "UIDL", "USER", "STLS", "RESP-CODES", "AUTH-RESP-CODE",
              "PIPELINING"):
        assert c in caps, c
    # CRAM-MD5 only where the domain's AUTHMethods lists it
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    assert caps["EXPIRE"] == ["NEVER"]
    assert caps["IMPLEMENTATION"] == ["Tegami"]
    p.user(USER)
    p.pass_(PW)
    caps = p.capa()       # RFC 2449: login capabilities are gone
    assert "USER" not in caps and "SASL" not in caps and "STLS" not in caps
    assert "TOP" in caps
    p.quit()
    # Each greeting has its own timestamp.
    q = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    assert q.getwelcome() != p.welcome
    q.quit()


def test_user_pass_and_wrong_password(make_server):
    s = pop_server(make_server)
    p = login(s)
    assert p.stat() == (0, 0)
    p.quit()
    p = login(s, HUSER, HPW)
    p.quit()
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    p.user(USER)
    with pytest.raises(poplib.error_proto) as e1:
        p.pass_("wrong")
    p.user("nosuchuser")
    with pytest.raises(poplib.error_proto) as e2:
        p.pass_("wrong")
    # The same generic text for both, with the RFC 3206 code.
    assert e1.value.args[0] == e2.value.args[0] == \
        b"-ERR [AUTH] incorrect password or account name"
    with pytest.raises(poplib.error_proto) as e3:
        p.pass_("x")     # RFC 1939: PASS needs a USER right before
    assert b"USER first" in e3.value.args[0]
    p.quit()
    assert s.wait_log(r"POP-\d+\(.*\) USER login failed for 'nosuchuser'")
    assert "wrong" not in s.log_text()      # passwords never logged


def test_apop(make_server):
    s = pop_server(make_server)
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    p.apop(USER, PW)
    assert p.stat() == (0, 0)
    p.quit()
    # A hashed password cannot serve APOP: the generic error.
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    with pytest.raises(poplib.error_proto) as e:
        p.apop(HUSER, HPW)
    assert b"[AUTH] incorrect password or account name" in e.value.args[0]
    # A digest over another greeting's timestamp fails.
    r = Raw(s.ports["pop3"])
    ts = re.search(r"<.*>", r.greeting).group(0)
    r.close()
    d = hashlib.md5((ts + PW).encode()).hexdigest()
    assert p.welcome.decode().find(ts) < 0
    with pytest.raises(poplib.error_proto):
        p._shortcmd(f"APOP {USER} {d}")
    p.quit()


def test_auth_sasl(make_server):
    s = pop_server(make_server)
    port = s.ports["pop3"]
    # PLAIN with the RFC 5034 initial response.
    r = Raw(port)
    assert r.cmd("AUTH PLAIN " + b64(f"\0{USER}\0{PW}")).startswith("+OK")
    assert r.cmd("STAT") == "+OK 0 0"
    r.cmd("QUIT")
    r.close()
    # PLAIN with a continuation; a hashed password works too.
    r = Raw(port)
    assert r.cmd("AUTH PLAIN") == "+ "
    assert r.cmd(b64(f"{HUSER}\0{HUSER}\0{HPW}")).startswith("+OK")
    r.quit()
    # "=" is an empty initial response: malformed for PLAIN.
    r = Raw(port)
    assert r.cmd("AUTH PLAIN =").startswith("-ERR [AUTH]")
    # Wrong password: [AUTH] and the generic text.
    assert r.cmd("AUTH PLAIN " + b64(f"\0{USER}\0nope")) == \
        "-ERR [AUTH] incorrect password or account name"
    # Cancel.
    assert r.cmd("AUTH PLAIN") == "+ "
    assert r.cmd("*") == "-ERR [AUTH] authentication cancelled"
    assert r.cmd("AUTH X-UNKNOWN").startswith("-ERR [AUTH]")
    # LOGIN.
    assert r.cmd("AUTH LOGIN") == "+ VXNlcm5hbWU6"
    assert r.cmd(b64(USER)) == "+ UGFzc3dvcmQ6"
    assert r.cmd(b64(PW)).startswith("+OK")
    r.quit()
    # CRAM-MD5 (clear-stored password only).
    r = Raw(port)
    ch = r.cmd("AUTH CRAM-MD5")
    assert ch.startswith("+ ")
    chal = base64.b64decode(ch[2:])
    assert re.match(rb"^<[^<>@]+@test\.example>$", chal)
    dig = hmac.new(PW.encode(), chal, hashlib.md5).hexdigest()
    assert r.cmd(b64(f"{USER} {dig}")).startswith("+OK")
    r.quit()
    r = Raw(port)
    ch = r.cmd("AUTH CRAM-MD5")
    dig = hmac.new(HPW.encode(), base64.b64decode(ch[2:]), hashlib.md5).hexdigest()
    assert r.cmd(b64(f"{HUSER} {dig}")).startswith("-ERR [AUTH]")
    # AUTH without a mechanism lists them.
    assert r.cmd("AUTH").startswith("+OK")
    assert [x.decode().strip() for x in r.multi()] == ["PLAIN", "LOGIN", "CRAM-MD5"]
    r.close()
    log = s.log_text()
    assert PW not in log and b64(f"\0{USER}\0{PW}") not in log


# ---- the maildrop --------------------------------------------------------------

def test_stat_list_uidl_top_retr(make_server):
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    p = login(s)
    n, size = p.stat()
    assert n == 2
    listing = p.list()[1]
    sizes = [int(x.split()[1]) for x in listing]
    assert [int(x.split()[0]) for x in listing] == [1, 2]
    assert sum(sizes) == size
    assert p.list(2).split()[2] == str(sizes[1]).encode()
    # RETR gives the message as delivered (the server's Received: on top),
    # its size as LIST says.
    resp, lines, octets = p.retr(1)
    body = b"\r\n".join(lines) + b"\r\n"
    assert body.endswith(MSG1)
    assert len(body) == sizes[0]
    assert b"\r\nReceived: " in b"\r\n" + body[:body.index(b"\r\n\r\n")]
    # TOP: header block, blank line, then n body lines.
    hdr = body[:body.index(b"\r\n\r\n") + 4]
    top = p.top(1, 2)[1]
    assert b"\r\n".join(top) + b"\r\n" == hdr + b"line one\r\n.dot line\r\n"
    top0 = p.top(1, 0)[1]
    assert b"\r\n".join(top0) + b"\r\n" == hdr
    assert b"\r\n".join(p.top(1, 100)[1]) + b"\r\n" == body
    # UIDL = uidvalidity.uid, the same in every session.
    u = p.uidl()[1]
    assert all(re.match(rb"^\d+ \d+\.\d+$", x) for x in u)
    assert p.uidl(2).split()[1:] == u[1].split()
    p.quit()
    q = login(s)
    assert q.uidl()[1] == u
    q.quit()


def test_byte_stuffing_on_the_wire(make_server):
    s = pop_server(make_server)
    put(s, MSG1)
    r = Raw(s.ports["pop3"])
    r.cmd(f"USER {USER}")
    r.cmd(f"PASS {PW}")
    head = r.cmd("RETR 1")
    assert re.match(r"^\+OK \d+ octets$", head)
    raw = b"".join(r.multi())
    assert b"\r\n..dot line\r\n...two dots\r\n..\r\nline five\r\n" in raw
    # Unstuffed it is exactly what was stored.
    unstuffed = re.sub(rb"(^|\n)\.", rb"\1", raw)
    assert unstuffed.endswith(MSG1)
    assert len(unstuffed) == int(head.split()[1])
    r.cmd("QUIT")
    r.close()


def test_dele_quit_removes_and_rset(make_server):
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    p = login(s)
    uids = p.uidl()[1]
    p.dele(1)
    assert p.stat()[0] == 1                     # marked, not counted
    with pytest.raises(poplib.error_proto) as e:
        p.retr(1)
    assert b"already deleted" in e.value.args[0]
    p.rset()
    assert p.stat()[0] == 2
    p.dele(1)
    assert p.quit().startswith(b"+OK 1 message removed")
    q = login(s)
    assert q.stat()[0] == 1
    assert q.uidl()[1][0].split()[1] == uids[1].split()[1]
    q.quit()


def test_dele_then_abrupt_disconnect_keeps(make_server):
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    p = login(s)
    p.dele(1)
    p.dele(2)
    p.sock.shutdown(socket.SHUT_RDWR)           # no QUIT: no UPDATE state
    p.sock.close()
    p.file.close()
    q = None
    for _ in range(100):                        # the lock goes with the session
        try:
            q = login(s)
            break
        except poplib.error_proto as e:
            assert b"[IN-USE]" in e.args[0]
            time.sleep(0.1)
    assert q is not None and q.stat()[0] == 2
    q.quit()


def test_dele_survives_restart(make_server):
    """DELE + QUIT is durable: after kill -9 the messages stay removed."""
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    p = login(s)
    p.dele(2)
    p.quit()
    s.kill9()
    s.start()
    q = login(s)
    assert q.stat()[0] == 1
    q.quit()


def test_maildrop_lock(make_server):
    s = pop_server(make_server)
    p = login(s)
    q = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    q.user(USER)
    with pytest.raises(poplib.error_proto) as e:
        q.pass_(PW)
    assert e.value.args[0] == b"-ERR [IN-USE] mailbox locked"
    # Another account is not affected.
    h = login(s, HUSER, HPW)
    h.quit()
    p.quit()
    q.user(USER)
    q.pass_(PW)                                 # free again after QUIT
    q.quit()


# ---- TLS ----------------------------------------------------------------------

def test_stls_and_pop3s(make_server):
    s = pop_server(make_server)
    put(s, MSG1)
    ctx = ssl._create_unverified_context()
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    p.stls(ctx)
    assert "STLS" not in p.capa()
    p.user(USER)
    p.pass_(PW)
    assert p.retr(1)[1][-1] == b"line five"
    with pytest.raises(poplib.error_proto):
        p._shortcmd("STLS")                     # wrong state now
    p.quit()
    p = poplib.POP3_SSL("127.0.0.1", s.ports["pop3s"], context=ctx, timeout=30)
    assert "STLS" not in p.capa()
    p.user(USER)
    p.pass_(PW)
    assert p.stat()[0] == 1
    p.quit()
    assert s.wait_log(r"POP-\d+\(user1@test\.example\) 'user1@test\.example' "
                      r"connected from .* \(TLS\)")


def test_stls_refuses_pipelined_input(make_server):
    s = pop_server(make_server)
    r = Raw(s.ports["pop3"])
    r.send("STLS\r\nCAPA\r\n")
    assert r.line().startswith("-ERR")
    assert r.line() == "+OK capability list follows"   # still plaintext
    r.multi()
    r.close()
    assert s.wait_log(r"STLS with pipelined input refused")


# ---- bad input and limits ----------------------------------------------------

def test_wrong_state_and_garbage(make_server):
    s = pop_server(make_server)
    r = Raw(s.ports["pop3"])
    assert r.cmd("STAT") == "-ERR STAT is not valid before login"
    assert r.cmd("RETR 1").startswith("-ERR")
    assert r.cmd("HELO there") == "-ERR unknown command"
    assert r.cmd("") == "-ERR empty command"
    r.send(b"USER a\0b\r\n")
    assert r.line() == "-ERR control character in command"
    assert r.cmd("PASS x") == "-ERR send USER first"
    assert r.cmd(f"USER {USER}") == "+OK send the password"
    assert r.cmd(f"PASS {PW}").startswith("+OK")
    assert r.cmd("USER x") == "-ERR USER is not valid after login"
    assert r.cmd("RETR 0") == "-ERR invalid message number"
    assert r.cmd("RETR 1").startswith("-ERR no such message")
    assert r.cmd("LIST 1 2") == "-ERR too many arguments for LIST"
    assert r.cmd("TOP 1 x") == "-ERR invalid line count"
    assert r.cmd("DELE -1") == "-ERR invalid message number"
    assert r.cmd("noop") == "+OK"
    assert r.cmd("QUIT").startswith("+OK")
    r.close()


def test_line_too_long(make_server):
    s = pop_server(make_server)
    r = Raw(s.ports["pop3"])
    assert r.cmd("USER " + "a" * (1024 - 5)) == "+OK send the password"  # 1024: fits
    assert r.cmd("USER " + "a" * (1024 - 4)) == "-ERR line too long"     # 1025
    assert r.cmd("USER " + "b" * 100000) == "-ERR line too long"
    assert r.cmd("NOOP") == "-ERR NOOP is not valid before login"       # goes on
    r.close()
    assert s.wait_log(r"command line longer than 1024 bytes")


def test_too_many_errors_closes(make_server):
    s = pop_server(make_server)
    r = Raw(s.ports["pop3"])
    for i in range(19):
        assert r.cmd(f"BOGUS{i}") == "-ERR unknown command"
    assert r.cmd("BOGUS") == "-ERR unknown command"
    assert r.line() == "-ERR too many errors, closing"
    assert r.f.readline() == b""
    r.close()
    # The server goes on.
    login(s).quit()


def test_too_many_failed_logins_closes(make_server):
    s = pop_server(make_server)
    s.tegami("UpdateAccountSettings", HUSER, '{FailedLoginFlow=(100,1m);}')
    r = Raw(s.ports["pop3"])
    for i in range(5):
        r.cmd(f"USER {HUSER}")
        assert r.cmd("PASS bad").startswith("-ERR [AUTH]")
    assert r.line() == "-ERR [AUTH] too many failed logins, closing"
    assert r.f.readline() == b""
    r.close()


def test_pipelining(make_server):
    s = pop_server(make_server)
    put(s, MSG1)
    r = Raw(s.ports["pop3"])
    r.send(f"USER {USER}\r\nPASS {PW}\r\nSTAT\r\nLIST\r\nUIDL 1\r\nQUIT\r\n")
    assert r.line().startswith("+OK")
    assert r.line().startswith("+OK")
    assert r.line().startswith("+OK 1 ")
    assert r.line() == "+OK 1 message"
    assert len(r.multi()) == 1
    assert re.match(r"^\+OK 1 \d+\.\d+$", r.line())
    assert r.line().startswith("+OK")
    r.close()


# ---- other clients -------------------------------------------------------------

def test_curl(make_server):
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    url = f"pop3://127.0.0.1:{s.ports['pop3']}"
    # A hashed password: curl logs in with what is offered (no CRAM-MD5).
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"{HUSER}:{HPW}",
                          f"{url}/"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # The domain offers CRAM-MD5: curl picks it, and the clear-stored
    # password makes it work.
    s.tegami("UpdateDomainSettings", s.domain,
             '{AUTHMethods = (PLAIN, LOGIN, "CRAM-MD5");}')
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-v", "-u", f"{USER}:{PW}",
                          f"{url}/1"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert b"AUTH CRAM-MD5" in out.stderr
    assert out.stdout.endswith(MSG1)
    # Listing, and a hashed password over AUTH PLAIN after STLS.
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "--ssl-reqd", "-k",
                          "--login-options", "AUTH=PLAIN", "-u", f"{HUSER}:{HPW}",
                          f"{url}/"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == b""               # huser's INBOX is empty
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"{USER}:{PW}",
                          f"{url}/"], capture_output=True, timeout=60)
    assert re.match(rb"^1 \d+\r\n2 \d+\r\n$", out.stdout), out.stdout
    # pop3s, with a custom command.
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-k", "-u", f"{USER}:{PW}",
                          "-X", "UIDL", f"pop3s://127.0.0.1:{s.ports['pop3s']}/"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert re.match(rb"^1 \d+\.\d+\r\n2 \d+\.\d+\r\n$", out.stdout), out.stdout
    # A wrong password fails.
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"{USER}:bad",
                          f"{url}/1"], capture_output=True, timeout=60)
    assert out.returncode != 0


@pytest.mark.parametrize("mode", ["pop3s", "stls"])
def test_fetchmail(make_server, tmp_path, mode):
    if shutil.which("fetchmail") is None:
        pytest.skip("fetchmail not installed (Debian package fetchmail)")
    s = pop_server(make_server)
    put(s, MSG1, MSG2)
    p = login(s)
    stored = [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in (1, 2)]
    p.quit()
    out = tmp_path / "fetched"
    os.makedirs(out)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f'poll 127.0.0.1 protocol pop3 user "{USER}" password "{PW}"\n')
    os.chmod(rc, 0o600)
    args = ["fetchmail", "-f", str(rc), "--nodetach", "--invisible", "--nosyslog",
            "-a", "-K", "-v", "--nosslcertck", "--pidfile", str(tmp_path / "pid"),
            "--mda", f"sh -c 'cat > {out}/msg.$$'"]
    if mode == "pop3s":
        args += ["--ssl", "-P", str(s.ports["pop3s"])]
    else:
        args += ["--sslproto", "TLS1.2+", "-P", str(s.ports["pop3"])]
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    res = subprocess.run(args, capture_output=True, timeout=120, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    got = sorted(open(os.path.join(out, f), "rb").read() for f in os.listdir(out))
    # fetchmail hands the MDA the message with local (LF) line ends and
    # nothing else changed.
    want = sorted(m.replace(b"\r\n", b"\n") for m in stored)
    assert got == want
    # -K deleted them on the server.
    q = login(s)
    assert q.stat()[0] == 0
    q.quit()
    if mode == "stls":
        assert b"POP3> STLS" in res.stdout + res.stderr


def test_require_apop(make_server):
    s = pop_server(make_server)
    s.tegami("UpdateAccountSettings", USER, "{RequireAPOP=YES;}")
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    p.user(USER)
    with pytest.raises(poplib.error_proto) as e:
        p.pass_(PW)
    assert e.value.args[0] == b"-ERR [AUTH] this account requires APOP"
    r = Raw(s.ports["pop3"])
    assert r.cmd("AUTH PLAIN " + b64(f"\0{USER}\0{PW}")) == \
        "-ERR [AUTH] this account requires APOP"
    r.close()
    p.apop(USER, PW)
    assert p.stat() == (0, 0)
    p.quit()
    q = login(s, HUSER, HPW)                    # others are not affected
    q.quit()
