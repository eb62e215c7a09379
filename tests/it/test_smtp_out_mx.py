# SPDX-License-Identifier: Apache-2.0
"""SMTP delivery by MX records: a DNS responder (dnsfake.py, python3-dnslib)
on 127.0.0.1 serves the test zones, the DNR's Servers point at it, and the
receivers (aiosmtpd) listen on 127.0.1.x port 25 -- the real port, so these
tests need root (CI runs as root).  MX preference and fallback (the first
MX refuses connections), no MX -> the domain's address, null MX, unknown
domain, an MX that is this server, and the .via routes."""

import os
import time

import pytest

import smtpsink
from smtpsink import sinks_on_port_25  # noqa: F401 (the "sinks" fixture)
from dnsfake import DNSFake
from test_smtp_out import MSG, imap_inbox, start, strip_trace, submit

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="port 25 needs root"),
    pytest.mark.skipif(not smtpsink.HAVE_AIOSMTPD, reason="no python3-aiosmtpd"),
]

ZONES = {
    # The first MX refuses connections (nobody listens), the second takes.
    "fallback.test": {"MX": [(10, "mx1.fallback.test"), (20, "mx2.fallback.test")]},
    "mx1.fallback.test": {"A": ["127.0.1.21"]},
    "mx2.fallback.test": {"A": ["127.0.1.22"]},
    # Both listen: the preferred one gets everything.
    "pref.test": {"MX": [(20, "b.pref.test"), (10, "a.pref.test")]},
    "a.pref.test": {"A": ["127.0.1.23"]},
    "b.pref.test": {"A": ["127.0.1.24"]},
    # No MX: the domain's own address.
    "nomx.test": {"A": ["127.0.1.25"]},
    "nullmx.test": {"MX": [(0, ".")]},
    # The MX is this server.
    "loop.test": {"MX": [(10, "self.loop.test")]},
    "self.loop.test": {"A": ["127.0.0.1"]},
    # .via relay host.
    "mainhost.test": {"MX": [(10, "mx.mainhost.test")]},
    "mx.mainhost.test": {"A": ["127.0.1.26"]},
}


@pytest.fixture
def dns():
    with DNSFake(ZONES) as d:
        yield d


def mx_server(make_server, dns, **kw):
    s = start(make_server, **kw)
    s.tegami("UpdateModule", "DNR",
             '{Servers = ("%s"); Timeout = 2; Retries = 1;}' % dns.server)
    return s


def test_mx_fallback_first_refuses(make_server, dns, sinks):
    mx2 = sinks("127.0.1.22")
    s = mx_server(make_server, dns)
    assert submit(s, ["bob@fallback.test"]) == {}
    got = mx2.wait(1)[0]
    assert got.rcpts == ["bob@fallback.test"]
    assert strip_trace(got.data) == MSG
    assert s.wait_log(r"SMTP-\d+\(fallback\.test\) cannot connect: \[127\.0\.1\.21\]:25")
    assert s.wait_log(r"relayed to \[127\.0\.1\.22\]:25")


def test_mx_preference(make_server, dns, sinks):
    a = sinks("127.0.1.23")
    b = sinks("127.0.1.24")
    s = mx_server(make_server, dns)
    for i in range(3):
        assert submit(s, ["u%d@pref.test" % i]) == {}
    a.wait(3)
    assert b.messages == []


def test_no_mx_uses_address(make_server, dns, sinks):
    k = sinks("127.0.1.25")
    s = mx_server(make_server, dns)
    assert submit(s, ["bob@nomx.test"]) == {}
    assert k.wait(1)[0].rcpts == ["bob@nomx.test"]
    assert s.wait_log(r"nomx\.test has no MX records; using its address")


def test_null_mx_fails_at_once(make_server, dns):
    s = mx_server(make_server, dns)
    assert submit(s, ["bob@nullmx.test"]) == {}
    dsn = imap_inbox(s)[0]
    assert b"Final-Recipient: rfc822; bob@nullmx.test" in dsn
    assert b"Status: 5.1.10" in dsn
    assert b"556 5.1.10 nullmx.test accepts no mail (null MX, RFC 7505)" in dsn


def test_unknown_domain_and_mx_loop_bounce(make_server, dns):
    s = mx_server(make_server, dns)
    assert submit(s, ["bob@nxdomain.test"]) == {}
    assert submit(s, ["bob@loop.test"]) == {}
    dsns = imap_inbox(s, n=2)
    text = b"".join(dsns)
    assert b"nxdomain.test: host name is unknown" in text
    assert b"Status: 5.1.2" in text
    assert b"mail for loop.test loops back to this server" in text
    assert b"Status: 5.4.6" in text


def test_via_address_and_domain_records(make_server, dns, sinks):
    """B7: user%client1.test@mainhost.test.via and the domain-level records
    client1/client2 = ...@mainhost.test.via deliver through mainhost's queue
    with the original recipients, over one connection."""
    k = sinks("127.0.1.26")
    s = mx_server(make_server, dns)
    s.tegami("SetRouterTable",
             "client1.test = client1.test@mainhost.test.via\n"
             "client2.test = client2.test@mainhost.test.via\n")
    assert submit(s, ["ann%client3.test@mainhost.test.via"]) == {}
    got = k.wait(1)[0]
    assert got.rcpts == ["ann@client3.test"]
    # Queued while the relay is down, released at once: one connection.
    k.stop()
    for r in ("a@client1.test", "b@client2.test"):
        assert submit(s, [r]) == {}
    for r in (r"a@client1\.test", r"b@client2\.test"):
        assert s.wait_log(r + r" delayed: \[127\.0\.1\.26\]:25", timeout=20)
    k2 = sinks("127.0.1.26")
    s.tegami("ReleaseSMTPQueue", "mainhost.test")
    got = k2.wait(2)
    assert sorted(r for m in got for r in m.rcpts) == ["a@client1.test", "b@client2.test"]
    assert k2.connections() == 1
