# SPDX-License-Identifier: Apache-2.0
"""The declarative settings layer (src/lib/settings.c) against the real
server: a bad value given to UpdateModule/SetModule is refused with the
setting's name, its range and the value, and the file stays as it was; a
changed limit applies to new sessions while a running one keeps the
settings it started with; a bad value in a file edited by hand is logged at
start and the default is used; and snapshots are swapped while SMTP and IMAP
sessions run (bounded loops; run it under the ASan build too)."""

import imaplib
import os
import signal
import smtplib
import threading
import time

DOMAIN = "test.example"
PASSWORD = "pw-settings-1"


def start(make_server, services=("cli", "smtp", "imap")):
    s = make_server(services=list(services), domain=DOMAIN).start()
    s.tegami("SetClientIPs", "127.0.0.1")
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    return s


def read(path):
    with open(path, "rb") as f:
        return f.read()


def get_module(s, name):
    """GetModule NAME as a dict of top-level key -> text."""
    out = s.tegami("GetModule", name)[1].strip()
    assert out.startswith("{") and out.endswith("}"), out
    res = {}
    for part in out[1:-1].split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            res[k.strip()] = v.strip()
    return res


def stop_clean(s):
    """Stops the server: exit 0 and no sanitizer report (ASan build)."""
    assert s.stop() == 0
    with open(s.stderr_path, errors="replace") as f:
        err = f.read()
    assert "Sanitizer" not in err and "runtime error" not in err, err[-3000:]


def refused(s, *args):
    rc, out, err = s.tegami(*args, check=False)
    assert rc != 0, (args, out)
    return err


def test_bad_value_refused_with_name_value_range(server):
    s = server
    s.tegami("UpdateModule", "SMTP", "{MaxRecipients=5; Comment=kept;}")
    path = s.path("Settings", "SMTP.settings")
    before = read(path)
    cases = [
        ("UpdateModule", "SMTP", "{MaxRecipients=100000;}",
         'MaxRecipients: 1 to 10000 expected, got "100000"'),
        ("UpdateModule", "SMTP", "{MaxRecipients=#-1;}",
         'MaxRecipients: 1 to 10000 expected, got "#-1"'),
        ("UpdateModule", "SMTP", "{MaxRecipients=18446744073709551616;}",
         'MaxRecipients: 1 to 10000 expected, got "18446744073709551616"'),
        ("UpdateModule", "SMTP", "{MaxMessageSize=257M;}",
         'MaxMessageSize: 1K to 256M expected, got "257M"'),
        ("UpdateModule", "SMTP", "{MaxMessageSize=99999999999999G;}",
         'MaxMessageSize: 1K to 256M expected, got "99999999999999G"'),
        ("UpdateModule", "SMTP", "{CommandTimeout=2h;}",
         'CommandTimeout: 1 to 3600 expected, got "2h"'),
        ("UpdateModule", "SMTP", "{RequireTLSForAUTH=maybe;}",
         'RequireTLSForAUTH: YES or NO expected, got "maybe"'),
        ("SetModule", "SMTP", "{MaxErrors=0;}",
         'MaxErrors: 1 to 1000 expected, got "0"'),
        ("UpdateModule", "SMTP", "{MaxChannels=50001;}",
         'MaxChannels: 0 to 50000 expected, got "50001"'),
    ]
    for cmd, mod, arg, msg in cases:
        assert msg in refused(s, cmd, mod, arg)
        assert read(path) == before, (cmd, arg)
    assert get_module(s, "SMTP")["MaxRecipients"] == "5"
    assert get_module(s, "SMTP")["Comment"] == "kept"

    # Other modules' tables, and a file that does not exist yet stays absent.
    assert not os.path.exists(s.path("Settings", "IMAP.settings"))
    assert 'MaxSessionsPerAccount: 1 to 1000 expected, got "0"' in refused(
        s, "UpdateModule", "IMAP", "{MaxSessionsPerAccount=0;}")
    assert not os.path.exists(s.path("Settings", "IMAP.settings"))
    assert "RetrySchedule: element 2:" in refused(
        s, "UpdateModule", "QUEUE", "{RetrySchedule=(1m, x);}")
    assert 'PreLoginTimeout: 1 to 3600 expected, got "0"' in refused(
        s, "UpdateModule", "CLI", "{PreLoginTimeout=0;}")
    assert 'MaxQueueTime: 1m to 4294967295s expected, got "10s"' in refused(
        s, "SetQueueSettings", "{MaxQueueTime=10s;}")

    # Server settings files with a table (Protection) are checked too.
    prot = s.path("Settings", "Protection.settings")
    s.tegami("UpdateProtection", "{TempBlacklistTime=10m;}")
    before = read(prot)
    assert 'TempBlacklistTime: 1s to 1w expected, got "30d"' in refused(
        s, "UpdateProtection", "{TempBlacklistTime=30d;}")
    assert 'ClearTextLoginIPs: an IP address list expected, got "10.0.0.300"' \
        in refused(s, "UpdateProtection", '{ClearTextLoginIPs="10.0.0.300";}')
    assert "AllowClearTextLogins: YES or NO expected" in refused(
        s, "SetProtection", "{AllowClearTextLogins=perhaps;}")
    assert ("TempBlacklistFailedLogins: (count, period): a count of 0 to 64 "
            "expected, got 65") in refused(
        s, "UpdateProtection", "{TempBlacklistFailedLogins=(65, 10m);}")
    assert ('TempBlacklistFailedLogins: (count, period): period: 1s to 1w '
            'expected, got "0"') in refused(
        s, "UpdateProtection", "{TempBlacklistFailedLogins=(5, 0);}")
    assert read(prot) == before

    # Good values in every form the data format writes are taken.
    s.tegami("UpdateModule", "SMTP", "{MaxMessageSize=unlimited; "
             "CommandTimeout=10m; MaxErrors=#7; RequireTLSForAUTH=no;}")
    m = get_module(s, "SMTP")
    assert m["MaxMessageSize"] == "256M"
    assert m["CommandTimeout"] == "600"
    assert m["MaxErrors"] == "7"
    assert m["RequireTLSForAUTH"] == "NO"
    # "default" removes a key: the default applies again.
    s.tegami("UpdateModule", "SMTP", "{MaxMessageSize=default;}")
    assert get_module(s, "SMTP")["MaxMessageSize"] == "50M"


def rcpts_accepted(sm, n):
    """MAIL and n RCPTs on an open smtplib session; the RCPT codes."""
    assert sm.mail("a@example.org")[0] == 250
    codes = [sm.rcpt("user1@%s" % DOMAIN)[0] for _ in range(n)]
    sm.rset()
    return codes


def test_changed_limit_applies_to_new_sessions(make_server):
    s = start(make_server)
    port = s.ports["smtp"]
    old = smtplib.SMTP("127.0.0.1", port, timeout=30)
    old.ehlo("old.example")
    assert rcpts_accepted(old, 3) == [250, 250, 250]
    s.tegami("UpdateModule", "SMTP", "{MaxRecipients=2;}")
    new = smtplib.SMTP("127.0.0.1", port, timeout=30)
    new.ehlo("new.example")
    assert rcpts_accepted(new, 3) == [250, 250, 452]
    # The running session keeps the snapshot it started with.
    assert rcpts_accepted(old, 3) == [250, 250, 250]
    new.quit()
    old.quit()

    # IMAP: a changed session limit counts for the next logins.
    s.tegami("UpdateModule", "IMAP", "{MaxSessionsPerAccount=1;}")
    a = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    a.login("user1", PASSWORD)
    b = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    try:
        b.login("user1", PASSWORD)
        assert False, "second login accepted"
    except imaplib.IMAP4.error as e:
        assert "Too many IMAP sessions" in str(e)
    b.logout()
    a.logout()


def test_bad_stored_value_at_start_and_sighup(make_server):
    s = start(make_server)
    s.stop()
    with open(s.path("Settings", "SMTP.settings"), "w") as f:
        f.write("{\n\tMaxRecipients = lots;\n\tMaxErrors = 5;\n}\n")
    s.start()
    # The server starts; the bad value is named in the log, the default
    # is used, the good one is kept.
    assert s.wait_log(r'SYSTEM .*Settings/SMTP\.settings: MaxRecipients: '
                      r'1 to 10000 expected, got "lots"; the default is used')
    m = get_module(s, "SMTP")
    assert m["MaxRecipients"] == "1000" and m["MaxErrors"] == "5"
    # An edit by hand counts after SIGHUP, not before.
    with open(s.path("Settings", "SMTP.settings"), "w") as f:
        f.write("{ MaxRecipients = 2; }\n")
    assert get_module(s, "SMTP")["MaxRecipients"] == "1000"
    s.proc.send_signal(signal.SIGHUP)
    end = time.time() + 10
    while get_module(s, "SMTP")["MaxRecipients"] != "2":
        assert time.time() < end, "SIGHUP did not reload"
        time.sleep(0.1)
    sm = smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30)
    sm.ehlo("h.example")
    assert rcpts_accepted(sm, 3) == [250, 250, 452]
    sm.quit()
    stop_clean(s)


SESSIONS_PER_WORKER = 15
UPDATES = 40
DEADLINE = 120          # seconds; the loops are bounded by count and time


def test_snapshot_swap_under_load(make_server):
    s = start(make_server)
    port, iport = s.ports["smtp"], s.ports["imap"]
    errors = []
    done = {"smtp": 0, "imap": 0}
    lock = threading.Lock()
    stop_at = time.time() + DEADLINE

    def smtp_worker(n):
        for _ in range(SESSIONS_PER_WORKER):
            if time.time() > stop_at:
                return
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as sm:
                    sm.ehlo("load%d.example" % n)
                    codes = rcpts_accepted(sm, 3)
                    # 2 or 5 recipients, whichever snapshot the session took:
                    # never a mix within one session.
                    assert codes in ([250, 250, 452], [250, 250, 250]), codes
                with lock:
                    done["smtp"] += 1
            except Exception as e:      # noqa: BLE001 - reported below
                errors.append("smtp: %r" % e)

    def imap_worker():
        for _ in range(SESSIONS_PER_WORKER):
            if time.time() > stop_at:
                return
            try:
                m = imaplib.IMAP4("127.0.0.1", iport, timeout=30)
                m.login("user1", PASSWORD)
                m.select("INBOX")
                m.logout()
                with lock:
                    done["imap"] += 1
            except Exception as e:      # noqa: BLE001
                errors.append("imap: %r" % e)

    def updater():
        for i in range(UPDATES):
            if time.time() > stop_at:
                return
            n = 2 if i % 2 == 0 else 5
            s.tegami("UpdateModule", "SMTP",
                     "{MaxRecipients=%d; MaxMessageSize=%dM;}" % (n, n))
            s.tegami("UpdateModule", "IMAP",
                     "{MaxSessionsPerAccount=%d;}" % (50 + i % 3))
            rc, _, err = s.tegami("UpdateModule", "SMTP",
                                  "{MaxRecipients=0;}", check=False)
            if rc == 0 or "MaxRecipients" not in err:
                errors.append("bad value taken: %r" % err)

    threads = [threading.Thread(target=smtp_worker, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=imap_worker) for _ in range(2)]
    threads.append(threading.Thread(target=updater))
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE + 60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert done["smtp"] > 0 and done["imap"] > 0
    # The last update is what new sessions see.
    m = get_module(s, "SMTP")
    assert m["MaxRecipients"] == "5" and m["MaxMessageSize"] == "5M"
    assert s.proc.poll() is None
    stop_clean(s)


def test_per_setting_checks_refuse_bad_ports(server):
    """Checks beyond type and range (a setting_def's check hook): a
    RelayHost or a DNR server with a port past 65535 is refused before the
    file is written; good forms are taken."""
    s = server
    s.tegami("UpdateModule", "SMTP", '{RelayHost="[127.0.0.1]:2525";}')
    path = s.path("Settings", "SMTP.settings")
    before = read(path)
    for bad in ("[1.2.3.4]:99999", "relay.example:0", "relay.example:x",
                "[1.2.3.4", "[not-an-ip]:25"):
        err = refused(s, "UpdateModule", "SMTP", '{RelayHost="%s";}' % bad)
        assert "RelayHost: host, host:port, [address] or [address]:port " \
            "with a port of 1 to 65535 expected, got \"%s\"" % bad in err, err
        assert read(path) == before, bad
    assert get_module(s, "SMTP")["RelayHost"] == '"[127.0.0.1]:2525"'
    for good in ("relay.example", "relay.example:587", "[10.0.0.9]",
                 "[IPv6:::1]:25", ""):
        s.tegami("UpdateModule", "SMTP", '{RelayHost="%s";}' % good)

    dnr = s.path("Settings", "DNR.settings")
    had = os.path.exists(dnr)
    old = read(dnr) if had else None
    for bad in ('("1.2.3.4:70000")', '("127.0.0.1:53", "[::1]:0")',
                '("dns.example")'):
        err = refused(s, "UpdateModule", "DNR", "{Servers=%s;}" % bad)
        assert "Servers: an address, address:port or [address]:port with " \
            "a port of 1 to 65535 expected, got" in err, err
        assert os.path.exists(dnr) == had and (not had or read(dnr) == old)
    s.tegami("UpdateModule", "DNR", '{Servers=("127.0.0.1:5353", "::1");}')
    assert "5353" in get_module(s, "DNR")["Servers"]
    stop_clean(s)
