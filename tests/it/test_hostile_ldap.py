# SPDX-License-Identifier: Apache-2.0
"""Hostile LDAP clients over raw sockets (docs/ldap.md): a flood of idle
connections from one address (MaxChannelsPerIP: a Notice of Disconnection
with busy and a log line, other addresses still served), a search
pipelined in the same packet as StartTLS (RFC 4511 4.14.1, RFC 4513 3.1.1:
operationsError, never answered in the clear nor run after TLS), BER
lengths of 2^32, 2^63 and 2^64 - 1 and length fields the server cannot
hold (the 2 GB and one-past-LDAP_PDU_MAX cases are in
test_ldap_badinput.py), a bind flood with wrong passwords (FailedLoginFlow:
unwillingToPerform for that address, the right password from another
address still works), and abandoning a paged search (an Abandon between
entries, a page size of 0).  Loops are bounded; no timing is asserted."""
import io
import os
import socket
import ssl

import pytest

ldap3 = pytest.importorskip("ldap3")

from sockutil import hold_idle, recv_until_close  # noqa: E402
from test_ldap_badinput import (DOMAIN, Raw, add_people, integer,  # noqa: E402
                                msg, octets, parse, present, read_tlv,
                                result, search, still_serving, tlv)

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
PAGED_OID = "1.2.840.113556.1.4.319"
NOTICE = 0x78


def start(make_server, ldap_settings=""):
    s = make_server(services=["cli", "ldap"])
    os.makedirs(s.path("Settings"), exist_ok=True)
    with open(s.path("Settings", "LDAP.settings"), "w") as f:
        f.write("{ %s }" % ldap_settings)
    s.start()
    s.tegami("CreateDomain", DOMAIN)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    s.tegami("CreateAccount", f"user1@{DOMAIN}",
             '{RealName="Ann Smith";Password="pw1";FailedLoginFlow=(3,10m);}')
    return s


def finish(s):
    assert s.stop() == 0
    with open(s.stderr_path, "rb") as f:
        assert b"Sanitizer" not in f.read()


def read_full(r):
    """(msgid, op tag, op body, controls body or None), or None at EOF."""
    t = read_tlv(r.f)
    if t is None:
        return None
    parts = parse(t[1])
    ctls = parts[2][1] if len(parts) > 2 and parts[2][0] == 0xa0 else None
    return int.from_bytes(parts[0][1], "big"), parts[1][0], parts[1][1], ctls


def read_until_eof(r):
    out = []
    try:
        while True:
            m = read_full(r)
            if m is None:
                break
            out.append(m)
    except (OSError, IndexError):
        pass
    return out


def bind_req(msgid, dn, pw):
    return msg(msgid, tlv(0x60, integer(3) + octets(dn) + octets(pw, 0x80)))


def starttls_req(msgid):
    return msg(msgid, tlv(0x77, octets(STARTTLS_OID, 0x80)))


# ---- idle flood ----

def test_idle_flood_from_one_address(make_server):
    s = start(make_server, "MaxChannelsPerIP = 8;")
    held, refusal = hold_idle(s.ports["ldap"], "127.0.0.3", 40)
    try:
        assert len(held) == 8 and refusal, (len(held), refusal)
        # a Notice of Disconnection (RFC 4511 4.4.1) with busy (51)
        t = read_tlv(io.BytesIO(refusal))
        parts = parse(t[1])
        assert int.from_bytes(parts[0][1], "big") == 0 and parts[1][0] == NOTICE
        rc, diag = result(parts[1][1])
        assert rc == 51 and "per-address limit 8" in diag, (rc, diag)
        assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.3\]:\d+\) connection refused: "
                          r"per-address limit 8 reached for 127\.0\.0\.3")
        # others are served meanwhile
        r = Raw(s, source="127.0.0.2")
        r.send(search(1, f"cn={DOMAIN}", tlv(0xa3, octets("uid") + octets("user1"))))
        got = [r.read(), r.read()]
        assert got[0][1] == 0x64 and got[1][1] == 0x65 and result(got[1][2])[0] == 0
        r.close()
        still_serving(s)
        # the flooder's held connections still work
        held[0].sendall(search(7, f"cn={DOMAIN}", present("uid")))
        held[0].settimeout(10)
        assert held[0].recv(4096)[:1] == b"\x30"
    finally:
        for k in held:
            k.close()
    finish(s)


# ---- StartTLS pipelining ----

def test_search_pipelined_after_starttls_is_not_run(make_server):
    s = start(make_server)
    r = Raw(s)
    # StartTLS and a search in one write, before any handshake
    r.send(starttls_req(1) + search(2, f"cn={DOMAIN}", present("uid")))
    got = read_until_eof(r)
    r.close()
    # only the StartTLS answer, operationsError (RFC 4511 4.14.2); the
    # search is not answered in the clear
    assert len(got) == 1, got
    assert got[0][0] == 1 and got[0][1] == 0x78
    rc, diag = result(got[0][2])
    assert rc == 1 and "pipelined" in diag, (rc, diag)
    assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.1\]:\d+\) StartTLS refused: "
                      r"requests pipelined after it")

    # the search sent right after the request, in its own write before
    # the answer: refused the same way, or (if it came only after the
    # answer) it is taken as the first TLS record and the handshake fails;
    # either way no search result, in the clear or in TLS
    for _ in range(3):
        k = socket.create_connection(("127.0.0.1", s.ports["ldap"]), timeout=15)
        k.sendall(starttls_req(1))
        k.sendall(search(2, f"cn={DOMAIN}", present("uid")))
        data = recv_until_close(k, 10)
        k.close()
        msgs = []
        f = io.BytesIO(data)
        while True:
            t = read_tlv(f)
            if t is None or not t[1]:
                break
            msgs.append(parse(t[1]))
        assert msgs and all(m[1][0] == 0x78 for m in msgs), data[:200]
        assert not any(m[1][0] in (0x64, 0x65) for m in msgs)

    # a well-behaved StartTLS still works, and the search then runs in TLS
    k = socket.create_connection(("127.0.0.1", s.ports["ldap"]), timeout=15)
    k.sendall(starttls_req(1))
    t = read_tlv(k.makefile("rb"))
    assert result(parse(t[1])[1][1])[0] == 0
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tk = ctx.wrap_socket(k)
    tk.sendall(search(2, f"cn={DOMAIN}", tlv(0xa3, octets("uid") + octets("user1"))))
    f = tk.makefile("rb")
    assert read_tlv(f) is not None
    done = parse(read_tlv(f)[1])
    assert done[1][0] == 0x65 and result(done[1][1])[0] == 0
    tk.close()
    still_serving(s)
    finish(s)


# ---- BER lengths ----

LENGTHS = [
    b"\x30\x85\x01\x00\x00\x00\x00",                    # 2^32
    b"\x30\x85\x00\xff\xff\xff\xff",                    # 2^32 - 1
    b"\x30\x88\x80\x00\x00\x00\x00\x00\x00\x00",        # 2^63
    b"\x30\x88\xff\xff\xff\xff\xff\xff\xff\xff",        # 2^64 - 1
    b"\x30\x88\x00\x00\x00\x00\x00\x00\x00\x05",        # 5 in 8 bytes
    b"\x30\x89\x01\x00\x00\x00\x00\x00\x00\x00\x00",    # 2^64, 9 bytes
    b"\x30\xff" + b"\xff" * 16,                         # 127 length bytes
]


def test_ber_lengths_past_2_32_and_2_63(make_server):
    s = start(make_server)
    for data in LENGTHS:
        r = Raw(s)
        r.send(data)
        got = read_until_eof(r)
        r.close()
        assert len(got) == 1 and got[0][0] == 0 and got[0][1] == NOTICE, (data, got)
        assert result(got[0][2])[0] == 2, (data, result(got[0][2]))
    # inside a well-framed message: an element claiming 2^63 or 2^32 bytes
    for inner in (b"\x04\x88\x80\x00\x00\x00\x00\x00\x00\x00",
                  b"\x04\x85\x01\x00\x00\x00\x00",
                  b"\x02\x84\xff\xff\xff\xff"):
        r = Raw(s)
        body = integer(1) + b"\x63" + bytes([len(inner) + 4]) + inner + b"\x00" * 4
        r.send(tlv(0x30, body) + search(2, f"cn={DOMAIN}", present("uid")))
        got = read_until_eof(r)
        r.close()
        assert got, inner
        # protocolError, as a SearchResultDone or a Notice of Disconnection
        assert got[0][1] in (0x65, NOTICE) and result(got[0][2])[0] == 2, (inner, got[0])
    assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.1\]:\d+\) bad request: ")
    still_serving(s)
    finish(s)


# ---- bind flood ----

def test_bind_flood_with_wrong_passwords(make_server):
    s = start(make_server)
    dn = f"uid=user1,cn={DOMAIN}"
    r = Raw(s, source="127.0.0.3")
    codes = []
    for i in range(10):                     # bounded; refused after 3
        r.send(bind_req(i + 1, dn, f"wrong{i}"))
        m = r.read()
        assert m[1] == 0x61
        codes.append(result(m[2])[0])
        if codes[-1] == 53:
            break
    assert codes[0] == 49 and codes[-1] == 53, codes
    # the right password from the flooding address: still refused
    r.send(bind_req(50, dn, "pw1"))
    m = r.read()
    assert result(m[2])[0] == 53
    r.close()
    assert s.wait_log(r"LDAP-\d+\(\[127\.0\.0\.3\]:\d+\) bind as 'user1@client1\.com' "
                      r"failed: ")
    # the real user from another address gets in
    r = Raw(s, source="127.0.0.4")
    r.send(bind_req(1, dn, "pw1"))
    m = r.read()
    assert result(m[2])[0] == 0, result(m[2])
    r.close()
    # a flood of binds with names that are no account: each refused with
    # invalidCredentials, the session and the server go on
    r = Raw(s, source="127.0.0.5")
    for i in range(30):
        r.send(bind_req(i + 1, f"uid=nobody{i},cn={DOMAIN}", "x"))
        m = r.read()
        assert m is not None and m[1] == 0x61 and result(m[2])[0] in (49, 53)
    r.close()
    # binds with a DN that is no account at all count as failed logins
    # of the address too (Protection): past TempBlacklistFailedLogins the
    # address is blacklisted and refused (53)
    s.tegami("UpdateProtection", "{TempBlacklistFailedLogins=(3,10m);}")
    r = Raw(s, source="127.0.0.6")
    codes = []
    for i in range(10):
        r.send(bind_req(i + 1, "cn=admin,dc=example,dc=com", f"guess{i}"))
        m = r.read()
        assert m is not None and m[1] == 0x61
        codes.append(result(m[2])[0])
        if codes[-1] == 53:
            break
    assert codes[0] == 49 and codes[-1] == 53, codes
    r.close()
    assert s.wait_log(r"127\.0\.0\.6 temporarily blacklisted")
    still_serving(s)
    finish(s)


# ---- abandoning a paged search ----

def paged(msgid, size, cookie=b""):
    whole = search(msgid, f"cn={DOMAIN}", present("objectClass"))
    op = parse(read_tlv(io.BytesIO(whole))[1])[1]
    ctl = tlv(0xa0, tlv(0x30, octets(PAGED_OID) +
                        octets(tlv(0x30, integer(size) + octets(cookie)))))
    return tlv(0x30, integer(msgid) + tlv(op[0], op[1]) + ctl)


def page_cookie(ctls):
    ctl = parse(parse(ctls)[0][1])
    assert ctl[0][1].decode() == PAGED_OID
    val = parse(parse(ctl[-1][1])[0][1])
    return val[1][1]


def read_page(r, msgid):
    """Entries of search msgid up to its done: (count, rc, cookie)."""
    n = 0
    while True:
        m = read_full(r)
        assert m is not None
        if m[0] == msgid and m[1] == 0x64:
            n += 1
        elif m[0] == msgid and m[1] == 0x65:
            return n, result(m[2])[0], page_cookie(m[3]) if m[3] else None


def test_abandon_a_paged_search(make_server):
    s = start(make_server)
    add_people(s, 600)
    r = Raw(s)
    r.send(paged(1, 100))
    n, rc, cookie = read_page(r, 1)
    assert n == 100 and rc == 0 and cookie, (n, rc, cookie)
    # RFC 2696 3: a page size of 0 with the cookie abandons: a done with
    # success and an empty cookie, no entries
    r.send(paged(2, 0, cookie))
    n, rc, c2 = read_page(r, 2)
    assert n == 0 and rc == 0 and not c2, (n, rc, c2)
    # an Abandon of a page while its entries go out, in the same write:
    # the page stops early (it is looked for between the directory's
    # batches of DIR_SEARCH_BATCH) and gets no done (RFC 4511 4.11); the
    # next request is served
    r.send(paged(3, 1000, cookie) + msg(4, integer(3, 0x50)) +
           search(5, f"cn={DOMAIN}", tlv(0xa3, octets("uid") + octets("user1"))))
    got3, done = 0, {}
    while 5 not in done:
        m = read_full(r)
        assert m is not None
        if m[1] == 0x64 and m[0] == 3:
            got3 += 1
        elif m[1] == 0x65:
            done[m[0]] = result(m[2])[0]
    assert got3 < 500 and 3 not in done and done[5] == 0, (got3, done)
    # the cookie carries no server state: the search can still go on from it
    r.send(paged(6, 100, cookie))
    n, rc, _ = read_page(r, 6)
    assert n == 100 and rc == 0
    # a forged cookie is refused with an error, not a crash
    r.send(paged(7, 100, b"\xff" * 40))
    n, rc, _ = read_page(r, 7)
    assert n == 0 and rc != 0
    r.close()
    still_serving(s)
    finish(s)
