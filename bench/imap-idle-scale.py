#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Holds many authenticated IMAP sessions in IDLE and reports the server's
resident memory.

usage: imap-idle-scale.py HOST PORT USER PASS SESSIONS SECONDS SERVER_PID
       [SETTLE [SMTP_PORT DOMAIN]]

USER may hold "%d": session i logs in as USER % (i % A), spreading the
sessions over A accounts (the environment variable SCALE_ACCOUNTS, default
100).

Opens SESSIONS connections (bounded concurrency while connecting), each does
LOGIN, SELECT INBOX, IDLE; holds them SECONDS; reads VmRSS of SERVER_PID every
few seconds and its CPU time (utime + stime from /proc/PID/stat) over the
hold, printed as a percentage of one CPU; then sends DONE/LOGOUT and closes.
SETTLE (default 10) seconds pass between the last login and the start of the
hold (the sessions hibernate meanwhile).  Also printed: the thread count at
the end of the hold and the resident memory per session (the growth of VmRSS
from before the first connection, divided by the sessions).  With SMTP_PORT,
after the hold: 20 messages are delivered one at a time over SMTP to the
first session's account (USER % 0 @ DOMAIN), each timed from the start of the
SMTP transaction to the "* n EXISTS" read by that session; median, p99 and
maximum printed (SCALE_DELIVERIES messages, default 20; with fewer than 100
the p99 is the maximum).  With the environment variable HOLD_LOAD (a bash
command, bench/imap scale -S), after the hold's figures and before the
deliveries: runs it (bounded, 600 s) while the sessions are still held and
prints its last output line as "HOLD_LOAD <line>" and the threads and CPU
meanwhile.  Stops by itself.

The connections are spread over worker processes (at most PER_PROC = 5,000
sessions each, well under a process's 20,000-descriptor limit here), worker
w connecting from the loopback source address 127.0.0.(2 + w) when HOST is
127.0.0.1 (tegamid's per-address limits are lifted by bench/imap scale).
Each worker logs in its share (at most CONC = 200 at once over all workers,
as before the split: more overflow tegamid's listen backlog) and reports when each
of its sessions reached IDLE; printed: the time to log in the first 1,000
sessions (of all workers, by the time each reached IDLE) beside the time
for all, each also per session.  The delivery delays use one more IDLE
session of the first account, opened by this process.  A worker ends on
its parent's word, or by itself when its parent is gone or after a bound.
"""
import asyncio
import multiprocessing
import os
import re
import smtplib
import subprocess
import sys
import time

host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
n, secs, pid = int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
settle = float(sys.argv[8]) if len(sys.argv) > 8 else 10.0
smtp_port = int(sys.argv[9]) if len(sys.argv) > 9 else 0
domain = sys.argv[10] if len(sys.argv) > 10 else ""


def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    return float("nan")


def cpu_ticks():
    """tegamid's user + system CPU time so far, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)


def threads():
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("Threads:"):
                return int(ln.split()[1])
    return -1


async def expect(reader, tag):
    while True:
        ln = await asyncio.wait_for(reader.readline(), 60)
        if not ln:
            raise ConnectionError("closed")
        if ln.startswith(tag.encode() + b" "):
            if not ln.startswith(tag.encode() + b" OK"):
                raise ConnectionError(ln.decode(errors="replace"))
            return


PER_PROC = int(os.environ.get("SCALE_PER_PROC", 5000))  # per worker process
FIRST = 1000            # the login rate of the first FIRST sessions
ACCOUNTS = int(os.environ.get("SCALE_ACCOUNTS", 100))
DELIVERIES = int(os.environ.get("SCALE_DELIVERIES", 20))
CONC = 200              # log-ins under way at once, over all workers


async def session(i, sem, conns, src=None):
    async with sem:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            host, port, local_addr=(src, 0) if src else None), 60)
        await asyncio.wait_for(r.readline(), 60)
        name = user % (i % ACCOUNTS) if "%d" in user else user
        w.write(f'a LOGIN {name} "{pw}"\r\n'.encode())
        await expect(r, "a")
        w.write(b"b SELECT INBOX\r\n")
        await expect(r, "b")
        w.write(b"c IDLE\r\n")
        ln = await asyncio.wait_for(r.readline(), 60)
        if not ln.startswith(b"+"):
            raise ConnectionError(ln.decode(errors="replace"))
        conns.append((r, w, i))
        return time.time()


def worker(ids, src, conc, pipe):
    """Logs in sessions ids from address src; sends (IDLE-reached times,
    error count, first error) to pipe; holds them until told to stop (or
    the parent is gone, or a bound of a day passes); then closes them."""
    async def run():
        conns, sem = [], asyncio.Semaphore(conc)
        res = await asyncio.gather(*(session(i, sem, conns, src)
                                     for i in ids), return_exceptions=True)
        errs = [e for e in res if isinstance(e, Exception)]
        pipe.send(([t for t in res if isinstance(t, float)], len(errs),
                   repr(errs[0]) if errs else ""))
        ppid, end = os.getppid(), time.time() + 86400
        while time.time() < end and os.getppid() == ppid:
            if await asyncio.to_thread(pipe.poll, 1.0):
                break
        for r, w, _ in conns:
            try:
                w.write(b"DONE\r\nd LOGOUT\r\n")
                w.close()
            except Exception:
                pass
        await asyncio.sleep(0.5)
    asyncio.run(run())
    pipe.close()


def send_one(rcpt, k):
    with smtplib.SMTP(host, smtp_port, timeout=30) as c:
        c.sendmail("bench@example.org", [rcpt],
                   f"From: bench@example.org\r\nTo: {rcpt}\r\n"
                   f"Subject: delay {k}\r\n\r\nping\r\n")


async def delivery_delays(conns):
    """Delay from the start of an SMTP delivery to the EXISTS of one IDLE
    session of that account (the first session's)."""
    r, _, i = conns[0]
    name = user % (i % ACCOUNTS) if "%d" in user else user
    rcpt = f"{name}@{domain}"
    delays = []
    for k in range(DELIVERIES):
        t0 = time.time()
        await asyncio.to_thread(send_one, rcpt, k)
        while True:
            ln = await asyncio.wait_for(r.readline(), 30)
            if not ln:
                raise ConnectionError("closed")
            if re.match(rb"^\* \d+ EXISTS", ln):
                break
        delays.append(1000 * (time.time() - t0))
        await asyncio.sleep(1.5)        # past HibernateAfter 1 s (-h 1)
    delays.sort()
    p99 = delays[max(0, -(-99 * len(delays) // 100) - 1)]
    print(f"RESULT delivery_to_exists_ms median={delays[len(delays) // 2]:.1f}"
          f" p99={p99:.1f} max={delays[-1]:.1f} (n={len(delays)}, SMTP"
          f" transaction included)")


async def hold_load(cmd, held):
    """Runs cmd (bash) while the sessions are held; its last line."""
    hz = os.sysconf("SC_CLK_TCK")
    c0, w0, t0 = cpu_ticks(), time.time(), threads()
    p = await asyncio.to_thread(subprocess.run, ["bash", "-c", cmd],
                                capture_output=True, text=True, timeout=600)
    cpu = 100.0 * (cpu_ticks() - c0) / hz / max(0.001, time.time() - w0)
    lines = p.stdout.strip().splitlines()
    print(f"HOLD_LOAD {lines[-1] if lines else 'nan nan'}")
    print(f"  load beside {held} held sessions (3 s settle per round included): "
          f"{time.time() - w0:.1f}s, tegamid CPU {cpu:.1f}%, threads "
          f"{t0} before, {threads()} after; rc={p.returncode}")
    for ln in p.stderr.strip().splitlines():
        if ln.startswith("#"):
            print("  " + ln)


async def main():
    rss0 = rss_mib()
    nproc = (n + PER_PROC - 1) // PER_PROC
    ctx = multiprocessing.get_context("fork")
    procs = []
    t0 = time.time()
    for w in range(nproc):
        ids = range(w * n // nproc, (w + 1) * n // nproc)
        src = f"127.0.0.{2 + w}" if host == "127.0.0.1" else None
        a, b = ctx.Pipe()
        p = ctx.Process(target=worker, args=(ids, src, max(1, CONC // nproc), b), daemon=True)
        p.start()
        procs.append((p, a))
    times, nerr, err0 = [], 0, ""
    for p, a in procs:
        if not await asyncio.to_thread(a.poll, 1800):
            raise SystemExit("a worker gave no answer in 1800 s")
        ts, ne, e0 = a.recv()
        times += ts
        nerr += ne
        err0 = err0 or e0
    times.sort()
    held = len(times)
    print(f"established {held}/{n} IDLE sessions in {time.time() - t0:.1f}s"
          f" from {nproc} processes ({errs_note(nerr, err0)})")
    if held:
        k = min(FIRST, held)
        tk, tall = times[k - 1] - t0, times[-1] - t0
        print(f"RESULT login first={k} in {tk:.2f}s ({1000 * tk / k:.2f} ms"
              f"/session, {k / max(tk, 1e-3):.0f}/s) all={held} in"
              f" {tall:.2f}s ({1000 * tall / held:.2f} ms/session,"
              f" {held / max(tall, 1e-3):.0f}/s)")
    conns = []
    if smtp_port and held:
        try:
            await session(0, asyncio.Semaphore(1), conns)
        except Exception as e:
            print(f"the delivery session could not log in: {e!r}")
    peak = 0.0
    end = time.time() + settle
    while time.time() < end:
        print(f"  t={time.time() - t0:6.1f}s rss={rss_mib():8.1f} MiB threads={threads()} (settling)")
        await asyncio.sleep(min(5, max(0.1, end - time.time())))
    end = time.time() + secs
    c0, w0 = cpu_ticks(), time.time()
    while time.time() < end:
        m = rss_mib()
        peak = max(peak, m)
        print(f"  t={time.time() - t0:6.1f}s rss={m:8.1f} MiB threads={threads()}")
        await asyncio.sleep(min(10, max(0.1, end - time.time())))
    hz = os.sysconf("SC_CLK_TCK")
    cpu = 100.0 * (cpu_ticks() - c0) / hz / max(0.001, time.time() - w0)
    per_kib = (rss_mib() - rss0) * 1024 / max(1, held + len(conns))
    print(f"RESULT sessions={held + len(conns)} held={secs:g}s peak_rss_mib={peak:.1f}"
          f" cpu_during_hold={cpu:.1f}% threads={threads()}"
          f" rss_per_session_kib={per_kib:.1f}")
    if os.environ.get("HOLD_LOAD") and held:
        await hold_load(os.environ["HOLD_LOAD"], held + len(conns))
    if smtp_port and conns:
        await delivery_delays(conns)
    for r, w, _ in conns:
        try:
            w.write(b"DONE\r\nd LOGOUT\r\n")
            w.close()
        except Exception:
            pass
    for p, a in procs:
        try:
            a.send("stop")
        except Exception:
            pass
    for p, a in procs:
        p.join(30)
        if p.is_alive():
            p.terminate()
            p.join(5)


def errs_note(nerr, err0):
    return f"{nerr} errors{': ' + err0 if err0 else ''}"


asyncio.run(main())
