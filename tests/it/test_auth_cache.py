# SPDX-License-Identifier: Apache-2.0
"""Remembered HTTP Basic logins (auth_login_cached, shared by WebAdmin and
JMAP): a login is remembered so that a script or a JMAP client sending its
password with every request does not pay a password hash each time, but a
changed password, a removed Master right, a renamed or deleted account is
honoured at the very next request; a wrong password is never remembered."""
import base64
import json
import urllib.error
import urllib.request

import pytest

import httputil

PW1, PW2 = "first-Pass-1", "second-Pass-2"


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    yield
    httputil.sanitizer_clean()


@pytest.fixture
def s(make_server, tmp_path):
    s = httputil.web_server(make_server, tmp_path,
                            services=["webadmin", "webuser", "cli"])
    s.tegami("CreateAccount", "admin1", '{Password="%s";}' % PW1)
    s.tegami("SetAccountRights", "admin1", "(Master)")
    return s


def jmap_session(s, user, pw):
    tok = base64.b64encode(f"{user}:{pw}".encode()).decode()
    r = urllib.request.Request(
        f"http://127.0.0.1:{s.ports['webuser']}/.well-known/jmap",
        headers={"Authorization": "Basic " + tok})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def webadmin(s, user, pw):
    st, _ = httputil.api(s, "ListDomains", user=user, password=pw)
    return st


def test_password_change_is_honoured_at_once(s):
    for _ in range(3):      # remembered after the first
        assert webadmin(s, "admin1", PW1) == 200
        assert jmap_session(s, "admin1@test.example", PW1) == 200
    s.tegami("SetAccountPassword", "admin1", "PASSWORD", PW2)
    assert webadmin(s, "admin1", PW1) == 401
    assert jmap_session(s, "admin1@test.example", PW1) == 401
    assert webadmin(s, "admin1", PW2) == 200
    assert jmap_session(s, "admin1@test.example", PW2) == 200


def test_removed_right_and_deleted_account(s):
    assert webadmin(s, "admin1", PW1) == 200
    s.tegami("SetAccountRights", "admin1", "()")
    st = webadmin(s, "admin1", PW1)
    assert st == 403, st            # logged in, but no longer Master
    assert jmap_session(s, "admin1@test.example", PW1) == 200
    s.tegami("DeleteAccount", "admin1")
    assert webadmin(s, "admin1", PW1) == 401
    assert jmap_session(s, "admin1@test.example", PW1) == 401


def test_wrong_password_never_remembered(s):
    assert webadmin(s, "admin1", PW1) == 200
    for _ in range(2):
        assert webadmin(s, "admin1", "wrong") == 401
        assert jmap_session(s, "admin1@test.example", "wrong") == 401
    assert s.wait_log(r"login failed for 'admin1' \(Basic\)")
