# SPDX-License-Identifier: Apache-2.0
"""WebAdmin in a real browser (issue 11): Debian's chromium, headless, driven
by playwright-core from the Node scripts in tests/browser (one scenario a
script; each prints its checks and exits 1 when one failed).  The scripts
are installed with `npm ci` in tests/browser on the first run (pinned in
package-lock.json; no browser is downloaded).  Screenshots of the main pages
at 1280 and 400 px go to <build>/webadmin-screenshots (not committed)."""

import datetime
import http.client
import os
import re
import shutil
import subprocess
import zoneinfo

import pytest

from conftest import BUILD, Server

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.join(os.path.dirname(HERE), "browser")
CHROMIUM = "/usr/bin/chromium"
SHOTS = os.path.join(BUILD, "webadmin-screenshots")


@pytest.fixture(scope="session")
def browser_kit():
    """node, npm and chromium are there (scripts/deps.sh); playwright-core
    is installed in tests/browser."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install nodejs and npm "
                        "(sh scripts/deps.sh)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("chromium not found: install chromium (sh scripts/deps.sh)")
    mod = os.path.join(KIT, "node_modules", "playwright-core", "package.json")
    lock = os.path.join(KIT, "package-lock.json")
    if not os.path.exists(mod) or os.path.getmtime(mod) < os.path.getmtime(lock):
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                            "--ignore-scripts"], cwd=KIT, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, "npm ci failed:\n" + p.stdout + p.stderr
    return KIT


def node(script, *args, timeout=300):
    p = subprocess.run(["node", os.path.join(KIT, script), *map(str, args)],
                       capture_output=True, text=True, timeout=timeout,
                       cwd=KIT)
    print(p.stdout)
    print(p.stderr[-3000:])
    assert p.returncode == 0, \
        f"{script} failed:\n" + "\n".join(
            l for l in p.stdout.splitlines() if l.startswith("FAILED")) + \
        "\n" + p.stderr[-2000:]
    return p.stdout


@pytest.fixture
def wa(base_dir, browser_kit):
    made = []

    def make(**kw):
        kw.setdefault("services", ["webadmin", "smtp", "cli"])
        s = Server(base_dir, **kw).start()
        made.append(s)
        return s
    yield make
    for s in made:
        if s.proc is not None:
            s.stop()


def base_url(s):
    return f"http://127.0.0.1:{s.ports['webadmin']}"


def test_admin_flow_and_screenshots(wa):
    s = wa()
    pw = s.postmaster_password()
    shutil.rmtree(SHOTS, ignore_errors=True)
    node("admin_flow.mjs", base_url(s), "postmaster", pw, s.domain, SHOTS)
    # What the browser did is what the CLI sees.
    s.tegami("VerifyAccountPassword", "user1@client1.test", "PASSWORD",
             "second-pass-2")
    assert "mail.client1.test" in s.tegami("GetDomainAliases", "client1.test")[1]
    assert "<info@client1.test> = user1@client1.test" in \
        s.tegami("GetRouterTable")[1]
    shots = os.listdir(SHOTS)
    for name in ("general", "domains", "accounts", "router", "logs",
                 "statistics"):
        assert f"{name}-1280.png" in shots and f"{name}-400.png" in shots


def test_b4_secondary_domain_host_and_mainadmin(wa):
    s = wa()
    s.tegami("CreateDomain", "client2.test")
    node("b4_host.mjs", s.ports["webadmin"], "postmaster@" + s.domain,
         s.postmaster_password(), "client2.test", s.domain)


def test_b14_line_and_log_level_in_log_viewer(wa):
    s = wa()
    # B14: the host "mail" is no domain: routed LoginPage@mail fails, the
    # server WebAdmin opens and the router's failure is logged.
    c = http.client.HTTPConnection("127.0.0.1", s.ports["webadmin"], timeout=10)
    c.request("GET", "/", headers={"Host": "mail"})
    c.getresponse().read()
    c.close()
    assert s.wait_log(r"failed to route 'LoginPage@mail'")
    node("logs.mjs", base_url(s), "postmaster", s.postmaster_password(),
         s.ports["smtp"], s.domain, s.base)


def test_b13_server_time_and_b10_unassigned_address(wa):
    s = wa(env={"TZ": "America/Los_Angeles"})
    now = datetime.datetime.now(zoneinfo.ZoneInfo("America/Los_Angeles"))
    offset = now.strftime("%z")
    # The main domain owns 127.0.0.1 only: every other local address is
    # unassigned (B10).
    s.tegami("UpdateDomainSettings", s.domain, '{IPAddresses = "127.0.0.1";}')
    ips = re.findall(r'[0-9a-fA-F:.]+', s.tegami("GetLocalIPs")[1])
    others = [ip for ip in ips if ip not in ("127.0.0.1",) and
              (":" in ip or ip.count(".") == 3)]
    assert others, f"no local address besides 127.0.0.1: {ips}"
    node("general.mjs", base_url(s), "postmaster", s.postmaster_password(),
         offset, others[0])


def test_statistics_chart_moves_after_mail(wa):
    s = wa()
    node("stats.mjs", base_url(s), "postmaster", s.postmaster_password(),
         s.ports["smtp"], "postmaster@" + s.domain)
