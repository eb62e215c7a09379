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
