# SPDX-License-Identifier: Apache-2.0
"""SendEncrypted (B7): hosts and domains that get TLS or nothing.  A test CA
is made here with the openssl program; receivers are aiosmtpd with STARTTLS
on 127.0.1.x:25 (root), found through MX records served by dnsfake.py.  A
certificate that chains to TrustedCAFile and names the MX host -> delivered
over TLS; one that names another host -> the message stays queued and
ListQueue says which name was expected and which were presented; a host
without STARTTLS -> stays queued; the domain-level .via records of B7
deliver two domains over one verified connection to the relay."""

import os
import re
import ssl
import subprocess

import pytest

import smtpsink
from smtpsink import sinks_on_port_25  # noqa: F401 (the "sinks" fixture)
from dnsfake import DNSFake
from test_smtp_out import MSG, queue_list, start, strip_trace, submit

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="port 25 needs root"),
    pytest.mark.skipif(not smtpsink.HAVE_AIOSMTPD, reason="no python3-aiosmtpd"),
]

ZONES = {
    "secure.test": {"MX": [(10, "mx.secure.test")]},
    "mx.secure.test": {"A": ["127.0.1.31"]},
    "wrong.test": {"MX": [(10, "mx.wrong.test")]},
    "mx.wrong.test": {"A": ["127.0.1.32"]},
    "plain.test": {"MX": [(10, "mx.plain.test")]},
    "mx.plain.test": {"A": ["127.0.1.33"]},
    "mainhost.test": {"MX": [(10, "relay.mainhost.test")]},
    "relay.mainhost.test": {"A": ["127.0.1.34"]},
    "untrusted.test": {"MX": [(10, "mx.untrusted.test")]},
    "mx.untrusted.test": {"A": ["127.0.1.35"]},
}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                   timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a function making a server certificate for some names."""
    d = str(tmp_path_factory.mktemp("pki"))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Tegami Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)

    def cert(name, *sans, ca=True):
        sans = sans or (name,)
        key, csr, crt = name + ".key", name + ".csr", name + ".pem"
        alt = ",".join("DNS:" + n for n in sans)
        if ca:
            openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=" + name, "-addext", "subjectAltName=" + alt, cwd=d)
            openssl("x509", "-req", "-in", csr, "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-copy_extensions", "copy",
                    "-out", crt, cwd=d)
        else:
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=" + alt, cwd=d)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.path.join(d, crt), os.path.join(d, key))
        return ctx
    cert.ca = os.path.join(d, "ca.pem")
    return cert


@pytest.fixture
def dns():
    with DNSFake(ZONES) as d:
        yield d


def tls_server(make_server, dns, pki, encrypted):
    s = start(make_server)
    s.tegami("UpdateModule", "DNR",
             '{Servers = ("%s"); Timeout = 2; Retries = 1;}' % dns.server)
    s.tegami("UpdateModule", "SMTP", '{SendEncrypted = "%s"; TrustedCAFile = "%s";}'
             % (encrypted, pki.ca))
    return s


def wait_queue(s, pattern, timeout=20):
    import re
    import time
    end = time.time() + timeout
    while time.time() < end:
        q = queue_list(s)
        if re.search(pattern, q):
            return q
        time.sleep(0.2)
    raise AssertionError(f"ListQueue never matched {pattern!r}: {queue_list(s)}")


def test_send_encrypted_verified_delivery(make_server, dns, pki, sinks):
    k = sinks("127.0.1.31", tls_context=pki("mx.secure.test"))
    s = tls_server(make_server, dns, pki, "secure.test")
    assert submit(s, ["bob@secure.test"]) == {}
    got = k.wait(1)[0]
    assert got.tls
    assert strip_trace(got.data) == MSG
    assert s.wait_log(r"TLS required \(secure\.test is in SendEncrypted\)")


def test_send_encrypted_name_mismatch_stays_queued(make_server, dns, pki, sinks):
    k = sinks("127.0.1.32", tls_context=pki("other.example", "other.example",
                                            "www.other.example"))
    s = tls_server(make_server, dns, pki, "wrong.test, plain.test")
    assert submit(s, ["bob@wrong.test"]) == {}
    q = wait_queue(s, r"TLS certificate name mismatch")
    assert "expected wrong.test or mx.wrong.test" in q, q
    assert "presented other.example, www.other.example" in q, q
    assert k.messages == []
    # The queue monitor: the destination queue, its state and count.
    assert re.search(r'Queue = wrong\.test;', q), q
    assert re.search(r'State = "Delayed till \d\d:\d\d:\d\d";', q), q
    assert re.search(r"Messages = #1;", q), q
    # The last attempt's trace, without raising log levels.
    _, info, _ = s.tegami("GetMessageQueueInfo", "SMTP", "QUEUE", "wrong.test")
    for part in ("MX 10 mx.wrong.test", "address [127.0.1.32]:25 (mx.wrong.test)",
                 "TLS policy: required", "certificate names: other.example, "
                 "www.other.example; chain verified: yes",
                 "TLS policy check failed", "-> EHLO test.example",
                 "<- 220 ", "-> STARTTLS", "result: 0 delivered, 1 delayed"):
        assert part in info, (part, info)
    assert "Recipients = #1;" in info


def test_send_encrypted_without_starttls_stays_queued(make_server, dns, pki, sinks):
    k = sinks("127.0.1.33")
    s = tls_server(make_server, dns, pki, "wrong.test, plain.test")
    assert submit(s, ["bob@plain.test"]) == {}
    wait_queue(s, r"no STARTTLS offered, and plain\.test is in SendEncrypted")
    assert k.messages == []


def test_send_encrypted_untrusted_ca_stays_queued(make_server, dns, pki, sinks):
    k = sinks("127.0.1.35", tls_context=pki("mx.untrusted.test", ca=False))
    s = tls_server(make_server, dns, pki, "untrusted.test")
    assert submit(s, ["bob@untrusted.test"]) == {}
    wait_queue(s, r"not signed by a trusted CA")
    assert k.messages == []


def test_b7_via_domains_over_one_verified_connection(make_server, dns, pki, sinks):
    k = sinks("127.0.1.34", tls_context=pki("mainhost.test"))
    s = tls_server(make_server, dns, pki, "mainhost.test")
    s.tegami("SetRouterTable",
             "client1.test = client1.test@mainhost.test.via\n"
             "client2.test = client2.test@mainhost.test.via\n")
    # Held first (the relay refuses), then released together.
    k.stop()
    assert submit(s, ["a@client1.test", "b@client2.test"]) == {}
    assert submit(s, ["c@client2.test"]) == {}
    for r in (r"a@client1\.test", r"b@client2\.test", r"c@client2\.test"):
        assert s.wait_log(r + r" delayed: \[127\.0\.1\.34\]:25", timeout=20)
    k2 = sinks("127.0.1.34", tls_context=pki("mainhost.test"))
    s.tegami("ReleaseSMTPQueue", "mainhost.test")
    got = k2.wait(2)
    assert all(m.tls for m in got)
    assert sorted(r for m in got for r in m.rcpts) == [
        "a@client1.test", "b@client2.test", "c@client2.test"]
    assert k2.connections() == 1
