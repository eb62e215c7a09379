# SPDX-License-Identifier: Apache-2.0
"""What the hibernation tests share (test_hibernate.py, test_hibernate_fds.py,
test_ldap_hibernate.py): a module's settings file with the per-address
limits off, the end-of-test check, and counts of tegamid's threads and
descriptors from /proc.  Waits are bounded; no timing is asserted."""

import os
import time


def write_settings(s, module, extra):
    """Settings/<module>.settings with MaxChannels = 1000, the per-address
    and per-network limits off, and extra (e.g. "HibernateAfter = 1;")."""
    os.makedirs(s.path("Settings"), exist_ok=True)
    with open(s.path("Settings", f"{module}.settings"), "w") as f:
        f.write("{ MaxChannels = 1000; MaxChannelsPerIP = 0; "
                "MaxChannelsPerNetwork = 0; %s }" % extra)


def finish(s):
    """Stops the server: a clean exit and no sanitizer report."""
    assert s.stop() == 0
    with open(s.stderr_path, "rb") as f:
        assert b"Sanitizer" not in f.read()


def threads(s):
    return len(os.listdir(f"/proc/{s.proc.pid}/task"))


def fds(s):
    return len(os.listdir(f"/proc/{s.proc.pid}/fd"))


def wait_threads_below(s, limit, timeout=30.0):
    """Bounded wait until tegamid has fewer than limit threads; the count."""
    end = time.time() + timeout
    while True:
        n = threads(s)
        if n < limit or time.time() > end:
            return n
        time.sleep(0.2)
