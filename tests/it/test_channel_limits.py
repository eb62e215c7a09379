"""Per-service channel limits and per-address limits (CGP "Channels"): the
peer past a limit gets the protocol's own refusal and the log a line; the
server keeps serving the others.  Limits come from the module's settings file
(MaxChannels, MaxChannelsPerIP) read at start."""
import os
import socket
import time

import pytest


def connect(port, src="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                 source_address=(src, 0))
    f = s.makefile("rb")
    return s, f


def connect_served(port, refusal, src="127.0.0.1"):
    """A connection that got its greeting (the harness's own start-up probes
    may still hold a channel for a moment)."""
    for _ in range(100):
        sock, f = connect(port, src)
        line = f.readline()
        if line and not line.startswith(refusal):
            return sock, f
        f.close()
        sock.close()
        time.sleep(0.05)
    raise AssertionError("never served")


def preset(s, module, text):
    os.makedirs(s.path("Settings"), exist_ok=True)
    with open(s.path("Settings", module + ".settings"), "w") as f:
        f.write(text)


@pytest.mark.parametrize("svc,module,refusal", [
    ("cli", "PWD", b"500 "),
    ("smtp", "SMTP", b"421 "),
    ("pop3", "POP", b"-ERR "),
    ("imap", "IMAP", b"* BYE "),
])
def test_channel_limit(make_server, svc, module, refusal):
    s = make_server(services=["cli", svc] if svc != "cli" else ["cli"])
    preset(s, module, "{ MaxChannels = 2; }")
    s.start()
    port = s.ports[svc]
    held = [connect_served(port, refusal) for _ in range(2)]
    _, f = connect(port)
    line = f.readline()
    assert line.startswith(refusal), line
    assert s.wait_log(r"connection refused: channel limit 2 reached")
    for sock, f in held:
        f.close()
        sock.close()
    # A slot frees up: service again.
    connect_served(port, refusal)[0].close()


def test_per_address_limit(make_server):
    s = make_server(services=["cli", "smtp"])
    preset(s, "SMTP", "{ MaxChannelsPerIP = 1; }")
    s.start()
    port = s.ports["smtp"]
    a, _ = connect_served(port, b"421 ")
    _, fb = connect(port, "127.0.0.1")
    assert fb.readline().startswith(b"421 ")
    # Another address is not affected.
    _, fc = connect(port, "127.0.0.2")
    assert fc.readline().startswith(b"220 ")
    assert s.wait_log(r"per-address limit 1 reached for 127\.0\.0\.1")
    a.close()
