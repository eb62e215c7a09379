# SPDX-License-Identifier: Apache-2.0
"""Installing and running as a service: `make install DESTDIR=...` puts the
expected files (and only those) in place with the right modes and the
version filled in; the man pages format without groff warnings; the systemd
unit passes `systemd-analyze verify`; --version of both programs comes from
src/core/server.h; tegamid tells systemd (Type=notify) READY=1,
RELOADING=1 and STOPPING=1 over $NOTIFY_SOCKET."""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess

import pytest

from conftest import BUILD, TEGAMI, TEGAMID

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# make run from a test that `make it` started: not a sub-make of it (no
# "Entering directory" lines, no inherited flags)
MAKE_ENV = {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}


def make(*args, timeout=600):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", TOP, *args],
                          capture_output=True, text=True, timeout=timeout, env=MAKE_ENV)


def header_version():
    with open(os.path.join(TOP, "src", "core", "server.h")) as f:
        return re.search(r'#define TEGAMI_VERSION\s+"([^"]+)"', f.read()).group(1)


EXPECTED = {
    "usr/local/sbin/tegamid": 0o755,
    "usr/local/sbin/tegami-sendmail": 0o755,
    "usr/local/bin/tegami": 0o755,
    "usr/local/share/man/man8/tegamid.8": 0o644,
    "usr/local/share/man/man8/tegami.8": 0o644,
    "usr/local/share/man/man8/tegami-sendmail.8": 0o644,
    "usr/local/lib/systemd/system/tegamid.service": 0o644,
    "usr/local/share/doc/tegami/LICENSE": 0o644,
    "usr/local/share/doc/tegami/README.md": 0o644,
    "usr/local/share/doc/tegami/operations.md": 0o644,
}
# The web root: every file of the source tree's web/ (docs/http.md).
_WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
for _dir, _, _files in os.walk(_WEB):
    for _n in _files:
        _rel = os.path.relpath(os.path.join(_dir, _n), _WEB)
        EXPECTED["usr/local/share/tegami/web/" + _rel] = 0o644


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    p = make("install", f"DESTDIR={dest}", f"BUILD={BUILD}")
    assert p.returncode == 0, p.stdout + p.stderr
    # DESTDIR: no user is created, nothing outside it is touched
    assert "creating the system user" not in p.stdout
    return str(dest)


def test_file_list_and_modes(staged):
    found = {}
    for dirpath, _, files in os.walk(staged):
        for n in files:
            p = os.path.join(dirpath, n)
            found[os.path.relpath(p, staged)] = stat.S_IMODE(os.stat(p).st_mode)
    assert found == EXPECTED
    # never a system sendmail
    assert not os.path.exists(os.path.join(staged, "usr/sbin/sendmail"))
    assert not os.path.exists(os.path.join(staged, "usr/local/sbin/sendmail"))


def test_installed_programs_run(staged):
    v = header_version()
    out = subprocess.run([os.path.join(staged, "usr/local/sbin/tegamid"), "--version"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out == f"tegamid (Tegami) {v}\n"
    out = subprocess.run([os.path.join(staged, "usr/local/bin/tegami"), "--version"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out == f"tegami (Tegami) {v}\n"


def test_man_pages(staged):
    v = header_version()
    mandir = os.path.join(staged, "usr/local/share/man/man8")
    for name in ("tegamid.8", "tegami.8", "tegami-sendmail.8"):
        text = open(os.path.join(mandir, name)).read()
        assert "@VERSION@" not in text and f'"Tegami {v}"' in text, name
        if shutil.which("groff") is None:
            continue
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(mandir, name)],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
    if shutil.which("groff") is None:
        pytest.skip("groff missing (Debian package groff-base): pages not formatted")
    p = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", os.path.join(mandir, "tegamid.8")],
                       capture_output=True, timeout=30, env=dict(os.environ, LC_ALL="C.UTF-8"))
    # undo hyphenation at line ends
    page = re.sub(r"\u2010\n\s*", "", p.stdout.decode())
    for word in ("--user", "--listen", "LogsKeepDays", "SIGHUP", "NOTIFY_SOCKET"):
        assert word in page, word


def test_systemd_unit(staged):
    unit = os.path.join(staged, "usr/local/lib/systemd/system/tegamid.service")
    text = open(unit).read()
    assert "ExecStart=/usr/local/sbin/tegamid --base /var/Tegami --user tegami" in text
    for line in ("Type=notify", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/var/Tegami", "PrivateTmp=yes", "ProtectHome=yes"):
        assert line in text.splitlines(), line
    caps = [x for x in text.splitlines() if x.startswith("CapabilityBoundingSet=")]
    assert caps and "CAP_NET_BIND_SERVICE" in caps[0] and "CAP_SETUID" in caps[0] \
        and "CAP_SETGID" in caps[0] and "CAP_SYS_ADMIN" not in caps[0]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze missing: unit not verified")
    # verify a copy that runs the staged binary (the real path is not installed here)
    copy = os.path.join(staged, "tegamid.service")
    with open(copy, "w") as f:
        f.write(text.replace("/usr/local/sbin/tegamid",
                             os.path.join(staged, "usr/local/sbin/tegamid")))
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", copy],
                       capture_output=True, text=True, timeout=60)
    os.unlink(copy)
    assert p.returncode == 0 and p.stderr.strip() == "", p.stdout + p.stderr


@pytest.mark.parametrize("abstract", [False, True])
def test_sd_notify(make_server, tmp_path, abstract):
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = f"@tegami-it-{os.getpid()}"
        sk.bind("\0" + name[1:])
    else:
        name = str(tmp_path / "notify")
        sk.bind(name)
    sk.settimeout(20)
    s = make_server(services=["cli"], env={"NOTIFY_SOCKET": name}).start()

    def recv():
        return sk.recv(4096).decode()
    assert recv() == "READY=1\nSTATUS=accepting connections"
    s.proc.send_signal(signal.SIGHUP)
    assert recv() == "RELOADING=1"
    assert recv() == "READY=1"
    s.stop()
    assert recv() == "STOPPING=1"
    sk.close()


def test_version_options():
    v = header_version()
    for prog, name in ((TEGAMID, "tegamid"), (TEGAMI, "tegami")):
        p = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=10)
        assert p.returncode == 0 and p.stdout == f"{name} (Tegami) {v}\n"
    p = make("version", timeout=60)
    assert p.stdout == v + "\n"


def test_installed_web_root(staged, tmp_path):
    """The installed tegamid serves the installed web root
    ($(PREFIX)/share/tegami/web, found beside the program)."""
    import urllib.request
    from conftest import ROOT_ARGS, free_port, wait_port
    port = free_port()
    p = subprocess.Popen([os.path.join(staged, "usr/local/sbin/tegamid"), *ROOT_ARGS,
                          "--base", str(tmp_path / "base"), "--domain", "test.example",
                          "--listen", f"webadmin=127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_port("127.0.0.1", port, proc=p)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/admin.css",
                                    timeout=10) as r:
            got = r.read()
        with open(os.path.join(staged, "usr/local/share/tegami/web/admin/admin.css"), "rb") as f:
            assert got == f.read()
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
