# SPDX-License-Identifier: Apache-2.0
"""The WebUser webmail in a real browser (issue 13): Debian's chromium driven
by playwright-core from tests/browser/webmail_*.mjs (as
test_webadmin_browser.py does).  The scripts log in through a domain alias
host (the browser maps *.test to 127.0.0.1), read mail delivered over SMTP,
send, reply with an attachment, keep a draft, use the keyboard, the phone
width and the preferences; this side delivers with smtplib and checks with
imaplib what the browser sent."""

import email
import imaplib
import os
import time

import pytest

import httputil
from conftest import BUILD, Server
from imaputil import PASSWORD
from test_webadmin_browser import browser_kit, node  # noqa: F401


SHOTS = os.path.join(BUILD, "webmail-screenshots")   # not committed


@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    yield
    httputil.sanitizer_clean()


@pytest.fixture
def wm(base_dir, browser_kit):  # noqa: F811
    made = []

    def make():
        s = Server(base_dir, services=["cli", "webuser", "smtp", "imap"]).start()
        made.append(s)
        s.tegami("CreateDomain", "client1.test")
        s.tegami("SetDomainAliases", "client1.test", "(mail.client1.test)")
        for u in ("alice", "bob"):
            s.tegami("CreateAccount", f"{u}@client1.test",
                     '{Password="%s";}' % PASSWORD)
        return s
    yield make
    for s in made:
        if s.proc is not None:
            s.stop()


def url(s, host="mail.client1.test"):
    return f"http://{host}:{s.ports['webuser']}/"


def smtp_send(s, rcpt, raw):
    import smtplib
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        c.sendmail("bob@client1.test", [rcpt], raw)


def imap_wait(s, user, subject, timeout=60.0):
    """The message with this subject in user's INBOX over IMAP (parsed)."""
    end = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
        m.login(user, PASSWORD)
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", f'"{subject}"')
        ids = data[0].split()
        if ids:
            typ, got = m.fetch(ids[-1], "(BODY.PEEK[])")
            m.logout()
            return email.message_from_bytes(got[0][1])
        m.logout()
        if time.time() > end:
            raise AssertionError(f"'{subject}' did not arrive for {user}")
        time.sleep(0.3)


SMTP_MSG = (b"From: Bob <bob@client1.test>\r\nTo: alice@client1.test\r\n"
            b"Subject: From SMTP\r\nMessage-ID: <smtp-1@client1.test>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nsmtp body text\r\n"
            b"--B\r\nContent-Type: text/plain; name=\"note.txt\"\r\n"
            b"Content-Disposition: attachment; filename=\"note.txt\"\r\n\r\n"
            b"attached words\r\n--B--\r\n")


HTML_MSG = (b"From: bob@client1.test\r\nTo: alice@client1.test\r\n"
            b"Subject: HTML news\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
            b"--B\r\nContent-Type: text/html\r\n\r\n"
            b"<p><b>bold news</b><img src=\"http://127.0.0.1:9/remote.png\"></p>\r\n"
            b"--B\r\nContent-Type: text/plain; name=\"a.txt\"\r\n"
            b"Content-Disposition: attachment; filename=\"a.txt\"\r\n\r\naaa\r\n"
            b"--B\r\nContent-Type: text/plain; name=\"b.txt\"\r\n"
            b"Content-Disposition: attachment; filename=\"b.txt\"\r\n\r\nbbb\r\n"
            b"--B--\r\n")


def test_read_send_reply_with_attachment_and_draft(wm, tmp_path):
    s = wm()
    smtp_send(s, "alice@client1.test", HTML_MSG)
    smtp_send(s, "alice@client1.test", SMTP_MSG)
    imap_wait(s, "alice@client1.test", "From SMTP")
    imap_wait(s, "alice@client1.test", "HTML news")
    s.tegami("UpdateAccountSettings", "alice@client1.test", "{MaxAccountSize=10M;}")
    f = tmp_path / "attach-me.txt"
    f.write_text("the attached file body\n")
    node("webmail_mail.mjs", url(s), "alice", PASSWORD, "bob@client1.test",
         str(f))
    sent = imap_wait(s, "bob@client1.test", "Browser hello")
    assert sent["From"].endswith("alice@client1.test>") or \
        sent["From"] == "alice@client1.test"
    assert "typed in the browser" in sent.get_payload(decode=True).decode() \
        if not sent.is_multipart() else any(
            "typed in the browser" in (p.get_payload(decode=True) or b"").decode()
            for p in sent.walk())
    re_ = imap_wait(s, "bob@client1.test", "Re: From SMTP")
    assert re_["In-Reply-To"] == "<smtp-1@client1.test>"
    names = {p.get_filename(): p.get_payload(decode=True)
             for p in re_.walk() if p.get_filename()}
    assert names.get("attach-me.txt") == b"the attached file body\n", names
    # sent once: the undone attempt sent nothing
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    m.login("bob@client1.test", PASSWORD)
    m.select("INBOX")
    assert len(m.search(None, "SUBJECT", '"Browser hello"')[1][0].split()) == 1
    m.logout()


def test_keyboard_phone_width_and_preferences(wm):
    s = wm()
    for i in range(1, 8):
        extra = "In-Reply-To: <m5@client1.test>\r\nReferences: <m5@client1.test>\r\n" \
            if i in (6, 7) else ""
        smtp_send(s, "alice@client1.test",
                  (f"From: bob@client1.test\r\nTo: alice@client1.test\r\n"
                   f"Subject: Msg {i}\r\nMessage-ID: <m{i}@client1.test>\r\n"
                   f"{extra}\r\nbody {i}\r\n").encode())
        imap_wait(s, "alice@client1.test", f"Msg {i}")
        time.sleep(1.1)     # receivedAt has one-second steps
    node("webmail_ui.mjs", url(s), "alice", PASSWORD, "new-secret-2", SHOTS)
    # the Auto-Reply pane saved through JMAP VacationResponse/set
    vac = open(s.path("Domains", "client1.test", "alice.macnt",
                      "vacation.data")).read()
    assert "IsEnabled = YES" in vac and "Away from the browser" in vac, vac
    assert "2099-01-0" in vac and "Back on Monday." in vac, vac
    html = imap_wait(s, "bob@client1.test", "Html mail")
    parts = {p.get_content_type(): p.get_payload(decode=True).decode()
             for p in html.walk() if not p.is_multipart() and not p.get_filename()}
    dropped = [p.get_payload(decode=True) for p in html.walk()
               if p.get_filename() == "dropped.txt"]
    assert dropped == [b"dropped bytes\n"], dropped
    assert "<b>strong</b>" in parts["text/html"] and \
        "<li>item one</li>" in parts["text/html"], parts
    assert "plain strong" in parts["text/plain"], parts
    prefs = s.tegami("GetAccountPrefs", "alice@client1.test")[1]
    assert "MessagesPerPage" in prefs and "4" in prefs, prefs
    s.tegami("VerifyAccountPassword", "alice@client1.test", "PASSWORD",
             "new-secret-2")


def test_b8_pink_page_then_alias_added(wm):
    s = wm()
    node("webmail_b8.mjs", "pink", url(s, "webmail.client1.test"))
    assert s.wait_log(r"no Web Access to 'webmail\.client1\.test'")
    s.tegami("SetDomainAliases", "client1.test",
             "(mail.client1.test, webmail.client1.test)")
    node("webmail_b8.mjs", "login", url(s, "webmail.client1.test"), "bob",
         PASSWORD)


def test_b9_session_reused_from_another_address(wm):
    from test_webuser_login import login, session_of
    s = wm()
    s.tegami("CreateDomain", "client2.test")
    s.tegami("CreateAccount", "carol@client2.test", '{Password="%s";}' % PASSWORD)
    s.tegami("SetDomainAliases", "client2.test", "(mail.client2.test)")
    on = "{RequireFixedNetworkAddress=YES;}"
    s.tegami("UpdateAccountPrefs", "alice@client1.test", on)
    s.tegami("UpdateAccountDefaultPrefs", "client2.test", on)

    def sid(user, host):
        st, h, _ = login(s, user, host=host, source="127.0.0.2")
        assert st == 303
        return session_of(h)[0]
    alice = sid("alice", "mail.client1.test")
    bob = sid("bob", "mail.client1.test")
    node("webmail_b9.mjs", url(s), f"{alice}:refused", f"{bob}:accepted")
    carol = sid("carol", "mail.client2.test")
    node("webmail_b9.mjs", url(s, "mail.client2.test"), f"{carol}:refused")
    s.tegami("UpdateServerAccountPrefs", on)
    node("webmail_b9.mjs", url(s), f"{bob}:refused")
    assert s.wait_log(r"session of 'bob@client1\.test' refused from \[?127\.0\.0\.1")
