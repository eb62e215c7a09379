# SPDX-License-Identifier: Apache-2.0
"""Directory Integration beyond accounts (docs/ldap.md): a domain rename moves
the domain's subtree (DNs and mail values follow, records an administrator
added stay), a domain delete removes it; forwarders and groups have records
(cn=<name>,cn=<domain>) kept in sync and written by Insert All; domain
aliases are associatedDomain values of the domain record; groups (CLI
CreateGroup ... ListGroups) give groupOfNames records with member DNs and
memberOf on their members; attributes an administrator adds over LDAP
survive the integration's next rewrite of the record."""
import subprocess

import pytest

ldap3 = pytest.importorskip("ldap3")
from ldap3 import BASE, SUBTREE, Connection, Server  # noqa: E402

DOMAIN = "client1.com"
SYNC = '{DirectoryIntegration="Keep In Sync";}'


def start(make_server, sync=True):
    s = make_server(services=["cli", "ldap", "smtp"]).start()
    s.tegami("CreateDomain", DOMAIN)
    if sync:
        s.tegami("UpdateDomainSettings", DOMAIN, SYNC)
    return s


def conn(s, admin=False):
    kw = {"user": "postmaster", "password": s.postmaster_password()} if admin else {}
    c = Connection(Server("127.0.0.1", port=s.ports["ldap"]), raise_exceptions=False, **kw)
    assert c.bind(), c.result
    return c


def search(s, base, flt="(objectClass=*)", attrs=("*",), scope=SUBTREE):
    c = conn(s)
    c.search(base, flt, scope, attributes=list(attrs))
    # ldap3 answers False for no entries: the result code tells
    ok = c.result["result"] == 0
    out = {e.entry_dn: e.entry_attributes_as_dict for e in c.entries} if ok else None
    c.unbind()
    return out


def cli_fails(s, *args):
    rc, out, err = s.tegami(*args, check=False)
    assert rc != 0, (args, out)
    return err + out


def test_domain_rename_moves_the_subtree(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", f"user1@{DOMAIN}", '{RealName="Ann Smith";}')
    s.tegami("CreateForwarder", f"fwd@{DOMAIN}", "TO", "someone@example.org")
    # an administrator's own record under the domain, and an attribute
    c = conn(s, admin=True)
    assert c.add(f"cn=printer,cn={DOMAIN}", ["top", "device"], {"cn": "printer"}), c.result
    assert c.modify(f"uid=user1,cn={DOMAIN}",
                    {"telephoneNumber": [(ldap3.MODIFY_ADD, ["555-0101"])]}), c.result
    c.unbind()
    s.tegami("RenameDomain", DOMAIN, "into", "client9.com")
    assert search(s, f"cn={DOMAIN}") is None            # noSuchObject
    got = search(s, "cn=client9.com", attrs=("mail", "cn", "telephoneNumber"))
    assert set(got) == {"cn=client9.com", "uid=user1,cn=client9.com",
                        "cn=fwd,cn=client9.com", "cn=printer,cn=client9.com"}
    assert got["uid=user1,cn=client9.com"]["mail"] == ["user1@client9.com"]
    assert got["uid=user1,cn=client9.com"]["telephoneNumber"] == ["555-0101"]
    assert got["cn=fwd,cn=client9.com"]["mail"] == ["fwd@client9.com"]
    assert got["cn=client9.com"]["cn"] == ["client9.com"]
    # updates go to the moved record
    s.tegami("UpdateAccountSettings", "user1@client9.com", '{RealName="Ann Other";}')
    got = search(s, "cn=client9.com", "(uid=user1)", ("cn", "telephoneNumber"))
    assert got["uid=user1,cn=client9.com"] == {"cn": ["Ann Other"],
                                               "telephoneNumber": ["555-0101"]}
    # delete: the subtree goes, records LDAP added included
    s.tegami("DeleteDomain", "client9.com", "force")
    assert search(s, "cn=client9.com") is None
    assert search(s, "", "(mail=*client9.com)") == {}


def test_domain_delete_without_integration_leaves_records(make_server):
    s = start(make_server, sync=False)
    s.tegami("CreateAccount", f"user1@{DOMAIN}")
    s.tegami("InsertDirectoryRecords", DOMAIN)
    s.tegami("DeleteDomain", DOMAIN, "force")
    assert f"uid=user1,cn={DOMAIN}" in search(s, f"cn={DOMAIN}")


def test_main_domain_rename_changes_host_server(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", f"user1@{DOMAIN}")
    _, main, _ = s.tegami("MainDomainName")
    main = main.strip()
    s.tegami("RenameDomain", main, "into", "newmain.example")
    got = search(s, f"cn={DOMAIN}", "(uid=user1)", ("hostServer",))
    assert got[f"uid=user1,cn={DOMAIN}"]["hostServer"] == ["newmain.example"]


def test_account_rename_keeps_ldap_attributes(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", f"dave@{DOMAIN}")
    c = conn(s, admin=True)
    assert c.modify(f"uid=dave,cn={DOMAIN}",
                    {"telephoneNumber": [(ldap3.MODIFY_ADD, ["555-0102"])]}), c.result
    c.unbind()
    before = search(s, f"uid=dave,cn={DOMAIN}", attrs=("entryUUID",), scope=BASE)
    s.tegami("RenameAccount", f"dave@{DOMAIN}", "into", "david")
    got = search(s, f"cn={DOMAIN}", "(|(uid=dave)(uid=david))",
                 ("uid", "mail", "telephoneNumber", "entryUUID"))
    assert list(got) == [f"uid=david,cn={DOMAIN}"]
    r = got[f"uid=david,cn={DOMAIN}"]
    assert r["mail"] == [f"david@{DOMAIN}"] and r["uid"] == ["david"]
    assert r["telephoneNumber"] == ["555-0102"]
    assert r["entryUUID"] == before[f"uid=dave,cn={DOMAIN}"]["entryUUID"]


def test_admin_attributes_survive_settings_updates(make_server):
    """Issue 12: an attribute added with ldapmodify stays when Directory
    Integration rewrites the record; the attributes it owns are replaced."""
    s = start(make_server)
    s.tegami("CreateAccount", f"user1@{DOMAIN}", '{RealName="Ann Smith";}')
    ldif = f"""dn: uid=user1,cn={DOMAIN}
changetype: modify
add: telephoneNumber
telephoneNumber: +1 555 0100
-
add: objectClass
objectClass: posixAccount
-
replace: sn
sn: ByHand

"""
    p = subprocess.run(["ldapmodify", "-x", "-H", f"ldap://127.0.0.1:{s.ports['ldap']}",
                        "-D", "postmaster", "-w", s.postmaster_password()],
                       input=ldif, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    s.tegami("UpdateAccountSettings", f"user1@{DOMAIN}", '{RealName="Ann Jones";}')
    r = search(s, f"cn={DOMAIN}", "(uid=user1)",
               ("cn", "sn", "telephoneNumber", "objectClass"))[f"uid=user1,cn={DOMAIN}"]
    assert r["cn"] == ["Ann Jones"]
    assert r["sn"] == ["Jones"]                     # owned: rebuilt from cn
    assert r["telephoneNumber"] == ["+1 555 0100"]  # not owned: kept
    assert "posixAccount" in r["objectClass"] and "inetOrgPerson" in r["objectClass"]
    # Insert All merges too
    s.tegami("InsertDirectoryRecords", DOMAIN)
    r = search(s, f"cn={DOMAIN}", "(uid=user1)", ("telephoneNumber",))
    assert r[f"uid=user1,cn={DOMAIN}"]["telephoneNumber"] == ["+1 555 0100"]


def test_forwarder_records(make_server):
    s = start(make_server)
    s.tegami("CreateForwarder", f"sales@{DOMAIN}", "TO", "boss@example.org")
    got = search(s, f"cn={DOMAIN}", "(mail=sales@client1.com)",
                 ("objectClass", "mail", "mailForwardingAddress", "cn"))
    r = got[f"cn=sales,cn={DOMAIN}"]
    assert r["mailForwardingAddress"] == ["boss@example.org"] and r["cn"] == ["sales"]
    assert "inetLocalMailRecipient" in r["objectClass"]
    s.tegami("DeleteForwarder", f"sales@{DOMAIN}")
    assert search(s, f"cn={DOMAIN}", "(cn=sales)") == {}
    # Insert All makes it, Delete All removes it
    s.tegami("CreateForwarder", f"info@{DOMAIN}", "TO", "x@example.org")
    s.tegami("DeleteDirectoryRecords", DOMAIN)
    assert search(s, f"cn={DOMAIN}") is None
    _, out, _ = s.tegami("InsertDirectoryRecords", DOMAIN)
    assert out == "#2"
    assert f"cn=info,cn={DOMAIN}" in search(s, f"cn={DOMAIN}")


def test_domain_aliases_in_the_domain_record(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", f"user1@{DOMAIN}")
    s.tegami("SetDomainAliases", DOMAIN, "(client1.net, client1.org)")
    r = search(s, f"cn={DOMAIN}", attrs=("associatedDomain", "objectClass"),
               scope=BASE)[f"cn={DOMAIN}"]
    assert sorted(r["associatedDomain"]) == ["client1.net", "client1.org"]
    assert "domainRelatedObject" in r["objectClass"]
    assert search(s, "", "(associatedDomain=client1.net)", ("1.1",)) == {f"cn={DOMAIN}": {}}
    s.tegami("SetDomainAliases", DOMAIN, "()")
    r = search(s, f"cn={DOMAIN}", attrs=("associatedDomain",), scope=BASE)[f"cn={DOMAIN}"]
    assert r.get("associatedDomain", []) == []


def test_groups_cli(make_server):
    s = start(make_server, sync=False)
    s.tegami("CreateAccount", f"user1@{DOMAIN}")
    s.tegami("CreateGroup", f"team@{DOMAIN}", '{RealName="The Team"; Members=(user1);}')
    _, out, _ = s.tegami("ListGroups", DOMAIN)
    assert out == "(team)"
    _, out, _ = s.tegami("GetGroup", f"team@{DOMAIN}")
    assert "The Team" in out and "user1" in out
    s.tegami("SetGroup", f"team@{DOMAIN}", '{Members=(user1, "x@example.org");}')
    _, out, _ = s.tegami("GetGroup", f"team@{DOMAIN}")
    assert "x@example.org" in out and "The Team" not in out
    assert "already exists" in cli_fails(s, "CreateGroup", f"user1@{DOMAIN}")
    assert "already exists" in cli_fails(s, "CreateAccount", f"team@{DOMAIN}")
    assert "array expected" in cli_fails(s, "SetGroup", f"team@{DOMAIN}", "{Members=x;}")
    s.tegami("RenameGroup", f"team@{DOMAIN}", "into", "crew")
    _, out, _ = s.tegami("ListGroups", DOMAIN)
    assert out == "(crew)"
    assert "not empty" in cli_fails(s, "DeleteDomain", DOMAIN)
    s.tegami("DeleteGroup", f"crew@{DOMAIN}")
    assert "unknown group" in cli_fails(s, "GetGroup", f"crew@{DOMAIN}")
    _, out, _ = s.tegami("ListGroups", DOMAIN)
    assert out == "()"
    # groups are kept across a restart
    s.tegami("CreateGroup", f"kept@{DOMAIN}")
    s.stop()
    s.start()
    _, out, _ = s.tegami("ListGroups", DOMAIN)
    assert out == "(kept)"


def test_group_records_and_member_of(make_server):
    s = start(make_server)
    for n in ("user1", "user2"):
        s.tegami("CreateAccount", f"{n}@{DOMAIN}")
    s.tegami("SetAccountAliases", f"user2@{DOMAIN}", "(bob)")
    s.tegami("CreateGroup", f"team@{DOMAIN}",
             '{RealName="The Team"; Members=(user1, "bob@client1.com", "x@example.org");}')
    s.tegami("CreateGroup", f"all@{DOMAIN}", '{Members=(team, user1);}')
    r = search(s, f"cn={DOMAIN}", "(cn=team)", ("objectClass", "member", "mail",
                                                "description"))[f"cn=team,cn={DOMAIN}"]
    assert "groupOfNames" in r["objectClass"]
    assert sorted(r["member"]) == [f"uid=user1,cn={DOMAIN}", f"uid=user2,cn={DOMAIN}"]
    assert r["mail"] == [f"team@{DOMAIN}"] and r["description"] == ["The Team"]
    # memberOf: by name, or with "+"; not with "*"
    got = search(s, f"cn={DOMAIN}", "(uid=user1)", ("memberOf",))
    assert sorted(got[f"uid=user1,cn={DOMAIN}"]["memberOf"]) == \
        [f"cn=all,cn={DOMAIN}", f"cn=team,cn={DOMAIN}"]
    got = search(s, f"cn={DOMAIN}", "(uid=user2)", ("+",))
    assert got[f"uid=user2,cn={DOMAIN}"]["memberOf"] == [f"cn=team,cn={DOMAIN}"]
    got = search(s, f"cn={DOMAIN}", "(cn=team)", ("memberOf",))
    assert got[f"cn=team,cn={DOMAIN}"]["memberOf"] == [f"cn=all,cn={DOMAIN}"]
    got = search(s, f"cn={DOMAIN}", "(uid=user2)", ("*",))
    assert "memberOf" not in got[f"uid=user2,cn={DOMAIN}"]
    # memberOf in a filter: the group's members (the DN's spelling does
    # not matter); an unknown group matches nothing; combined with others
    team = f"CN=Team, cn={DOMAIN.upper()}"
    assert set(search(s, "", f"(memberOf={team})", ("1.1",))) == \
        {f"uid=user1,cn={DOMAIN}", f"uid=user2,cn={DOMAIN}"}
    assert set(search(s, f"cn={DOMAIN}",
                      f"(&(objectClass=*)(memberOf=cn=all,cn={DOMAIN}))",
                      ("1.1",))) == {f"cn=team,cn={DOMAIN}", f"uid=user1,cn={DOMAIN}"}
    assert set(search(s, f"cn={DOMAIN}",
                      f"(&(uid=*)(!(memberOf=cn=all,cn={DOMAIN})))",
                      ("1.1",))) == {f"uid=user2,cn={DOMAIN}"}
    assert search(s, f"cn={DOMAIN}", f"(memberOf=cn=nogroup,cn={DOMAIN})",
                  ("1.1",)) == {}
    # SetGroup rewrites the record; DeleteGroup removes it
    s.tegami("SetGroup", f"team@{DOMAIN}", '{Members=(user2);}')
    got = search(s, f"cn={DOMAIN}", "(uid=user1)", ("memberOf",))
    assert got[f"uid=user1,cn={DOMAIN}"]["memberOf"] == [f"cn=all,cn={DOMAIN}"]
    s.tegami("RenameGroup", f"team@{DOMAIN}", "into", "crew")
    assert set(search(s, f"cn={DOMAIN}", "(objectClass=groupOfNames)", ("1.1",))) == \
        {f"cn=crew,cn={DOMAIN}", f"cn=all,cn={DOMAIN}"}
    s.tegami("DeleteGroup", f"crew@{DOMAIN}")
    got = search(s, f"cn={DOMAIN}", "(uid=user2)", ("memberOf",))
    assert got[f"uid=user2,cn={DOMAIN}"].get("memberOf", []) == []
    # a member account renamed or deleted: the group records follow
    # (the old name is no member any more, as for delivery)
    s.tegami("SetGroup", f"all@{DOMAIN}", '{Members=(user1, user2);}')
    s.tegami("RenameAccount", f"user1@{DOMAIN}", "into", "user9")
    got = search(s, f"cn={DOMAIN}", "(cn=all)", ("member",))
    assert got[f"cn=all,cn={DOMAIN}"]["member"] == [f"uid=user2,cn={DOMAIN}"]
    s.tegami("DeleteAccount", f"user2@{DOMAIN}")
    got = search(s, f"cn={DOMAIN}", "(cn=all)", ("member",))
    assert got[f"cn=all,cn={DOMAIN}"].get("member", []) == []
    s.tegami("CreateAccount", f"user2@{DOMAIN}")
    # Delete All then Insert All: the domain, 2 accounts, 1 group
    s.tegami("DeleteDirectoryRecords", DOMAIN)
    _, out, _ = s.tegami("InsertDirectoryRecords", DOMAIN)
    assert out == "#4"
    assert f"cn=all,cn={DOMAIN}" in search(s, f"cn={DOMAIN}", "(objectClass=groupOfNames)")


def test_mail_to_a_group_reaches_its_members(make_server):
    """Mail to a group goes to every member (nested groups expanded, each
    address once); Route shows GROUP(...); a group cannot log in."""
    from conftest import deliver
    from storeutil import account_dir, bodies, wait_for
    s = start(make_server, sync=False)
    for n in ("ann", "bob", "cy"):
        s.tegami("CreateAccount", f"{n}@{DOMAIN}")
    s.tegami("CreateGroup", f"inner@{DOMAIN}", '{Members=(cy, ann);}')
    s.tegami("CreateGroup", f"team@{DOMAIN}",
             '{Members=(ann, "bob@client1.com", inner, team, "nobody@client1.com");}')
    _, out, _ = s.tegami("Route", f"team@{DOMAIN}")
    assert "GROUP" in out and f"team@{DOMAIN}" in out
    msg = (b"From: x@example.org\r\nTo: team@client1.com\r\nSubject: group\r\n\r\n"
           b"hello team\r\n")
    deliver(s, f"team@{DOMAIN}", msg)
    def inbox(n):
        return bodies(account_dir(s.base, n, DOMAIN))
    for n in ("ann", "bob", "cy"):
        assert wait_for(lambda: len(inbox(n)) >= 1), s.log_text()[-2000:]
        assert b"hello team" in inbox(n)[0]
    assert s.wait_log(r"GROUP team@client1\.com: queue id \d+ expanded to 4 addresses")
    import time
    time.sleep(0.5)
    assert len(inbox("ann")) == 1       # once, though listed twice
    # not a login name
    rc, out, err = s.tegami("Route", f"team@{DOMAIN}", "access", check=False)
    assert "GROUP" not in out


def test_group_limits(make_server):
    """GROUP_MEMBERS_MAX (10,000 members) and GROUP_NEST_MAX (8 groups
    deep): one past each is refused, or left out and logged."""
    from conftest import deliver
    from storeutil import account_dir, bodies, wait_for
    s = start(make_server, sync=False)
    members = ", ".join(f"m{i}" for i in range(10000))
    s.tegami("CreateGroup", f"big@{DOMAIN}", "{Members=(%s);}" % members)
    assert "more than 10000 members" in cli_fails(
        s, "SetGroup", f"big@{DOMAIN}", "{Members=(%s, one_more);}" % members)
    _, out, _ = s.tegami("GetGroup", f"big@{DOMAIN}")
    assert "one_more" not in out and "m9999" in out
    # g0 -> g1 -> ... -> g7 (8 levels): each group holds an account and
    # the next one; every account gets the message
    for i in range(9):
        s.tegami("CreateAccount", f"a{i}@{DOMAIN}")
    for i in range(7, -1, -1):
        inner = f", g{i + 1}" if i < 7 else ""
        s.tegami("CreateGroup", f"g{i}@{DOMAIN}", "{Members=(a%d%s);}" % (i, inner))
    deliver(s, f"g0@{DOMAIN}", b"From: x@example.org\r\nSubject: deep\r\n\r\ndeep\r\n")
    for i in range(8):
        assert wait_for(lambda: len(bodies(account_dir(s.base, f"a{i}", DOMAIN))) == 1), i
    # one level more: the group's recipient fails (a DSN tells the sender)
    s.tegami("CreateGroup", f"g8@{DOMAIN}", "{Members=(a8);}")
    s.tegami("SetGroup", f"g7@{DOMAIN}", "{Members=(a7, g8);}")
    deliver(s, f"g0@{DOMAIN}", b"From: x@example.org\r\nSubject: deeper\r\n\r\nx\r\n")
    assert s.wait_log(r"g0@client1\.com failed: groups nested deeper than 8")
    assert bodies(account_dir(s.base, "a8", DOMAIN)) == []
    assert len(bodies(account_dir(s.base, "a0", DOMAIN))) == 1
