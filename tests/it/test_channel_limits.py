# SPDX-License-Identifier: Apache-2.0
"""Per-service channel limits, per-address and per-network limits, shedding
of idle sessions before login, and the pre-login and whole-line time-outs
(docs/operations.md, "Connection limits and time-outs").  Raw sockets on
loopback from several source addresses (127.0.0.2, .3 ...).  The peer past a
limit gets the protocol's own words (SMTP 421, IMAP * BYE, POP -ERR, CLI
500) and the log a line; the server keeps serving the others.  Listener
limits come from the module's settings file, read at start; every count and
wait here is bounded, and timings are never asserted."""
import os
import signal
import socket
import time

import pytest

ALL = [
    # service, settings module, refusal/closing prefix, greeting prefix
    ("cli", "PWD", b"500 ", b"200 "),
    ("smtp", "SMTP", b"421 ", b"220 "),
    ("pop3", "POP", b"-ERR ", b"+OK "),
    ("imap", "IMAP", b"* BYE ", b"* OK "),
]


def connect(port, src="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                 source_address=(src, 0))
    f = s.makefile("rb")
    return s, f


def connect_served(port, greeting, src="127.0.0.1"):
    """A connection that got its greeting (the harness's own start-up probes
    may still hold a channel for a moment)."""
    for _ in range(100):
        sock, f = connect(port, src)
        line = f.readline()
        if line.startswith(greeting):
            return sock, f
        f.close()
        sock.close()
        time.sleep(0.05)
    raise AssertionError("never served")


def preset(s, module, text):
    os.makedirs(s.path("Settings"), exist_ok=True)
    with open(s.path("Settings", module + ".settings"), "w") as f:
        f.write(text)


def start(make_server, svc, module, settings):
    s = make_server(services=["cli", svc] if svc != "cli" else ["cli"])
    preset(s, module, settings)
    return s.start()


def read_to_eof(f, limit=20):
    """The lines the server sends until it closes (bounded)."""
    out = []
    for _ in range(limit):
        try:
            line = f.readline()
        except OSError:
            break
        if not line:
            break
        out.append(line)
    return out


def close_all(conns):
    for sock, f in conns:
        f.close()
        sock.close()


# ---- channel limit: shed the oldest idle session, refuse when none ----

@pytest.mark.parametrize("svc,module,closing,greeting", ALL)
def test_full_service_sheds_oldest_idle_session(make_server, svc, module,
                                                 closing, greeting):
    s = start(make_server, svc, module, "{ MaxChannels = 2; }")
    port = s.ports[svc]
    old = connect_served(port, greeting, "127.0.0.2")
    time.sleep(0.2)
    young = connect_served(port, greeting, "127.0.0.3")
    time.sleep(0.2)
    # The service is full; a newcomer from elsewhere is served ...
    new = connect_served(port, greeting, "127.0.0.4")
    # ... and the oldest idle session was told why and closed.
    lines = read_to_eof(old[1])
    assert lines and lines[-1].startswith(closing), lines
    assert s.wait_log(r"is full \(2 channels\): shedding the oldest idle "
                      r"session before login, from \[127\.0\.0\.2\]")
    assert s.wait_log(r"the service is full: closed to make room")
    # The younger one still works.
    young[0].sendall(b"QUIT\r\n" if svc != "imap" else b"a LOGOUT\r\n")
    assert read_to_eof(young[1])
    close_all([old, young, new])


def test_full_service_refuses_when_no_session_is_idle(make_server):
    """Logged-in sessions are never shed: the newcomer is refused."""
    s = start(make_server, "cli", "PWD", "{ MaxChannels = 2; }")
    port = s.ports["cli"]
    pw = s.postmaster_password()
    held = []
    for src in ("127.0.0.2", "127.0.0.3"):
        sock, f = connect_served(port, b"200 ", src)
        sock.sendall(b"USER postmaster\r\nPASS " + pw.encode() + b"\r\n")
        assert f.readline().startswith(b"300")
        assert f.readline().startswith(b"200 login OK")
        held.append((sock, f))
    _, f = connect(port, "127.0.0.4")
    assert f.readline().startswith(b"500 ")
    assert s.wait_log(r"connection refused: channel limit 2 reached")
    for sock, f in held:
        sock.sendall(b"ListDomains\r\n")
        assert f.readline().startswith(b"200")
    close_all(held)


def test_smtp_after_mail_is_not_shed(make_server):
    s = start(make_server, "smtp", "SMTP", "{ MaxChannels = 1; }")
    port = s.ports["smtp"]
    sock, f = connect_served(port, b"220 ", "127.0.0.2")
    sock.sendall(b"EHLO a.example\r\n")
    while f.readline()[3:4] == b"-":
        pass
    sock.sendall(b"MAIL FROM:<a@remote.example>\r\n")
    assert f.readline().startswith(b"250")
    _, f2 = connect(port, "127.0.0.3")
    assert f2.readline().startswith(b"421 ")
    sock.sendall(b"RSET\r\n")
    assert f.readline().startswith(b"250")
    sock.close()


# ---- per-address and per-network limits ----

def test_per_address_limit(make_server):
    s = make_server(services=["cli", "smtp"])
    preset(s, "SMTP", "{ MaxChannelsPerIP = 1; }")
    s.start()
    port = s.ports["smtp"]
    a, _ = connect_served(port, b"220 ")
    _, fb = connect(port, "127.0.0.1")
    assert fb.readline().startswith(b"421 ")
    # Another address is not affected.
    _, fc = connect(port, "127.0.0.2")
    assert fc.readline().startswith(b"220 ")
    assert s.wait_log(r"per-address limit 1 reached for 127\.0\.0\.1")
    a.close()


@pytest.mark.parametrize("svc,module,refusal,greeting", ALL)
def test_per_address_limit_is_on_by_default(make_server, svc, module,
                                            refusal, greeting):
    """No settings: one address gets 20 channels, the 21st is refused, and
    another address is still served (the field test: a few hosts locked
    everybody out)."""
    s = start(make_server, svc, module, "{ }")
    port = s.ports[svc]
    held = [connect_served(port, greeting, "127.0.0.5") for _ in range(20)]
    _, f = connect(port, "127.0.0.5")
    assert f.readline().startswith(refusal)
    assert s.wait_log(r"per-address limit 20 reached for 127\.0\.0\.5")
    other = connect_served(port, greeting, "127.0.0.6")
    close_all(held + [other])


def test_per_network_limit(make_server):
    s = start(make_server, "imap", "IMAP",
              "{ MaxChannelsPerIP = 2; MaxChannelsPerNetwork = #3; }")
    port = s.ports["imap"]
    held = [connect_served(port, b"* OK", src)
            for src in ("127.0.0.2", "127.0.0.2", "127.0.0.3")]
    _, f = connect(port, "127.0.0.4")
    assert f.readline().startswith(b"* BYE ")
    assert s.wait_log(r"per-network limit 3 reached for 127\.0\.0\.4/24")
    close_all(held)


def test_network_prefix(make_server):
    """NetworkPrefixIPv4=30: 127.0.0.5 and .6 are one network (.4-.7), .9
    another; UpdateModule then widens it to /28 and .9 joins them."""
    s = start(make_server, "pop3", "POP",
              "{ MaxChannelsPerIP = 0; MaxChannelsPerNetwork = 2; "
              "NetworkPrefixIPv4 = 30; }")
    port = s.ports["pop3"]
    held = [connect_served(port, b"+OK ", src)
            for src in ("127.0.0.5", "127.0.0.6")]
    _, f = connect(port, "127.0.0.7")
    assert f.readline().startswith(b"-ERR ")
    assert s.wait_log(r"per-network limit 2 reached for 127\.0\.0\.7/30")
    held.append(connect_served(port, b"+OK ", "127.0.0.9"))
    held.append(connect_served(port, b"+OK ", "127.0.0.3"))   # .0-.3
    close_all(held)
    # a value out of range is refused whole
    rc, out, err = s.tegami("UpdateModule", "POP",
                            "{NetworkPrefixIPv4 = 33;}", check=False)
    assert rc != 0 and "NetworkPrefixIPv4: 8 to 32" in out + err
    s.tegami("UpdateModule", "POP", "{ MaxChannelsPerIP = 0; "
             "MaxChannelsPerNetwork = 2; NetworkPrefixIPv4 = 28; }")
    held = [connect_served(port, b"+OK ", src)
            for src in ("127.0.0.5", "127.0.0.9")]
    _, f = connect(port, "127.0.0.14")
    assert f.readline().startswith(b"-ERR ")
    assert s.wait_log(r"per-network limit 2 reached for 127\.0\.0\.14/28")
    held.append(connect_served(port, b"+OK ", "127.0.0.16"))
    close_all(held)


def test_client_ips_are_exempt(make_server):
    """Client IP Addresses are not limited per address or network, and do
    not count against their neighbours."""
    s = start(make_server, "smtp", "SMTP",
              "{ MaxChannelsPerIP = 1; MaxChannelsPerNetwork = 2; }")
    s.tegami("SetClientIPs", "127.0.0.7")
    s.restart()
    port = s.ports["smtp"]
    held = [connect_served(port, b"220 ", "127.0.0.7") for _ in range(3)]
    held.append(connect_served(port, b"220 ", "127.0.0.8"))
    _, f = connect(port, "127.0.0.8")
    assert f.readline().startswith(b"421 ")
    held.append(connect_served(port, b"220 ", "127.0.0.9"))
    _, f = connect(port, "127.0.0.10")
    assert f.readline().startswith(b"421 ")
    assert s.wait_log(r"per-network limit 2 reached for 127\.0\.0\.10/24")
    close_all(held)


# ---- the pre-login time-out ----

@pytest.mark.parametrize("svc,module,closing,greeting", ALL)
def test_prelogin_timeout(make_server, svc, module, closing, greeting):
    s = start(make_server, svc, module, "{ PreLoginTimeout = 2; }")
    sock, f = connect_served(s.ports[svc], greeting, "127.0.0.2")
    sock.settimeout(30)
    lines = read_to_eof(f)
    assert lines and lines[-1].startswith(closing), lines
    assert b"time-out" in lines[-1] or b"Timeout" in lines[-1], lines
    assert s.wait_log(r"login time-out")
    sock.close()


@pytest.mark.parametrize("svc,module,closing,greeting", ALL)
def test_prelogin_timeout_is_not_reset_by_commands(make_server, svc, module,
                                                   closing, greeting):
    """A client that keeps sending NOOP before login is still cut."""
    s = start(make_server, svc, module, "{ PreLoginTimeout = 2; }")
    sock, f = connect_served(s.ports[svc], greeting, "127.0.0.2")
    sock.settimeout(10)
    noop = {"cli": b"INLINE\r\n", "imap": b"a NOOP\r\n"}.get(svc, b"NOOP\r\n")
    closed = False
    for _ in range(40):                       # at most 20 s
        try:
            sock.sendall(noop)
        except OSError:
            closed = True
            break
        line = f.readline()
        while svc == "imap" and line.startswith(b"* OK"):
            line = f.readline()
        if not line or line.startswith(closing):
            closed = True
            break
        time.sleep(0.5)
    assert closed
    assert s.wait_log(r"login time-out")
    sock.close()


def test_no_prelogin_timeout_after_login(make_server):
    s = start(make_server, "cli", "PWD", "{ PreLoginTimeout = 2; }")
    sock, f = connect_served(s.ports["cli"], b"200 ", "127.0.0.2")
    sock.sendall(b"USER postmaster\r\nPASS " +
                 s.postmaster_password().encode() + b"\r\n")
    assert f.readline().startswith(b"300")
    assert f.readline().startswith(b"200 login OK")
    time.sleep(3)
    sock.sendall(b"INLINE\r\nMainDomainName\r\n")
    assert f.readline().startswith(b"200")
    assert f.readline().startswith(b"201")
    sock.close()


def test_smtp_no_prelogin_timeout_after_mail(make_server):
    s = start(make_server, "smtp", "SMTP", "{ PreLoginTimeout = 2; }")
    sock, f = connect_served(s.ports["smtp"], b"220 ", "127.0.0.2")
    sock.sendall(b"HELO a.example\r\nMAIL FROM:<a@remote.example>\r\n")
    assert f.readline().startswith(b"250")
    assert f.readline().startswith(b"250")
    time.sleep(3)
    sock.sendall(b"RSET\r\n")
    assert f.readline().startswith(b"250")
    sock.close()


def test_smtp_idle_timeout_says_421(make_server):
    """After MAIL the CommandTimeout applies, and it ends with a 421."""
    s = start(make_server, "smtp", "SMTP", "{ CommandTimeout = 2; }")
    sock, f = connect_served(s.ports["smtp"], b"220 ", "127.0.0.2")
    sock.settimeout(30)
    sock.sendall(b"HELO a.example\r\nMAIL FROM:<a@remote.example>\r\n")
    assert f.readline().startswith(b"250")
    assert f.readline().startswith(b"250")
    lines = read_to_eof(f)
    assert lines and lines[-1].startswith(b"421 4.4.2 "), lines
    assert b"read time-out" in lines[-1]
    assert s.wait_log(r"read time-out; closing")
    sock.close()


# ---- slowloris: one byte every so often, never a whole line ----

@pytest.mark.parametrize("svc,module,closing,greeting", ALL)
def test_slow_line_is_cut(make_server, svc, module, closing, greeting):
    s = start(make_server, svc, module,
              "{ LineTimeout = 2; PreLoginTimeout = 60; }")
    sock, f = connect_served(s.ports[svc], greeting, "127.0.0.2")
    sock.settimeout(10)
    closed = False
    for _ in range(40):                       # at most ~20 s
        try:
            sock.sendall(b"x")
        except OSError:
            closed = True
            break
        time.sleep(0.5)
        sock.setblocking(False)
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        sock.setblocking(True)
        sock.settimeout(10)
        if data is not None:
            assert data == b"" or data.startswith(closing), data
            closed = True
            break
    assert closed
    assert s.wait_log(r"command line time-out")
    sock.close()


def test_many_idle_connections_do_not_lock_others_out(make_server):
    """The field test in small: a few hosts open idle connections up to
    their limits and fill the service; a client from elsewhere still gets
    in, on every attempt (bounded: 60 idle connections)."""
    s = start(make_server, "imap", "IMAP",
              "{ MaxChannels = 50; MaxChannelsPerIP = 20; "
              "MaxChannelsPerNetwork = 0; }")
    port = s.ports["imap"]
    held = []
    for src in ("127.0.1.2", "127.0.2.3", "127.0.3.4"):
        for _ in range(20):
            try:
                sock, f = connect(port, src)
                if f.readline():
                    held.append((sock, f))
                else:
                    sock.close()
            except OSError:
                pass
    for i in range(5):
        sock, f = connect(port, "127.0.9.%d" % (i + 2))
        assert f.readline().startswith(b"* OK"), i
        sock.sendall(b"a LOGOUT\r\n")
        assert read_to_eof(f)
        sock.close()
    assert s.wait_log(r"shedding the oldest idle session")
    close_all(held)


def test_implicit_tls_handshake_is_bounded_before_login(make_server):
    """A client that connects to imaps and never starts TLS is closed at
    the pre-login time-out (no reply: there is no TLS to send it in)."""
    s = start(make_server, "imaps", "IMAP", "{ PreLoginTimeout = 2; }")
    sock, f = connect(s.ports["imaps"], "127.0.0.2")
    sock.settimeout(30)
    assert read_to_eof(f) == []
    assert s.wait_log(r"TLS handshake failed: login time-out")
    sock.close()


def test_limits_are_read_again_on_sighup(make_server):
    s = start(make_server, "smtp", "SMTP", "{ MaxChannelsPerIP = 1; }")
    port = s.ports["smtp"]
    a = connect_served(port, b"220 ", "127.0.0.2")
    _, f = connect(port, "127.0.0.2")
    assert f.readline().startswith(b"421 ")
    preset(s, "SMTP", "{ MaxChannelsPerIP = 2; }")
    s.proc.send_signal(signal.SIGHUP)
    assert s.wait_log(r"SIGHUP: re-reading settings")
    b = connect_served(port, b"220 ", "127.0.0.2")     # bounded retries
    _, f = connect(port, "127.0.0.2")
    assert f.readline().startswith(b"421 ")
    assert s.wait_log(r"per-address limit 2 reached for 127\.0\.0\.2")
    close_all([a, b])
