# SPDX-License-Identifier: Apache-2.0
"""Identity/changes, EmailSubmission/changes and Quota/changes (RFC 8620
5.2, RFC 8621 6 and 7, RFC 9425) against a real tegamid over HTTP: the
states move when the objects change, maxChanges cuts at an intermediate
state, unknown, foreign and too old states get cannotCalculateChanges."""

from imaputil import PASSWORD
from test_jmap import CORE, MAIL, SUBM, api, inbox_id, sanitizer_clean, start
from test_jmap_identity_quota import QUOTA, draft, wait_imap

assert sanitizer_clean  # the autouse fixture of test_jmap, used here too


def changes(s, method, since, using=(CORE, MAIL, SUBM), **kw):
    args = {"sinceState": since}
    args.update(kw)
    r = api(s, [[method, args, "0"]], using=using)
    return r[0][0], r[0][1]


def follow(s, method, since, max_changes):
    """Every change since `since`, maxChanges at a time: (created,
    updated, destroyed, final state, calls)."""
    cr, up, de = set(), set(), set()
    calls = 0
    while True:
        name, r = changes(s, method, since, maxChanges=max_changes)
        assert name == method, r
        calls += 1
        assert len(r["created"]) + len(r["updated"]) + \
            len(r["destroyed"]) <= max_changes
        cr |= set(r["created"])
        up |= set(r["updated"])
        de |= set(r["destroyed"])
        assert r["oldState"] == since
        since = r["newState"]
        if not r["hasMoreChanges"]:
            return cr, up, de, since, calls
        assert calls < 50


def test_identity_changes(make_server):
    s = start(make_server)
    s.tegami("SetAccountAliases", "user1", "(a1, a2, a3)")
    st0 = api(s, [["Identity/get", {}, "0"]])[0][1]["state"]
    name, r = changes(s, "Identity/changes", st0)
    assert name == "Identity/changes", r
    assert r["newState"] == st0 and not r["hasMoreChanges"]
    assert r["created"] == r["updated"] == r["destroyed"] == []
    r = api(s, [["Identity/set", {"create": {
        "a": {"email": "a1@test.example"},
        "b": {"email": "a2@test.example"},
        "c": {"email": "a3@test.example"}},
        "update": {"I1": {"name": "One"}}}, "0"]])[0][1]
    ids = {k: v["id"] for k, v in r["created"].items()}
    st1 = r["newState"]
    assert st1 != st0
    name, r = changes(s, "Identity/changes", st0)
    assert set(r["created"]) == set(ids.values())
    assert r["updated"] == ["I1"] and r["destroyed"] == []
    assert r["newState"] == st1
    # the same, two at a time, through intermediate states
    cr, up, de, last, calls = follow(s, "Identity/changes", st0, 2)
    assert (cr, up, de, last) == (set(ids.values()), {"I1"}, set(), st1)
    assert calls == 2
    # destroyed after creation: nothing to tell since st0; destroyed
    # since st1; updated then destroyed: destroyed
    r = api(s, [["Identity/set", {"update": {ids["b"]: {"name": "B"}}},
                 "0"],
                ["Identity/set", {"destroy": [ids["a"], ids["b"]]}, "1"]])
    st2 = r[1][1]["newState"]
    name, r = changes(s, "Identity/changes", st0)
    assert set(r["created"]) == {ids["c"]} and r["destroyed"] == []
    assert r["updated"] == ["I1"]
    name, r = changes(s, "Identity/changes", st1)
    assert r["created"] == [] and r["updated"] == []
    assert set(r["destroyed"]) == {ids["a"], ids["b"]}
    assert r["newState"] == st2
    # Identity/get gives the same state; it is kept across a restart
    assert api(s, [["Identity/get", {}, "0"]])[0][1]["state"] == st2
    s.restart()
    name, r = changes(s, "Identity/changes", st1)
    assert name == "Identity/changes" and r["newState"] == st2
    assert set(r["destroyed"]) == {ids["a"], ids["b"]}
    # not states of this kind, or from the future
    for bad in ("", "x", "I", "I-1", "I1x", "S0", st2 + "9", "Q0-0"):
        name, r = changes(s, "Identity/changes", bad)
        assert name == "error" and r["type"] == "cannotCalculateChanges", \
            (bad, r)
    r = api(s, [["Identity/changes", {}, "0"],
                ["Identity/changes", {"sinceState": st0, "maxChanges": 0},
                 "1"],
                ["Identity/changes", {"sinceState": 5}, "2"],
                ["Identity/changes", {"sinceState": st0,
                                      "accountId": "nobody"}, "3"]])
    assert r[0][1]["type"] == "invalidArguments"
    assert r[1][1]["type"] == "invalidArguments"
    assert r[2][1]["type"] == "invalidArguments"
    assert r[3][1]["type"] == "accountNotFound"
    # more changes than the log keeps (JMAP_CHANGES_KEPT = 256): the
    # old states can no longer be answered, the recent ones still can
    for n in range(5):
        calls = [["Identity/set", {"update": {"I1": {"name": f"n{n}-{k}"}}},
                  str(k)] for k in range(60)]
        r = api(s, calls)
        assert all(c[0] == "Identity/set" for c in r), r[0]
    last = r[-1][1]["newState"]
    prev = r[-2][1]["newState"]
    name, r = changes(s, "Identity/changes", st0)
    assert name == "error" and r["type"] == "cannotCalculateChanges"
    name, r = changes(s, "Identity/changes", prev)
    assert r["updated"] == ["I1"] and r["newState"] == last


def test_submission_changes(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "user2", '{Password="%s";}' % PASSWORD)
    inbox = inbox_id(s)
    st0 = api(s, [["EmailSubmission/get", {}, "0"]])[0][1]["state"]
    name, r = changes(s, "EmailSubmission/changes", st0)
    assert name == "EmailSubmission/changes", r
    assert r["created"] == [] and r["newState"] == st0
    r = api(s, [["Email/set", {"create": {
        "d1": draft(inbox, ["user2@test.example"], "chg one"),
        "d2": draft(inbox, ["user2@test.example"], "chg two")}}, "0"],
        ["EmailSubmission/set", {"create": {
            "s1": {"identityId": "I1", "emailId": "#d1"}}}, "1"],
        ["EmailSubmission/set", {"create": {
            "s2": {"identityId": "I1", "emailId": "#d2"}}}, "2"]])
    s1 = r[1][1]["created"]["s1"]["id"]
    s2 = r[2][1]["created"]["s2"]["id"]
    st1 = r[1][1]["newState"]
    st2 = r[2][1]["newState"]
    assert r[1][1]["oldState"] == st0 and len({st0, st1, st2}) == 3
    name, r = changes(s, "EmailSubmission/changes", st0)
    assert set(r["created"]) == {s1, s2} and r["newState"] == st2
    assert r["updated"] == [] and r["destroyed"] == []
    name, r = changes(s, "EmailSubmission/changes", st1)
    assert r["created"] == [s2]
    name, r = changes(s, "EmailSubmission/changes", st0, maxChanges=1)
    assert r["created"] == [s1] and r["hasMoreChanges"]
    assert r["newState"] == st1
    assert api(s, [["EmailSubmission/get", {}, "0"]])[0][1]["state"] == st2
    for bad in ("S", "I0", "S99", "nonsense"):
        name, r = changes(s, "EmailSubmission/changes", bad)
        assert name == "error" and r["type"] == "cannotCalculateChanges"
    # EmailSubmission/changes needs the submission capability
    name, r = changes(s, "EmailSubmission/changes", st0, using=(CORE, MAIL))
    assert name == "error" and r["type"] == "unknownMethod"
    wait_imap(s, "user2", "chg two")


def test_quota_changes(make_server):
    s = start(make_server)
    u = (CORE, MAIL, QUOTA)
    st0 = api(s, [["Quota/get", {}, "0"]], using=u)[0][1]["state"]
    name, r = changes(s, "Quota/changes", st0, using=u)
    assert name == "Quota/changes", r
    assert r["newState"] == st0
    assert r["created"] == r["updated"] == r["destroyed"] == []
    # a limit set: Q1 appears
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=1M;}")
    name, r = changes(s, "Quota/changes", st0, using=u)
    assert r["created"] == ["Q1"] and r["newState"] != st0
    st1 = r["newState"]
    assert api(s, [["Quota/get", {}, "0"]], using=u)[0][1]["state"] == st1
    # a message stored: its use changes
    inbox = inbox_id(s)
    r = api(s, [["Email/set", {"create": {"a": draft(
        inbox, ["x@test.example"], "q")}}, "0"]])
    assert "a" in r[0][1]["created"], r
    name, r = changes(s, "Quota/changes", st1, using=u)
    assert r["updated"] == ["Q1"] and r["created"] == []
    st2 = r["newState"]
    assert st2 != st1
    # the limit removed: Q1 is gone
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=unlimited;}")
    name, r = changes(s, "Quota/changes", st2, using=u)
    assert r["destroyed"] == ["Q1"] and r["updated"] == []
    for bad in ("Q", "Qzz", "Q1-", "Q01-0", "Q0-0x", "I1"):
        name, r = changes(s, "Quota/changes", bad, using=u)
        assert name == "error" and r["type"] == "cannotCalculateChanges", \
            (bad, r)
    name, r = changes(s, "Quota/changes", st0, using=(CORE, MAIL))
    assert name == "error" and r["type"] == "unknownMethod"
