# SPDX-License-Identifier: Apache-2.0
"""Login hardening (issue 15) with real clients -- imaplib, poplib, smtplib --
from chosen loopback source addresses: 127.0.0.2 is the attacker, 127.0.0.3
the real user.

* Failed logins count per (account, address) and per address: the attacker's
  failures never lock the real user out; too many from one address put it on
  the Temporary Blacklisted IP Addresses, shown by GetTempBlacklistedIPs and
  removed by SetTempBlacklistedIPs "addr-0".
* Clear-text logins need TLS except from ClearTextLoginIPs (loopback by
  default): with the list narrowed to 127.0.0.1, a client at 127.0.0.2 is a
  remote one, gets LOGINDISABLED / no USER / no AUTH PLAIN before TLS, and can
  log in after STARTTLS / STLS.
"""

import base64
import imaplib
import poplib
import re
import smtplib
import socket
import ssl

import pytest

from conftest import CliClient

ATTACKER = "127.0.0.2"
USER_IP = "127.0.0.3"


def tls_ctx():
    return ssl._create_unverified_context()


class IMAPFrom(imaplib.IMAP4):
    """imaplib.IMAP4 connecting from a chosen source address."""

    def __init__(self, port, source):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._source, 0))


class POPFrom(poplib.POP3):
    """poplib.POP3 connecting from a chosen source address."""

    def __init__(self, port, source):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._source, 0))


def smtp_from(port, source):
    return smtplib.SMTP("127.0.0.1", port, timeout=30,
                        source_address=(source, 0))


def imap_login(s, source, user, pw):
    """'OK' or the text of the NO answer (or of a BYE greeting)."""
    try:
        m = IMAPFrom(s.ports["imap"], source)
    except imaplib.IMAP4.error as e:
        return str(e)
    try:
        m.login(user, pw)
    except imaplib.IMAP4.error as e:
        m.shutdown()
        return str(e)
    m.logout()
    return "OK"


def pop_login(s, source, user, pw):
    try:
        p = POPFrom(s.ports["pop3"], source)
    except poplib.error_proto as e:
        return e.args[0].decode()
    try:
        p.user(user)
        p.pass_(pw)
    except poplib.error_proto as e:
        p.quit()
        return e.args[0].decode()
    p.quit()
    return "OK"


def smtp_login(s, source, user, pw, service="submission"):
    """One AUTH PLAIN (smtplib's login() would go on to try LOGIN after a
    failure, a second failed login)."""
    with smtp_from(s.ports[service], source) as c:
        c.ehlo()
        c.user, c.password = user, pw
        try:
            c.auth("PLAIN", c.auth_plain)
        except smtplib.SMTPAuthenticationError as e:
            return f"{e.smtp_code} {e.smtp_error.decode()}"
        return "OK"


def start(make_server):
    s = make_server(services=["cli", "pop3", "imap", "smtp", "submission"])
    s.start()
    s.tegami("CreateAccount", "victim",
             '{Password="v-pw"; FailedLoginFlow=(3,10m);}')
    s.tegami("CreateAccount", "mallory", '{Password="m-pw";}')
    s.tegami("UpdateProtection",
             "{TempBlacklistFailedLogins=(6,10m); TempBlacklistTime=10m;}")
    return s


def blacklist(s):
    """GetTempBlacklistedIPs as {address: seconds left}."""
    out = s.tegami("GetTempBlacklistedIPs")[1].strip('"')
    if not out:
        return {}
    return {a: int(t) for a, t in (x.rsplit("-", 1) for x in out.split(","))}


def test_attacker_does_not_lock_out_the_user(make_server):
    s = start(make_server)
    # The attacker tries victim's password three times: that pair is done.
    for _ in range(3):
        assert "[AUTHENTICATIONFAILED]" in imap_login(s, ATTACKER, "victim", "guess")
    assert "[UNAVAILABLE] too many failed logins" in \
        imap_login(s, ATTACKER, "victim", "v-pw")
    # The real user, from another address, is not affected, in any protocol.
    assert imap_login(s, USER_IP, "victim", "v-pw") == "OK"
    assert pop_login(s, USER_IP, "victim", "v-pw") == "OK"
    assert smtp_login(s, USER_IP, "victim", "v-pw") == "OK"
    # Other accounts still work from the attacker's address (not blocked yet).
    assert imap_login(s, ATTACKER, "mallory", "m-pw") == "OK"
    assert blacklist(s) == {}
    # Two more failures with other names: 6 from 127.0.0.2 blacklist it.
    assert "[AUTH]" in pop_login(s, ATTACKER, "nobody", "x")
    assert smtp_login(s, ATTACKER, "mallory", "wrong").startswith("535")
    bl = blacklist(s)
    assert list(bl) == [ATTACKER] and 0 < bl[ATTACKER] <= 600
    assert s.wait_log(r"\d 2 SMTP-\d+\(.*\) 127\.0\.0\.2 temporarily "
                      r"blacklisted for 600 s: 6 failed logins in 600 s")
    # Every connection from it is refused now, before any login, in every
    # protocol: IMAP says BYE, POP -ERR, SMTP 421 instead of a greeting.
    with pytest.raises(imaplib.IMAP4.error) as e:
        IMAPFrom(s.ports["imap"], ATTACKER)
    assert "[UNAVAILABLE] Your address is temporarily blacklisted" in \
        str(e.value)
    with pytest.raises(poplib.error_proto) as e:
        POPFrom(s.ports["pop3"], ATTACKER)
    assert e.value.args[0].decode() == \
        "-ERR [SYS/TEMP] your address is temporarily blacklisted, try later"
    assert s.wait_log(r"IMAP-\d+\(.*\) connection refused: address is "
                      r"temporarily blacklisted")
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtp_from(s.ports["smtp"], ATTACKER)
    assert e.value.smtp_code == 421
    # The real user goes on.
    assert imap_login(s, USER_IP, "victim", "v-pw") == "OK"
    assert smtp_login(s, USER_IP, "victim", "v-pw", service="smtp") == "OK"
    # The administrator lifts the block: the address starts afresh.
    s.tegami("SetTempBlacklistedIPs", f"{ATTACKER}-0")
    assert blacklist(s) == {}
    assert s.wait_log(r"\d 2 PWD-\d+.* 127\.0\.0\.2 removed from the "
                      r"temporary blacklist")
    assert imap_login(s, ATTACKER, "victim", "v-pw") == "OK"
    assert pop_login(s, ATTACKER, "mallory", "m-pw") == "OK"
    with smtp_from(s.ports["smtp"], ATTACKER) as c:
        assert c.ehlo()[0] == 250


def test_set_temp_blacklisted_ips(make_server):
    s = start(make_server)
    s.tegami("SetTempBlacklistedIPs", "127.0.0.4-120, 127.0.0.5\n::2-60")
    bl = blacklist(s)
    assert set(bl) == {"127.0.0.4", "127.0.0.5", "::2"}
    assert 0 < bl["127.0.0.4"] <= 120 and 120 < bl["127.0.0.5"] <= 600
    assert "[UNAVAILABLE] Your address is temporarily blacklisted, try later" \
        in imap_login(s, "127.0.0.4", "victim", "v-pw")
    # A new time replaces the old one; -0 removes.
    s.tegami("SetTempBlacklistedIPs", "127.0.0.4-0,127.0.0.5-30")
    bl = blacklist(s)
    assert set(bl) == {"127.0.0.5", "::2"} and bl["127.0.0.5"] <= 30
    assert imap_login(s, "127.0.0.4", "victim", "v-pw") == "OK"
    # A bad item refuses the whole text; nothing changes.
    rc, _, err = s.tegami("SetTempBlacklistedIPs", "127.0.0.6-10,300.1.2.3",
                          check=False)
    assert rc != 0 and "bad address: 300.1.2.3" in err
    rc, _, err = s.tegami("SetTempBlacklistedIPs", "127.0.0.6-x", check=False)
    assert rc != 0 and "bad time" in err
    assert "127.0.0.6" not in blacklist(s)
    # The loopback address of the server itself is never refused a login.
    s.tegami("SetTempBlacklistedIPs", "127.0.0.1-60")
    assert imap_login(s, "127.0.0.1", "victim", "v-pw") == "OK"


def test_each_attacking_address_is_blacklisted_alone(make_server):
    """Many attacking addresses, each with few tries: each is blacklisted by
    its own failures and the user is never locked out.  (The bounds of the
    failure tables are tested in tests/unit/auth/auth_test.c.)"""
    s = start(make_server)
    s.tegami("UpdateProtection", "{TempBlacklistFailedLogins=(2,10m);}")
    for i in range(20):
        src = f"127.0.1.{i + 1}"
        assert "[AUTHENTICATIONFAILED]" in imap_login(s, src, f"n{i}", "x")
        assert "[AUTHENTICATIONFAILED]" in imap_login(s, src, "victim", "x")
        assert "temporarily blacklisted" in imap_login(s, src, "victim", "v-pw")
    assert len(blacklist(s)) == 20
    assert imap_login(s, USER_IP, "victim", "v-pw") == "OK"


# ---- clear-text logins need TLS from non-local addresses ----

def remote_only(s):
    """Only 127.0.0.1 counts as local: 127.0.0.2 is a remote client."""
    s.tegami("UpdateProtection", '{ClearTextLoginIPs="127.0.0.1";}')


def test_smtp_clear_text_auth_needs_tls(make_server):
    s = start(make_server)
    # Loopback is local by default: AUTH PLAIN works in the clear.
    assert smtp_login(s, ATTACKER, "victim", "v-pw", service="smtp") == "OK"
    remote_only(s)
    for svc in ("smtp", "submission"):
        with smtp_from(s.ports[svc], ATTACKER) as c:
            c.ehlo()
            assert not c.has_extn("auth")      # CRAM-MD5 is not enabled
            code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(
                b"\0victim\0v-pw").decode())
            assert code == 538 and text.startswith(b"5.7.11")
            c.starttls(context=tls_ctx())
            c.ehlo()
            assert "PLAIN" in c.esmtp_features["auth"]
            c.login("victim", "v-pw")
    # 127.0.0.1 stays local.
    assert smtp_login(s, "127.0.0.1", "victim", "v-pw", service="smtp") == "OK"
    # The relaxing setting.
    s.tegami("UpdateProtection", "{AllowClearTextLogins=YES;}")
    assert smtp_login(s, ATTACKER, "victim", "v-pw", service="smtp") == "OK"


def test_cram_md5_offered_in_the_clear_when_enabled(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "clr",
             '{Password="c-pw"; PasswordEncryption=clear;}')
    remote_only(s)
    m = IMAPFrom(s.ports["imap"], ATTACKER)
    assert "AUTH=CRAM-MD5" not in m.capabilities
    m.logout()
    s.tegami("UpdateDomainSettings", "test.example",
             '{AUTHMethods=(PLAIN,LOGIN,"CRAM-MD5");}')
    with smtp_from(s.ports["submission"], ATTACKER) as c:
        c.ehlo()
        assert c.esmtp_features["auth"].split() == ["CRAM-MD5"]
        assert c.login("clr", "c-pw")[0] == 235      # smtplib picks CRAM-MD5
    m = IMAPFrom(s.ports["imap"], ATTACKER)
    assert "LOGINDISABLED" in m.capabilities and "AUTH=CRAM-MD5" in m.capabilities
    assert m.login_cram_md5("clr", "c-pw")[0] == "OK"
    m.logout()
    m = IMAPFrom(s.ports["imap"], ATTACKER)
    with pytest.raises(imaplib.IMAP4.error) as e:
        m.login_cram_md5("clr", "wrong")
    assert "[AUTHENTICATIONFAILED]" in str(e.value)
    m.logout()
    p = POPFrom(s.ports["pop3"], ATTACKER)
    assert p.capa()["SASL"] == ["CRAM-MD5"]
    p.quit()


def test_imap_login_needs_tls(make_server):
    s = start(make_server)
    remote_only(s)
    m = IMAPFrom(s.ports["imap"], ATTACKER)
    caps = m.capability()[1][0].decode().split()
    assert "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps
    with pytest.raises(imaplib.IMAP4.error) as e:
        m.login("victim", "v-pw")
    assert "[PRIVACYREQUIRED]" in str(e.value)
    typ, data = m._simple_command("AUTHENTICATE", "PLAIN",
                                  base64.b64encode(b"\0victim\0v-pw").decode())
    assert typ == "NO" and b"[PRIVACYREQUIRED]" in data[0]
    m.starttls(ssl_context=tls_ctx())
    caps = m.capability()[1][0].decode().split()
    assert "LOGINDISABLED" not in caps and "AUTH=PLAIN" in caps
    assert m.login("victim", "v-pw")[0] == "OK"
    m.logout()
    # From 127.0.0.1 nothing changed.
    assert imap_login(s, "127.0.0.1", "victim", "v-pw") == "OK"
    assert s.wait_log(r"IMAP-\d+\(.*127\.0\.0\.2.*\) clear-text login of "
                      r"victim refused: TLS required")


def test_pop_user_pass_needs_tls(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "clr",
             '{Password="c-pw"; PasswordEncryption=clear;}')
    remote_only(s)
    p = POPFrom(s.ports["pop3"], ATTACKER)
    caps = p.capa()
    assert "USER" not in caps and "SASL" not in caps and "STLS" in caps
    with pytest.raises(poplib.error_proto) as e:
        p.user("victim")
    assert e.value.args[0].startswith(b"-ERR [AUTH] clear-text login requires TLS")
    with pytest.raises(poplib.error_proto):
        p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0victim\0v-pw").decode())
    # APOP never sends the password: still fine in the clear.
    assert re.search(rb"<[^>]+>", p.welcome)
    assert p.apop("clr", "c-pw").startswith(b"+OK")
    p.quit()
    p = POPFrom(s.ports["pop3"], ATTACKER)
    p.stls(context=tls_ctx())
    caps = p.capa()
    assert "USER" in caps and caps["SASL"][:2] == ["PLAIN", "LOGIN"]
    p.user("victim")
    assert p.pass_("v-pw").startswith(b"+OK")
    p.quit()


def test_temp_blacklist_limits(make_server):
    """AUTH_TEMPBL_MAX (4096) addresses, then one past it; an over-long
    argument and too many items in one text are refused whole."""
    s = start(make_server)
    addrs = [f"10.9.{i // 256}.{i % 256}" for i in range(4096)]
    s.tegami("SetTempBlacklistedIPs", ",".join(a + "-300" for a in addrs))
    assert len(blacklist(s)) == 4096
    rc, _, err = s.tegami("SetTempBlacklistedIPs", "10.8.0.1-300", check=False)
    assert rc != 0 and "the temporary blacklist is full (4096 addresses)" in err
    assert "10.8.0.1" not in blacklist(s)
    # Re-listing an address already there still works when full.
    s.tegami("SetTempBlacklistedIPs", "10.9.0.1-30")
    assert blacklist(s)["10.9.0.1"] <= 30
    s.tegami("SetTempBlacklistedIPs", "10.9.0.0-0")
    s.tegami("SetTempBlacklistedIPs", "10.8.0.1-300")
    assert len(blacklist(s)) == 4096 and "10.8.0.1" in blacklist(s)
    rc, _, err = s.tegami("SetTempBlacklistedIPs",
                          ",".join(f"10.7.{i // 256}.{i % 256}" for i in range(4097)),
                          check=False)
    assert rc != 0 and "more than 4096 addresses" in err
    # Longer than one argv string may be: over the CLI TCP service.
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", s.postmaster_password()).startswith("200")
        st = c.cmd('SetTempBlacklistedIPs "10.6.0.1' + " " * 300000 + '"')
    assert st == "501 address list longer than 262144 bytes"
    assert "10.6.0.1" not in blacklist(s)
