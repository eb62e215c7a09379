# SPDX-License-Identifier: Apache-2.0
"""Integration-test harness: starts a real tegamid on free loopback ports with a
temporary base directory, and gives tests the ports, the postmaster password and
helpers to run the `tegami` admin command and read the logs."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import shutil

import pytest

BUILD = os.environ.get("TEGAMI_BUILD",
                       os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TEGAMID = os.path.join(BUILD, "tegamid")
# Started as root, tegamid switches to the user "tegami" unless told to stay
# root; the suite stays root (test_privileges.py tests the switch).
NO_DNS = "127.0.0.1:9"  # UDP: nothing listens (discard port)
ROOT_ARGS = ["--user", "root"] if os.geteuid() == 0 else []
TEGAMI = os.path.join(BUILD, "tegami")
SENDMAIL = os.path.join(BUILD, "sendmail")



def service_table():
    """The service table (src/server/services.c) as `tegamid --help` prints
    it: {name: (default port, TLS from the first byte, module, implemented)}."""
    out = subprocess.run([TEGAMID, "--help"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    rows = {}
    for line in out.split("services (", 1)[1].splitlines()[1:]:
        m = re.match(r"^  (\S+)\s+(\d+) (TLS|   ) (\S+)( \(not implemented yet\))?$", line)
        assert m, line
        rows[m[1]] = (int(m[2]), m[3] == "TLS", m[4], m[5] is None)
    return rows

LOG_RE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} [0-5] [A-Z]+(-\d+)?(\(.*?\))? .*$")


def free_port(addr="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def wait_port(addr, port, timeout=15.0, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Server:
    """One tegamid process on a temporary base directory."""

    def __init__(self, base, domain="test.example", services=None, extra_args=None,
                 env=None, prefix=None):
        self.base = base
        self.domain = domain
        self.services = services or ["cli"]
        self.extra_args = extra_args or []
        self.env = env or {}        # added to tegamid's environment
        self.prefix = prefix or []  # a command tegamid runs under (prlimit)
        self.ports = {}
        self.listen = {}
        self.proc = None
        self.stderr_path = os.path.join(os.path.dirname(base),
                                        os.path.basename(base) + ".stderr")

    def start(self, wait=True):
        """Starts tegamid.  Ports the test did not preset are picked free; if
        another process takes one between the pick and tegamid's bind
        ("cannot listen ... Address already in use"), new ones are picked and
        the start is tried again (at most 5 times)."""
        auto = {svc for svc in self.services if svc not in self.listen}
        for attempt in range(5):
            picked = set()
            for svc in auto:
                # free_port() may give the same port twice in a row.
                port = free_port()
                while port in picked:
                    port = free_port()
                picked.add(port)
                self.listen[svc] = [("127.0.0.1", port)]
            if self._spawn(wait):
                return self
            if not self._bind_failed() or not auto:
                break
        self.dump()
        raise RuntimeError(f"tegamid did not start listening on {self.listen}")

    def _bind_failed(self):
        try:
            with open(self.stderr_path, "rb") as f:
                tail = f.read()[-2000:]
        except OSError:
            return False
        return b"cannot listen" in tail and b"in use" in tail

    def _spawn(self, wait):
        args = [*self.prefix, TEGAMID, *ROOT_ARGS, "--base", self.base,
                "--domain", self.domain]
        for svc in self.services:
            for addr, port in self.listen[svc]:
                args += ["--listen", f"{svc}={addr}:{port}"]
            self.ports[svc] = self.listen[svc][0][1]
        args += self.extra_args
        # Nothing leaves loopback: unless the test wrote its own, the DNR
        # asks a loopback address where no DNS server answers (lookups time
        # out, remote mail stays queued) instead of the machine's resolver.
        # Tests of the DNR point Servers at their own server (dnsfake.py).
        dnr = self.path("Settings", "DNR.settings")
        if not os.path.exists(dnr):
            os.makedirs(os.path.dirname(dnr), exist_ok=True)
            with open(dnr, "w") as f:
                f.write('{Servers = ("%s"); Timeout = 2; Retries = 1;}\n' % NO_DNS)
        self.stderr = open(self.stderr_path, "ab")
        env = dict(os.environ)
        env.update(self.env)
        self.proc = subprocess.Popen(args, stdout=self.stderr, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL, env=env)
        if not wait:
            return True
        for svc in self.services:
            for addr, port in self.listen[svc]:
                if not wait_port(addr, port, proc=self.proc):
                    if self.proc.poll() is None:
                        self.proc.kill()
                    self.proc.wait()
                    self.proc = None
                    self.stderr.close()
                    return False
        # The ports listen before the queue and the control socket start
        # (tegamid.c); wait for the control socket, and say so if tegamid
        # died on the way rather than letting the first CLI call fail.
        end = time.time() + 60
        while not (os.path.exists(self.path("ProcessID"))
                   and os.path.exists(self.path("ControlSocket"))):
            if self.proc.poll() is not None:
                # e.g. a later port of the same start was taken: start()
                # picks new ones when the log says so, else reports it.
                self.proc.wait()
                self.proc = None
                self.stderr.close()
                return False
            if time.time() > end:
                self.dump()
                raise RuntimeError("tegamid made no ControlSocket in 60 s")
            time.sleep(0.05)
        return True

    def path(self, *parts):
        return os.path.join(self.base, *parts)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise RuntimeError("tegamid did not stop in time")
        self.proc = None
        self.stderr.close()
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def dump(self):
        try:
            with open(self.stderr_path, "rb") as f:
                print(f.read().decode(errors="replace")[-5000:])
        except OSError:
            pass

    def postmaster_password(self):
        with open(self.path("Accounts", "postmaster.macnt", "initial.password")) as f:
            return f.read().strip()

    def tegami(self, *args, check=True):
        """Runs build/tegami --base BASE args...; returns (rc, stdout, stderr)."""
        p = subprocess.run([TEGAMI, "--base", self.base, *args], capture_output=True,
                           text=True, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"tegami {args} failed: {p.returncode} {p.stdout} {p.stderr}")
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def log_text(self):
        d = self.path("SystemLogs")
        out = []
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                out.append(f.read())
        return "".join(out)

    def wait_log(self, pattern, timeout=10.0):
        rx = re.compile(pattern)
        end = time.time() + timeout
        while time.time() < end:
            if rx.search(self.log_text()):
                return True
            time.sleep(0.1)
        return False


@pytest.fixture
def base_dir():
    d = tempfile.mkdtemp(prefix="tegami-it-")
    yield os.path.join(d, "base")
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server(base_dir):
    s = Server(base_dir, services=["cli"]).start()
    yield s
    if s.proc is not None:
        s.stop()


@pytest.fixture
def make_server(base_dir):
    """Factory for tests that need other services or arguments."""
    made = []

    def make(**kw):
        s = Server(base_dir, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        if s.proc is not None:
            try:
                s.stop()
            except Exception:
                pass


class CliClient:
    """A plain-socket client of the CLI (PWD) TCP service: sends one line,
    reads CRLF-terminated reply lines."""

    def __init__(self, port, addr="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((addr, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.banner = self.readline()

    def readline(self):
        line = self.f.readline()
        if not line:
            raise EOFError("CLI connection closed")
        assert line.endswith(b"\r\n"), line
        return line[:-2].decode("utf-8", errors="replace")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def cmd(self, line):
        """Sends a command; returns the status line."""
        self.send(line)
        return self.readline()

    def data(self, line):
        """Sends a data command; returns (status, data line or None)."""
        st = self.cmd(line)
        if st.startswith("200 data follow"):
            return st, self.readline()
        return st, None

    def login(self, user, password):
        st = self.cmd(f"USER {user}")
        if not st.startswith("300"):
            return st
        return self.cmd(f'PASS {password}')

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


@pytest.fixture
def cli_client(server):
    """A CLI client logged in as postmaster on the default server."""
    c = CliClient(server.ports["cli"])
    assert c.login("postmaster", server.postmaster_password()).startswith("200")
    yield c
    c.close()


# An address where nothing listens (connection refused at once).
HOLD_RELAY = "[127.0.1.50]:9"


def hold_remote_mail(server):
    """Makes mail to remote domains stay queued (pending, retried later):
    RelayHost names an address where nothing listens.  For tests that need
    queued remote recipients without depending on DNS or the network."""
    server.tegami("UpdateModule", "SMTP", '{RelayHost="%s";}' % HOLD_RELAY)


def deliver(server, rcpt, raw_bytes, timeout=20.0):
    """Hands one message for `rcpt` to the running server through a real
    interface and returns once the server has taken it: SMTP (MAIL FROM:<>)
    when the server listens for smtp, else the Submitted folder (docs/sendmail.md:
    write <name>.tmp, rename to <name>.sub, wait until the server took
    the file).  raw_bytes is an RFC 5322 message with CRLF line ends; the
    server adds its Received: field on top.  Local delivery into the mailbox
    happens shortly after: poll the mailbox to wait for it."""
    if "smtp" in server.ports:
        import smtplib
        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as s:
            s.sendmail("", [rcpt], raw_bytes)
        return
    folder = server.path("Submitted")
    os.makedirs(folder, exist_ok=True)
    deliver.seq = getattr(deliver, "seq", 0) + 1
    name = f"it-{os.getpid()}-{deliver.seq}"
    tmp = os.path.join(folder, name + ".tmp")
    sub = os.path.join(folder, name + ".sub")
    with open(tmp, "wb") as f:
        f.write(b"Envelope-To: " + rcpt.encode() + b"\r\n" + raw_bytes)
    os.rename(tmp, sub)
    end = time.time() + timeout
    while os.path.exists(sub) and time.time() < end:
        time.sleep(0.05)
    if os.path.exists(sub):
        raise AssertionError(f"the server did not take {sub}")
    if os.path.exists(os.path.join(folder, name + ".bad")):
        raise AssertionError(f"the server refused {name}.sub (renamed .bad)")
