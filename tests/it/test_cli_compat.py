# SPDX-License-Identifier: Apache-2.0
"""CGP CLI compatibility (issue 15), over the TCP `cli` service with a client
that speaks the PWD protocol the way the vendor's Perl CGP::CLI module 2.7.5
does (docs/admin-cli.md): it takes the stamp `<...@...>` from the banner and
logs in with `APOP user md5hex(stamp + password)` by default, or with
`AUTH WEBUSER user password`, or USER/PASS; it sends bare-LF lines, then
`INLINE`, and reads `201 <data>` answers."""

import hashlib
import os
import re
import socket
import time

import pytest

from conftest import CliClient, deliver


class CgpCli:
    """What CGP::CLI->new({...}) does on the wire."""

    def __init__(self, port, login, password, secure=True, webuser=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.sock.makefile("rb")
        self.banner = self._line()
        self.login_reply = None
        m = re.search(r"(<.*@*>)", self.banner)      # the module's own regex
        if secure and m:
            digest = hashlib.md5((m.group(1) + password).encode()).hexdigest()
            self.login_reply = self.send(f"APOP {login} {digest}")
        elif webuser:
            self.login_reply = self.send(f"AUTH WEBUSER {login} {password}")
        else:
            assert self.send(f"USER {login}").startswith("300")
            self.login_reply = self.send(f"PASS {password}")
        self.ok = self.login_reply.split(" ")[0] in ("200", "201")
        if self.ok:
            assert self.send("INLINE").startswith("200")

    def _line(self):
        line = self.f.readline()
        if not line:
            raise EOFError("connection closed")
        assert line.endswith(b"\r\n"), line
        return line[:-2].decode("utf-8", errors="replace")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")       # the module sends LF
        return self._line()

    def data(self, line):
        """A data command after INLINE: the text after `201 `."""
        st = self.send(line)
        assert st.startswith("201 "), (line, st)
        return st[4:]

    def close(self):
        try:
            self.send("QUIT")
        except (OSError, EOFError):
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def admin(server, name="admin", password="s3cret pw"):
    """A Master account whose password is stored in clear, so APOP works."""
    server.tegami("CreateAccount", name,
                  f'{{Password="{password}"; PasswordEncryption=clear;}}')
    server.tegami("SetAccountRights", name, "(Master)")
    return name, password


def pm(server):
    return CgpCli(server.ports["cli"], "postmaster", server.postmaster_password(),
                  secure=False)


# ---- the banner and the logins ---------------------------------------------


def test_banner_carries_a_fresh_stamp(server):
    stamps = set()
    for _ in range(3):
        with CliClient(server.ports["cli"]) as c:
            m = re.match(r"^200 .*PWD Server .* ready (<\d+\.\d+@test\.example>)$",
                         c.banner)
            assert m, c.banner
            assert c.banner.count("<") == 1 and c.banner.count(">") == 1
            stamps.add(m.group(1))
    assert len(stamps) == 3


def test_default_secure_login_is_apop(server):
    name, pw = admin(server)
    with CgpCli(server.ports["cli"], name, pw) as c:
        assert c.login_reply == "200 login OK"
        assert server.domain in c.data("ListDomains")
        assert c.data("MainDomainName") == server.domain
    assert server.wait_log(r"'admin@test\.example' connected from .* with APOP")


def test_apop_needs_a_password_stored_in_clear(server):
    # postmaster's generated password is stored hashed: no digest can match.
    with CgpCli(server.ports["cli"], "postmaster",
                server.postmaster_password()) as c:
        assert not c.ok
        assert c.login_reply == "501 incorrect password or account name"
        assert c.send("ListDomains").startswith("500")
    assert server.wait_log(r"APOP cannot succeed for 'postmaster@test\.example': "
                           r"its password is not stored in clear")
    # Stored in clear (effective PasswordEncryption = clear), APOP works.
    server.tegami("UpdateAccountSettings", "postmaster",
                  "{PasswordEncryption=clear;}")
    server.tegami("SetAccountPassword", "postmaster", "PASSWORD", "pm pass")
    with CgpCli(server.ports["cli"], "postmaster", "pm pass") as c:
        assert c.ok, c.login_reply


def test_apop_wrong_digest_and_flow_control(server):
    name, pw = admin(server)
    server.tegami("UpdateAccountSettings", name, '{FailedLoginFlow=(3, 1m);}')
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    for _ in range(3):
        with CgpCli(server.ports["cli"], name, "wrong") as c:
            assert c.login_reply == "501 incorrect password or account name"
    # Past FailedLoginFlow the right digest is refused too, as for PASS.
    with CgpCli(server.ports["cli"], name, pw) as c:
        assert c.login_reply == "501 too many failed logins, try later"
    with CgpCli(server.ports["cli"], name, pw, secure=False) as c:
        assert c.login_reply == "501 too many failed logins, try later"
    assert server.wait_log(r"login failed for 'admin' \(APOP\): incorrect password")
    assert "APOP cannot succeed for 'admin" not in server.log_text()
    log = server.log_text()
    assert "inp: APOP ***" in log
    assert not re.search(r"APOP admin [0-9a-f]{32}", log)


def test_apop_syntax_errors(server):
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("APOP") == "501 usage: APOP name digest"
        assert c.cmd("APOP postmaster") == "501 usage: APOP name digest"
        assert c.cmd("APOP postmaster 1234") == "501 usage: APOP name digest"
        assert c.cmd("APOP postmaster " + "g" * 32) == "501 usage: APOP name digest"
        assert c.cmd("APOP postmaster " + "a" * 32 + " x") == \
            "501 usage: APOP name digest"
        assert c.cmd("AUTH") == "501 usage: AUTH WEBUSER name password"
        assert c.cmd("AUTH PLAIN x y") == "501 unsupported AUTH method"
        assert c.cmd("AUTH WEBUSER postmaster") == \
            "501 usage: AUTH WEBUSER name password"
        assert c.cmd("ListDomains").startswith("500")


def test_auth_webuser(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    pw = server.postmaster_password()
    with CgpCli(server.ports["cli"], "postmaster", pw, secure=False,
                webuser=True) as c:
        assert c.login_reply == "200 login OK"
        assert c.data("MainDomainName") == server.domain
        assert c.send(f"AUTH WEBUSER postmaster {pw}") == "501 already logged in"
    with CgpCli(server.ports["cli"], "postmaster", "bad", secure=False,
                webuser=True) as c:
        assert c.login_reply == "501 incorrect password or account name"
    # A password with spaces, plain or quoted.
    server.tegami("CreateAccount", "sp", '{Password="two words";}')
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("AUTH WEBUSER sp two words") == "200 login OK"
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd('AUTH webuser sp "two words"') == "200 login OK"
    assert server.wait_log(r"login failed for 'postmaster' \(AUTH WEBUSER\)")
    log = server.log_text()
    assert pw not in log and "two words" not in log
    assert "inp: AUTH ***" in log


def test_user_pass_still_works_after_the_stamp(server):
    with CgpCli(server.ports["cli"], "postmaster", server.postmaster_password(),
                secure=False) as c:
        assert c.login_reply == "200 login OK"


# ---- SetAccountPassword --------------------------------------------------------


def test_set_account_password_forms(server):
    server.tegami("CreateAccount", "u1", '{Password="old";}')
    with pm(server) as c:
        assert c.send('SetAccountPassword u1 PASSWORD "new one"') == "200 OK"
        assert c.send('VerifyAccountPassword u1 PASSWORD "new one"') == "200 OK"
        assert c.send('SetAccountPassword u1 TO "to form"') == "200 OK"
        assert c.send('VerifyAccountPassword u1 PASSWORD "to form"') == "200 OK"
        assert c.send('SetAccountPassword u1 password p3 METHOD POP CHECK') == \
            "200 OK"
        assert c.send('SetAccountPassword u1 PASSWORD p4 CHECK METHOD IMAP') == \
            "200 OK"
        assert c.send('VerifyAccountPassword u1 PASSWORD p4') == "200 OK"
        assert c.send('SetAccountPassword u1 PASSWORD p5 METHOD SIP').startswith(
            "501 no separate SIP or RADIUS passwords")
        for bad in ('SetAccountPassword u1 PASSWORD', 'SetAccountPassword u1 p',
                    'SetAccountPassword u1 PASSWORD p CHECK CHECK',
                    'SetAccountPassword u1 PASSWORD p METHOD',
                    'SetAccountPassword u1 PASSWORD p FOO'):
            assert c.send(bad).startswith("501 usage: SetAccountPassword"), bad
        assert c.send('SetAccountPassword nobody PASSWORD x') == \
            "501 unknown account"
        assert c.send('VerifyAccountPassword u1 PASSWORD p4') == "200 OK"


def test_set_account_password_check_policy(server):
    server.tegami("CreateDomain", "pol.example")
    server.tegami("CreateAccount", "u2@pol.example", '{Password="x";}')
    server.tegami("UpdateDomainSettings", "pol.example", "{MinPasswordLength=8;}")
    with pm(server) as c:
        # Without CHECK an administrator may set any password.
        assert c.send('SetAccountPassword u2@pol.example PASSWORD short') == "200 OK"
        assert c.send('SetAccountPassword u2@pol.example PASSWORD short CHECK') == \
            "501 the password is too short (MinPasswordLength is 8)"
        assert c.send('SetAccountPassword u2@pol.example PASSWORD "long enough" '
                      'CHECK') == "200 OK"
        # Characters count, not bytes.
        assert c.send('SetAccountPassword u2@pol.example PASSWORD "\u00e9\u00e9\u00e9\u00e9"'
                      ' CHECK').startswith("501 the password is too short")
        assert c.send('UpdateAccountSettings u2@pol.example {PWDAllowed=NO;}') == \
            "200 OK"
        assert c.send('SetAccountPassword u2@pol.example PASSWORD "long enough 2" '
                      'CHECK') == "501 password modification is not allowed"
        assert c.send('VerifyAccountPassword u2@pol.example PASSWORD '
                      '"long enough"') == "200 OK"


def test_own_password_without_master_right(server):
    server.tegami("CreateAccount", "self1", '{Password="first pw";}')
    server.tegami("CreateAccount", "other", '{Password="x";}')
    server.tegami("UpdateDomainSettings", "{MinPasswordLength=6;}")
    with CgpCli(server.ports["cli"], "self1", "first pw", secure=False) as c:
        assert c.ok
        # Yourself: allowed, the policy applies even without CHECK.
        assert c.send('SetAccountPassword self1 PASSWORD abc') == \
            "501 the password is too short (MinPasswordLength is 6)"
        assert c.send('SetAccountPassword self1 PASSWORD "second pw"') == "200 OK"
        assert c.send('SetAccountPassword other PASSWORD "second pw"') == \
            "501 not enough access rights"
        assert c.send('ListDomains') == "501 not enough access rights"
    with CgpCli(server.ports["cli"], "self1", "second pw", secure=False) as c:
        assert c.ok


def test_newpass_changes_own_password(server):
    server.tegami("CreateAccount", "np", '{Password="first pw";}')
    server.tegami("UpdateDomainSettings", "{MinPasswordLength=5;}")
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("NEWPASS whatever").startswith("500")
        assert c.login("np", "first pw") == "200 login OK"
        assert c.cmd("NEWPASS abc") == \
            "501 the password is too short (MinPasswordLength is 5)"
        assert c.cmd("NEWPASS") == "501 usage: NEWPASS password"
        assert c.cmd('NEWPASS "second pw"') == "200 OK"
    with CliClient(server.ports["cli"]) as c:
        assert c.login("np", "second pw") == "200 login OK"
    server.tegami("UpdateAccountSettings", "np", "{PWDAllowed=NO;}")
    with CliClient(server.ports["cli"]) as c:
        assert c.login("np", "second pw") == "200 login OK"
        assert c.cmd("NEWPASS third pw") == \
            "501 password modification is not allowed"
    assert "second pw" not in server.log_text()


# ---- GetAccountInfo --------------------------------------------------------------


def test_get_account_info(server):
    server.tegami("CreateAccount", "info1", '{Password="pw1";}')
    with pm(server) as c:
        # Never logged in, no messages: only what is known.
        assert c.data("GetAccountInfo info1") == "{StorageUsed = #0; }"
        assert c.data("GetAccountInfo info1 Key LastLogin") == '""'
    before = time.gmtime(time.time() - 2)
    with CgpCli(server.ports["cli"], "info1", "pw1", secure=False) as u:
        assert u.ok
        own = u.data("GetAccountInfo *")
        assert "LastAddress = 127.0.0.1;" in own
        assert u.send("GetAccountInfo postmaster") == "501 not enough access rights"
    deliver(server, f"info1@{server.domain}",
            b"From: a@b.example\r\nSubject: x\r\n\r\nhello there\r\n")
    with pm(server) as c:
        end = time.time() + 20
        while time.time() < end:
            used = c.data("GetAccountInfo info1 Key StorageUsed")
            if used != "#0":
                break
            time.sleep(0.1)
        assert re.match(r"^#[1-9]\d*$", used), used
        full = c.data("GetAccountInfo info1")
        m = re.search(r"LastLogin = #T(\d\d)-(\d\d)-(\d{4})_(\d\d):(\d\d):(\d\d);",
                      full)
        assert m, full
        assert int(m.group(3)) >= before.tm_year
        assert c.data("GetAccountInfo info1 Key LastAddress") == "127.0.0.1"
        assert c.data("GetAccountInfo info1 (LastAddress, StorageUsed, Nope)") == \
            f"{{LastAddress = 127.0.0.1; StorageUsed = {used}; }}"
        assert c.data("GetAccountInfo info1 ()") == "{}"
        assert c.send("GetAccountInfo nobody") == "501 unknown account"
        assert c.send("GetAccountInfo info1 Key").startswith("501 usage:")
        assert c.send("GetAccountInfo info1 (#1)").startswith("501 usage:")
        assert c.send("GetAccountInfo").startswith("501 usage:")


def test_account_info_follows_renames_and_deletes(server):
    server.tegami("CreateDomain", "ren.example")
    for n in ("r1", "r2@ren.example"):
        server.tegami("CreateAccount", n, '{Password="pw";}')
        with CliClient(server.ports["cli"]) as c:
            assert c.login(n, "pw") == "200 login OK"
    with pm(server) as c:
        assert "LastLogin" in c.data("GetAccountInfo r1")
        assert c.send("RenameAccount r1 into r1b") == "200 OK"
        assert "LastAddress = 127.0.0.1;" in c.data("GetAccountInfo r1b")
        assert c.send("DeleteAccount r1b") == "200 OK"
        assert c.send("CreateAccount r1b") == "200 OK"
        assert c.data("GetAccountInfo r1b") == "{StorageUsed = #0; }"
        assert "LastLogin" in c.data("GetAccountInfo r2@ren.example")
        assert c.send("DeleteDomain ren.example force") == "200 OK"
        assert c.send("CreateDomain ren.example") == "200 OK"
        assert c.send("CreateAccount r2@ren.example") == "200 OK"
        assert c.data("GetAccountInfo r2@ren.example") == "{StorageUsed = #0; }"


# ---- modules, queue, intercept, banned -------------------------------------------


def test_get_module_effective_values(server):
    with pm(server) as c:
        smtp = c.data("GetModule SMTP")
        for kv in ("LogLevel = 3;", "MaxMessageSize = 50M;", "MaxRecipients = 1000;",
                   "MaxErrors = 20;", "MaxIdleCommands = 100;",
                   "MaxHeaderFields = 1000;", "CommandTimeout = 300;",
                   "DataTimeout = 180;", "RequireTLSForAUTH = NO;",
                   "MinDataRate = 500;", "MaxDataTime = 1800;",
                   "MaxChannels = 100;", "MaxChannelsPerIP = 20;",
                   "MaxChannelsPerNetwork = 50;", "NetworkPrefixIPv4 = 24;",
                   "NetworkPrefixIPv6 = 64;", "PreLoginTimeout = 120;",
                   "LineTimeout = 60;"):
            assert kv in smtp, (kv, smtp)
        # A value out of range is refused whole (lib/settings.h), naming
        # the setting, its range and the value; nothing is written.
        assert c.send("UpdateModule SMTP {MaxRecipients=99999999; "
                      "MaxMessageSize=10M; LogLevel=5; RequireTLSForAUTH=YES; "
                      "Comment=\"kept\";}") == \
            '501 MaxRecipients: 1 to 10000 expected, got "99999999"'
        assert "MaxMessageSize = 50M;" in c.data("GetModule SMTP")
        assert c.send("UpdateModule SMTP {MaxRecipients=10000; "
                      "MaxMessageSize=10M; LogLevel=5; RequireTLSForAUTH=YES; "
                      "Comment=\"kept\";}") == "200 OK"
        smtp = c.data("GetModule SMTP")
        assert "MaxRecipients = 10000;" in smtp
        assert "MaxMessageSize = 10M;" in smtp
        assert "LogLevel = 5;" in smtp
        assert "RequireTLSForAUTH = YES;" in smtp
        assert "Comment = kept;" in smtp
        assert c.send("UpdateModule SMTP {MaxRecipients=lots;}") == \
            '501 MaxRecipients: 1 to 10000 expected, got "lots"'
        assert "MaxRecipients = 10000;" in c.data("GetModule SMTP")
        pop = c.data("GetModule POP")
        assert "LogLevel = 3;" in pop and "MaxChannels = 100;" in pop
        imap = c.data("GetModule IMAP")
        assert "RequireTLS = NO;" in imap and "MaxSessionsPerAccount = 20;" in imap
        assert c.send("UpdateModule CLI {MaxChannels=\"7\";}") == "200 OK"
        assert c.data("GetModule CLI") == c.data("GetModule PWD")
        assert "MaxChannels = 7;" in c.data("GetModule PWD")
        assert c.data("GetModule LOCAL") == "{LogLevel = 3; }"
        assert c.data("GetModule NOSUCH") == "{}"
        assert c.send("GetModule").startswith("501 usage:")
    assert os.path.exists(server.path("Settings", "PWD.settings"))
    assert not os.path.exists(server.path("Settings", "CLI.settings"))


def test_queue_settings(server):
    with pm(server) as c:
        q = c.data("GetQueueSettings")
        assert "MaxQueueTime = 5d;" in q
        assert "RetrySchedule = (1m, 5m, 15m, 30m, 1h, 2h, 4h);" in q
        assert "Processors = 4;" in q
        assert q == c.data("GetModule QUEUE")
        assert c.send("SetQueueSettings {Processors=999;}") == \
            '501 Processors: 1 to 64 expected, got "999"'
        assert c.send("SetQueueSettings {MaxQueueTime=10s;}").startswith(
            "501 MaxQueueTime")
        assert c.send("SetQueueSettings {RetrySchedule=(1m, x);}").startswith(
            "501 RetrySchedule")
        assert c.send("UpdateModule QUEUE {Processors=0;}") == \
            '501 Processors: 1 to 64 expected, got "0"'
        assert c.send("SetQueueSettings {MaxQueueTime=2d; Processors=2; "
                      "RetrySchedule=(90s, 10m);}") == "200 OK"
        q = c.data("GetQueueSettings")
        assert "MaxQueueTime = 2d;" in q and "Processors = 2;" in q
        assert "RetrySchedule = (90s, 10m);" in q
        assert c.send("GetQueueSettings x").startswith("501 usage:")
    server.restart()
    with pm(server) as c:
        assert "MaxQueueTime = 2d;" in c.data("GetQueueSettings")


def test_server_intercept_and_banned(server):
    with pm(server) as c:
        assert c.data("GetServerIntercept") == "{}"
        assert c.data("GetBanned") == "{}"
        assert c.send('SetServerIntercept {"u@test.example" = {Access = YES;};}') \
            == "200 OK"
        assert c.data("GetServerIntercept") == \
            '{"u@test.example" = {Access = YES; }; }'
        assert c.send('SetBanned {Lines = "Subject: spam";}') == "200 OK"
        assert c.data("GetBanned") == '{Lines = "Subject: spam"; }'
        assert c.send("SetBanned (a)").startswith("501 usage:")
        assert c.send("SetServerIntercept").startswith("501 usage:")
        assert c.send("SetBanned {}") == "200 OK"
        assert c.data("GetBanned") == "{}"


# ---- DeleteDomain -------------------------------------------------------------------


def test_delete_domain_refuses_non_empty(server):
    with pm(server) as c:
        assert c.send("CreateDomain fw.example") == "200 OK"
        assert c.send("CreateForwarder f1@fw.example TO x@elsewhere.example") == \
            "200 OK"
        assert c.send("DeleteDomain fw.example") == "501 domain is not empty"
        assert "fw.example" in c.data("ListDomains")
        assert c.send("DeleteDomain fw.example force") == "200 OK"
        assert "fw.example" not in c.data("ListDomains")

        assert c.send("CreateDomain acc.example") == "200 OK"
        assert c.send("CreateAccount a1@acc.example") == "200 OK"
        assert c.send("SetAccountAliases a1@acc.example (al1)") == "200 OK"
        assert c.send("DeleteDomain acc.example") == "501 domain is not empty"
        assert c.send("DeleteAccount a1@acc.example") == "200 OK"
        assert c.send("DeleteDomain acc.example") == "200 OK"

        assert c.send("CreateDomain empty.example") == "200 OK"
        assert c.send("DeleteDomain empty.example") == "200 OK"
        assert c.send(f"DeleteDomain {server.domain}").startswith("501")
