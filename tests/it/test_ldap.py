# SPDX-License-Identifier: Apache-2.0
"""The LDAP server (docs/ldap.md) with real clients: OpenLDAP's ldapsearch,
ldapwhoami, ldapcompare, ldapmodify, ldappasswd (ldap-utils) and Python's
ldap3.  Searches from cn=<domain>, from top and the empty base, from c=US
(B11); every filter kind; attribute selection; size limits; paging through
2,500 records in pages of 100; the rootDSE; binds right and wrong (B5 from a
non-client address); StartTLS and ldaps; Who-am-I and Password Modify;
administrators' add/modify/modrdn/delete as account provisioning."""
import os
import socket
import subprocess

import pytest

ldap3 = pytest.importorskip("ldap3")
from ldap3 import (ALL, BASE, LEVEL, SUBTREE, Connection, Server,  # noqa: E402
                   Tls)

DOMAIN = "client1.com"
PEOPLE = [("user1", "Ann Smith", "secret1"), ("user2", "Bob Jones", "secret2"),
          ("anna", "Anna Karenina", "secret3"), ("carl", "Carl Annfield", "x4"),
          ("dave", "Dave", "x5")]


def start(make_server, integration=True):
    s = make_server(services=["cli", "ldap", "ldaps"]).start()
    s.tegami("CreateDomain", DOMAIN)
    if integration:
        s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    for name, real, pw in PEOPLE:
        s.tegami("CreateAccount", f"{name}@{DOMAIN}", f'{{RealName="{real}";Password="{pw}";}}')
    return s


def url(s, tls=False):
    return (f"ldaps://127.0.0.1:{s.ports['ldaps']}" if tls else
            f"ldap://127.0.0.1:{s.ports['ldap']}")


def run(*args, env=None):
    e = dict(os.environ, LDAPTLS_REQCERT="never")
    e.update(env or {})
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, env=e,
                          stdin=subprocess.DEVNULL)


def dns(out):
    return sorted(line[4:] for line in out.splitlines() if line.startswith("dn: "))


def conn(s, user=None, password=None, **kw):
    srv = Server("127.0.0.1", port=s.ports["ldap"], get_info=ALL if kw.pop("info", False)
                 else None)
    c = Connection(srv, user=user, password=password, raise_exceptions=False, **kw)
    assert c.bind(), c.result
    return c


def admin(s):
    return conn(s, "postmaster", s.postmaster_password())


# ---- B11: search bases ------------------------------------------------------------

def test_search_bases_with_ldapsearch(make_server):
    s = start(make_server)
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", f"cn={DOMAIN}", "(objectClass=*)")
    assert p.returncode == 0, p.stderr
    want = [f"cn={DOMAIN}"] + sorted(f"uid={n},cn={DOMAIN}" for n, _, _ in PEOPLE)
    assert dns(p.stdout) == sorted(want)
    assert "mail: user1@client1.com" in p.stdout
    assert "cn: Ann Smith" in p.stdout and "sn: Smith" in p.stdout
    assert "givenName: Ann" in p.stdout and "hostServer: test.example" in p.stdout
    # top and the empty base (scope sub): the whole directory
    for base in ("top", ""):
        p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", base, "(objectClass=*)")
        assert p.returncode == 0 and dns(p.stdout) == sorted(want), (base, p.stdout)
    # c=US (a client's default when the field is empty): noSuchObject
    p = run("ldapsearch", "-x", "-H", url(s), "-b", "c=US", "(objectClass=*)")
    assert p.returncode == 32 and "No such object" in p.stdout
    # scopes with ldap3
    c = conn(s)
    assert c.search(f"cn={DOMAIN}", "(objectClass=*)", BASE)
    assert [e.entry_dn for e in c.entries] == [f"cn={DOMAIN}"]
    assert c.search(f"cn={DOMAIN}", "(objectClass=*)", LEVEL)
    assert len(c.entries) == len(PEOPLE)
    assert c.search(f"UID=User1,CN={DOMAIN.upper()}", "(objectClass=*)", BASE)
    assert len(c.entries) == 1
    c.search("uid=nobody,cn=client1.com", "(objectClass=*)", BASE)
    assert c.result["result"] == 32 and c.result["dn"] == f"cn={DOMAIN}"
    c.unbind()


def test_root_dse(make_server):
    s = start(make_server)
    c = conn(s, info=True)
    info = c.server.info
    assert f"cn={DOMAIN}" in info.naming_contexts
    assert "3" in [str(v) for v in info.supported_ldap_versions]
    ctrls = [x[0] for x in info.supported_controls]
    exts = [x[0] for x in info.supported_extensions]
    assert "1.2.840.113556.1.4.319" in ctrls
    assert {"1.3.6.1.4.1.1466.20037", "1.3.6.1.4.1.4203.1.11.3",
            "1.3.6.1.4.1.4203.1.11.1"} <= set(exts)
    c.unbind()


# ---- filters ----------------------------------------------------------------------------

FILTERS = [
    ("(uid=user1)", ["user1"]),
    ("(UID=USER1)", ["user1"]),                        # names and values ignore case
    ("(cn=Ann*)", ["anna", "user1"]),
    ("(cn=*nn*)", ["anna", "carl", "user1"]),
    ("(cn=*Smith)", ["user1"]),
    ("(cn=A*a*ina)", ["anna"]),
    ("(&(objectClass=person)(sn=Jones))", ["user2"]),
    ("(|(uid=user1)(uid=dave))", ["dave", "user1"]),
    ("(&(objectClass=person)(!(uid=user1)))", ["anna", "carl", "dave", "user2"]),
    ("(uid>=d)", ["dave", "user1", "user2"]),
    ("(uid<=b)", ["anna"]),
    ("(givenName=*)", ["anna", "carl", "user1", "user2"]),   # dave has one word
    ("(uid~=CARL)", ["carl"]),                         # approx as equality
    # an attribute no record has is Undefined: never an error
    ("(description=x)", []),
    ("(!(description=x))", []),
    ("(|(description=x)(uid=dave))", ["dave"]),
    ("(&(description=x)(uid=dave))", []),
    ("(mail=user2@client1.com)", ["user2"]),
]


def test_filter_kinds_with_ldap3(make_server):
    s = start(make_server)
    c = conn(s)
    for flt, want in FILTERS:
        c.search(f"cn={DOMAIN}", flt, SUBTREE, attributes=["uid"])
        assert c.result["result"] == 0, (flt, c.result)
        got = sorted(e.entry_attributes_as_dict["uid"][0] for e in c.entries)
        assert got == want, flt
    c.unbind()


def test_filters_with_ldapsearch(make_server):
    s = start(make_server)
    for flt, want in FILTERS:
        p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", f"cn={DOMAIN}", flt, "uid")
        assert p.returncode == 0, (flt, p.stderr)
        assert dns(p.stdout) == sorted(f"uid={n},cn={DOMAIN}" for n in want), flt


def test_address_book_filter_and_attribute_selection(make_server):
    s = start(make_server)
    c = conn(s)
    assert c.search(f"cn={DOMAIN}", "(|(mail=ann*)(cn=ann*)(givenName=ann*)(sn=ann*))",
                    SUBTREE, attributes=["cn", "mail"])
    got = {e.entry_dn: e.entry_attributes_as_dict for e in c.entries}
    # Ann Smith (cn, givenName), Anna Karenina (uid... cn), Carl Annfield (sn)
    assert set(got) == {f"uid=anna,cn={DOMAIN}", f"uid=user1,cn={DOMAIN}",
                        f"uid=carl,cn={DOMAIN}"}
    for attrs in got.values():
        assert set(attrs) == {"cn", "mail"}
    # 1.1: no attributes; "+": operational ones; typesOnly: no values
    c.search(f"cn={DOMAIN}", "(uid=user1)", SUBTREE, attributes=["1.1"])
    assert c.entries[0].entry_attributes == []
    c.search(f"cn={DOMAIN}", "(uid=user1)", SUBTREE, attributes=["+"])
    ops = c.response[0]["raw_attributes"]
    assert set(ops) >= {"entryUUID", "modifyTimestamp"} and "uid" not in ops
    assert len(ops["entryUUID"][0]) == 36
    c.search(f"cn={DOMAIN}", "(uid=user1)", SUBTREE, attributes=["*"], types_only=True)
    raw = c.response[0]["raw_attributes"]
    assert "mail" in raw and not raw["mail"]
    c.unbind()


def test_size_limits_and_critical_controls(make_server):
    s = start(make_server)
    c = conn(s)
    c.search(f"cn={DOMAIN}", "(objectClass=*)", SUBTREE, size_limit=2)
    assert c.result["description"] == "sizeLimitExceeded" and len(c.entries) == 2
    # the server's SizeLimit
    s.tegami("UpdateModule", "LDAP", "{SizeLimit=3;}")
    c2 = conn(s)
    c2.search(f"cn={DOMAIN}", "(objectClass=*)", SUBTREE)
    assert c2.result["result"] == 4 and len(c2.entries) == 3
    c2.unbind()
    s.tegami("UpdateModule", "LDAP", "{SizeLimit=default;}")
    # an unknown critical control: unavailableCriticalExtension; not critical: ignored
    c.search(f"cn={DOMAIN}", "(uid=user1)", controls=[("1.2.3.4.5", True, None)])
    assert c.result["result"] == 12
    c.search(f"cn={DOMAIN}", "(uid=user1)", controls=[("1.2.3.4.5", False, None)])
    assert c.result["result"] == 0 and len(c.entries) == 1
    # compare
    assert c.compare(f"uid=user1,cn={DOMAIN}", "cn", "ann smith") is True
    assert c.compare(f"uid=user1,cn={DOMAIN}", "cn", "Bob") is False
    c.compare(f"uid=user1,cn={DOMAIN}", "description", "x")
    assert c.result["result"] == 16
    c.compare("c=US", "cn", "x")
    assert c.result["result"] == 32
    c.unbind()
    p = run("ldapcompare", "-x", "-H", url(s), f"uid=user2,cn={DOMAIN}", "sn:Jones")
    assert p.returncode == 6 and "TRUE" in p.stdout


def test_paging_2500_records_in_pages_of_100(make_server):
    s = start(make_server)
    a = admin(s)
    base = "cn=paging.example"
    assert a.add(base, ["top", "container"], {"cn": "paging.example"}), a.result
    for i in range(2500):
        assert a.add(f"cn=Person {i:04d},{base}", ["top", "person"],
                     {"sn": f"P{i:04d}", "description": f"n{i}"}), a.result
    a.unbind()
    c = conn(s)
    pages, seen, cookie = 0, [], None
    while True:
        c.search(base, "(objectClass=person)", LEVEL, attributes=["sn"], paged_size=100,
                 paged_cookie=cookie)
        assert c.result["result"] == 0, c.result
        pages += 1
        assert len(c.entries) <= 100
        seen += [e.sn.value for e in c.entries]
        cookie = c.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
        if not cookie:
            break
        assert pages < 100
    assert pages == 25 and len(seen) == 2500 and len(set(seen)) == 2500
    # ldap3's generator and ldapsearch's pr= agree
    n = sum(1 for _ in c.extend.standard.paged_search(base, "(sn=P1*)", SUBTREE,
                                                    paged_size=100, generator=True))
    assert n == 1000
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", base, "-E", "pr=100/noprompt",
            "(objectClass=person)", "1.1")
    assert p.returncode == 0 and len(dns(p.stdout)) == 2500
    # without paging: the server's SizeLimit (default 10000) is no bound here
    c.search(base, "(objectClass=person)", SUBTREE, attributes=["1.1"])
    assert c.result["result"] == 0 and len(c.entries) == 2500
    c.unbind()


# ---- binds -----------------------------------------------------------------------------

def test_binds_right_and_wrong(make_server):
    s = start(make_server)
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}", "-w", "secret1")
    assert p.returncode == 0 and p.stdout.strip() == f"dn:uid=user1,cn={DOMAIN}"
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"user2@{DOMAIN}", "-w", "secret2")
    assert p.returncode == 0 and p.stdout.strip() == f"dn:uid=user2,cn={DOMAIN}"
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}", "-w", "nope")
    assert p.returncode == 49 and "incorrect password or account name" in p.stderr
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=ghost,cn={DOMAIN}", "-w", "nope")
    assert p.returncode == 49
    p = run("ldapwhoami", "-x", "-H", url(s))
    assert p.returncode == 0 and p.stdout.strip() == "anonymous"
    assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.1\]:\d+\) bind as 'user1@client1.com' "
                      r"failed: incorrect password or account name")
    # AllowAnonymous = NO
    s.tegami("UpdateModule", "LDAP", "{AllowAnonymous=NO;}")
    p = run("ldapsearch", "-x", "-H", url(s), "-b", f"cn={DOMAIN}")
    assert p.returncode == 48
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}",
            "-w", "secret1", "-b", f"cn={DOMAIN}", "(uid=user2)", "mail")
    assert p.returncode == 0 and "mail: user2@client1.com" in p.stdout


def test_sasl_plain(make_server):
    from ldap3 import PLAIN, SASL
    s = start(make_server)
    srv = Server("127.0.0.1", port=s.ports["ldap"])
    c = Connection(srv, authentication=SASL, sasl_mechanism=PLAIN,
                   sasl_credentials=(None, f"user1@{DOMAIN}", "secret1"), raise_exceptions=False)
    assert c.bind(), c.result
    assert c.extend.standard.who_am_i() == f"dn:uid=user1,cn={DOMAIN}"
    c.unbind()
    c = Connection(srv, authentication=SASL, sasl_mechanism=PLAIN,
                   sasl_credentials=(None, f"user1@{DOMAIN}", "wrong"), raise_exceptions=False)
    assert not c.bind() and c.result["result"] == 49
    c.unbind()
    # an authorization identity other than the user's: refused
    c = Connection(srv, authentication=SASL, sasl_mechanism=PLAIN,
                   sasl_credentials=("postmaster", f"user1@{DOMAIN}", "secret1"),
                   raise_exceptions=False)
    assert not c.bind() and c.result["result"] == 2
    c.unbind()


def test_b5_from_a_non_client_address(make_server):
    s = start(make_server)
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    srv = Server("127.0.0.1", port=s.ports["ldap"])
    c = Connection(srv, user=f"uid=user1,cn={DOMAIN}", password="secret1",
                   source_address="127.0.0.2", raise_exceptions=False)
    c.open()
    assert not c.bind()
    assert c.result["result"] == 49
    assert c.result["message"] == "access from your network is denied"
    c.unbind()
    assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.2\]:\d+\) bind as 'user1@client1.com' "
                      r"failed: access from your network is denied")
    # 127.0.0.1 always may; a Client IP Address may too
    c = conn(s, f"uid=user1,cn={DOMAIN}", "secret1")
    c.unbind()
    s.tegami("SetClientIPs", "127.0.0.2")
    c = Connection(srv, user=f"uid=user1,cn={DOMAIN}", password="secret1",
                   source_address="127.0.0.2", raise_exceptions=False)
    c.open()
    assert c.bind(), c.result
    c.unbind()


def test_starttls_and_ldaps(make_server):
    s = start(make_server)
    p = run("ldapwhoami", "-ZZ", "-x", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}",
            "-w", "secret1")
    assert p.returncode == 0 and p.stdout.strip() == f"dn:uid=user1,cn={DOMAIN}", p.stderr
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s, tls=True), "-b", f"cn={DOMAIN}",
            "(uid=user2)", "cn")
    assert p.returncode == 0 and "cn: Bob Jones" in p.stdout, p.stderr
    # ldap3 over StartTLS and ldaps
    import ssl
    tls = Tls(validate=ssl.CERT_NONE)
    c = Connection(Server("127.0.0.1", port=s.ports["ldap"], tls=tls),
                   user=f"uid=user2,cn={DOMAIN}", password="secret2", raise_exceptions=False)
    c.open()
    assert c.start_tls(), c.result
    assert c.bind() and c.extend.standard.who_am_i() == f"dn:uid=user2,cn={DOMAIN}"
    c.unbind()
    c = Connection(Server("127.0.0.1", port=s.ports["ldaps"], use_ssl=True, tls=tls),
                   user=f"uid=user2,cn={DOMAIN}", password="secret2", raise_exceptions=False)
    assert c.bind(), c.result
    c.unbind()


def test_password_modify(make_server):
    s = start(make_server)
    c = conn(s, f"uid=user1,cn={DOMAIN}", "secret1")
    assert c.extend.standard.modify_password(old_password="secret1", new_password="newpw1")
    c.unbind()
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}", "-w", "newpw1")
    assert p.returncode == 0
    # a user may not change another's; an administrator may
    c = conn(s, f"uid=user1,cn={DOMAIN}", "newpw1")
    c.extend.standard.modify_password(user=f"uid=user2,cn={DOMAIN}", new_password="zz")
    assert c.result["result"] == 50
    c.unbind()
    p = run("ldappasswd", "-x", "-H", url(s), "-D", "postmaster", "-w",
            s.postmaster_password(), "-s", "viaadmin", f"uid=user2,cn={DOMAIN}")
    assert p.returncode == 0, p.stderr
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=user2,cn={DOMAIN}", "-w", "viaadmin")
    assert p.returncode == 0


def test_admin_provisioning_with_ldapmodify(make_server):
    s = start(make_server)
    pw = s.postmaster_password()
    ldif = f"""dn: uid=newbie,cn={DOMAIN}
changetype: add
objectClass: inetOrgPerson
uid: newbie
cn: New Bie
sn: Bie
userPassword: nb-pass

dn: uid=newbie,cn={DOMAIN}
changetype: modify
replace: cn
cn: Newer Bie
-
add: telephoneNumber
telephoneNumber: 555-0100

"""
    p = subprocess.run(["ldapmodify", "-x", "-H", url(s), "-D", "postmaster", "-w", pw],
                       input=ldif, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    _, out, _ = s.tegami("ListAccounts", DOMAIN)
    assert "newbie" in out
    _, out, _ = s.tegami("GetAccountSettings", f"newbie@{DOMAIN}")
    assert "Newer Bie" in out
    p = run("ldapwhoami", "-x", "-H", url(s), "-D", f"uid=newbie,cn={DOMAIN}", "-w", "nb-pass")
    assert p.returncode == 0
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", f"uid=newbie,cn={DOMAIN}",
            "-s", "base", "cn", "telephoneNumber", "userPassword")
    assert "cn: Newer Bie" in p.stdout and "telephoneNumber: 555-0100" in p.stdout
    assert "userPassword" not in p.stdout
    # rename and delete
    p = run("ldapmodrdn", "-x", "-H", url(s), "-D", "postmaster", "-w", pw, "-r",
            f"uid=newbie,cn={DOMAIN}", "uid=oldie")
    assert p.returncode == 0, p.stderr
    _, out, _ = s.tegami("ListAccounts", DOMAIN)
    assert "oldie" in out and "newbie" not in out
    p = run("ldapsearch", "-x", "-LLL", "-H", url(s), "-b", f"cn={DOMAIN}", "(uid=oldie)", "1.1")
    assert dns(p.stdout) == [f"uid=oldie,cn={DOMAIN}"]
    p = run("ldapdelete", "-x", "-H", url(s), "-D", "postmaster", "-w", pw,
            f"uid=oldie,cn={DOMAIN}")
    assert p.returncode == 0, p.stderr
    _, out, _ = s.tegami("ListAccounts", DOMAIN)
    assert "oldie" not in out
    # not an administrator: insufficientAccessRights; the domain record has children
    p = run("ldapdelete", "-x", "-H", url(s), "-D", f"uid=user1,cn={DOMAIN}", "-w", "secret1",
            f"uid=user2,cn={DOMAIN}")
    assert p.returncode == 50
    p = run("ldapdelete", "-x", "-H", url(s), "-D", "postmaster", "-w", pw, f"cn={DOMAIN}")
    assert p.returncode == 66


def test_account_rename_and_delete_follow(make_server):
    s = start(make_server)
    s.tegami("RenameAccount", f"dave@{DOMAIN}", "into", "david")
    c = conn(s)
    c.search(f"cn={DOMAIN}", "(|(uid=dave)(uid=david))", attributes=["uid", "mail"])
    assert [e.entry_dn for e in c.entries] == [f"uid=david,cn={DOMAIN}"]
    assert c.entries[0].mail.value == f"david@{DOMAIN}"
    s.tegami("DeleteAccount", f"david@{DOMAIN}")
    c.search(f"cn={DOMAIN}", "(uid=david)")
    assert c.entries == []
    c.unbind()


def ber(tag, body):
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def ber_int(n):
    return ber(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def vlv_context(res):
    """The contextID of a VLV response control value, or None."""
    assert res[0] == 0x30 and res[1] < 128
    body, i = res[2:2 + res[1]], 0
    for _ in range(3):                       # targetPosition, contentCount, result
        i += 2 + body[i + 1]
    if i >= len(body):
        return None
    assert body[i] == 0x04
    return body[i + 2:i + 2 + body[i + 1]]


def cns(out):
    return [line[4:] for line in out.splitlines() if line.startswith("cn: ")]


def test_server_side_sort_and_virtual_list_view(make_server):
    s = start(make_server)
    q = ["ldapsearch", "-x", "-H", url(s), "-b", f"cn={DOMAIN}"]
    p = run(*q, "-E", "sss=cn", "(uid=*)", "cn")
    assert p.returncode == 0, p.stderr
    assert cns(p.stdout) == ["Ann Smith", "Anna Karenina", "Bob Jones", "Carl Annfield", "Dave"]
    assert "sortResult: (0) Success" in p.stdout
    p = run(*q, "-E", "sss=-sn", "(uid=*)", "cn")
    assert cns(p.stdout) == ["Ann Smith", "Anna Karenina", "Bob Jones", "Dave",
                             "Carl Annfield"]              # sn descending
    # the virtual list view (what Outlook's address-book browsing sends),
    # through ldap3 (ldapsearch's vlv mode is interactive)
    c = conn(s)

    def vlv(before, after, target):
        c.search(f"cn={DOMAIN}", "(uid=*)", SUBTREE, attributes=["cn"],
                 controls=[("1.2.840.113556.1.4.473", True, ber(0x30, ber(0x30, ber(0x04, b"cn")))),
                           ("2.16.840.1.113730.3.4.9", True,
                            ber(0x30, ber_int(before) + ber_int(after) + target))])
        assert c.result["result"] == 0, c.result
        res = c.result["controls"]["2.16.840.1.113730.3.4.10"]["value"]
        return [e.cn.value for e in c.entries], res

    names, res = vlv(0, 1, ber(0xa0, ber_int(2) + ber_int(0)))     # byOffset 2
    assert names == ["Anna Karenina", "Bob Jones"]
    head = ber_int(2) + ber_int(5) + ber(0x0a, b"\x00")
    assert res[0] == 0x30 and res[2:2 + len(head)] == head
    ctx = vlv_context(res)
    assert ctx is not None and len(ctx) == 16
    names, res = vlv(1, 1, ber(0x81, b"Bob"))                        # >= "Bob"
    assert names == ["Anna Karenina", "Bob Jones", "Carl Annfield"]
    head = ber_int(3) + ber_int(5) + ber(0x0a, b"\x00")
    assert res[2:2 + len(head)] == head
    names, res = vlv(0, 5, ber(0xa0, ber_int(5) + ber_int(5)))     # the last
    assert names == ["Dave"]
    c.unbind()
    # more entries than the server's SizeLimit: adminLimitExceeded, nothing sorted
    s.tegami("UpdateModule", "LDAP", "{SizeLimit=3;}")
    p = run(*q, "-E", "sss=cn", "(uid=*)", "cn")
    assert p.returncode == 11 and cns(p.stdout) == []
    # the client's size limit after sorting
    s.tegami("UpdateModule", "LDAP", "{SizeLimit=default;}")
    p = run(*q, "-z", "2", "-E", "sss=cn", "(uid=*)", "cn")
    assert p.returncode == 4 and cns(p.stdout) == ["Ann Smith", "Anna Karenina"]


def test_virtual_list_view_context(make_server):
    """RFC 2891 / draft-ietf-ldapext-ldapv3-vlv 6.1: the contextID returned
    is honoured by the next request of the same search (answered from the
    session's sorted list, not sorted again); a changed directory, another
    search or an unknown contextID give a fresh list and a new contextID."""
    s = start(make_server)
    c = conn(s)

    def vlv(flt, offset, ctx=None, after=1):
        body = ber_int(0) + ber_int(after) + ber(0xa0, ber_int(offset) + ber_int(0))
        if ctx is not None:
            body += ber(0x04, ctx)
        c.search(f"cn={DOMAIN}", flt, SUBTREE, attributes=["cn"],
                 controls=[("1.2.840.113556.1.4.473", True, ber(0x30, ber(0x30, ber(0x04, b"cn")))),
                           ("2.16.840.1.113730.3.4.9", True, ber(0x30, body))])
        assert c.result["result"] == 0, c.result
        res = c.result["controls"]["2.16.840.1.113730.3.4.10"]["value"]
        return [e.cn.value for e in c.entries], vlv_context(res)

    names, ctx = vlv("(uid=*)", 1)
    assert names == ["Ann Smith", "Anna Karenina"]
    # Bob's cn changes behind the server's back (the generation stays):
    # answered from the list, Bob keeps his place; sorted again he would
    # be last
    import sqlite3
    db = sqlite3.connect(s.path("Directory", "directory.db"), timeout=10)
    with db:
        (blob,) = db.execute("SELECT attrs FROM entry WHERE ndn = ?",
                             (f"uid=user2,cn={DOMAIN}",)).fetchone()
        db.execute("UPDATE entry SET attrs = ? WHERE ndn = ?",
                   (blob.replace(b"Bob Jones", b"Zed Jones"), f"uid=user2,cn={DOMAIN}"))
    db.close()
    import time
    time.sleep(0.4)      # the server's read snapshot is renewed (DIR_SNAPSHOT_MS)
    names, ctx2 = vlv("(uid=*)", 3, ctx)
    assert names == ["Zed Jones", "Carl Annfield"] and ctx2 == ctx
    names, _ = vlv("(uid=*)", 5, None, after=0)      # no context: sorted again
    assert names == ["Zed Jones"]
    names, ctx = vlv("(uid=*)", 1)
    # the list is a view of the directory as it was: a change ends it
    s.tegami("CreateAccount", f"aaron@{DOMAIN}", '{RealName="Aaron A";}')
    names, ctx3 = vlv("(uid=*)", 1, ctx)
    assert names == ["Aaron A", "Ann Smith"] and ctx3 != ctx
    # another search with that contextID: a new list
    names, ctx4 = vlv("(uid=a*)", 1, ctx3)
    assert names == ["Aaron A", "Anna Karenina"] and ctx4 != ctx3
    # a contextID we never gave (or a too long one) is no error
    names, ctx5 = vlv("(uid=a*)", 2, b"nonsense", after=0)
    assert names == ["Anna Karenina"] and ctx5 not in (None, ctx4)
    c.search(f"cn={DOMAIN}", "(uid=*)", SUBTREE, attributes=["cn"],
             controls=[("1.2.840.113556.1.4.473", True, ber(0x30, ber(0x30, ber(0x04, b"cn")))),
                       ("2.16.840.1.113730.3.4.9", True, ber(0x30, ber_int(0) + ber_int(0) +
                        ber(0xa0, ber_int(1) + ber_int(0)) + ber(0x04, b"x" * 40)))])
    assert c.result["result"] == 2          # protocolError: over LDAP_VLV_CONTEXT_MAX
    c.unbind()
