# SPDX-License-Identifier: Apache-2.0
"""The auto-reply (JMAP VacationResponse, RFC 8621 8; RFC 3834) against a
real tegamid: set over JMAP, messages delivered with smtplib, the reply
read from the sender's mailbox over IMAP (both accounts local); its
headers, the once-per-sender-per-week rule, the cases that get no reply,
disabled and outside the dates; hostile VacationResponse/set input."""

import email
import email.header
import email.policy
import re
import smtplib
import time

from imaputil import PASSWORD, login
from test_jmap import CORE, MAIL, api, req, sanitizer_clean, start

assert sanitizer_clean  # the autouse fixture of test_jmap, used here too

VAC = "urn:ietf:params:jmap:vacationresponse"
U = (CORE, MAIL, VAC)


def vset(s, patch, user="user1"):
    r = api(s, [["VacationResponse/set",
                 {"update": {"singleton": patch}}, "0"]], using=U, user=user)
    assert r[0][0] == "VacationResponse/set", r
    return r[0][1]


def send(s, sender, rcpt, subject, headers=(), to=None, msgid=None):
    to = rcpt if to is None else to
    msgid = msgid or f"<{subject.replace(' ', '.')}.{time.time()}@it.example>"
    lines = [f"From: <{sender or 'nobody@it.example'}>", f"To: {to}",
             f"Subject: {subject}", f"Message-ID: {msgid}",
             "Date: Thu, 03 Dec 2026 12:00:00 +0000", *headers, "",
             "Hello, are you there?", ""]
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        c.sendmail(sender, [rcpt], "\r\n".join(lines).encode())
    return msgid


def messages(s, user, subject):
    """The raw messages in user's INBOX whose subject has `subject`."""
    m = login(s, user=user)
    m.select("INBOX")
    nums = m.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
    out = [m.fetch(n, "(BODY.PEEK[])")[1][0][1] for n in nums]
    m.logout()
    return out


def wait_messages(s, user, subject, count=1):
    end = time.time() + 20
    while time.time() < end:
        got = messages(s, user, subject)
        if len(got) >= count:
            return got
        time.sleep(0.2)
    raise AssertionError(f"{subject!r} did not arrive for {user}: "
                         f"{s.log_text()[-3000:]}")


def not_sent(s, sender, why):
    rx = (r"auto-reply to <%s> not sent: %s" % (re.escape(sender),
                                                 re.escape(why)))
    assert s.wait_log(rx, timeout=20), (rx, s.log_text()[-3000:])


def boot(make_server, *users):
    s = start(make_server)
    for u in users:
        s.tegami("CreateAccount", u, '{Password="%s";}' % PASSWORD)
    s.tegami("UpdateModule", "LOCAL", "{LogLevel=4;}")
    return s


def test_get_default_and_capability(make_server):
    s = start(make_server)
    sess = req(s, "/.well-known/jmap")[2]
    assert VAC in sess["capabilities"]
    assert sess["primaryAccounts"][VAC] == "user1@test.example"
    r = api(s, [["VacationResponse/get", {"ids": None}, "0"],
                ["VacationResponse/get", {"ids": ["singleton", "other"],
                                          "properties": ["subject"]}, "1"]],
            using=U)
    o = r[0][1]["list"][0]
    assert o == {"id": "singleton", "isEnabled": False, "fromDate": None,
                 "toDate": None, "subject": None, "textBody": None,
                 "htmlBody": None}
    assert r[1][1]["list"] == [{"id": "singleton", "subject": None}]
    assert r[1][1]["notFound"] == ["other"]
    # the method needs its capability in "using"
    r = api(s, [["VacationResponse/get", {}, "0"]], using=(CORE, MAIL))
    assert r[0][1]["type"] == "unknownMethod"


def test_set_hostile_input(make_server):
    s = start(make_server)
    st0 = api(s, [["VacationResponse/get", {}, "0"]], using=U)[0][1]["state"]
    bad = {
        "long_subject": {"subject": "x" * 901},
        "crlf_subject": {"subject": "hi\r\nBcc: victim@x.example"},
        "long_text": {"textBody": "y" * (64 * 1024 + 1)},
        "long_html": {"htmlBody": "<p>" + "z" * (64 * 1024) + "</p>"},
        "enabled_str": {"isEnabled": "yes"},
        "enabled_num": {"isEnabled": 1},
        "subject_num": {"subject": 5},
        "text_obj": {"textBody": {"a": 1}},
        "date_word": {"fromDate": "tomorrow"},
        "date_local": {"toDate": "2026-12-03T12:00:00"},
        "date_month": {"toDate": "2026-13-03T12:00:00Z"},
        "id_change": {"id": "other"},
        "unknown": {"replyTo": "x@y.example"},
    }
    for name, patch in bad.items():
        res = vset(s, patch)
        assert res["notUpdated"]["singleton"]["type"] == \
            "invalidProperties", (name, res)
        assert res["newState"] == st0 and res["updated"] == {}, name
    # nothing of them was kept
    o = api(s, [["VacationResponse/get", {}, "0"]], using=U)[0][1]["list"][0]
    assert o["subject"] is None and o["isEnabled"] is False
    # other ids, create, destroy
    r = api(s, [["VacationResponse/set", {
        "update": {"other": {"isEnabled": True}},
        "create": {"c": {"isEnabled": True}},
        "destroy": ["singleton"]}, "0"],
        ["VacationResponse/set", {"update": []}, "1"],
        ["VacationResponse/set", {"update": {"singleton": "x"}}, "2"],
        ["VacationResponse/set", {"ifInState": "V0", "update": {
            "singleton": {"isEnabled": True}}}, "3"]], using=U)
    assert r[0][1]["notUpdated"]["other"]["type"] == "notFound"
    assert r[0][1]["notCreated"]["c"]["type"] == "singleton"
    assert r[0][1]["notDestroyed"]["singleton"]["type"] == "singleton"
    assert r[1][1]["type"] == "invalidArguments"
    assert r[2][1]["notUpdated"]["singleton"]["type"] == "invalidProperties"
    assert r[3][1]["type"] == "stateMismatch"
    # at the limits: taken, and the state moves
    res = vset(s, {"subject": "s" * 900, "textBody": "t" * (64 * 1024),
                   "htmlBody": None, "fromDate": "2026-01-01T00:00:00Z",
                   "isEnabled": False})
    assert res["updated"] == {"singleton": None} and res["newState"] != st0
    r = api(s, [["VacationResponse/get", {}, "0"]], using=U)[0][1]
    assert r["state"] == res["newState"]
    o = r["list"][0]
    assert len(o["subject"]) == 900 and len(o["textBody"]) == 64 * 1024
    assert o["fromDate"] == "2026-01-01T00:00:00Z"
    # kept across a restart, in the account's vacation.data
    s.restart()
    o = api(s, [["VacationResponse/get", {}, "0"]], using=U)[0][1]["list"][0]
    assert len(o["subject"]) == 900
    assert "IsEnabled" in open(s.path("Accounts", "user1.macnt",
                                      "vacation.data")).read()


def test_reply_headers_and_once_a_week(make_server):
    s = boot(make_server, "user2", "user3")
    res = vset(s, {"isEnabled": True, "textBody": "I am away until Monday.",
                   "fromDate": "2020-01-01T00:00:00Z",
                   "toDate": "2099-01-01T00:00:00Z"})
    assert res["updated"] == {"singleton": None}, res
    mid = send(s, "user2@test.example", "user1@test.example", "Hello there",
               headers=("References: <r0@it.example>",),
               to="User One <user1@test.example>")
    raw = wait_messages(s, "user2", "Auto: Hello there")[0]
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m["Return-Path"] == "<>", raw[:400]     # MAIL FROM:<>
    assert m["Auto-Submitted"] == "auto-replied"
    assert m["In-Reply-To"] == mid
    refs = m["References"].split()
    assert refs == ["<r0@it.example>", mid], refs
    assert "user1@test.example" in m["From"]
    assert "user2@test.example" in m["To"]
    assert str(m["Subject"]) == "Auto: Hello there"
    assert m.get_content().strip() == "I am away until Monday."
    # the original was stored for user1
    wait_messages(s, "user1", "Hello there")
    # the same sender again within 7 days: no second reply
    send(s, "user2@test.example", "user1@test.example", "Hello again")
    not_sent(s, "user2@test.example", "replied to that sender within 7 days")
    wait_messages(s, "user1", "Hello again")
    # another sender still gets one; a configured subject (UTF-8) and an
    # HTML body; Auto-Submitted: no is a person's message
    vset(s, {"subject": "Abwesenheit \u00fcber Weihnachten",
             "htmlBody": "<p>Away</p>"})
    send(s, "user3@test.example", "user1@test.example", "Question",
         headers=("Auto-Submitted: no",))
    raw = wait_messages(s, "user3", "Abwesenheit")[0]
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(m["Subject"]) == "Abwesenheit \u00fcber Weihnachten"
    assert m.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in m.iter_parts()}
    assert parts["text/html"].strip() == "<p>Away</p>"
    assert parts["text/plain"].strip() == "I am away until Monday."
    # the replied addresses are kept per account, bounded
    text = open(s.path("Accounts", "user1.macnt", "vacation.data")).read()
    assert "user3@test.example" in text


def test_no_reply_cases(make_server):
    s = boot(make_server, "user2")
    vset(s, {"isEnabled": True, "textBody": "away"})
    cases = [
        ("", "null sender", ()),
        ("MAILER-DAEMON@it.example", "sender is a mailer or a list", ()),
        ("owner-list@it.example", "sender is a mailer or a list", ()),
        ("list-request@it.example", "sender is a mailer or a list", ()),
        ("bulk@it.example", "Precedence bulk, list or junk",
         ("Precedence: bulk",)),
        ("junk@it.example", "Precedence bulk, list or junk",
         ("Precedence: junk (spam)",)),
        ("list@it.example", "a list message (List-* field)",
         ("List-Id: <list.it.example>",)),
        ("unsub@it.example", "a list message (List-* field)",
         ("List-Unsubscribe: <mailto:x@it.example>",)),
        ("auto@it.example", "Auto-Submitted", ("Auto-Submitted: auto-generated",)),
        ("replied@it.example", "Auto-Submitted",
         ("AUTO-SUBMITTED: Auto-Replied (vacation)",)),
    ]
    for sender, why, headers in cases:
        send(s, sender, "user1@test.example", f"case {sender}", headers)
        not_sent(s, sender, why)
    # not addressed in To or Cc (a Bcc copy, a list's To)
    send(s, "user2@test.example", "user1@test.example", "bcc copy",
         to="someone@test.example")
    not_sent(s, "user2@test.example", "not addressed in To or Cc")
    # in Cc it is answered: the once-a-week rule did not count the above
    send(s, "user2@test.example", "user1@test.example", "cc copy",
         headers=("Cc: Someone <x@it.example>, user1@test.example",),
         to="someone@test.example")
    got = wait_messages(s, "user2", "Auto: cc copy")
    assert len(got) == 1
    assert not messages(s, "user2", "Auto: bcc copy")


def test_disabled_and_dates(make_server):
    s = boot(make_server, "user2")
    vset(s, {"isEnabled": False, "textBody": "away"})
    send(s, "user2@test.example", "user1@test.example", "while disabled")
    wait_messages(s, "user1", "while disabled")
    vset(s, {"isEnabled": True, "fromDate": "2099-01-01T00:00:00Z"})
    send(s, "user2@test.example", "user1@test.example", "too early")
    not_sent(s, "user2@test.example", "before fromDate")
    vset(s, {"fromDate": None, "toDate": "2020-01-01T00:00:00Z"})
    send(s, "user2@test.example", "user1@test.example", "too late")
    not_sent(s, "user2@test.example", "after toDate")
    vset(s, {"toDate": None})
    send(s, "user2@test.example", "user1@test.example", "now then")
    wait_messages(s, "user2", "Auto: now then")
    # the one reply is to the last message: none went to the ones before
    # (a reply to one of them would have blocked this one for 7 days)
    assert len(messages(s, "user2", "Auto:")) == 1
