# SPDX-License-Identifier: Apache-2.0
"""tegamid as a process: base directory layout, ProcessID and the lock,
signals (SIGTERM, SIGINT, SIGHUP), --listen errors, --domain, --check, the
self-signed certificate, and restart after kill -9."""

import os
import signal
import socket
import subprocess
import time

from conftest import ROOT_ARGS, TEGAMID, CliClient, Server, free_port

LAYOUT = ["Settings", "Accounts", "Domains", "Queue", "Submitted",
          "Directory", "SystemLogs"]


def read_pid(s):
    with open(s.path("ProcessID")) as f:
        return int(f.read().strip())


def main_settings(s):
    with open(s.path("Settings", "Main.settings")) as f:
        return f.read()


def run_tegamid(args, timeout=20):
    return subprocess.run([TEGAMID, *ROOT_ARGS, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_first_start_creates_layout_and_processid(server):
    for d in LAYOUT:
        assert os.path.isdir(server.path(d)), d
    assert read_pid(server) == server.proc.pid


def test_sigterm_removes_processid_and_exits_0(server):
    assert os.path.exists(server.path("ProcessID"))
    assert server.stop(signal.SIGTERM) == 0
    assert not os.path.exists(server.path("ProcessID"))
    assert not os.path.exists(server.path("ControlSocket"))


def test_sigint_removes_processid_and_exits_0(server):
    assert server.stop(signal.SIGINT) == 0
    assert not os.path.exists(server.path("ProcessID"))


def test_second_server_on_same_base_refuses(server):
    pid = server.proc.pid
    p = run_tegamid(["--base", server.base, "--domain", server.domain,
                     "--listen", f"cli=127.0.0.1:{free_port()}"])
    assert p.returncode != 0
    assert str(pid) in p.stderr
    assert "running" in p.stderr
    # The first server is untouched: still running, still owns ProcessID.
    assert server.proc.poll() is None
    assert read_pid(server) == pid
    assert server.tegami("MainDomainName")[1] == server.domain


def test_listen_on_bound_port_names_service_and_port(make_server):
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        s = make_server()
        p = run_tegamid(["--base", s.base, "--domain", s.domain,
                         "--listen", f"cli=127.0.0.1:{port}"])
    assert p.returncode != 0
    assert "cli" in p.stderr
    assert str(port) in p.stderr
    # A failed start leaves no ProcessID behind.
    assert not os.path.exists(s.path("ProcessID"))


def test_bad_listen_arguments(make_server):
    s = make_server()
    for bad in ["nosuch=127.0.0.1:1", "cli=127.0.0.1", "cli=127.0.0.1:99999",
                "cli"]:
        p = run_tegamid(["--base", s.base, "--listen", bad])
        assert p.returncode != 0, bad
        assert p.stderr.strip() != "", bad


def test_domain_stored_and_kept_on_restart(make_server):
    s = make_server(domain="first.example").start()
    assert "DomainName = first.example;" in main_settings(s)
    s.stop()
    # --domain only names the main domain on the first start.
    s.domain = "second.example"
    s.start()
    assert "DomainName = first.example;" in main_settings(s)
    assert s.tegami("MainDomainName")[1] == "first.example"


def test_sighup_rereads_router_table(server):
    assert server.tegami("Route", "postmaster", "access")[1] == \
        '(LOCAL, postmaster, "postmaster@test.example")'
    server.tegami("CreateAccount", "abc")
    with open(server.path("Settings", "Router.txt"), "w") as f:
        f.write("<postmaster> = abc\n")
    # Not read before SIGHUP.
    assert "postmaster" in server.tegami("Route", "postmaster", "access")[1]
    server.proc.send_signal(signal.SIGHUP)
    assert server.wait_log(r"SIGHUP")
    end = time.time() + 10
    while time.time() < end:
        out = server.tegami("Route", "postmaster", "access")[1]
        if "abc" in out:
            break
        time.sleep(0.1)
    assert out == '(LOCAL, abc, "abc@test.example")'
    assert server.tegami("GetRouterTable")[1].strip() == "<postmaster> = abc"
    assert server.proc.poll() is None


def test_sighup_rereads_module_log_level(server):
    # PWD at level 5 writes raw protocol lines; set it by hand and SIGHUP.
    with open(server.path("Settings", "PWD.settings"), "w") as f:
        f.write("{\n\tLogLevel = 5;\n}\n")
    server.proc.send_signal(signal.SIGHUP)
    assert server.wait_log(r"SIGHUP")
    time.sleep(0.2)
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("NOOP").startswith("500")
    assert server.wait_log(r"(?m)^\S+ 5 PWD-\d+\(\S+\) out: 500 ")


def test_sighup_with_broken_router_table_keeps_running(server):
    server.tegami("SetRouterTable", "<x> = postmaster")
    with open(server.path("Settings", "Router.txt"), "w") as f:
        f.write("this is = = not a table <\n")
    server.proc.send_signal(signal.SIGHUP)
    assert server.wait_log(r"SIGHUP")
    time.sleep(0.3)
    assert server.proc.poll() is None
    # The old table stays.
    assert server.tegami("Route", "x")[1] == \
        '(LOCAL, postmaster, "postmaster@test.example")'


def test_check_validates_and_exits(make_server):
    s = make_server().start()
    s.stop()
    p = run_tegamid(["--base", s.base, "--check"])
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(s.path("ProcessID"))
    # A broken settings file is reported.
    with open(s.path("Settings", "Main.settings"), "w") as f:
        f.write("{ DomainName = test.example; broken\n")
    p = run_tegamid(["--base", s.base, "--check"])
    assert p.returncode != 0
    assert "Main.settings" in p.stderr


def test_check_refused_while_running(server):
    p = run_tegamid(["--base", server.base, "--check"])
    assert p.returncode != 0
    assert str(server.proc.pid) in p.stderr


def test_self_signed_certificate_generated_and_reused(server):
    cert = server.path("Settings", "ServerCertificate.pem")
    key = server.path("Settings", "ServerKey.pem")
    with open(cert) as f:
        first = f.read()
    assert "BEGIN CERTIFICATE" in first
    assert os.stat(key).st_mode & 0o077 == 0
    p = subprocess.run(["openssl", "x509", "-noout", "-subject"],
                       input=first, capture_output=True, text=True)
    if p.returncode == 0:
        assert server.domain in p.stdout
    server.restart()
    with open(cert) as f:
        assert f.read() == first


def test_kill9_then_restart_takes_over_stale_processid(server):
    old = server.proc.pid
    server.kill9()
    assert os.path.exists(server.path("ProcessID"))    # stale
    server.start()
    assert server.proc.pid != old
    assert read_pid(server) == server.proc.pid
    assert server.tegami("MainDomainName")[1] == server.domain
    assert server.stop() == 0
    assert not os.path.exists(server.path("ProcessID"))


def test_help_and_bad_option():
    p = run_tegamid(["--help"])
    assert p.returncode == 0
    assert "--listen" in p.stdout and "cli" in p.stdout
    p = run_tegamid(["--nosuch"])
    assert p.returncode != 0


def test_one_service_on_several_addresses(make_server):
    s = make_server()
    s.listen["cli"] = [("127.0.0.1", free_port()), ("127.0.0.1", free_port())]
    has_v6 = socket.has_ipv6
    if has_v6:
        try:
            with socket.socket(socket.AF_INET6) as t:
                t.bind(("::1", 0))
        except OSError:
            has_v6 = False
    if has_v6:
        s.listen["cli"].append(("[::1]", _free_port6()))
    s.start(wait=False)
    end = time.time() + 15
    for addr, port in s.listen["cli"]:
        host = addr.strip("[]")
        while True:
            try:
                c = CliClient(port, addr=host)
                break
            except OSError:
                assert time.time() < end, (addr, port)
                time.sleep(0.05)
        with c:
            assert c.banner.startswith("200 ")
            assert c.login("postmaster", s.postmaster_password()) == \
                "200 login OK"


def _free_port6():
    with socket.socket(socket.AF_INET6) as t:
        t.bind(("::1", 0))
        return t.getsockname()[1]
