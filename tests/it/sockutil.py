# SPDX-License-Identifier: Apache-2.0
"""Raw-socket helpers the protocol tests share."""
import socket
import time


def recv_until_close(sock, timeout=10.0):
    """What the peer sends until it closes (or resets) the connection or
    timeout seconds pass; bounded either way."""
    out = b""
    end = time.time() + timeout
    sock.settimeout(min(timeout, 5.0))
    while time.time() < end:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def hold_idle(port, source, most, quiet=0.5):
    """Opens idle connections to 127.0.0.1:port from source until one is
    answered at once (a refusal, or a close) or most are open: (the open
    sockets, the first answered one's bytes or None).  The caller closes
    the sockets."""
    held = []
    for _ in range(most):
        k = socket.create_connection(("127.0.0.1", port), timeout=5,
                                     source_address=(source, 0))
        k.settimeout(quiet)
        try:
            got = k.recv(4096)
        except socket.timeout:
            held.append(k)
            continue
        except ConnectionResetError:
            got = b""
        k.close()
        return held, got
    return held, None
