# SPDX-License-Identifier: Apache-2.0
"""tegamid started as root binds its ports (one below 1024 here), then
switches for good to its user (--user): every thread's real, effective,
saved and filesystem uid and gid are the user's, no capability is left,
no_new_privs is set, the base directory and its secrets are the user's, and
SMTP delivery, IMAP and the CLI still work.  Also: an unknown user is refused
with a clear message, --user root warns, a normal user runs as itself and
cannot name another.  Runs as root (CI); skipped otherwise.  Creates the
system user tegami-test when missing (useradd --system)."""

import grp
import imaplib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import TEGAMID, Server, deliver

USER = "tegami-test"
PASSWORD = "pw-priv-1"

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root: tests the switch from root to --user")


@pytest.fixture(scope="module")
def test_user():
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
    """A temporary base directory whose parent the test user can reach
    (mkdtemp makes it 0700 and root's)."""
    d = tempfile.mkdtemp(prefix="tegami-priv-")
    os.chmod(d, 0o755)
    up = os.path.dirname(d)
    while True:         # every folder above it must be searchable by others
        if not os.stat(up).st_mode & 0o001:
            shutil.rmtree(d, ignore_errors=True)
            pytest.skip(f"{up} is not searchable by other users, so no "
                        f"unprivileged user can reach a base below it")
        if up == "/":
            break
        up = os.path.dirname(up)
    yield os.path.join(d, "base")
    shutil.rmtree(d, ignore_errors=True)


def free_low_port():
    """A free port below 1024 on 127.0.0.1 (only root can bind it)."""
    for port in range(700, 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port below 1024")


def ids(pid):
    """{tid: status fields} of every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                out[tid] = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except FileNotFoundError:
            pass
    return out


def test_root_switches_to_user_in_every_thread(test_user, reachable_base):
    uid, gid = test_user.pw_uid, test_user.pw_gid
    s = Server(reachable_base, services=["smtp", "imap", "cli"],
               extra_args=["--user", USER])
    s.listen["smtp"] = [("127.0.0.1", free_low_port())]
    s.start()
    try:
        assert s.ports["smtp"] < 1024
        s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
        deliver(s, "user1@test.example",
                b"From: a@example.org\r\nSubject: priv\r\n\r\nafter the switch\r\n")
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
        m.login("user1", PASSWORD)
        m.select("INBOX")
        end = time.time() + 20
        while time.time() < end:
            typ, data = m.search(None, "ALL")
            if data[0]:
                break
            time.sleep(0.1)
            m.noop()
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
        assert data[0][1] == b"after the switch\r\n"
        m.logout()

        # every thread, now that the queue, IMAP and CLI threads exist
        threads = ids(s.proc.pid)
        assert len(threads) > 3
        for tid, st in threads.items():
            assert st["Uid"].split() == [str(uid)] * 4, (tid, st["Uid"])
            assert st["Gid"].split() == [str(gid)] * 4, (tid, st["Gid"])
            assert st["Groups"].split() == [str(gid)], (tid, st["Groups"])
            for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                assert int(st[cap], 16) == 0, (tid, cap, st[cap])
            assert st["NoNewPrivs"].strip() == "1", tid

        # the base directory and what the server made are the user's
        for dirpath, dirnames, filenames in os.walk(s.base):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                st = os.lstat(p)
                assert (st.st_uid, st.st_gid) == (uid, gid), p
        assert os.stat(s.base).st_uid == uid
        for secret in (s.path("Settings", "ServerKey.pem"),
                       s.path("Accounts", "postmaster.macnt", "initial.password")):
            st = os.stat(secret)
            assert stat.S_IMODE(st.st_mode) == 0o600, secret
            assert st.st_uid == uid
        assert f"running as user {USER} (uid {uid}, gid {gid})" in s.log_text()
    finally:
        s.stop()
    assert not os.path.exists(s.path("ProcessID"))


def test_base_of_root_becomes_the_users(test_user, reachable_base):
    """A base directory a root server made is given to the user at the next
    start, all of it."""
    s = Server(reachable_base, services=["cli"], extra_args=["--user", "root"]).start()
    s.tegami("CreateAccount", "user1", '{Password="x";}')
    s.stop()
    assert os.stat(s.path("Settings", "ServerKey.pem")).st_uid == 0
    s2 = Server(reachable_base, services=["cli"], extra_args=["--user", USER]).start()
    try:
        for dirpath, dirnames, filenames in os.walk(s2.base):
            for n in dirnames + filenames:
                assert os.lstat(os.path.join(dirpath, n)).st_uid == test_user.pw_uid
        assert s2.tegami("ListAccounts")[1].count("user1") == 1
    finally:
        s2.stop()


def test_unknown_user_refused(reachable_base):
    p = subprocess.run([TEGAMID, "--base", reachable_base, "--user", "no-such-user-tg",
                        "--listen", "cli=127.0.0.1:0"],
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert "the server's user no-such-user-tg does not exist" in p.stderr
    assert "--user root" in p.stderr
    assert not os.path.exists(reachable_base)


def test_user_root_warns_at_every_start(reachable_base):
    s = Server(reachable_base, services=["cli"], extra_args=["--user", "root"])
    for _ in range(2):
        s.start()
        s.stop()
    assert s.log_text().count("running as root (--user root)") == 2


def test_normal_user_runs_as_itself(test_user, reachable_base):
    os.makedirs(reachable_base)
    os.chown(reachable_base, test_user.pw_uid, test_user.pw_gid)

    # The build folder may be below one the user cannot search (a clone in
    # /root): the user runs a copy beside its base directory.
    tegamid = os.path.join(os.path.dirname(reachable_base), "tegamid")
    shutil.copy2(TEGAMID, tegamid)
    os.chmod(tegamid, 0o755)

    def run(*args):
        return subprocess.run([tegamid, "--base", reachable_base, *args],
                              capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL, user=test_user.pw_uid,
                              group=test_user.pw_gid, extra_groups=[])
    p = run("--user", "root", "--check")
    assert p.returncode != 0
    assert "--user root: tegamid runs as uid" in p.stderr
    assert "only when started as root" in p.stderr
    p = run("--user", USER, "--check")
    assert p.returncode == 0, p.stderr
    p = run("--check")
    assert p.returncode == 0, p.stderr
    st = os.stat(os.path.join(reachable_base, "Settings", "Main.settings"))
    assert st.st_uid == test_user.pw_uid
    assert grp.getgrgid(st.st_gid).gr_gid == test_user.pw_gid


def test_nested_base_behind_a_symlink(test_user, reachable_base):
    """Missing parents are made (root's, 0755 as mkdir -p), the base directory
    behind a symbolic link becomes the user's, the link itself is left."""
    top = os.path.dirname(reachable_base)
    real = os.path.join(top, "real")
    os.mkdir(real, 0o755)
    os.symlink(real, os.path.join(top, "link"))
    base = os.path.join(top, "link", "sub", "base")
    p = subprocess.run([TEGAMID, "--base", base, "--user", USER, "--check"],
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    st = os.stat(os.path.join(real, "sub", "base"))
    assert (st.st_uid, st.st_gid) == (test_user.pw_uid, test_user.pw_gid)
    assert stat.S_IMODE(st.st_mode) == 0o750
    assert os.stat(os.path.join(real, "sub")).st_uid == 0
    assert os.lstat(os.path.join(top, "link")).st_uid == 0
    assert os.stat(os.path.join(real, "sub", "base", "Settings", "Main.settings")).st_uid \
        == test_user.pw_uid
