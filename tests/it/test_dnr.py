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
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa":
        {"PTR": ["v6.mail.test"]},
    "nodata.test": {},
    "slow.test": DROP,
    "broken.test": {"RCODE": "SERVFAIL"},
    "big.test": {"A": ["127.0.2.%d" % i for i in range(1, 9)], "TC": True},
    "short.test": {"A": ["127.0.3.1"], "TTL": 1},
    "signed.test": {"A": ["127.0.4.1"], "AD": True},
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
    ok, out = lookup(server, "::1", "PTR")
    assert ok and "v6.mail.test" in out, out
    # An IPv4 client seen on a dual-stack socket is looked up as IPv4.
    ok, out = lookup(server, "::ffff:127.0.1.1", "PTR")
    assert ok and "mx1.mail.test" in out, out
    ok, out = lookup(server, "nodata.test", "A")
    assert not ok and "A:no such records" in out, out
    ok, out = lookup(server, "broken.test", "A")
    assert not ok and "server failure" in out, out
    # The raw answer with its AD bit (DANE, MTA-STS).
    ok, out = lookup(server, "signed.test", "1")
    assert ok and re.fullmatch(r'\("\d+ bytes", AD\)', out), out
    ok, out = lookup(server, "mail.test", "15")
    assert ok and re.fullmatch(r'\("\d+ bytes", "-"\)', out), out
    ok, out = lookup(server, "bad..name", "A")
    assert not ok and "bad host name" in out, out


UDP4 = ("/proc/net/udp",)
UDP6 = ("/proc/net/udp6",)


def udp_port(pid, files=UDP4):
    """The local ports of the UDP sockets process pid holds (IPv4 by
    default), from /proc/<pid>/fd and /proc/net/udp (udp6)."""
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
    for f in files:
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


def test_bad_settings_refused(server, dns):
    for bad, word in (('{ Servers = ("a b"); }', "Servers"),
                      ("{ Timeout = 0; }", "Timeout"),
                      ("{ Retries = 11; }", "Retries")):
        rc, out, err = server.tegami("UpdateModule", "DNR", bad, check=False)
        assert rc != 0 and word in out + err, (bad, out, err)
    # An entry that is no address, or whose port is past 65535, is refused
    # too (the Servers check hook), and the file stays as it was.
    use(server, dns.server)
    path = server.path("Settings", "DNR.settings")
    with open(path, "rb") as f:
        before = f.read()
    for bad in ("not-an-address", "127.0.0.1:70000"):
        rc, out, err = server.tegami(
            "UpdateModule", "DNR",
            '{ Servers = ("%s", "%s"); }' % (bad, dns.server), check=False)
        assert rc != 0 and f'got "{bad}"' in out + err, (bad, out, err)
        with open(path, "rb") as f:
            assert f.read() == before
    assert lookup(server, "mail.test", "MX")[0]


def test_parallel_lookups_share_the_socket(server, dns):
    """Lookups from many threads at once (CLI sessions) each get their own
    answer, over the one socket."""
    from concurrent.futures import ThreadPoolExecutor
    for i in range(24):
        dns.set(f"p{i}.test", {"A": [f"127.0.5.{i + 1}"]})
    use(server, dns.server)
    port = udp_port(server.proc.pid)
    with ThreadPoolExecutor(max_workers=12) as ex:
        res = list(ex.map(lambda i: lookup(server, f"p{i}.test", "A"),
                          range(24)))
    for i, (ok, out) in enumerate(res):
        assert ok and out == f"(127.0.5.{i + 1})", (i, out)
    assert dns.source_ports() == port
    assert udp_port(server.proc.pid) == port


def test_stop_wakes_a_waiting_lookup(server, dns):
    """A lookup waiting for a server that does not answer does not hold
    the shutdown: it ends with a temporary failure."""
    import threading
    use(server, dns.server, timeout=30, retries=0)
    res = []
    t = threading.Thread(target=lambda: res.append(
        lookup(server, "slow.test", "A")))
    t.start()
    end = time.time() + 10
    while dns.count("slow.test") == 0 and time.time() < end:
        time.sleep(0.05)
    assert dns.count("slow.test") == 1
    assert server.stop() == 0
    t.join(timeout=30)
    assert res and not res[0][0], res


def test_ipv6_server_gets_its_own_socket(server, dns):
    """A server on ::1 ("[::1]:port"): the DNR opens its IPv6 socket (at
    most one), beside the IPv4 one, and keeps both."""
    pid = server.proc.pid
    v4 = udp_port(pid)
    assert len(v4) == 1
    with DNSFake(ZONES, addr="::1") as dns6:
        use(server, dns6.server)
        ok, out = lookup(server, "mail.test", "MX")
        assert ok and "mx1.mail.test" in out, out
        assert dns6.count("mail.test") == 1
        v6 = udp_port(pid, UDP6)
        assert len(v6) == 1 and dns6.source_ports() == v6, v6
        for i in range(5):
            lookup(server, f"v6-{i}.test", "A")
        assert dns6.source_ports() == v6
        # Both families in turn: the IPv4 server answers after the IPv6
        # one stopped answering.
        dns6.silent = True
        use(server, dns6.server, dns.server, timeout=1, retries=1)
        ok, out = lookup(server, "mx1.mail.test", "A")
        assert ok and "127.0.1.1" in out, out
        assert udp_port(pid) == v4 and udp_port(pid, UDP6) == v6
        assert dns.source_ports() == v4


def test_same_question_at_once_is_one_query(server, dns):
    """Callers asking the same question while it is in flight share one
    query (an RBL lookup of one client from many sessions)."""
    from concurrent.futures import ThreadPoolExecutor
    dns.set("late.test", {"A": ["127.0.6.1"], "DELAY": 1.5})
    use(server, dns.server, timeout=5)
    with ThreadPoolExecutor(max_workers=8) as ex:
        res = list(ex.map(lambda i: lookup(server, "late.test", "A"),
                          range(8)))
    assert all(ok and out == "(127.0.6.1)" for ok, out in res), res
    assert dns.count("late.test") == 1
