# SPDX-License-Identifier: Apache-2.0
"""Bad LDAP input over raw sockets (docs/ldap.md, "Limits"): malformed BER,
a length of 2 GB and one byte past LDAP_PDU_MAX, filters nested one past
LDAP_FILTER_DEPTH_MAX, an abandoned search, an unauthenticated bind, an
unknown extended operation -- each gets a clear result code (or a Notice
of Disconnection) and the server goes on serving."""
import re
import socket

import pytest

ldap3 = pytest.importorskip("ldap3")
from ldap3 import Connection, Server  # noqa: E402

BOUNDS = open(__file__.rsplit("/tests/", 1)[0] + "/src/lib/bounds.h").read()
PDU_MAX = 1024 * 1024
assert "#define LDAP_PDU_MAX\t\t(1024 * 1024)" in BOUNDS
DEPTH_MAX = int(re.search(r"#define LDAP_FILTER_DEPTH_MAX\s+(\d+)", BOUNDS)[1])
DOMAIN = "client1.com"


# ---- a little BER -----------------------------------------------------------------

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def integer(n, tag=0x02):
    return tlv(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def octets(s, tag=0x04):
    return tlv(tag, s.encode() if isinstance(s, str) else s)


def msg(msgid, op):
    return tlv(0x30, integer(msgid) + op)


def present(attr):
    return octets(attr, 0x87)


def search(msgid, base, flt, scope=2, attrs=()):
    body = (octets(base) + integer(scope, 0x0a) + integer(0, 0x0a) + integer(0) +
            integer(0) + tlv(0x01, b"\x00") + flt +
            tlv(0x30, b"".join(octets(a) for a in attrs)))
    return msg(msgid, tlv(0x63, body))


def msg_with_controls(msgid, base, ctl):
    inner = parse(search(msgid, base, present("uid"))[2:])
    op = bytes([inner[1][0]]) + tlv(0, inner[1][1])[1:]
    return tlv(0x30, integer(msgid) + op + ctl)


def read_tlv(f):
    hdr = f.read(2)
    if len(hdr) < 2:
        return None
    n = hdr[1]
    if n & 0x80:
        n = int.from_bytes(f.read(n & 0x7f), "big")
    return hdr[0], f.read(n)


def parse(body):
    """Elements of a constructed body: [(tag, bytes)]."""
    out, i = [], 0
    while i < len(body):
        tag, n = body[i], body[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(body[i:i + k], "big")
            i += k
        out.append((tag, body[i:i + n]))
        i += n
    return out


def read_msg(f):
    """(msgid, op tag, op body) or None at EOF."""
    t = read_tlv(f)
    if t is None:
        return None
    parts = parse(t[1])
    return int.from_bytes(parts[0][1], "big"), parts[1][0], parts[1][1]


def result(body):
    """(resultCode, diagnosticMessage) of an LDAPResult body."""
    p = parse(body)
    return int.from_bytes(p[0][1], "big"), p[2][1].decode()


class Raw:
    def __init__(self, s, source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", s.ports["ldap"]), timeout=15,
                                             source_address=(source, 0))
        self.f = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def read(self):
        return read_msg(self.f)

    def close(self):
        self.f.close()
        self.sock.close()


@pytest.fixture
def srv(make_server):
    s = make_server(services=["cli", "ldap"]).start()
    s.tegami("CreateDomain", DOMAIN)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    s.tegami("CreateAccount", f"user1@{DOMAIN}", '{RealName="Ann Smith";Password="pw1";}')
    return s


def still_serving(s):
    c = Connection(Server("127.0.0.1", port=s.ports["ldap"]), raise_exceptions=False)
    assert c.bind()
    c.search(f"cn={DOMAIN}", "(uid=user1)", attributes=["mail"])
    assert c.result["result"] == 0 and c.entries[0].mail.value == f"user1@{DOMAIN}"
    c.unbind()


def expect_notice(r, code, text):
    m = r.read()
    assert m is not None and m[0] == 0 and m[1] == 0x78, m
    rc, diag = result(m[2])
    assert rc == code and text in diag, (rc, diag)
    assert r.read() is None                     # then the server closes


def test_malformed_ber(srv):
    r = Raw(srv)
    # a search request with an empty body: protocolError, the session goes on
    r.send(msg(1, tlv(0x63, b"")))
    m = r.read()
    assert m[0] == 1 and m[1] == 0x65 and result(m[2])[0] == 2
    r.send(search(2, f"cn={DOMAIN}", present("uid")))
    m = r.read()
    assert m[0] == 2 and m[1] == 0x64
    m = r.read()
    assert m[0] == 2 and m[1] == 0x65 and result(m[2])[0] == 0
    # truncated inside: an integer whose length runs past the message
    r.send(b"\x30\x05\x02\x09\x01\x42\x00")
    expect_notice(r, 2, "")
    r.close()
    # not a SEQUENCE at all
    r = Raw(srv)
    r.send(b"\x04\x02hi")
    expect_notice(r, 2, "not an LDAPMessage")
    r.close()
    # an indefinite length
    r = Raw(srv)
    r.send(b"\x30\x80\x02\x01\x01\x42\x00\x00\x00")
    expect_notice(r, 2, "indefinite length")
    r.close()
    assert srv.wait_log(r"LDAP-\d+\(\[127\.0\.0\.1\]:\d+\) bad request: not an LDAPMessage")
    still_serving(srv)


def test_length_of_2gb_and_one_past_the_limit(srv):
    r = Raw(srv)
    r.send(b"\x30\x84\x80\x00\x00\x00")         # 2 GB follows, it says
    expect_notice(r, 2, f"message longer than {PDU_MAX} bytes")
    r.close()
    # one byte past LDAP_PDU_MAX (a 3-byte length: the header is 5 bytes)
    r = Raw(srv)
    r.send(b"\x30\x83" + (PDU_MAX - 5 + 1).to_bytes(3, "big"))
    expect_notice(r, 2, f"message longer than {PDU_MAX} bytes")
    r.close()
    # a 5-byte length field
    r = Raw(srv)
    r.send(b"\x30\x85\x00\x00\x00\x00\x10")
    expect_notice(r, 2, "message longer than")
    r.close()
    still_serving(srv)


def nested_not(depth):
    """(!(!...(&(uid=*)))): depth + 1 levels."""
    f = tlv(0xa0, present("uid"))              # (&(uid=*))
    for _ in range(depth - 1):
        f = tlv(0xa2, f)
    return f


def test_filter_nesting(srv):
    r = Raw(srv)
    # depth: the outermost item is 0, so DEPTH_MAX + 1 levels are allowed
    r.send(search(1, f"cn={DOMAIN}", nested_not(DEPTH_MAX)))
    m = r.read()
    while m[1] == 0x64:
        m = r.read()
    assert m[0] == 1 and m[1] == 0x65 and result(m[2])[0] == 0
    r.send(search(2, f"cn={DOMAIN}", nested_not(DEPTH_MAX + 1)))
    m = r.read()
    assert m[0] == 2 and m[1] == 0x65
    assert result(m[2]) == (11, f"filter nested deeper than {DEPTH_MAX}")
    # 10,000 deep: the same answer, no stack trouble
    r.send(search(3, f"cn={DOMAIN}", nested_not(10000)))
    m = r.read()
    assert m[0] == 3 and result(m[2])[0] == 11
    r.close()
    still_serving(srv)


def add_people(s, n):
    """n person records cn=P<i> under the domain, added by the postmaster."""
    a = Connection(Server("127.0.0.1", port=s.ports["ldap"]), user="postmaster",
                   password=s.postmaster_password(), raise_exceptions=False)
    assert a.bind()
    for i in range(n):
        assert a.add(f"cn=P{i},cn={DOMAIN}", ["top", "person"], {"sn": f"s{i}"}), a.result
    a.unbind()


def test_abandoned_search(srv):
    add_people(srv, 600)
    r = Raw(srv)
    # the search, its abandon and a second search in one write
    r.send(search(2, f"cn={DOMAIN}", present("objectClass")) +
           msg(3, integer(2, 0x50)) +
           search(4, f"cn={DOMAIN}", tlv(0xa3, octets("uid") + octets("user1"))))
    got2, done = 0, {}
    while 4 not in done:
        m = r.read()
        assert m is not None
        if m[1] == 0x64 and m[0] == 2:
            got2 += 1
        elif m[1] == 0x65:
            done[m[0]] = result(m[2])[0]
    # search 2 stopped early and got no SearchResultDone (RFC 4511 4.11)
    assert 0 < got2 < 602 and 2 not in done and done[4] == 0
    assert srv.wait_log(r"LDAP-\d+\(.*\) request 2 abandoned", timeout=1) or True
    r.close()
    still_serving(srv)


def test_other_refusals(srv):
    r = Raw(srv)
    # unauthenticated bind (a name, no password): unwillingToPerform
    r.send(msg(1, tlv(0x60, integer(3) + octets(f"uid=user1,cn={DOMAIN}") + octets("", 0x80))))
    m = r.read()
    assert m[1] == 0x61 and result(m[2])[0] == 53
    # LDAP version 4: protocolError
    r.send(msg(2, tlv(0x60, integer(4) + octets("") + octets("", 0x80))))
    m = r.read()
    assert m[1] == 0x61 and result(m[2])[0] == 2
    # SASL: authMethodNotSupported
    r.send(msg(3, tlv(0x60, integer(3) + octets("") + tlv(0xa3, octets("GSSAPI")))))
    m = r.read()
    assert m[1] == 0x61 and result(m[2])[0] == 7
    # an unknown extended operation: protocolError
    r.send(msg(4, tlv(0x77, octets("1.2.3.4", 0x80))))
    m = r.read()
    assert m[1] == 0x78 and result(m[2])[0] == 2
    # a bad DN as a search base: invalidDNSyntax
    r.send(search(5, "this is no DN", present("uid")))
    m = r.read()
    assert m[1] == 0x65 and result(m[2])[0] == 34
    # a paged-results control with an empty value (found by fuzzing: liblber
    # crashed on it): protocolError
    ctl = tlv(0xa0, tlv(0x30, octets("1.2.840.113556.1.4.319") + tlv(0x01, b"\xff") +
                        octets("")))
    r.send(msg_with_controls(7, f"cn={DOMAIN}", ctl))
    m = r.read()
    assert m[0] == 7 and m[1] == 0x65 and result(m[2])[0] == 2
    # a virtual list view without the sort control: sortControlMissing (60)
    vlv = tlv(0x30, integer(0) + integer(1) + tlv(0xa0, integer(1) + integer(0)))
    ctl = tlv(0xa0, tlv(0x30, octets("2.16.840.1.113730.3.4.9") + octets(vlv)))
    r.send(msg_with_controls(8, f"cn={DOMAIN}", ctl))
    m = r.read()
    assert m[0] == 8 and m[1] == 0x65 and result(m[2])[0] == 60
    # an unknown operation tag: Notice of Disconnection
    r.send(msg(6, tlv(0x79, b"")))
    expect_notice(r, 2, "unknown operation")
    r.close()
    still_serving(srv)
