# SPDX-License-Identifier: Apache-2.0
"""The `tegami` admin command over the control socket: domains, aliases,
accounts, forwarders, passwords, settings inheritance, IP lists, module
settings, exit codes and argument quoting."""

import os
import re
import subprocess

from conftest import TEGAMI


def settings_dict(text):
    """Very small reader for the pretty-printed dictionaries tegami prints:
    top-level `key = value;` lines."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\t(\S+) = (.*);$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_help_lists_commands():
    p = subprocess.run([TEGAMI, "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    for cmd in ["CreateAccount", "CreateDomain", "SetDomainAliases",
                "SetAccountAliases", "Route", "SetRouterTable", "UpdateModule",
                "WriteLog", "SetClientIPs", "VerifyAccountPassword"]:
        assert re.search(rf"^\s+{cmd}\b", p.stdout, re.M), cmd


def test_without_server_clear_error(tmp_path):
    p = subprocess.run([TEGAMI, "--base", str(tmp_path), "ListDomains"],
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert str(tmp_path) in p.stderr and "running" in p.stderr
    p = subprocess.run([TEGAMI], capture_output=True, text=True)
    assert p.returncode != 0 and "usage" in p.stderr


def test_tegami_base_env(server):
    env = dict(os.environ, TEGAMI_BASE=server.base)
    p = subprocess.run([TEGAMI, "MainDomainName"], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 0 and p.stdout.strip() == server.domain
    # --base wins over the environment.
    env["TEGAMI_BASE"] = "/nonexistent/tegami"
    p = subprocess.run([TEGAMI, "--base", server.base, "MainDomainName"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout.strip() == server.domain


def test_exit_codes_and_error_text(server):
    assert server.tegami("CreateAccount", "user1")[0] == 0
    rc, out, err = server.tegami("CreateAccount", "user1", check=False)
    assert rc != 0
    assert "Account with this name already exists" in err
    rc, out, err = server.tegami("NoSuchCommand", check=False)
    assert rc != 0 and err
    rc, out, err = server.tegami("GetAccountSettings", "nobody", check=False)
    assert rc != 0 and err


def test_domains_accounts_aliases(server):
    s = server
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "user1@client1.com", '{Password="x";}')
    assert "client1.com" in s.tegami("ListDomains")[1]
    assert "user1" in s.tegami("ListAccounts", "client1.com")[1]
    s.tegami("SetDomainAliases", "client1.com", "(mail.client1.com)")
    assert "mail.client1.com" in s.tegami("GetDomainAliases", "client1.com")[1]
    assert s.tegami("Route", "user1@mail.client1.com")[1] == \
        '(LOCAL, user1, "user1@client1.com")'
    s.tegami("SetAccountAliases", "user1@client1.com", "(u1, first)")
    assert s.tegami("GetAccountAliases", "user1@client1.com")[1] == "(u1, first)"
    assert s.tegami("Route", "first@client1.com")[1] == \
        '(LOCAL, user1, "user1@client1.com")'
    # Names are unique across object kinds, case-insensitively.
    rc, _, err = s.tegami("CreateAccount", "FIRST@client1.com", check=False)
    assert rc != 0
    s.tegami("RenameDomain", "client1.com", "into", "client9.com")
    assert s.tegami("Route", "u1@client9.com")[1] == \
        '(LOCAL, user1, "user1@client9.com")'
    s.tegami("DeleteAccount", "user1@client9.com")
    s.tegami("DeleteDomain", "client9.com")
    assert "client9.com" not in s.tegami("ListDomains")[1]


def test_forwarders(server):
    s = server
    s.tegami("CreateForwarder", "fw", "TO", "someone@remote.example")
    assert s.tegami("GetForwarder", "fw")[1] == "someone@remote.example"
    assert "fw" in s.tegami("ListForwarders")[1]
    assert s.tegami("Route", "fw")[1] == \
        '(SMTP, remote.example, "someone@remote.example")'
    rc, _, _ = s.tegami("CreateAccount", "fw", check=False)
    assert rc != 0
    s.tegami("DeleteForwarder", "fw")
    assert s.tegami("Route", "fw", check=False)[0] != 0


def test_passwords(server):
    s = server
    s.tegami("CreateAccount", "pw", '{Password="first";}')
    assert s.tegami("VerifyAccountPassword", "pw", "PASSWORD", "first")[0] == 0
    rc, _, err = s.tegami("VerifyAccountPassword", "pw", "PASSWORD", "bad",
                          check=False)
    assert rc != 0 and "password" in err
    s.tegami("SetAccountPassword", "pw", "TO", "sec ond\"pw")
    assert s.tegami("VerifyAccountPassword", "pw", "PASSWORD",
                    "sec ond\"pw")[0] == 0
    assert s.tegami("VerifyAccountPassword", "pw", "PASSWORD", "first",
                    check=False)[0] != 0
    # Never stored in clear, never shown.
    out = s.tegami("GetAccountSettings", "pw")[1]
    assert "sec ond" not in out


def test_settings_inheritance(server):
    s = server
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "user1@client1.com")
    s.tegami("UpdateServerAccountDefaults", "{MaxAccountSize=10M;}")
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings",
                                 "user1@client1.com")[1])
    assert eff["MaxAccountSize"] == "10M"
    own = settings_dict(s.tegami("GetAccountSettings", "user1@client1.com")[1])
    assert "MaxAccountSize" not in own
    # Domain level overrides the server level.
    s.tegami("UpdateAccountDefaults", "client1.com", "{MaxAccountSize=20M;}")
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings",
                                 "user1@client1.com")[1])
    assert eff["MaxAccountSize"] == "20M"
    # ... only for that domain.
    s.tegami("CreateAccount", "mainuser")
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings", "mainuser")[1])
    assert eff["MaxAccountSize"] == "10M"
    # Account level overrides both.
    s.tegami("UpdateAccountSettings", "user1@client1.com",
             "{MaxAccountSize=30M;}")
    assert settings_dict(s.tegami("GetAccountSettings",
                                  "user1@client1.com")[1])["MaxAccountSize"] == "30M"
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings",
                                 "user1@client1.com")[1])
    assert eff["MaxAccountSize"] == "30M"
    # "default" removes the account's own value.
    s.tegami("UpdateAccountSettings", "user1@client1.com",
             "{MaxAccountSize=default;}")
    own = settings_dict(s.tegami("GetAccountSettings", "user1@client1.com")[1])
    assert "MaxAccountSize" not in own
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings",
                                 "user1@client1.com")[1])
    assert eff["MaxAccountSize"] == "20M"
    # Survives a restart.
    s.restart()
    eff = settings_dict(s.tegami("GetAccountEffectiveSettings",
                                 "user1@client1.com")[1])
    assert eff["MaxAccountSize"] == "20M"


def test_multiline_dictionary_argument(server):
    server.tegami("CreateAccount", "ml")
    server.tegami("UpdateAccountSettings", "ml",
                  "{\n\tMaxAccountSize = 5M;\n\tRealName = \"M L\";\n}")
    own = settings_dict(server.tegami("GetAccountSettings", "ml")[1])
    assert own["MaxAccountSize"] == "5M"
    assert own["RealName"] == '"M L"'
    # The output of a Get can be fed back as is.
    out = server.tegami("GetAccountSettings", "ml")[1]
    server.tegami("SetAccountSettings", "ml", out)
    assert server.tegami("GetAccountSettings", "ml")[1] == out


def test_ip_lists(server):
    s = server
    s.tegami("SetClientIPs", "127.0.0.1\n10.0.0.0/8")
    assert s.tegami("GetClientIPs")[1] == "127.0.0.1\n10.0.0.0/8"
    rc, _, err = s.tegami("SetClientIPs", "127.0.0.1\n10.0.0.300", check=False)
    assert rc != 0
    assert "line 2" in err
    # The old list stays.
    assert s.tegami("GetClientIPs")[1] == "127.0.0.1\n10.0.0.0/8"
    s.tegami("SetBlacklistedIPs",
             "192.0.2.1-192.0.2.9 ; test net\n!192.0.2.5\n2001:db8::/32")
    out = s.tegami("GetBlacklistedIPs")[1]
    assert "2001:db8::/32" in out and "!192.0.2.5" in out
    s.restart()
    assert s.tegami("GetClientIPs")[1] == "127.0.0.1\n10.0.0.0/8"


def test_module_settings(server):
    s = server
    assert s.tegami("GetModule", "SMTP")[0] == 0
    s.tegami("UpdateModule", "SMTP", "{LogLevel=5;}")
    assert settings_dict(s.tegami("GetModule", "SMTP")[1])["LogLevel"] == "5"
    with open(s.path("Settings", "SMTP.settings")) as f:
        assert "LogLevel" in f.read()
    rc, _, err = s.tegami("UpdateModule", "SMTP", "{LogLevel=9;}", check=False)
    assert rc != 0 and "LogLevel" in err
    assert settings_dict(s.tegami("GetModule", "SMTP")[1])["LogLevel"] == "5"


def test_argument_quoting(server):
    s = server
    # Plain text is sent quoted: spaces, '<', '=' survive.
    s.tegami("SetRouterTable", "<postmaster> = abc")
    assert s.tegami("GetRouterTable")[1] == "<postmaster> = abc"
    # Newlines become \e: a multi-line table.
    s.tegami("SetRouterTable", "<a1> = postmaster\n<a2> = a1 ; chained\n")
    assert s.tegami("GetRouterTable")[1].splitlines() == \
        ["<a1> = postmaster", "<a2> = a1 ; chained"]
    assert s.tegami("Route", "a2")[1] == \
        '(LOCAL, postmaster, "postmaster@test.example")'
    # A whole object is sent as it is.
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "user1@client1.com", '{Password="x";}')
    assert s.tegami("VerifyAccountPassword", "user1@client1.com", "PASSWORD",
                    "x")[0] == 0
    s.tegami("WriteLog", "2", "hello from tegami \"quoted\"")
    assert s.wait_log(r'(?m)^\S+ 2 PWD .*hello from tegami \\?"quoted')
    # An empty argument is an empty string.
    rc, _, _ = s.tegami("CreateAccount", "", check=False)
    assert rc != 0
