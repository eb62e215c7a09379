# SPDX-License-Identifier: Apache-2.0
"""The Submitted folder (docs/sendmail.md): .sub files written
straight into <base>/Submitted are queued with tag PIPE and delivered; the
envelope comes from Envelope-To:/To:/Cc:/Bcc:, Envelope-Ignore:, Return-Path:
and From:.  Also the mailbox and queue CLI commands on the delivered mail."""

import os
import re
import time

import storeutil
from conftest import hold_remote_mail


wait_for, inbox, wait_inbox = storeutil.wait_for, storeutil.inbox, storeutil.wait_inbox


def drop(s, name, data):
    d = s.path("Submitted")
    with open(os.path.join(d, name + ".tmp"), "wb") as f:
        f.write(data)
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name + ".sub"))


def wait_gone(s, name):
    p = s.path("Submitted", name + ".sub")
    assert wait_for(lambda: not os.path.exists(p)), f"{name}.sub not taken"


def accounts(s, *names):
    for n in names:
        s.tegami("CreateAccount", n, '{Password="x";}')


def fields(raw):
    hdr, body = storeutil.split_message(raw)
    return storeutil.header_fields(hdr), body


def test_envelope_to_overrides_and_is_removed(server):
    s = server
    accounts(s, "user1", "user2", "user3")
    drop(s, "m1", b"Envelope-To: user1@test.example, <user3@test.example>\n"
         b"From: a@test.example\nTo: user2@test.example\nCc: user2@test.example\n"
         b"Date: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <m1@x>\n"
         b"Subject: env\n\nline 1\n\nline 3\n")
    wait_gone(s, "m1")
    for acct in ("user1", "user3"):
        msgs = wait_inbox(s, acct, 1)
        f, body = fields(msgs[0])
        names = [n for n, _ in f]
        assert names[0] == "return-path" and f[0][1] == b"Return-Path: <a@test.example>\r\n"
        assert names[1] == "received" and b"(Tegami PIPE)" in f[1][1]
        assert "envelope-to" not in names
        assert [t for _, t in f[2:]] == [
            b"From: a@test.example\r\n", b"To: user2@test.example\r\n",
            b"Cc: user2@test.example\r\n",
            b"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n", b"Message-ID: <m1@x>\r\n",
            b"Subject: env\r\n"]
        assert body == b"line 1\r\n\r\nline 3\r\n"
    # To:/Cc: did not count: user2 got nothing.
    assert inbox(s, "user2") == []


def test_bcc_stripped_and_envelope_ignore(server):
    s = server
    accounts(s, "user1", "user2", "user3", "user4")
    drop(s, "m2", b"From: \"Sender, The\" <a@test.example>\n"
         b"To: \"One\" <user1@test.example>, team: user2@test.example (Two);\n"
         b"Cc: user3@test.example\nBcc: user4@test.example\n"
         b"Envelope-Ignore: user3@test.example\nSubject: bcc\n\nbody\n")
    wait_gone(s, "m2")
    for acct in ("user1", "user2", "user4"):
        raw = wait_inbox(s, acct, 1)[0]
        f, body = fields(raw)
        names = [n for n, _ in f]
        assert "bcc" not in names and "envelope-ignore" not in names
        assert b"user4" not in raw.split(b"\r\n\r\n")[0]
        # Date and Message-ID were missing: added (trusted source).
        assert "date" in names and "message-id" in names
        assert re.search(rb"Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n",
                         raw)
        assert body == b"body\r\n"
    time.sleep(0.5)
    assert inbox(s, "user3") == []


def test_return_path_header_and_crlf_input(server):
    s = server
    accounts(s, "user1")
    drop(s, "m3", b"Return-Path: <>\r\nFrom: a@test.example\r\nTo: user1\r\n"
         b"Subject: crlf\r\n\r\nx\r\ny\r\n")
    raw = wait_inbox(s, "user1", 1)[0]
    assert raw.startswith(b"Return-Path: <>\r\n")
    assert raw.count(b"Return-Path") == 1
    assert raw.endswith(b"\r\n\r\nx\r\ny\r\n")
    assert b"\r\r" not in raw


def test_tmp_ignored_and_no_recipients_bad(server):
    s = server
    accounts(s, "user1")
    drop(s, "norcpt", b"From: a@test.example\nSubject: nobody\n\nhi\n")
    with open(s.path("Submitted", "later.tmp"), "wb") as f:
        f.write(b"To: user1@test.example\n\nnot yet\n")
    drop(s, "ok", b"From: a@test.example\nTo: user1@test.example\n\nok\n")
    wait_inbox(s, "user1", 1)
    assert wait_for(lambda: os.path.exists(s.path("Submitted", "norcpt.bad")))
    assert not os.path.exists(s.path("Submitted", "norcpt.sub"))
    assert s.wait_log(r"\d PIPE-\d+\(norcpt\.sub\) rejected: no recipients")
    # The .tmp file is never touched.
    time.sleep(1.5)
    assert os.path.exists(s.path("Submitted", "later.tmp"))
    assert len(inbox(s, "user1")) == 1


def test_malformed_address_bad(server):
    s = server
    drop(s, "badaddr", b"From: a@test.example\nTo: \"unterminated <x@test.example>\n\nhi\n")
    assert wait_for(lambda: os.path.exists(s.path("Submitted", "badaddr.bad")))
    assert s.wait_log(r"PIPE-\d+\(badaddr\.sub\) rejected: .*unterminated")


def test_unknown_recipient_dsn_to_sender_not_to_null(server):
    s = server
    accounts(s, "sender", "user1")
    drop(s, "u1", b"From: sender@test.example\nTo: user1@test.example, nosuch@test.example\n"
         b"Subject: partly unknown\n\nhello\n")
    wait_inbox(s, "user1", 1)
    dsn = wait_inbox(s, "sender", 1)[0]
    assert b"multipart/report" in dsn and b"delivery-status" in dsn
    assert b"nosuch@test.example" in dsn
    assert b"Subject: partly unknown" in dsn       # the original headers
    # The same with a null return-path: no DSN anywhere.
    drop(s, "u2", b"Return-Path: <>\nFrom: sender@test.example\n"
         b"To: user1@test.example, nosuch@test.example\n\nagain\n")
    wait_inbox(s, "user1", 2)
    time.sleep(1.0)
    assert len(inbox(s, "sender")) == 1
    assert s.wait_log(r"QUEUE queue id \d+: nosuch@test.example failed: unknown")


def test_written_while_stopped_delivered_at_start(server):
    s = server
    accounts(s, "user1")
    s.stop()
    drop(s, "offline", b"From: a@test.example\nTo: user1@test.example\n\nwhile stopped\n")
    s.start()
    raw = wait_inbox(s, "user1", 1)[0]
    assert raw.endswith(b"\r\n\r\nwhile stopped\r\n")


def test_remote_stays_queued_list_and_reject(server):
    s = server
    hold_remote_mail(s)
    accounts(s, "sender")
    drop(s, "r1", b"From: sender@test.example\nTo: someone@remote.example\nSubject: out\n\nx\n")
    wait_gone(s, "r1")

    def listed():
        _, out, _ = s.tegami("ListQueue")
        return out if "someone@remote.example" in out else None
    out = wait_for(listed)
    assert out, "remote recipient not listed"
    assert "Module = SMTP" in out and "Target = remote.example" in out
    assert "From = \"sender@test.example\"" in out and "SubmitTag = PIPE" in out
    qid = re.search(r"ID = #(\d+)", out).group(1)
    _, info, _ = s.tegami("QueueMessageInfo", qid)
    assert "State = pending" in info
    _, counts, _ = s.tegami("GetQueueCounts")
    assert re.search(r"Messages = #1;", counts)
    s.tegami("RejectQueueMessage", qid, "no such route today")
    dsn = wait_inbox(s, "sender", 1)[0]
    assert b"no such route today" in dsn
    rc, _, err = s.tegami("QueueMessageInfo", qid, check=False)
    assert rc != 0
    rc, _, err = s.tegami("RejectQueueMessage", "999999", check=False)
    assert rc != 0


def test_mailbox_commands(server):
    s = server
    accounts(s, "user1")
    for i in range(3):
        drop(s, f"c{i}", b"From: a@test.example\nTo: user1@test.example\n\n" + b"x" * (10 + i) + b"\n")
    msgs = wait_inbox(s, "user1", 3)
    _, out, _ = s.tegami("GetMailboxInfo", "user1", "MAILBOX", "INBOX")
    assert re.search(r"Messages = #3;", out)
    assert re.search(rf"Size = #{sum(len(m) for m in msgs)};", out)
    assert re.search(r"UIDNext = #4;", out)
    assert re.search(r"UIDValidity = #\d+;", out)
    s.tegami("CreateMailbox", "user1", "MAILBOX", "INBOX/Archive")
    s.tegami("CreateMailbox", "user1@test.example", "MAILBOX", "Sent")
    _, out, _ = s.tegami("ListMailboxes", "user1")
    assert "Archive" in out and "Sent" in out and "INBOX" in out
    _, out, _ = s.tegami("ListMailboxes", "user1", "FILTER", "S*")
    assert "Sent" in out and "INBOX" not in out
    s.tegami("DeleteMailbox", "user1", "MAILBOX", "Sent")
    _, out, _ = s.tegami("ListMailboxes", "user1")
    assert "Sent" not in out
    rc, _, _ = s.tegami("GetMailboxInfo", "user1", "MAILBOX", "Nope", check=False)
    assert rc != 0
    rc, _, _ = s.tegami("GetMailboxInfo", "nosuch", "MAILBOX", "INBOX", check=False)
    assert rc != 0


def test_over_quota_stays_queued(server):
    s = server
    s.tegami("CreateAccount", "small", '{Password="x"; MaxAccountSize="1K";}')
    drop(s, "q1", b"From: a@test.example\nTo: small@test.example\n\n" + b"y" * 3000 + b"\n")
    wait_gone(s, "q1")

    def deferred():
        out = s.tegami("ListQueue")[1]
        return out if "mailbox full" in out else None
    out = wait_for(deferred)
    assert out and "small@test.example" in out and "Module = LOCAL" in out
    assert inbox(s, "small") == []
    assert s.wait_log(r"LOCAL-\d+\(small@test\.example\) queue id \d+: mailbox full")
