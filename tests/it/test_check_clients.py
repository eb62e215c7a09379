# SPDX-License-Identifier: Apache-2.0
"""scripts/check-clients.sh: passes on this machine (make it ran it), and
names the package in one line when a tool lacks the mode the tests use."""

import os
import shutil
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(TOP, "scripts", "check-clients.sh")


def run(path):
    return subprocess.run(["/bin/sh", SCRIPT], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PATH=path))


def test_passes_here():
    p = run(os.environ["PATH"])
    assert p.returncode == 0, p.stdout
    assert p.stdout.endswith(": ok\n")


def test_swaks_without_tls_and_missing_tools(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    # what the browser tests' checks need (node, npm, and chromium run
    # through timeout in a mktemp directory) is there
    for tool in ("curl", "mbsync", "ldapsearch", "ldd", "grep", "tr", "node",
                 "npm", "mktemp", "timeout", "rm"):
        os.symlink(shutil.which(tool), fake / tool)
    (fake / "swaks").write_text('#!/bin/sh\necho "*** TLS not available: requires Net::SSLeay"\n')
    os.chmod(fake / "swaks", 0o755)
    p = run(str(fake))
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines == [
        "check-clients: swaks has no TLS (swaks --support): install the Debian package "
        "libnet-ssleay-perl (sh scripts/deps.sh)",
        "check-clients: fetchmail not found: install the Debian package fetchmail "
        "(sh scripts/deps.sh)",
    ]
