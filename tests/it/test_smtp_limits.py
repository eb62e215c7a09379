# SPDX-License-Identifier: Apache-2.0
"""SMTP DATA under attack, over raw sockets: an over-long line followed at
once by the terminator (DATA must end there and pipelined commands after it
must run), a DATA stall, a steady trickle under MinDataRate, the whole-DATA
bound MaxDataTime, and a fast large message that the rate rule must not
hurt.  Timings are bounded, never asserted."""

import time

from test_smtp import MSG, body_of, inbox_messages, start, wait_messages
from test_smtp_bad_input import Raw, ehlo


def open_data(r, rcpt=b"user1@test.example"):
    ehlo(r)
    assert r.cmd(b"MAIL FROM:<a@remote.example>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + rcpt + b">")[0] == 250
    assert r.cmd(b"DATA")[0] == 354


def test_long_line_then_terminator_and_pipelined_transaction(make_server):
    s = start(make_server)
    r = Raw(s.ports["smtp"])
    open_data(r)
    second = MSG.replace(b"Subject: hello", b"Subject: second")
    # The over-long line is directly followed by CRLF.CRLF, and the next
    # transaction is pipelined behind it (RFC 2920).
    r.send(b"Subject: long\r\n\r\n" + b"L" * 70000 + b"\r\n.\r\n"
           b"MAIL FROM:<b@remote.example>\r\n"
           b"RCPT TO:<user1@test.example>\r\n"
           b"DATA\r\n")
    code, text = r.reply()
    assert code == 550 and b"Line too long" in text
    assert r.reply()[0] == 250
    assert r.reply()[0] == 250
    assert r.reply()[0] == 354
    r.send(second.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    code, text = r.reply()
    assert code == 250, text
    assert r.cmd(b"QUIT")[0] == 221
    r.close()
    msgs = wait_messages(s, "user1", 1)
    assert len(msgs) == 1
    assert body_of(msgs[0]) == second
    assert s.wait_log(r"message refused: a line over 65536 bytes")


def test_long_line_ending_in_bare_lf_is_no_terminator(make_server):
    """After an over-long line that ends in a bare LF, "." is not the end
    (only CRLF.CRLF is): the real terminator comes later."""
    s = start(make_server)
    r = Raw(s.ports["smtp"])
    open_data(r)
    r.send(b"L" * 70000 + b"\n.\r\nmore\r\n.\r\n")
    code, text = r.reply()
    assert code == 550
    assert r.cmd(b"NOOP")[0] == 250
    r.close()
    assert inbox_messages(s, "user1") == []


def test_data_stall_gets_421(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP", "{DataTimeout=2;}")
    r = Raw(s.ports["smtp"])
    open_data(r)
    r.send(b"Subject: slow\r\n\r\npart")
    r.sock.settimeout(30)
    code, text = r.reply()
    assert code == 421 and b"4.4.2" in text, text
    assert r.closed()
    r.close()
    assert s.wait_log(r"DATA time-out after \d+ bytes: data transfer too "
                      r"slow; closing")
    assert inbox_messages(s, "user1") == []


def test_data_trickle_under_min_rate_is_cut(make_server):
    """One line every 0.4 s (about 25 bytes/s, every read well within the
    per-read wait): the average rate, not each read, decides."""
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP", "{DataTimeout=3; MinDataRate=500;}")
    r = Raw(s.ports["smtp"])
    open_data(r)
    r.sock.settimeout(10)
    cut = False
    for i in range(100):                 # at most ~40 s
        try:
            r.send(b"line %d\r\n" % i)
        except OSError:
            cut = True
            break
        time.sleep(0.4)
        r.sock.setblocking(False)
        try:
            data = r.sock.recv(4096)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        r.sock.setblocking(True)
        r.sock.settimeout(10)
        if data is not None:
            assert data == b"" or data.startswith(b"421 4.4.2"), data
            cut = True
            break
    assert cut
    r.close()
    assert s.wait_log(r"data transfer too slow")


def test_whole_data_time_bound(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP",
             "{DataTimeout=30; MinDataRate=0; MaxDataTime=2;}")
    r = Raw(s.ports["smtp"])
    open_data(r)
    r.sock.settimeout(10)
    cut = False
    for i in range(100):                 # at most ~30 s
        try:
            r.send(b"line %d\r\n" % i)
        except OSError:
            cut = True
            break
        time.sleep(0.3)
        r.sock.setblocking(False)
        try:
            data = r.sock.recv(4096)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        r.sock.setblocking(True)
        r.sock.settimeout(10)
        if data is not None:
            assert data == b"" or data.startswith(b"421 4.4.2"), data
            cut = True
            break
    assert cut
    r.close()
    assert s.wait_log(r"DATA took too long; closing")


def test_fast_large_message_passes_the_rate_rule(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP", "{DataTimeout=2; MinDataRate=500;}")
    r = Raw(s.ports["smtp"])
    open_data(r)
    body = MSG + (b"x" * 998 + b"\r\n") * 2000          # 2 MB
    r.send(body + b".\r\n")
    r.sock.settimeout(30)
    code, text = r.reply()
    assert code == 250, text
    r.close()
    assert s.wait_log(r"from <a@remote\.example> to 1 recipient, "
                      r"2\d{6} bytes")
