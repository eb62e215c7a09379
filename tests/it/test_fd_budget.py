# SPDX-License-Identifier: Apache-2.0
"""Descriptor limits: tegamid takes the whole hard limit at start, and when
the channel limits add up to more connections than the process may open
(one descriptor each, the socket: an IMAP session in IDLE without a
descriptor for its eventfd hibernates at once, and a parked session holds
only its socket; see test_hibernate_fds.py), a Problems line on SYSTEM
says so, naming both figures; within the limit no such line is written."""
import shutil

import pytest

NEED = "which may need"


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="no prlimit")
def test_channel_limits_past_the_descriptor_limit_are_logged(make_server):
    s = make_server(services=["cli", "smtp", "imap"],
                    prefix=["prlimit", "--nofile=300:500"])
    s.start()
    rc, out, err = s.tegami("UpdateModule", "SMTP", "{MaxChannels=90;}")
    assert rc == 0, err
    s.stop()
    log = s.log_text()
    lines = [ln for ln in log.splitlines() if NEED in ln]
    assert len(lines) == 2, log[-2000:]
    # The soft limit was raised to the hard one (500), and the figures are
    # the channels of the services that listen: SMTP, IMAP and the CLI at
    # 100 each at start; SMTP's 90 after the change.
    assert all("may open 500" in ln and " SYSTEM " in ln for ln in lines)
    assert "allow 300 connections, which may need 556 " in lines[0], lines
    assert "allow 290 connections, which may need 546 " in lines[1], lines


def test_within_the_descriptor_limit_nothing_is_logged(make_server):
    s = make_server(services=["cli", "smtp"])
    s.start()
    s.stop()
    assert NEED not in s.log_text()
