# SPDX-License-Identifier: Apache-2.0
"""The server log: one file per local day in SystemLogs/, the record format,
per-module levels, WriteLog, Debug IPs, and no passwords in the log."""

import os
import re
import time

from conftest import LOG_RE, CliClient

LINE_RE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} [0-5] [A-Z]+(-\d+)?(\(.*\))? .*$")


def records(s, module=None):
    out = []
    for line in s.log_text().splitlines():
        m = re.match(r"^(\S+) ([0-5]) ([A-Z]+)(?:-(\d+))?(?:\((.*?)\))? (.*)$",
                     line)
        assert m, line
        if module is None or m.group(3) == module:
            out.append((int(m.group(2)), m.group(3), m.group(4), m.group(6),
                        line))
    return out


def marker(s, text):
    """Writes a WriteLog record and waits for it: everything logged before
    is then in the file too."""
    s.tegami("WriteLog", "1", text)
    assert s.wait_log(re.escape(text))


def after(s, text, module=None):
    recs = records(s, module=None)
    for i, r in enumerate(recs):
        if text in r[4]:
            recs = recs[i + 1:]
            break
    else:
        raise AssertionError(f"marker {text} not found")
    return [r for r in recs if module is None or r[1] == module]


def drive_cli_session(s, password):
    with CliClient(s.ports["cli"]) as c:
        assert c.cmd("USER postmaster").startswith("300")
        assert c.cmd("PASS " + password) == "200 login OK"
        assert c.cmd("NoSuchCommand").startswith("500")
        c.cmd('CreateAccount "logs1"')
        assert c.cmd('CreateAccount "logs1"').startswith("501")
        assert c.data("ListDomains")[0] == "200 data follow"
        assert c.cmd("QUIT").startswith("200")


def test_log_file_name_uses_local_date(make_server, monkeypatch):
    # UTC+14: its date differs from the UTC date for most of the day.
    monkeypatch.setenv("TZ", "Etc/GMT-14")
    s = make_server().start()
    before = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 14 * 3600))
    marker(s, "local-date-check")
    after_ = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 14 * 3600))
    names = os.listdir(s.path("SystemLogs"))
    assert names, names
    for n in names:
        assert re.match(r"^\d{4}-\d\d-\d\d\.log$", n), n
    assert f"{before}.log" in names or f"{after_}.log" in names
    # The time of day in the records is the local one too (hour of UTC+14).
    hours = {time.gmtime(time.time() + 14 * 3600 + d).tm_hour
             for d in (-3600, 0, 3600)}
    for lvl, mod, sid, text, line in records(s):
        if "local-date-check" in text:
            assert int(line[:2]) in hours


def test_every_line_has_the_format(server):
    drive_cli_session(server, server.postmaster_password())
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    drive_cli_session(server, server.postmaster_password())
    marker(server, "format-check")
    text = server.log_text()
    assert text.endswith("\n")
    for line in text.splitlines():
        assert LINE_RE.match(line), line
        assert LOG_RE.match(line), line
    # Session records carry the id and the peer or account as context.
    assert re.search(r"(?m)^\S+ 2 PWD-\d+\(postmaster@test\.example\) ", text)


def test_level_2_hides_problem_low_and_all(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=2;}")
    marker(server, "level2-start")
    drive_cli_session(server, server.postmaster_password())
    with CliClient(server.ports["cli"]) as c:        # a failed login: level 3
        c.login("postmaster", "wrong")
    marker(server, "level2-end")
    recs = after(server, "level2-start", "PWD")
    assert any(r[0] == 2 and "connected" in r[3] for r in recs), recs
    assert [r for r in recs if r[0] >= 3 and "level2-end" not in r[3]] == []


def test_level_5_shows_protocol_lines(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    marker(server, "level5-start")
    drive_cli_session(server, server.postmaster_password())
    marker(server, "level5-end")
    recs = after(server, "level5-start", "PWD")
    texts = [r[3] for r in recs if r[0] == 5]
    assert any(t.startswith("inp: USER postmaster") for t in texts), texts
    assert any(t.startswith("inp: ListDomains") for t in texts), texts
    assert any(t.startswith("out: 200 data follow") or t.startswith("out: (")
               for t in texts), texts
    assert any(r[0] == 4 for r in recs)          # Low Level records too


def test_module_levels_are_independent(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    server.tegami("UpdateModule", "SYSTEM", "{LogLevel=1;}")
    marker(server, "indep-start")
    drive_cli_session(server, server.postmaster_password())
    server.proc.send_signal(__import__("signal").SIGHUP)   # SYSTEM level 2 line
    time.sleep(0.5)
    marker(server, "indep-end")
    recs = after(server, "indep-start")
    assert any(r[1] == "PWD" and r[0] == 5 for r in recs)
    assert not any(r[1] == "SYSTEM" and r[0] >= 2 for r in recs), recs
    # And the other way round.
    server.tegami("UpdateModule", "PWD", "{LogLevel=1;}")
    server.tegami("UpdateModule", "SYSTEM", "{LogLevel=5;}")
    marker(server, "indep2-start")
    drive_cli_session(server, server.postmaster_password())
    server.proc.send_signal(__import__("signal").SIGHUP)
    assert server.wait_log(r"SIGHUP")
    marker(server, "indep2-end")
    recs = after(server, "indep2-start")
    assert any(r[1] == "SYSTEM" and "SIGHUP" in r[3] for r in recs)
    assert not any(r[1] == "PWD" and r[0] >= 2 for r in recs
                   if "indep2-end" not in r[3]), recs


def test_writelog(server):
    server.tegami("WriteLog", "2", "hello")
    assert server.wait_log(r"(?m)^\d\d:\d\d:\d\d\.\d{3} 2 PWD hello$")
    # Written whatever the module's level; control characters escaped.
    server.tegami("UpdateModule", "PWD", "{LogLevel=0;}")
    server.tegami("WriteLog", "4", "two\nlines")
    assert server.wait_log(r"(?m)^\S+ 4 PWD two\S*lines$")
    rc, _, _ = server.tegami("WriteLog", "9", "bad level", check=False)
    assert rc != 0


def test_debug_ips_force_all_info(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=1;}")
    server.tegami("SetDebugIPs", "127.0.0.1")
    marker(server, "debug-start")
    drive_cli_session(server, server.postmaster_password())
    marker(server, "debug-end")
    recs = after(server, "debug-start", "PWD")
    texts = [r[3] for r in recs if r[0] == 5]
    assert any(t.startswith("inp: ListDomains") for t in texts), recs
    assert any(r[0] == 4 for r in recs)
    # Without the Debug IP the same session logs nothing above level 1.
    server.tegami("SetDebugIPs", "")
    marker(server, "nodebug-start")
    drive_cli_session(server, server.postmaster_password())
    marker(server, "nodebug-end")
    recs = after(server, "nodebug-start", "PWD")
    assert [r for r in recs if r[0] >= 2 and "nodebug-end" not in r[3]] == []


def test_passwords_never_logged(server):
    server.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    pw = server.postmaster_password()
    drive_cli_session(server, pw)
    with CliClient(server.ports["cli"]) as c:
        c.login("postmaster", "Wr0ngSecretXYZ")
        assert c.login("postmaster", f'"{pw}"') == "200 login OK"
        assert c.cmd('SetAccountPassword "logs1" TO "N3wSecretABC"') == "200 OK"
        assert c.cmd('VerifyAccountPassword "logs1" PASSWORD '
                     '"N3wSecretABC"') == "200 OK"
        assert c.cmd('CreateAccount "logs2" {Password="Cr3ateSecretDEF";}') == \
            "200 OK"
        assert c.cmd('UpdateAccountSettings "logs2" '
                     '{Password="Upd4teSecretGHI";}') == "200 OK"
        st, data = c.data('GetAccountSettings "logs2"')
        assert "Upd4teSecretGHI" not in data           # stored hashed
    server.tegami("SetAccountPassword", "logs1", "TO", "Adm1nSecretJKL")
    marker(server, "pw-end")
    text = server.log_text()
    for secret in [pw, "Wr0ngSecretXYZ", "N3wSecretABC", "Cr3ateSecretDEF",
                   "Upd4teSecretGHI", "Adm1nSecretJKL"]:
        assert secret not in text, secret
    assert re.search(r"(?m) 5 PWD-\d+\(.*\) inp: PASS", text)
    for f in os.listdir(server.path("Accounts")):
        p = server.path("Accounts", f, "account.settings")
        if os.path.exists(p):
            with open(p) as fh:
                body = fh.read()
            for secret in ["Cr3ateSecretDEF", "Upd4teSecretGHI"]:
                assert secret not in body


def test_clear_password_results_not_logged(make_server):
    s = make_server()
    os.makedirs(s.path("Accounts", "postmaster.macnt"))
    with open(s.path("Accounts", "postmaster.macnt", "account.settings"),
              "w") as f:
        f.write("{ Password = Imp0rtedClearPW; PasswordEncryption = clear; }\n")
    s.start()
    s.tegami("UpdateModule", "PWD", "{LogLevel=5;}")
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", "Imp0rtedClearPW") == "200 login OK"
        st, data = c.data("GetAccountSettings postmaster")
        assert st == "200 data follow"
        st, data = c.data("GetAccountEffectiveSettings postmaster")
        assert "Imp0rtedClearPW" in data
        assert c.cmd("UpdateServerAccountDefaults {MaxAccountSize=7M;}") == \
            "200 OK"
        st, data = c.data("GetServerAccountDefaults")
        assert "7M" in data
    marker(s, "clear-end")
    text = s.log_text()
    assert "Imp0rtedClearPW" not in text
    # Results without a password are still shown at All Info.
    assert re.search(r"out: \{.*MaxAccountSize = 7M", text)
