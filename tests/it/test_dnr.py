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


def udp_port(pid):
    """The local ports of the UDP sockets process pid holds (IPv4 and
    IPv6), from /proc/<pid>/fd and /proc/net/udp{,6}."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", t)
        if m:
            inodes.add(m[1])
    ports = set()
    for f in ("/proc/net/udp", "/proc/net/udp6"):
        with open(f) as fh:
            for line in fh.readlines()[1:]:
                col = line.split()
                if col[9] in inodes:
                    ports.add(int(col[1].split(":")[1], 16))
    return ports


def test_b15_unknown_name_logged_at_problems(server, dns):
    use(server, dns.server)
    ok, out = lookup(server, "nowhere.test", "A")
    assert not ok and "A:host name is unknown" in out, out
    assert server.wait_log(r" 3 DNR-\d+\(nowhere\.test\) A:host name is "
                           r"unknown")
    # An RBL-style name, as B15 shows it.
    lookup(server, "4.3.2.1.rbl.test", "A")
    assert server.wait_log(r" 3 DNR-\d+\(4\.3\.2\.1\.rbl\.test\) A:host name "
                           r"is unknown")
    # At Major & Failures no such line is written.
    server.tegami("UpdateModule", "DNR", "{ LogLevel = 2; }")
    ok, out = lookup(server, "elsewhere.test", "MX")
    assert not ok and "MX:host name is unknown" in out, out
    server.tegami("WriteLog", "1", "marker after the lookup")
    assert server.wait_log("marker after the lookup")
    assert "elsewhere.test" not in server.log_text()


def test_b16_one_socket(server, dns):
    use(server, dns.server)
    before = udp_port(server.proc.pid)
    assert len(before) == 1, before
    for i in range(60):
        ok, out = lookup(server, f"n{i}.test", "A")
        assert not ok and "unknown" in out
    assert udp_port(server.proc.pid) == before
    assert dns.source_ports() == before
    assert dns.count() == 60
    server.restart()
    after = udp_port(server.proc.pid)
    assert len(after) == 1 and after != before, (before, after)
    dns.reset()
    lookup(server, "again.test", "A")
    assert dns.source_ports() == after


def test_cache_positive_negative_and_ttl(server, dns):
    use(server, dns.server)
    for _ in range(3):
        assert lookup(server, "mail.test", "MX")[0]
        assert not lookup(server, "gone.test", "A")[0]
        assert not lookup(server, "nodata.test", "A")[0]
    assert dns.count("mail.test", "MX") == 1
    assert dns.count("gone.test", "A") == 1
    assert dns.count("nodata.test", "A") == 1
    # Another type of the same name is another question.
    assert lookup(server, "mail.test", "A")[0]
    assert dns.count("mail.test") == 2
    # A one-second TTL: asked again once it has passed.
    assert lookup(server, "short.test", "A")[0]
    assert lookup(server, "short.test", "A")[0]
    assert dns.count("short.test") == 1
    time.sleep(2.2)
    assert lookup(server, "short.test", "A")[0]
    assert dns.count("short.test") == 2
    # Failures are not cached.
    lookup(server, "broken.test", "A")
    lookup(server, "broken.test", "A")
    assert dns.count("broken.test") == 2


def test_timeout_and_retry_to_second_server(server, dns):
    with DNSFake({}) as silent:
        silent.silent = True
        use(server, silent.server, dns.server, timeout=1, retries=1)
        ok, out = lookup(server, "mail.test", "MX")
        assert ok and "mx1.mail.test" in out, out
        assert silent.count("mail.test") == 1
        assert dns.count("mail.test") == 1
        # No answer anywhere: one attempt per server, then "no response".
        ok, out = lookup(server, "slow.test", "A")
        assert not ok and "A:no response" in out, out
        assert silent.count("slow.test") == 1 and dns.count("slow.test") == 1
        use(server, silent.server, dns.server, timeout=1, retries=3)
        silent.reset()
        dns.reset()
        ok, out = lookup(server, "slow.test", "A")
        assert not ok and "A:no response" in out, out
        # Four attempts in turn over the two servers.
        assert silent.count("slow.test") == 2 and dns.count("slow.test") == 2
        assert server.wait_log(r"DNR-\d+\(slow\.test\) A:no response")


def test_update_module_servers_at_once(server, dns):
    with DNSFake({"only-b.test": {"A": ["127.0.9.9"]}}) as other:
        use(server, dns.server)
        assert not lookup(server, "only-b.test", "A")[0]
        assert dns.count("only-b.test") == 1
        use(server, other.server)
        ok, out = lookup(server, "only-b2.test", "A")
        assert other.count("only-b2.test") == 1
        assert dns.count("only-b2.test") == 0
        other.set("only-b3.test", {"A": ["127.0.9.8"]})
        ok, out = lookup(server, "only-b3.test", "A")
        assert ok and "127.0.9.8" in out, out
    rc, out, err = server.tegami("GetModule", "DNR")
    assert "Servers" in out and "Timeout" in out and "Retries" in out, out


def test_truncated_answer_asked_over_tcp(server, dns):
    use(server, dns.server)
    ok, out = lookup(server, "big.test", "A")
    assert ok and out.count("127.0.2.") == 8, out
    assert dns.count("big.test") == 2
    assert dns.source_ports("tcp")


def test_forged_answers_dropped(server, dns):
    use(server, dns.server, extra="LogLevel = 4;")
    (port,) = udp_port(server.proc.pid)
    import socket
    from dnslib import DNSRecord, RR, A as RA
    forged = DNSRecord.question("mail.test", "A").reply()
    forged.add_answer(RR("mail.test", rdata=RA("10.6.6.6")))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(forged.pack(), ("127.0.0.1", port))
    assert server.wait_log(r"DNR .*unknown id \d+ dropped")
    ok, out = lookup(server, "mail.test", "A")
    assert ok and "10.6.6.6" not in out, out
