# SPDX-License-Identifier: Apache-2.0
"""Account settings are checked when they are written (account_check.c):
a bad value is refused with the setting's name and what is allowed, the
stored settings stay as they were; good values, "default" and keys the
table does not know are taken.  Through the CLI and the WebAdmin JSON API
(the account pages use the same command)."""

import pytest

import httputil
from httputil import web_server, api


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    yield
    httputil.sanitizer_clean()


def test_bad_values_refused_on_every_level(make_server):
    s = make_server(services=["cli"])
    s.start()
    s.tegami("CreateAccount", "ann", '{Password="pw1"; MaxAccountSize=10M;}')
    for args, word in [
        (("UpdateAccountSettings", "ann", "{MaxAccountSize=10X;}"), "MaxAccountSize"),
        (("UpdateAccountSettings", "ann", "{MaxMailboxes=-5;}"), "MaxMailboxes"),
        (("UpdateAccountSettings", "ann", "{PasswordEncryption=rot13;}"),
         "PasswordEncryption"),
        (("UpdateAccountSettings", "ann", "{RequireAPOP=maybe;}"), "RequireAPOP"),
        (("UpdateAccountSettings", "ann", '{RulesAllowed="Everything";}'),
         "RulesAllowed"),
        (("UpdateAccountDefaults", s.domain, "{MaxMessageSize=-1;}"), "MaxMessageSize"),
        (("UpdateServerAccountDefaults", "{MaxAccountSize=lots;}"), "MaxAccountSize"),
        (("UpdateAccountTemplate", s.domain, "{LogLogin=often;}"), "LogLogin"),
        (("CreateAccount", "bob", "{MaxAccountSize=12Q;}"), "MaxAccountSize"),
    ]:
        rc, out, err = s.tegami(*args, check=False)
        assert rc != 0, (args, out)
        assert word in out + err, (args, out, err)
    # nothing of it was stored
    rc, out, _ = s.tegami("GetAccountSettings", "ann")
    assert "10M" in out and "10X" not in out and "rot13" not in out
    rc, _, _ = s.tegami("GetAccount", "bob", check=False)
    assert rc != 0
    # good values, "default" and unknown keys are taken
    s.tegami("UpdateAccountSettings", "ann",
             '{MaxAccountSize=unlimited; MaxMailboxes=-1; RequireAPOP=YES; '
             'RulesAllowed="Any"; FailedLoginFlow=(5,10m); CustomKey="x y";}')
    s.tegami("UpdateAccountSettings", "ann", "{MaxAccountSize=default;}")
    out = s.tegami("GetAccountSettings", "ann")[1]
    assert "MaxAccountSize" not in out and "CustomKey" in out
    assert s.stop() == 0


def test_webadmin_api_gets_the_error(make_server, tmp_path):
    s = web_server(make_server, tmp_path)
    s.tegami("CreateAccount", "ann", '{Password="pw1";}')
    st, r = api(s, "UpdateAccountSettings", "ann", {"MaxAccountSize": "10X"})
    assert "MaxAccountSize" in r.get("error", ""), (st, r)
    st, r = api(s, "UpdateAccountSettings", "ann", {"MaxAccountSize": "20M"})
    assert st == 200 and "error" not in r, r
