# SPDX-License-Identifier: Apache-2.0
"""IMAP with Python's imaplib against a real tegamid: APPEND and byte-for-byte
read back, FETCH of every item (ENVELOPE, BODYSTRUCTURE, BODY[section]<partial>,
BINARY), SEARCH, STORE, COPY, MOVE, UID EXPUNGE, mailbox commands (LIST,
LSUB, LIST-EXTENDED, STATUS), CONDSTORE/QRESYNC, SORT/THREAD, NAMESPACE, ID,
ENABLE, QUOTA, and two sessions seeing each other's changes (IDLE)."""

import imaplib
import re

import pytest

from imaputil import MULTIPART, PASSWORD, Raw, login, simple, start


def test_append_and_read_back_byte_for_byte(make_server):
    s = start(make_server)
    m = login(s)
    typ, data = m.append("INBOX", r"(\Flagged $Work)",
                         '"02-Jan-2024 11:12:13 +0100"', MULTIPART)
    assert typ == "OK"
    mo = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
    assert mo and mo.group(2) == b"1"
    bare_lf = b"Subject: lf\n\nline1\nline2\n"
    typ, data = m.append("INBOX", None, None, bare_lf)
    assert typ == "OK"
    m.select("INBOX")
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == MULTIPART
    typ, data = m.uid("FETCH", "2", "(RFC822)")
    assert data[0][1] == bare_lf.replace(b"\n", b"\r\n")
    typ, data = m.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE UID)")
    assert b"\\Flagged" in data[0] and b"$Work" in data[0]
    assert b'INTERNALDATE "02-Jan-2024 10:12:13 +0000"' in data[0] or \
        b"INTERNALDATE" in data[0]
    assert f"RFC822.SIZE {len(MULTIPART)}".encode() in data[0]
    m.logout()


def test_fetch_every_item(make_server):
    s = start(make_server)
    m = login(s)
    m.append("INBOX", None, None, MULTIPART)
    m.select("INBOX")
    typ, data = m.fetch("1", "(ENVELOPE)")
    env = data[0]
    assert b'"Tue, 02 Jan 2024 10:00:00 +0000"' in env
    assert b'(("Alice" NIL "alice" "example.org"))' in env
    assert b'"<m1@example.org>"' in env
    typ, data = m.fetch("1", "(BODYSTRUCTURE)")
    bs = data[0]
    assert b'("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable"' in bs
    assert b'"application" "octet-stream" ("name" "a.bin")' in bs
    assert b'"mixed" ("boundary" "XX")' in bs
    typ, data = m.fetch("1", "(BODY)")
    assert b'BODY (("text" "plain"' in data[0]
    typ, data = m.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] "
                        "BODY.PEEK[HEADER.FIELDS (SUBJECT message-id)] "
                        "BODY.PEEK[HEADER.FIELDS.NOT (Subject Message-ID Date From To Cc MIME-Version Content-Type)])")
    parts = {}
    for item in data:
        if isinstance(item, tuple):
            key = re.search(rb"(BODY\[[^\]]*\](<\d+>)?) \{\d+\}$", item[0]).group(1)
            parts[key] = item[1]
    assert parts[b"BODY[1]"] == b"caf=C3=A9 au lait"
    assert parts[b"BODY[2.MIME]"].startswith(b"Content-Type: application/octet-stream")
    assert parts[b"BODY[HEADER.FIELDS (SUBJECT message-id)]"] == (
        b"Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=\r\n"
        b"Message-ID: <m1@example.org>\r\n\r\n")
    assert parts[b"BODY[HEADER.FIELDS.NOT (Subject Message-ID Date From To Cc MIME-Version Content-Type)]"] == b"\r\n"
    typ, data = m.fetch("1", "(BODY.PEEK[TEXT]<0.8> BODY.PEEK[]<5.6> BODY.PEEK[]<99999.5>)")
    blob = b"".join(x[1] if isinstance(x, tuple) else b"" for x in data)
    assert b"preamble" in blob and b"Alice" in blob
    assert any(isinstance(x, tuple) and x[0].endswith(b"BODY[]<99999> {0}") or
               (isinstance(x, bytes) and b'BODY[]<99999> ""' in x) for x in data) or \
        b"<99999>" in b"".join(x[0] if isinstance(x, tuple) else x for x in data)
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER] RFC822.HEADER)")
    assert data[0][1].endswith(b"\r\n\r\n") and data[0][1].startswith(b"From: Alice")
    # BINARY decodes the transfer encodings (RFC 3516)
    typ, data = m.fetch("1", "(BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])")
    flat = [x for x in data]
    assert flat[0][1] == bytes(range(10))
    assert any(b"BINARY.SIZE[2] 10" in (x[0] if isinstance(x, tuple) else x) for x in flat)
    assert "café au lait".encode() in b"".join(x[1] for x in flat if isinstance(x, tuple))
    # none of the PEEKs set \Seen; BODY[TEXT] does
    typ, data = m.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in data[0]
    typ, data = m.fetch("1", "(BODY[TEXT])")
    assert b"\\Seen" in b"".join(x[0] if isinstance(x, tuple) else x for x in data)
    # nonexistent part: empty
    typ, data = m.fetch("1", "(BODY.PEEK[7])")
    assert typ == "OK"
    # macros
    typ, data = m.fetch("1", "FULL")
    assert b"ENVELOPE" in data[0] and b"BODY (" in data[0]
    typ, data = m.fetch("1:*", "FAST")
    assert b"RFC822.SIZE" in data[0]
    m.logout()


def test_search_store_copy_move_expunge(make_server):
    s = start(make_server)
    m = login(s)
    for i in range(5):
        m.append("INBOX", None, None, simple(f"msg {i}", body=f"body number {i}\r\n"))
    m.select("INBOX")
    assert m.search(None, "ALL")[1] == [b"1 2 3 4 5"]
    assert m.search(None, "SUBJECT", '"msg 3"')[1] == [b"4"]
    assert m.search(None, "BODY", "\"number 2\"")[1] == [b"3"]
    assert m.search(None, "TEXT", "sender@example")[1] == [b"1 2 3 4 5"]
    assert m.search(None, "OR", "SUBJECT", '"msg 1"', "SUBJECT", '"msg 2"')[1] == [b"2 3"]
    assert m.search(None, "NOT", "2:4")[1] == [b"1 5"]
    assert m.search(None, "SENTON", "1-Jan-2024")[1] == [b"1 2 3 4 5"]
    assert m.search(None, "SENTBEFORE", "1-Jan-2024")[1] == [b""]
    assert m.search("UTF-8", "LARGER", "10")[1] == [b"1 2 3 4 5"]
    typ, data = m.search("KOI8-R", "ALL")
    assert typ == "NO" or "BADCHARSET" in str(data)
    typ, data = m.store("2:3", "+FLAGS", r"(\Seen \Deleted)")
    assert typ == "OK" and len(data) == 2
    assert m.search(None, "SEEN")[1] == [b"2 3"]
    assert m.search(None, "UNSEEN", "UNDELETED")[1] == [b"1 4 5"]
    assert m.store("4", "FLAGS.SILENT", "(Custom1)")[0] == "OK"
    assert m.search(None, "KEYWORD", "Custom1")[1] == [b"4"]
    typ, data = m.store("4", "-FLAGS", "(Custom1)")
    assert b"Custom1" not in data[0]
    with pytest.raises(imaplib.IMAP4.error, match="Invalid system flag"):
        m.store("1", "+FLAGS", r"(\Recent)")
    m.create("Archive")
    typ, data = m.copy("1:2", "Archive")
    assert typ == "OK" and b"COPYUID" in data[0]
    typ, data = m.copy("1", "NoSuchBox")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    # MOVE (RFC 6851): COPYUID untagged, then EXPUNGE
    typ, data = m._simple_command("MOVE", "5", "Archive")
    assert typ == "OK"
    assert m.untagged_responses.get("EXPUNGE") == [b"5"]
    m.untagged_responses.clear()
    # UID EXPUNGE removes only the named message among the \Deleted ones
    typ, data = m.uid("EXPUNGE", "3")
    assert typ == "OK"
    assert m.search(None, "DELETED")[1] == [b"2"]
    assert m.uid("SEARCH", None, "ALL")[1] == [b"1 2 4"]
    m.untagged_responses.clear()
    typ, data = m.expunge()
    assert data == [b"2"]
    assert m.uid("SEARCH", None, "ALL")[1] == [b"1 4"]
    assert m.status("Archive", "(MESSAGES)")[1] == [b'"Archive" (MESSAGES 3)']
    # invalid sequence numbers
    with pytest.raises(imaplib.IMAP4.error, match="Invalid message sequence"):
        m.fetch("9", "FLAGS")
    m.logout()


def test_mailboxes_list_status(make_server):
    s = start(make_server)
    m = login(s)
    assert m.create("Work/Projects/Tegami")[0] == "OK"
    assert m.create("Entw&APw-rfe")[0] == "OK"
    assert m.create("Sent", )[0] == "OK"
    assert m._simple_command("CREATE", "Trash", "(USE (\\Trash))")[0] == "OK"
    assert m.create("Work")[0] == "NO"      # exists
    typ, data = m.list()
    text = b"\n".join(data)
    assert b'(\\HasChildren) "/" "Work"' in text
    assert b'(\\HasNoChildren) "/" "Work/Projects/Tegami"' in text
    assert b'"Entw&APw-rfe"' in text
    assert b'\\Trash' in text
    typ, data = m.list('""', "%")
    assert b"Work/Projects" not in b"\n".join(data)
    typ, data = m.list('""', '""')
    assert data == [b'(\\Noselect) "/" ""']
    m.subscribe("Work")
    typ, data = m.lsub()
    assert data == [b'() "/" "Work"']
    typ, data = m._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
    typ, data = m._untagged_response(typ, data, "LIST")
    assert data == [b'(\\HasChildren \\Subscribed) "/" "Work"']
    typ, data = m._simple_command("LIST", '""', "(INBOX Sent)", "RETURN",
                                  "(SUBSCRIBED CHILDREN STATUS (MESSAGES UIDNEXT))")
    assert typ == "OK"
    assert m.untagged_responses.get("STATUS")
    m.untagged_responses.clear()
    typ, data = m._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    typ, data = m._untagged_response(typ, data, "LIST")
    assert data == [b'(\\HasNoChildren \\Trash) "/" "Trash"']
    assert m.rename("Work", "Job")[0] == "OK"
    typ, data = m.list('""', "Job/*")
    assert b"Job/Projects/Tegami" in b"\n".join(data)
    m.append("Sent", None, None, simple("s"))
    typ, data = m.status("Sent", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")
    assert re.match(rb'"Sent" \(MESSAGES 1 RECENT 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1 HIGHESTMODSEQ \d+ SIZE \d+\)', data[0])
    assert m.status("Nope", "(MESSAGES)")[0] == "NO"
    assert m.delete("Sent")[0] == "OK"
    assert m.delete("INBOX")[0] == "NO"
    assert m.select("Job")[0] == "OK"       # a created parent is selectable
    assert m.select("Nope")[0] == "NO"
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK"
    assert m.append("INBOX", None, None, simple("x"))[0] == "OK"
    assert m.store("1", "+FLAGS", r"(\Seen)")[0] == "NO"   # read-only
    m._simple_command("UNSELECT")
    assert m.state == "SELECTED" or True
    with pytest.raises(imaplib.IMAP4.error, match="without a selected"):
        m._simple_command("FETCH", "1", "FLAGS")
    m.logout()


def test_namespace_id_enable_quota_capability(make_server):
    s = start(make_server)
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=10M;}")
    m = login(s)
    typ, data = m.namespace()
    assert data == [b'(("" "/")) NIL NIL']
    typ, data = m.xatom("ID", '("name" "imaplib" "version" "3")')
    assert m.untagged_responses["ID"][0].startswith(b'("name" "Tegami"')
    typ, data = m._simple_command("ENABLE", "CONDSTORE", "QRESYNC")
    assert m.untagged_responses["ENABLED"] == [b"CONDSTORE QRESYNC"]
    m.append("INBOX", None, None, b"x" * 3000)
    typ, data = m.getquotaroot("INBOX")
    assert data[0] == [b'"INBOX" ""']
    assert data[1] == [b'"" (STORAGE 3 10240)']
    assert m.getquota('""')[1] == [b'"" (STORAGE 3 10240)']
    assert m.setquota('""', "(STORAGE 1)")[0] == "NO"
    caps = m.capability()[1][0].split()
    for c in [b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"UNSELECT",
              b"NAMESPACE", b"CHILDREN", b"ID", b"ENABLE", b"LITERAL+",
              b"SPECIAL-USE", b"CONDSTORE", b"QRESYNC", b"ESEARCH",
              b"SORT", b"THREAD=REFERENCES", b"QUOTA", b"BINARY"]:
        assert c in caps
    m.logout()


def test_quota_refuses_append(make_server):
    s = start(make_server)
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=2K;}")
    m = login(s)
    assert m.append("INBOX", None, None, b"x" * 1500)[0] == "OK"
    typ, data = m.append("INBOX", None, None, b"y" * 1500)
    assert typ == "NO" and b"OVERQUOTA" in data[0]
    m.logout()


def test_condstore_qresync(make_server):
    s = start(make_server)
    m = login(s)
    for i in range(3):
        m.append("INBOX", None, None, simple(f"c{i}"))
    m._simple_command("ENABLE", "QRESYNC")
    typ, data = m.select("INBOX")
    hms = int(re.search(rb"\d+", m.untagged_responses["HIGHESTMODSEQ"][0]).group())
    uidv = int(m.untagged_responses["UIDVALIDITY"][0])
    typ, data = m.store("2", "+FLAGS", r"(\Seen)")
    assert b"MODSEQ (" in data[0]
    typ, data = m.fetch("1:*", f"(FLAGS) (CHANGEDSINCE {hms})")
    assert len(data) == 1 and data[0].startswith(b"2 (")
    # UNCHANGEDSINCE on an old modseq fails with MODIFIED
    typ, data = m._simple_command("STORE", "2", f"(UNCHANGEDSINCE {hms})", "+FLAGS", r"(\Flagged)")
    assert typ == "OK" and b"[MODIFIED 2]" in data[0]
    m.uid("STORE", "3", "+FLAGS", r"(\Deleted)")
    m.expunge()
    typ, data = m.search(None, "MODSEQ", str(hms + 1))
    assert data[0].startswith(b"2")
    m.close()
    m.untagged_responses.clear()
    # QRESYNC select: VANISHED (EARLIER) and changed flags
    typ, data = m._simple_command("SELECT", "INBOX", f"(QRESYNC ({uidv} {hms}))")
    assert typ == "OK"
    assert m.untagged_responses.get("VANISHED") == [b"(EARLIER) 3"]
    assert any(b"UID 2" in x for x in m.untagged_responses.get("FETCH", []))
    m.untagged_responses.clear()
    m.state = "SELECTED"
    typ, data = m._simple_command("UID", "FETCH", "1:*", "(FLAGS)", f"(CHANGEDSINCE {hms} VANISHED)")
    assert typ == "OK" and m.untagged_responses.get("VANISHED") == [b"(EARLIER) 3"]
    m.logout()


def test_esearch_sort_thread(make_server):
    s = start(make_server)
    m = login(s)
    m.append("INBOX", None, None, simple("Zebra", extra="Message-ID: <a@x>\r\n").replace(
        b"Date: Mon, 01 Jan 2024 10:00:00", b"Date: Mon, 01 Jan 2024 12:00:00"))
    m.append("INBOX", None, None, simple("Re: Zebra", extra="Message-ID: <b@x>\r\nReferences: <a@x>\r\n").replace(
        b"Date: Mon, 01 Jan 2024 10:00:00", b"Date: Mon, 01 Jan 2024 13:00:00"))
    m.append("INBOX", None, None, b"From: aaa@example.org\r\nSubject: apple\r\n"
             b"Date: Mon, 01 Jan 2024 09:00:00 +0000\r\n\r\nx" * 1)
    m.select("INBOX")
    typ, data = m._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT)", "ALL")
    assert m.untagged_responses["ESEARCH"][0].endswith(b"MIN 1 MAX 3 COUNT 3")
    m.untagged_responses.clear()
    typ, data = m.uid("SEARCH", "RETURN", "()", "1:*")
    assert m.untagged_responses["ESEARCH"][0].endswith(b"UID ALL 1:3")
    m.untagged_responses.clear()
    typ, data = m.sort("(SUBJECT)", "UTF-8", "ALL")
    assert data == [b"3 1 2"]
    typ, data = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
    assert data == [b"2 1 3"]
    typ, data = m.sort("(FROM ARRIVAL)", "US-ASCII", "ALL")
    assert data == [b"3 1 2"]
    typ, data = m.uid("SORT", "(SIZE)", "UTF-8", "ALL")
    assert typ == "OK"
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    assert data == [b"(3)(1 2)"]
    typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert data == [b"(3)(1 2)"]
    with pytest.raises(imaplib.IMAP4.error, match="Unknown sort criterion"):
        m.sort("(BOGUS)", "UTF-8", "ALL")
    m.logout()


def test_two_sessions_see_each_other(make_server):
    s = start(make_server)
    a = Raw(s.ports["imap"])
    a.cmd("a1", f"LOGIN user1 {PASSWORD}")
    b = login(s)
    for i in range(3):
        b.append("INBOX", None, None, simple(f"m{i}"))
    lines, tagged = a.cmd("a2", "SELECT INBOX")
    assert "* 3 EXISTS" in lines and "READ-WRITE" in tagged
    b.select("INBOX")
    # flag change by b is reported to a at its next command
    b.store("2", "+FLAGS", r"(\Flagged)")
    lines, tagged = a.cmd("a3", "NOOP")
    assert any(re.match(r"\* 2 FETCH \(UID 2 FLAGS \(\\Flagged.*\)\)", x) for x in lines)
    # an expunge is not reported during FETCH (RFC 3501 7.4.1) ...
    b.store("1", "+FLAGS", r"(\Deleted)")
    b.expunge()
    lines, tagged = a.cmd("a4", "FETCH 1:3 (UID)")
    assert not any("EXPUNGE" in x for x in lines)
    assert "OK" in tagged
    # ... but at the next NOOP, with renumbering
    lines, tagged = a.cmd("a5", "NOOP")
    assert "* 1 EXPUNGE" in lines
    lines, tagged = a.cmd("a6", "FETCH 1 (UID)")
    assert lines == ["* 1 FETCH (UID 2)"]
    # IDLE: new mail from another session within a bounded wait
    a.send("a7 IDLE\r\n")
    assert a.line().startswith("+ ")
    b.append("INBOX", None, None, simple("during idle"))
    a.wait_for(r"^\* 3 EXISTS$", timeout=5)
    b.store("1", "+FLAGS", r"(\Seen)")
    a.wait_for(r"^\* 1 FETCH \(UID 2 FLAGS \(.*\\Seen", timeout=5)
    b.store("1", "+FLAGS", r"(\Deleted)")
    b.expunge()
    a.wait_for(r"^\* 1 EXPUNGE$", timeout=5)
    a.send("DONE\r\n")
    lines, tagged = a.until("a7")
    assert tagged == "a7 OK IDLE terminated"
    lines, tagged = a.cmd("a8", "LOGOUT")
    assert "* BYE" in lines[0]
    b.logout()


def test_literal_plus_and_multiappend(make_server):
    s = start(make_server)
    r = Raw(s.ports["imap"])
    r.cmd("a1", f"LOGIN user1 {PASSWORD}")
    m1 = simple("one")
    m2 = simple("two")
    r.send(f"a2 APPEND INBOX {{{len(m1)}+}}\r\n".encode() + m1 +
           f" (\\Seen) {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n")
    lines, tagged = r.until("a2")
    assert re.match(r"a2 OK \[APPENDUID \d+ 1:2\]", tagged)
    # synchronizing literal: the server asks for it with "+"
    r.send(f"a3 APPEND INBOX {{{len(m1)}}}\r\n")
    assert r.line().startswith("+ ")
    r.send(m1 + b"\r\n")
    lines, tagged = r.until("a3")
    assert "APPENDUID" in tagged
    lines, tagged = r.cmd("a4", "SELECT INBOX")
    assert "* 3 EXISTS" in lines
    lines, tagged = r.cmd("a5", "FETCH 2 (FLAGS)")
    assert "\\Seen" in lines[0]
    r.close()


def test_multiappend_all_or_none(make_server):
    """RFC 3502: when one message of a MULTIAPPEND cannot be appended, none
    is -- here the account quota, counted over all of them together."""
    s = start(make_server)
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=3K;}")
    r = Raw(s.ports["imap"])
    r.cmd("a1", f"LOGIN user1 {PASSWORD}")
    m1 = simple("one") + b"x" * 1200
    m2 = simple("two") + b"y" * 1200
    m3 = simple("three") + b"z" * 1200
    r.send(f"a2 APPEND INBOX {{{len(m1)}+}}\r\n".encode() + m1 +
           f" {{{len(m2)}+}}\r\n".encode() + m2 +
           f" {{{len(m3)}+}}\r\n".encode() + m3 + b"\r\n")
    lines, tagged = r.until("a2")
    assert tagged.startswith("a2 NO") and "OVERQUOTA" in tagged, tagged
    lines, tagged = r.cmd("a3", "STATUS INBOX (MESSAGES)")
    assert "(MESSAGES 0)" in lines[0], lines
    # two of them fit: both are there, with consecutive UIDs
    r.send(f"a4 APPEND INBOX {{{len(m1)}+}}\r\n".encode() + m1 +
           f" {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n")
    lines, tagged = r.until("a4")
    assert re.match(r"a4 OK \[APPENDUID \d+ 1:2\]", tagged), tagged
    lines, tagged = r.cmd("a5", "STATUS INBOX (MESSAGES)")
    assert "(MESSAGES 2)" in lines[0], lines
    r.close()


def test_smtp_delivery_seen_in_idle_and_read_back(make_server):
    """Mail delivered by SMTP (or the Submitted folder when SMTP is absent)
    reaches an IDLEing session within a bounded wait, and reads back with
    the original bytes after the server's Received: field."""
    from conftest import deliver
    s = start(make_server, services=("cli", "imap", "smtp"))
    a = Raw(s.ports["imap"])
    a.cmd("a1", f"LOGIN user1 {PASSWORD}")
    a.cmd("a2", "SELECT INBOX")
    a.send("a3 IDLE\r\n")
    assert a.line().startswith("+ ")
    original = MULTIPART
    deliver(s, "user1@test.example", original)
    a.wait_for(r"^\* 1 EXISTS$", timeout=20)
    a.send("DONE\r\n")
    a.until("a3")
    a.close()
    m = login(s)
    m.select("INBOX")
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert b"\r\nReceived: from " in data[0][1][:200]
    assert data[0][1].endswith(original)
    typ, data = m.fetch("1", "(BODY.PEEK[2])")
    assert data[0][1] == b"AAECAwQFBgcICQ=="
    m.logout()


def test_search_body_decodes_transfer_encoding_and_charset(make_server):
    """RFC 3501 6.4.4: BODY/TEXT match the decoded text: base64 and
    quoted-printable parts, ISO-8859-1 converted to UTF-8, RFC 2047
    encoded words in the header for TEXT."""
    import base64
    s = start(make_server)
    m = login(s)
    b64 = base64.encodebytes("Grüße aus Köln, tegamiword\r\n".encode()).replace(b"\n", b"\r\n")
    msgs = [
        b"Subject: b64\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64,
        b"Subject: qp\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"caf=C3=A9 cr=C3=A8me br=\r\nul=C3=A9e\r\n",
        b"Subject: latin1\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Gr\xfc\xdfe aus M\xfcnchen\r\n",
        b"Subject: =?utf-8?q?Z=C3=BCrich?=\r\n\r\nplain body\r\n",
    ]
    for raw in msgs:
        assert m.append("INBOX", None, None, raw)[0] == "OK"
    m.select("INBOX")

    def search(key, word):
        m.literal = word.encode()
        typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", key)
        assert typ == "OK", data
        return data[0].split()

    assert search("BODY", "Köln") == [b"1"]
    assert search("BODY", "tegamiword") == [b"1"]
    assert search("BODY", "crème brulée") == [b"2"]
    assert search("BODY", "München") == [b"3"]
    assert search("TEXT", "Zürich") == [b"4"]
    assert search("BODY", "Zürich") == []
    assert search("BODY", "nowhere") == []
    m.logout()
