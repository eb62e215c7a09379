# SPDX-License-Identifier: Apache-2.0
"""The DNR module (docs/dnr.md) against a real DNS responder on loopback
(dnsfake.py): lookups through TestDNR, B15 (the unknown-name log line and
its level), B16 (one UDP socket for the server's life), the positive and
negative cache with its TTL, time-outs and retries over the Servers, and
UpdateModule DNR applied at once."""

import os
import re
import time

import pytest

from dnsfake import DROP, DNSFake

ZONES = {
    "mail.test": {"MX": [(10, "mx1.mail.test"), (20, "mx2.mail.test")],
                  "A": ["127.0.1.1"]},
    "mx1.mail.test": {"A": ["127.0.1.1", "127.0.1.2"], "AAAA": ["::1"]},
    "nullmx.test": {"MX": [(0, ".")]},
    "txt.test": {"TXT": ["v=spf1 -all", ("two ", "parts")]},
    "1.1.0.127.in-addr.arpa": {"PTR": ["mx1.mail.test"]},
    "nodata.test": {},
    "slow.test": DROP,
    "broken.test": {"RCODE": "SERVFAIL"},
    "big.test": {"A": ["127.0.2.%d" % i for i in range(1, 9)], "TC": True},
    "short.test": {"A": ["127.0.3.1"], "TTL": 1},
}


@pytest.fixture
def dns():
    with DNSFake(ZONES) as d:
        yield d


def use(server, *servers, timeout=1, retries=1, extra=""):
    lst = ", ".join(f'"{s}"' for s in servers)
    server.tegami("UpdateModule", "DNR",
                  f"{{ Servers = ({lst}); Timeout = {timeout}; "
                  f"Retries = {retries}; {extra} }}")


def lookup(server, name, rtype="A"):
    """(ok, text): the TestDNR data or its error text."""
    rc, out, err = server.tegami("TestDNR", name, rtype, check=False)
    return rc == 0, out if rc == 0 else (out + err)


def test_lookups(server, dns):
    use(server, dns.server)
    ok, out = lookup(server, "mail.test", "MX")
    assert ok and out == '("10 mx1.mail.test", "20 mx2.mail.test")', out
    ok, out = lookup(server, "MX1.Mail.Test.", "A")
    assert ok and "127.0.1.1" in out and "127.0.1.2" in out, out
    ok, out = lookup(server, "mx1.mail.test", "AAAA")
    assert ok and '"::1"' in out, out
    ok, out = lookup(server, "nullmx.test", "MX")
    assert ok and out == '("0 .")', out
    ok, out = lookup(server, "txt.test", "TXT")
    assert ok and "v=spf1 -all" in out and "two parts" in out, out
    ok, out = lookup(server, "127.0.1.1", "PTR")
    assert ok and "mx1.mail.test" in out, out
    ok, out = lookup(server, "nodata.test", "A")
    assert not ok and "A:no such records" in out, out
    ok, out = lookup(server, "broken.test", "A")
    assert not ok and "server failure" in out, out
    ok, out = lookup(server, "bad..name", "A")
    assert not ok and "bad host name" in out, out
