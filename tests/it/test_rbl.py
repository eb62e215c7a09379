# SPDX-License-Identifier: Apache-2.0
"""RBL checks on SMTP in (docs/dnr.md): the RBLs setting of the SMTP
module, the client looked up in a zone served by a real DNS responder on
loopback (dnsfake.py); a listed client is refused at RCPT with a 550 that
names the zone, unless it authenticated or is a Client IP or White Hole IP
Address; answers come from the DNR cache."""

import smtplib

import pytest

from dnsfake import DNSFake

DOMAIN = "test.example"
LISTED = "127.0.0.2"
UNLISTED = "127.0.0.3"
ZONES = {
    "2.0.0.127.rbl.test": {"A": ["127.0.0.2"],
                           "TXT": ["Listed, see http://rbl.test/?127.0.0.2"]},
}


@pytest.fixture
def setup(make_server):
    with DNSFake(ZONES) as dns:
        s = make_server(services=["smtp", "cli"], domain=DOMAIN).start()
        s.tegami("UpdateModule", "DNR",
                 f'{{ Servers = ("{dns.server}"); Timeout = 2; }}')
        s.tegami("UpdateModule", "SMTP", '{ RBLs = ("rbl.test"); '
                 'LogLevel = 4; }')
        s.tegami("CreateAccount", "user1", '{Password="pw-user1";}')
        yield s, dns


def smtp_from(s, source):
    return smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30,
                        source_address=(source, 0))


def rcpt(s, source, login=False):
    with smtp_from(s, source) as c:
        c.ehlo("client.test")
        if login:
            c.login("user1", "pw-user1")
        assert c.mail("someone@sender.test")[0] == 250
        return c.rcpt(f"user1@{DOMAIN}")


def test_listed_client_refused(setup):
    s, dns = setup
    code, text = rcpt(s, LISTED)
    assert code == 550, (code, text)
    assert b"5.7.1" in text and b"rbl.test" in text and b"Listed, see" in text
    assert s.wait_log(r"SMTP-\d+.* RCPT refused: \[127\.0\.0\.2\] is listed "
                      r"in RBL rbl\.test")
    # The second session takes the DNR's cached answer.
    assert rcpt(s, LISTED)[0] == 550
    assert dns.count("2.0.0.127.rbl.test", "A") == 1


def test_unlisted_client_accepted(setup):
    s, dns = setup
    code, text = rcpt(s, UNLISTED)
    assert code == 250, (code, text)
    assert dns.count("3.0.0.127.rbl.test", "A") == 1
    # B15: the unknown name is logged by the DNR at Problems level.
    assert s.wait_log(r" 3 DNR-\d+\(3\.0\.0\.127\.rbl\.test\) A:host name "
                      r"is unknown")


def test_authenticated_client_accepted(setup):
    s, dns = setup
    code, text = rcpt(s, LISTED, login=True)
    assert code == 250, (code, text)
    assert dns.count("2.0.0.127.rbl.test") == 0


def test_client_and_white_hole_ips_not_checked(setup):
    s, dns = setup
    s.tegami("SetWhiteHoleIPs", LISTED)
    assert rcpt(s, LISTED)[0] == 250
    s.tegami("SetWhiteHoleIPs", "")
    s.tegami("SetClientIPs", LISTED)
    assert rcpt(s, LISTED)[0] == 250
    assert dns.count("2.0.0.127.rbl.test") == 0
    s.tegami("SetClientIPs", "")
    assert rcpt(s, LISTED)[0] == 550


def test_rbls_setting(setup):
    s, dns = setup
    rc, out, err = s.tegami("GetModule", "SMTP")
    assert "RBLs" in out and "rbl.test" in out, out
    rc, out, err = s.tegami("UpdateModule", "SMTP", '{ RBLs = ("bad zone"); }',
                            check=False)
    assert rc != 0 and "RBLs" in (out + err), (out, err)
    s.tegami("UpdateModule", "SMTP", "{ RBLs = (); }")
    assert rcpt(s, LISTED)[0] == 250
