# SPDX-License-Identifier: Apache-2.0
"""IMAP with other real clients: curl's IMAP client (LIST, FETCH by UID,
upload with APPEND) and mbsync (Debian isync) synchronising a mailbox both
ways over IMAPS with the server's self-signed certificate."""

import os
import shutil
import subprocess

import pytest

from imaputil import PASSWORD, login, simple, start


def curl(*args):
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "30", *args],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_list_fetch_upload(make_server, tmp_path):
    s = start(make_server)
    url = f"imap://127.0.0.1:{s.ports['imap']}"
    m = login(s)
    m.create("Folder")
    msg = simple("via imaplib", body="first body\r\n")
    m.append("INBOX", None, None, msg)
    out = curl("-u", f"user1:{PASSWORD}", url + "/")
    assert b'"/" INBOX' in out or b'"/" "INBOX"' in out
    assert b"Folder" in out
    assert curl("-u", f"user1:{PASSWORD}", url + "/INBOX;UID=1") == msg
    up = tmp_path / "up.eml"
    data = simple("via curl", body="uploaded by curl\r\n")
    up.write_bytes(data)
    curl("-u", f"user1:{PASSWORD}", "-T", str(up), url + "/Folder")
    m.select("Folder")
    typ, got = m.fetch("1", "(BODY.PEEK[])")
    assert got[0][1] == data
    # section fetch through curl's URL syntax
    assert curl("-u", f"user1:{PASSWORD}",
                url + "/Folder;UID=1;SECTION=TEXT") == b"uploaded by curl\r\n"
    m.logout()


def write_rc(path, s, maildir, certfile):
    path.write_text(f"""IMAPAccount t
Host 127.0.0.1
Port {s.ports['imaps']}
User user1
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {certfile}

IMAPStore remote
Account t

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel c
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")


def norm(data):
    """mbsync stores LF line ends and adds an X-TUID header while syncing."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"\n".join(ln for ln in lines if not ln.startswith(b"X-TUID:"))


def maildir_messages(d):
    out = []
    for sub in ("cur", "new"):
        p = os.path.join(d, sub)
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                with open(os.path.join(p, name), "rb") as f:
                    out.append(f.read())
    return out


@pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync not installed")
def test_mbsync_both_ways(make_server, tmp_path):
    s = start(make_server)
    m = login(s)
    m.create("Projects")
    first = simple("server side", body="written on the server\r\n")
    m.append("INBOX", r"(\Seen)", None, first)
    m.append("Projects", None, None, simple("project mail"))
    m.logout()
    maildir = tmp_path / "mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    write_rc(rc, s, maildir, s.path("Settings", "ServerCertificate.pem"))

    def sync():
        p = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True,
                           timeout=120, cwd=tmp_path)
        assert p.returncode == 0, (p.stdout, p.stderr)

    sync()
    local = maildir_messages(maildir / "INBOX")
    assert [norm(x) for x in local] == [norm(first)]
    assert len(maildir_messages(maildir / "Projects")) == 1
    # a message written locally goes up on the next sync
    mine = simple("local side", body="written in the Maildir\r\n")
    (maildir / "INBOX" / "new" / "1700000000.local.host").write_bytes(mine)
    (maildir / "Newbox" / "cur").mkdir(parents=True)
    (maildir / "Newbox" / "new").mkdir()
    (maildir / "Newbox" / "tmp").mkdir()
    (maildir / "Newbox" / "cur" / "1700000001.x.host:2,S").write_bytes(simple("nb"))
    sync()
    m = login(s)
    m.select("INBOX")
    typ, data = m.search(None, "SUBJECT", '"local side"')
    assert data[0] != b""
    typ, got = m.fetch(data[0], "(BODY.PEEK[] FLAGS)")
    assert norm(got[0][1]) == norm(mine)
    assert b"\r\n" in got[0][1] and b"\n" not in got[0][1].replace(b"\r\n", b"")
    assert b"Newbox" in b" ".join(m.list()[1])
    # a flag set on the server travels down, an expunge too
    m.store("1", "+FLAGS", r"(\Flagged)")
    m.logout()
    sync()
    names = os.listdir(maildir / "INBOX" / "cur") + os.listdir(maildir / "INBOX" / "new")
    assert any(":2," in n and "F" in n.split(":2,")[1] for n in names)
    sync()      # a second sync with nothing new is clean
