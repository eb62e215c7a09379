# SPDX-License-Identifier: Apache-2.0
"""Router results through the admin CLI `Route` command (and logins over the
CLI for B1/B2): Router Table records, prefixes, wildcards, pseudo-domains,
domain aliases, unknown-name policies, B1 B2 B6 B7 B14 of docs/behaviour.md."""

import pytest

from conftest import CliClient

MAIN = "test.example"


def route(s, *args):
    rc, out, err = s.tegami("Route", *args, check=False)
    return out if rc == 0 else ("ERROR", err)


def local(account, domain=MAIN):
    return f'(LOCAL, {account}, "{account}@{domain}")'


def test_b1_router_applies_to_login_names(server):
    s = server
    s.tegami("CreateAccount", "abc", '{Password="abcpw";}')
    s.tegami("SetRouterTable", "<postmaster> = abc")
    assert route(s, "postmaster", "access") == local("abc")
    assert route(s, "postmaster") == local("abc")
    # Logging in as postmaster now opens abc: abc's password, abc's rights.
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", s.postmaster_password()).startswith("501")
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", "abcpw") == "200 login OK"
        st = c.cmd("ListDomains")
        assert st.startswith("501") and "right" in st
    assert s.wait_log(r"'abc@test\.example' connected")


def test_b2_postmaster_local_keeps_the_login(server):
    s = server
    s.tegami("SetRouterTable", "<postmaster> = pm@postmaster.local")
    assert route(s, "postmaster", "access") == local("postmaster")
    assert route(s, "postmaster") == local("postmaster")
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", s.postmaster_password()) == "200 login OK"
        assert c.data("MainDomainName")[0] == "200 data follow"
    # .local always names a main-domain account: abcdef@nnn.local -> nnn.
    s.tegami("CreateAccount", "nnn")
    assert route(s, "abcdef@nnn.local") == local("nnn")


def test_b7_via_records(server):
    s = server
    s.tegami("SetRouterTable",
             "client1.com = client1.com@mainhost.com.via\n"
             "client2.com = client2.com@mainhost.com.via\n")
    assert route(s, "user@client1.com") == \
        '(SMTP, mainhost.com, "user@client1.com")'
    assert route(s, "other@client2.com") == \
        '(SMTP, mainhost.com, "other@client2.com")'
    # Other domains are not affected.
    assert route(s, "user@client3.com") == \
        '(SMTP, client3.com, "user@client3.com")'


def test_b14_loginpage(server):
    s = server
    r = route(s, "LoginPage@mail", "access")
    assert r[0] == "ERROR"
    s.tegami("SetDomainAliases", MAIN, "(mail)")
    r = route(s, "LoginPage@mail", "access")
    assert r.startswith("(LOCAL, LoginPage, ") and r.endswith(f'@{MAIN}")')
    assert route(s, "user@mail") != local("user")    # no such account
    s.tegami("CreateDomain", "client1.com")
    r = route(s, "LoginPage@client1.com", "access")
    assert r.endswith('@client1.com")')


def test_b6_return_path_alias(server):
    s = server
    assert route(s, f"webform@{MAIN}")[0] == "ERROR"
    s.tegami("SetAccountAliases", "postmaster", "(webform)")
    assert route(s, f"webform@{MAIN}") == local("postmaster")
    assert route(s, "WebForm") == local("postmaster")     # case-insensitive


def test_wildcards_with_substitution(server):
    s = server
    s.tegami("CreateAccount", "foo-w")
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "sales@client1.com")
    s.tegami("SetRouterTable",
             "<*@wild.example> = *-w\n"
             "<*.*@dots.example> = *@client1.com ; only the first star used\n"
             "*.client1.com = client1.com\n")
    assert route(s, "foo@wild.example") == '(LOCAL, "foo-w", "foo-w@test.example")'
    assert route(s, "bar@wild.example")[0] == "ERROR"
    assert route(s, "sales@eu.client1.com") == local("sales", "client1.com")
    assert route(s, "sales@a.b.client1.com") == local("sales", "client1.com")


def test_prefixes(server):
    s = server
    s.tegami("CreateAccount", "target")
    s.tegami("SetRouterTable",
             "Mail:<onlymail> = target\n"
             "Access:<onlyaccess> = target\n"
             "<both> = target\n")
    assert route(s, "onlymail") == local("target")
    assert route(s, "onlymail", "access")[0] == "ERROR"
    assert route(s, "onlyaccess")[0] == "ERROR"
    assert route(s, "onlyaccess", "access") == local("target")
    assert route(s, "both", "mail") == local("target")
    assert route(s, "both", "access") == local("target")
    assert route(s, "both", "signal") == local("target")


def test_forwarder(server):
    s = server
    s.tegami("CreateForwarder", "fw", "TO", "ext@remote.example")
    assert route(s, "fw") == '(SMTP, remote.example, "ext@remote.example")'
    s.tegami("CreateForwarder", "fw2", "TO", "postmaster")
    assert route(s, "fw2") == local("postmaster")


def test_unknown_names_policy(server):
    s = server
    s.tegami("CreateDomain", "d.example")
    assert route(s, "nobody@d.example")[0] == "ERROR"
    s.tegami("UpdateDomainSettings", "d.example",
             '{MailToUnknown="Rerouted to"; MailRerouteAddress="catch@d.example";}')
    # The reroute target must exist.
    assert route(s, "nobody@d.example")[0] == "ERROR"
    s.tegami("CreateAccount", "catch@d.example")
    assert route(s, "nobody@d.example") == local("catch", "d.example")
    # Only for mail: logins with unknown names still fail.
    assert route(s, "nobody@d.example", "access")[0] == "ERROR"
    s.tegami("UpdateDomainSettings", "d.example", "{MailToUnknown=Discarded;}")
    assert route(s, "nobody@d.example").startswith("(NULL")
    s.tegami("UpdateDomainSettings", "d.example", "{MailToUnknown=Rejected;}")
    assert route(s, "nobody@d.example")[0] == "ERROR"
    # postmaster of any domain falls back to the main domain's.
    assert route(s, "postmaster@d.example") == local("postmaster")


def test_domain_aliases(server):
    s = server
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "user@client1.com")
    assert route(s, "user@mail.client1.com") == \
        '(SMTP, mail.client1.com, "user@mail.client1.com")'
    s.tegami("SetDomainAliases", "client1.com", "(mail.client1.com)")
    assert route(s, "user@mail.client1.com") == local("user", "client1.com")
    assert route(s, "USER@Mail.Client1.COM") == local("user", "client1.com")


def test_ip_literals_and_pseudo_domains(server):
    s = server
    s.tegami("CreateAccount", "user2")
    assert route(s, "x@[127.0.0.1]")[0] == "ERROR"       # no account x
    assert route(s, "user2@[127.0.0.1]") == local("user2")
    assert route(s, "user2@[192.0.2.7]") == \
        '(SMTP, "[192.0.2.7]", "user2@[192.0.2.7]")'
    assert route(s, "x@remote.example.smtp") == \
        '(SMTP, remote.example, "x@remote.example")'
    s.tegami("SetRouterTable", "<drop> = x@null\n<refuse> = x@error\n")
    assert route(s, "drop").startswith("(NULL")
    assert route(s, "refuse")[0] == "ERROR"


def test_percent_hack(server):
    s = server
    s.tegami("CreateDomain", "client2.com")
    s.tegami("CreateAccount", "info@client2.com", '{Password="ipw";}')
    assert route(s, "info%client2.com") == local("info", "client2.com")
    assert route(s, "info%client2.com", "access") == local("info", "client2.com")
    with CliClient(s.ports["cli"]) as c:
        assert c.login("info%client2.com", "ipw") == "200 login OK"


def test_routing_loop_is_an_error(server):
    s = server
    s.tegami("SetRouterTable", "<loop1> = loop2\n<loop2> = loop1\n")
    r = route(s, "loop1")
    assert r[0] == "ERROR" and "loop" in r[1]
    # The server is fine afterwards.
    assert route(s, "postmaster") == local("postmaster")


@pytest.mark.parametrize("addr", ["a@b@c", "@", "user@", "<>", "a b@c",
                                  "x@[1.2.3]", "x" * 2000 + "@a.example"])
def test_malformed_addresses(server, addr):
    r = route(server, addr)
    assert r[0] == "ERROR" and r[1]


def test_bad_router_table_refused_with_line(server):
    s = server
    s.tegami("SetRouterTable", "<a> = postmaster")
    rc, _, err = s.tegami("SetRouterTable", "<a> = postmaster\nbroken line\n",
                          check=False)
    assert rc != 0 and "line 2" in err
    assert s.tegami("GetRouterTable")[1] == "<a> = postmaster"
    assert route(s, "a") == local("postmaster")
