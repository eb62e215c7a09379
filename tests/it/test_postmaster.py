# SPDX-License-Identifier: Apache-2.0
"""docs/behaviour.md, B3: postmaster exists at every start, with a generated password in
initial.password (mode 0600) and named in the log; a pre-seeded account
(imported server, clear password) is honoured."""

import os
import stat

from conftest import CliClient

PM_DIR = ("Accounts", "postmaster.macnt")


def initial_password_path(s):
    return s.path(*PM_DIR, "initial.password")


def test_postmaster_created_with_readable_initial_password(server):
    p = initial_password_path(server)
    st = os.stat(p)
    assert stat.S_IMODE(st.st_mode) == 0o600
    pw = server.postmaster_password()
    assert len(pw) >= 8
    assert server.wait_log(r"postmaster.*created.*initial\.password")
    # The password itself is never logged.
    assert pw not in server.log_text()
    with CliClient(server.ports["cli"]) as c:
        assert c.banner.startswith("200 ")
        assert c.login("postmaster", pw) == "200 login OK"
        assert c.data("MainDomainName") == ("200 data follow", server.domain)


def test_postmaster_password_is_hashed_on_disk(server):
    with open(server.path(*PM_DIR, "account.settings")) as f:
        text = f.read()
    assert server.postmaster_password() not in text


def test_deleted_postmaster_back_at_restart_with_new_password(server):
    old = server.postmaster_password()
    server.tegami("DeleteAccount", "postmaster")
    rc, out, err = server.tegami("GetAccountSettings", "postmaster",
                                 check=False)
    assert rc != 0
    server.restart()
    new = server.postmaster_password()
    assert new != old
    rc, _, _ = server.tegami("VerifyAccountPassword", "postmaster",
                             "PASSWORD", new)
    assert rc == 0
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", old).startswith("501")
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", new) == "200 login OK"


def test_existing_postmaster_kept_at_restart(server):
    pw = server.postmaster_password()
    server.restart()
    assert server.postmaster_password() == pw
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", pw) == "200 login OK"


def test_set_password_removes_initial_password(server):
    server.tegami("SetAccountPassword", "postmaster", "TO", "n3w-Secret")
    assert not os.path.exists(initial_password_path(server))
    server.restart()
    # Not recreated: postmaster exists.
    assert not os.path.exists(initial_password_path(server))
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", "n3w-Secret") == "200 login OK"


def test_preseeded_clear_password_is_honoured(make_server):
    s = make_server()
    os.makedirs(s.path(*PM_DIR))
    with open(s.path(*PM_DIR, "account.settings"), "w") as f:
        f.write("{ Password = cp@nel; PasswordEncryption = clear; }\n")
    s.start()
    assert not os.path.exists(initial_password_path(s))
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", "cp@nel") == "200 login OK"
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", "cpanel").startswith("501")
    assert s.tegami("VerifyAccountPassword", "postmaster", "PASSWORD",
                    "cp@nel")[0] == 0
    # A change keeps the account's PasswordEncryption (the original stores
    # a new password with the effective setting): still clear ...
    s.tegami("SetAccountPassword", "postmaster", "TO", "other")
    with open(s.path(*PM_DIR, "account.settings")) as f:
        text = f.read()
    assert "cp@nel" not in text and "Password = other;" in text
    # ... and hashed once PasswordEncryption asks for it.
    s.tegami("UpdateAccountSettings", "postmaster", "{PasswordEncryption=U-crpt;}")
    s.tegami("SetAccountPassword", "postmaster", "TO", "third")
    with open(s.path(*PM_DIR, "account.settings")) as f:
        text = f.read()
    assert "other" not in text and "third" not in text
    assert "U-crpt" in text and "$y$" in text
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", "third") == "200 login OK"
