# SPDX-License-Identifier: Apache-2.0
"""Log retention: LogsKeepDays in Settings/Main.settings removes SystemLogs/
day files older than that many days at start and after SIGHUP (and once a
day); other files stay, and without the setting nothing is removed."""

import datetime
import os
import signal
import time


def old_names(days_back):
    today = datetime.date.today()
    return [(today - datetime.timedelta(days=d)).isoformat() + ".log" for d in days_back]


def make_files(s, names):
    for n in names:
        with open(s.path("SystemLogs", n), "w") as f:
            f.write("00:00:00.000 2 SYSTEM old\n")


def test_logs_keep_days_at_start_and_sighup(server):
    s = server
    old = old_names([3, 10, 400])
    make_files(s, old + ["notes.txt"])
    # no setting: everything stays, also after SIGHUP
    s.proc.send_signal(signal.SIGHUP)
    s.wait_log("SIGHUP: re-reading settings")
    for n in old:
        assert os.path.exists(s.path("SystemLogs", n)), n

    s.tegami("UpdateServerSettings", "{LogsKeepDays=7;}")
    s.stop()
    assert "LogsKeepDays" in open(s.path("Settings", "Main.settings")).read()
    s.start()
    s.wait_log("log retention: 2 log files older than 7 days removed")
    assert os.path.exists(s.path("SystemLogs", old[0]))       # 3 days back
    assert not os.path.exists(s.path("SystemLogs", old[1]))   # 10
    assert not os.path.exists(s.path("SystemLogs", old[2]))   # 400
    assert os.path.exists(s.path("SystemLogs", "notes.txt"))
    assert os.path.exists(s.path("SystemLogs", datetime.date.today().isoformat() + ".log"))

    # a shorter period, applied at SIGHUP
    s.tegami("UpdateServerSettings", "{LogsKeepDays=2;}")
    s.proc.send_signal(signal.SIGHUP)
    end = time.time() + 10
    while os.path.exists(s.path("SystemLogs", old[0])) and time.time() < end:
        time.sleep(0.05)
    assert not os.path.exists(s.path("SystemLogs", old[0]))
    assert os.path.exists(s.path("SystemLogs", datetime.date.today().isoformat() + ".log"))


def test_logs_keep_days_invalid_keeps_all(server):
    s = server
    # Refused by the CLI with its range (lib/settings.h) ...
    rc, _, err = s.tegami("UpdateServerSettings", "{LogsKeepDays=soon;}",
                          check=False)
    assert rc != 0 and 'LogsKeepDays: 0 to 36500 expected, got "soon"' in err
    # ... and, written by hand, logged at SIGHUP and taken as 0 (keep all).
    p = s.path("Settings", "Main.settings")
    with open(p) as f:
        text = f.read()
    with open(p, "w") as f:
        f.write(text.rstrip().rstrip("}") + "\tLogsKeepDays = soon;\n}\n")
    old = old_names([30])
    make_files(s, old)
    s.proc.send_signal(signal.SIGHUP)
    assert s.wait_log(r'Settings/Main\.settings: LogsKeepDays: 0 to 36500 '
                      r'expected, got "soon"; the default is used')
    assert os.path.exists(s.path("SystemLogs", old[0]))
