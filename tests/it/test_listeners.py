# SPDX-License-Identifier: Apache-2.0
"""Run-time listeners (docs/operations.md, "Services and listeners"): a
module's Listener setting, changed with UpdateModule, binds new sockets at
once (real SMTP, IMAP and POP clients get their greeting there), closes the
ones no longer named (connections refused) while sessions they accepted go
on, and a bad value or a port in use is refused with nothing changed.  A
server started without --listen listens where the settings say, and SIGHUP
applies an edited settings file.  Root only: started as root with --user, a
privileged port on a loopback address is bound through the bind helper,
which runs as the user with CAP_NET_BIND_SERVICE alone and exits when
tegamid is killed; a server run by a normal user says that such a port needs
root."""

import imaplib
import os
import poplib
import pwd
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import TEGAMI, TEGAMID, Server, free_port, service_table, wait_port

USER = "tegami-test"        # as tests/it/test_privileges.py


def listener(*ports):
    """{Listener=...} for UpdateModule; ports are (port, extra keys) pairs."""
    items = []
    for port, extra in ports:
        items.append("{PortNumber=%d;%s}" % (port, extra))
    return "{Listener={Ports=(%s);};}" % ",".join(items)


def refused(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=3):
            return False
    except ConnectionRefusedError:
        return True


def smtp_greets(addr, port):
    with smtplib.SMTP(addr, port, timeout=10) as s:
        code, _ = s.ehlo("it.example")
        return code == 250


def test_service_table_in_usage_and_listen(base_dir):
    """tegamid --help prints the one table; --listen knows only its names."""
    t = service_table()
    assert len(t) == 14
    assert t["smtp"] == (25, False, "SMTP", True)
    assert t["submission"] == (587, False, "SMTP", True)
    assert t["smtps"] == (465, True, "SMTP", True)
    assert t["pop3s"] == (995, True, "POP", True)
    assert t["imaps"] == (993, True, "IMAP", True)
    assert t["cli"] == (106, False, "PWD", True)
    assert t["webusers"] == (9100, True, "HTTPU", True)
    assert t["ldap"] == (389, False, "LDAP", True)
    p = subprocess.run([TEGAMID, "--base", base_dir, "--listen", "gopher=127.0.0.1:70"],
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert "--listen: unknown service 'gopher'" in p.stderr


def test_update_module_adds_and_removes_listeners(make_server):
    s = make_server(services=["smtp", "pop3", "imap", "cli"]).start()
    old = s.ports["smtp"]
    new = free_port()
    s.tegami("UpdateModule", "SMTP", listener((old, "IPAddress=127.0.0.1;"),
                                              (new, "IPAddress=127.0.0.1;")))
    assert smtp_greets("127.0.0.1", new)
    assert smtp_greets("127.0.0.1", old)
    assert s.wait_log(rf"SMTP: listening for smtp on 127\.0\.0\.1:{new}")

    # a session on the socket about to go keeps working
    kept = smtplib.SMTP("127.0.0.1", old, timeout=10)
    assert kept.ehlo("it.example")[0] == 250
    s.tegami("UpdateModule", "SMTP", listener((new, "IPAddress=127.0.0.1;")))
    assert refused("127.0.0.1", old)
    assert smtp_greets("127.0.0.1", new)
    assert kept.noop()[0] == 250
    kept.quit()
    assert s.wait_log(rf"SMTP: no longer listening for smtp on 127\.0\.0\.1:{old}")
    assert "PortNumber = %d" % new in s.tegami("GetModule", "SMTP")[1]

    # IMAP and POP likewise, the old sockets closed
    imap2, pop2 = free_port(), free_port()
    s.tegami("UpdateModule", "IMAP", listener((imap2, "IPAddress=127.0.0.1;")))
    m = imaplib.IMAP4("127.0.0.1", imap2, timeout=10)
    assert m.welcome.startswith(b"* OK")
    m.logout()
    assert refused("127.0.0.1", s.ports["imap"])
    s.tegami("UpdateModule", "POP", listener((pop2, "IPAddress=127.0.0.1;")))
    p = poplib.POP3("127.0.0.1", pop2, timeout=10)
    assert p.getwelcome().startswith(b"+OK")
    p.quit()
    assert refused("127.0.0.1", s.ports["pop3"])

    # TLS from the first byte on a new port; "default" goes back to --listen
    imaps = free_port()
    s.tegami("UpdateModule", "IMAP", listener((imaps, "IPAddress=127.0.0.1;InitialSecurity=YES;")))
    m = imaplib.IMAP4_SSL("127.0.0.1", imaps, ssl_context=ssl._create_unverified_context(),
                          timeout=10)
    assert m.welcome.startswith(b"* OK")
    m.logout()
    assert refused("127.0.0.1", imap2)
    s.tegami("UpdateModule", "IMAP", "{Listener=default;}")
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=10)
    m.logout()
    assert refused("127.0.0.1", imaps)

    # the CLI module (PWD) moves too, and the command still works there
    cli2 = free_port()
    s.tegami("UpdateModule", "CLI", listener((s.ports["cli"], "IPAddress=127.0.0.1;"),
                                             (cli2, "IPAddress=127.0.0.1;")))
    with socket.create_connection(("127.0.0.1", cli2), timeout=10) as c:
        assert c.makefile("rb").readline().startswith(b"200")


@pytest.mark.parametrize("value, message", [
    ("{Listener=x;}", "Listener: a dictionary"),
    ("{Listener={Ports=({PortNumber=x;});};}", "PortNumber 'x' is not a port number"),
    ("{Listener={Ports=({PortNumber=70000;});};}", "is not a port number 1-65535"),
    ("{Listener={Ports=({PortNumber=2525;IPAddress=mail.example;});};}",
     "IPAddress 'mail.example' is not an IP address"),
    ("{Listener={Ports=({PortNumber=2525;InitialSecurity=maybe;});};}",
     "InitialSecurity must be YES or NO"),
    ("{Listener={Ports=({PortNumber=2525;Colour=red;});};}", "unknown key 'Colour'"),
    ("{Listener={Ports=({PortNumber=2525;},{PortNumber=2525;IPAddress=127.0.0.1;});};}",
     "both take port 2525"),
    ("{Listener={Ports=({PortNumber=2525;Service=imap;});};}", "not a service of the SMTP"),
])
def test_bad_listener_refused(make_server, value, message):
    s = make_server(services=["smtp", "cli"]).start()
    before = s.tegami("GetModule", "SMTP")[1]
    rc, out, err = s.tegami("UpdateModule", "SMTP", value, check=False)
    assert rc != 0
    assert message in out + err
    assert s.tegami("GetModule", "SMTP")[1] == before
    assert "Listener" not in before
    assert smtp_greets("127.0.0.1", s.ports["smtp"])


def test_port_in_use_changes_nothing(make_server):
    """Two new sockets, the second one's port taken: refused as a whole, the
    first new one not left listening, the settings unchanged."""
    s = make_server(services=["smtp", "cli"]).start()
    first = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        rc, out, err = s.tegami("UpdateModule", "SMTP",
                                listener((first, "IPAddress=127.0.0.1;"),
                                         (taken, "IPAddress=127.0.0.1;")), check=False)
        assert rc != 0
        assert f"cannot listen for smtp on 127.0.0.1:{taken}: Address already in use" \
            in out + err
    assert refused("127.0.0.1", first)
    assert "Listener" not in s.tegami("GetModule", "SMTP")[1]
    assert smtp_greets("127.0.0.1", s.ports["smtp"])


def test_listeners_from_settings_at_start_and_sighup(make_server):
    """Without --listen, each module listens where its Listener says (no
    default port is tried: the settings name them all); SIGHUP applies an
    edited settings file; a bad one is logged and changes nothing."""
    s = make_server(services=["cli"]).start()
    ports = {m: free_port() for m in ("SMTP", "POP", "IMAP", "PWD")}
    for module, port in ports.items():
        s.tegami("UpdateModule", "CLI" if module == "PWD" else module,
                 listener((port, "IPAddress=127.0.0.1;")))
    s.stop()
    log = open(s.stderr_path, "ab")
    proc = subprocess.Popen([TEGAMID, *(["--user", "root"] if os.geteuid() == 0 else []),
                             "--base", s.base], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    try:
        for port in ports.values():
            assert wait_port("127.0.0.1", port, proc=proc)
        assert smtp_greets("127.0.0.1", ports["SMTP"])
        pop2 = free_port()
        with open(s.path("Settings", "POP.settings"), "w") as f:
            f.write("{Listener={Ports=({PortNumber=%d;IPAddress=127.0.0.1;});};}" % pop2)
        proc.send_signal(signal.SIGHUP)
        assert wait_port("127.0.0.1", pop2, proc=proc)
        p = poplib.POP3("127.0.0.1", pop2, timeout=10)
        p.quit()
        end = time.time() + 10
        while not refused("127.0.0.1", ports["POP"]) and time.time() < end:
            time.sleep(0.1)
        assert refused("127.0.0.1", ports["POP"])
        with open(s.path("Settings", "POP.settings"), "w") as f:
            f.write("{Listener={Ports=({PortNumber=x;});};}")
        proc.send_signal(signal.SIGHUP)
        assert s.wait_log(r"Settings/POP\.settings: Listener: Ports element 1: "
                          r"PortNumber 'x' .*its sockets are kept")
        p = poplib.POP3("127.0.0.1", pop2, timeout=10)
        p.quit()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


# ---- privileged ports: root only ------------------------------------------

@pytest.fixture(scope="module")
def test_user():
    if os.geteuid() != 0:
        pytest.skip("needs root: tests the bind helper of a server started as root")
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        pytest.skip("useradd missing (Debian package passwd)")
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", USER], check=True)
    return pwd.getpwnam(USER)


@pytest.fixture
def reachable_base():
    """A base directory the test user can reach (as in test_privileges.py)."""
    d = tempfile.mkdtemp(prefix="tegami-lst-")
    os.chmod(d, 0o755)
    up = os.path.dirname(d)
    while True:
        if not os.stat(up).st_mode & 0o001:
            shutil.rmtree(d, ignore_errors=True)
            pytest.skip(f"{up} is not searchable by other users")
        if up == "/":
            break
        up = os.path.dirname(up)
    yield os.path.join(d, "base")
    shutil.rmtree(d, ignore_errors=True)


def free_low(addr):
    """A port below 1024 free on addr (25 first; Postfix may hold 127.0.0.1:25)."""
    for port in [25, 587, 465, *range(700, 1000)]:
        with socket.socket() as s:
            # as the server binds: TIME_WAIT left by a test does not count
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((addr, port))
            except OSError:
                continue
            return port
    pytest.skip(f"no free port below 1024 on {addr}")


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def gone(pid):
    try:
        return status(pid)["State"].startswith("Z")
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_privileged_port_through_the_bind_helper(test_user, reachable_base):
    uid, gid = test_user.pw_uid, test_user.pw_gid
    addr = "127.0.0.7"
    low = free_low(addr)
    s = Server(reachable_base, services=["smtp", "cli"], extra_args=["--user", USER]).start()
    try:
        helpers = [c for c in children(s.proc.pid) if status(c)["Name"] == "tegamid-bind"]
        assert len(helpers) == 1
        helper = helpers[0]
        st = status(helper)
        assert st["Uid"].split() == [str(uid)] * 4
        assert st["Gid"].split() == [str(gid)] * 4
        assert st["Groups"].split() == [str(gid)]
        assert int(st["CapEff"], 16) == 1 << 10      # CAP_NET_BIND_SERVICE
        assert int(st["CapPrm"], 16) == 1 << 10
        assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0
        assert int(st["CapBnd"], 16) == 1 << 10
        assert st["NoNewPrivs"].strip() == "1"
        # the helper holds no descriptor but 0-2 and its socket
        assert sorted(int(fd) for fd in os.listdir(f"/proc/{helper}/fd")) == [0, 1, 2, 3]
        # tegamid itself has no capability
        assert int(status(s.proc.pid)["CapEff"], 16) == 0

        s.tegami("UpdateModule", "SMTP",
                 listener((s.ports["smtp"], "IPAddress=127.0.0.1;"),
                          (low, f"IPAddress={addr};")))
        assert smtp_greets(addr, low)
        assert s.wait_log(rf"SMTP: listening for smtp on {addr}:{low}")
        s.tegami("UpdateModule", "SMTP", listener((s.ports["smtp"], "IPAddress=127.0.0.1;")))
        assert refused(addr, low)
        # and again: the helper serves more than one request
        s.tegami("UpdateModule", "SMTP", listener((low, f"IPAddress={addr};")))
        assert smtp_greets(addr, low)

        s.kill9()
        end = time.time() + 10
        while not gone(helper) and time.time() < end:
            time.sleep(0.05)
        assert gone(helper), "the bind helper outlived tegamid"
    finally:
        if s.proc is not None:
            s.stop()


def test_normal_user_is_told_the_port_needs_root(test_user, reachable_base):
    """Run by an unprivileged user there is no helper: the error says so."""
    os.makedirs(reachable_base)
    os.chown(reachable_base, test_user.pw_uid, test_user.pw_gid)
    tegamid = os.path.join(os.path.dirname(reachable_base), "tegamid")
    shutil.copy2(TEGAMID, tegamid)
    os.chmod(tegamid, 0o755)
    cli = free_port()
    log = open(reachable_base + ".stderr", "ab")
    proc = subprocess.Popen([tegamid, "--base", reachable_base, "--listen",
                             f"cli=127.0.0.1:{cli}"], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, user=test_user.pw_uid,
                            group=test_user.pw_gid, extra_groups=[])
    try:
        assert wait_port("127.0.0.1", cli, proc=proc)
        end = time.time() + 10
        while not os.path.exists(os.path.join(reachable_base, "ControlSocket")) \
                and time.time() < end:
            time.sleep(0.05)
        assert children(proc.pid) == []
        low = free_low("127.0.0.7")
        p = subprocess.run([TEGAMI, "--base", reachable_base, "UpdateModule", "SMTP",
                            listener((low, "IPAddress=127.0.0.7;"))],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0
        assert re.search(rf"cannot listen for (smtp|submission|smtps) on 127\.0\.0\.7:{low}: "
                         rf"port {low} needs root: start tegamid as root", p.stdout + p.stderr)
        assert refused("127.0.0.7", low)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_listen_option_overrides_the_settings(make_server):
    """With --listen the stored Listener is not used at start, and an
    UpdateModule that does not name Listener leaves the sockets alone;
    SetModule without Listener returns to the --listen set."""
    s = make_server(services=["smtp", "cli"]).start()
    other = free_port()
    s.tegami("UpdateModule", "SMTP", listener((other, "IPAddress=127.0.0.1;")))
    assert smtp_greets("127.0.0.1", other)
    s.restart()
    assert smtp_greets("127.0.0.1", s.ports["smtp"])
    assert refused("127.0.0.1", other)
    s.tegami("UpdateModule", "SMTP", "{MaxRecipients=50;}")
    assert refused("127.0.0.1", other)
    assert "PortNumber = %d" % other in s.tegami("GetModule", "SMTP")[1]
    s.tegami("UpdateModule", "SMTP", listener((other, "IPAddress=127.0.0.1;")))
    assert smtp_greets("127.0.0.1", other)
    assert refused("127.0.0.1", s.ports["smtp"])
    s.tegami("SetModule", "SMTP", "{MaxRecipients=50;}")
    assert smtp_greets("127.0.0.1", s.ports["smtp"])
    assert refused("127.0.0.1", other)
