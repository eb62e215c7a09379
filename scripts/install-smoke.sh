#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs Tegami for real and runs the installed server once: `make install`
# (creates the user tegami and /var/Tegami), then /usr/local/sbin/tegamid as
# root with the default --user on a loopback port below 1024, checks that it
# runs as tegami, answers the installed `tegami` command and stops cleanly.
# It changes the machine (a user, /usr/local, /var/Tegami): meant for a
# throw-away root such as scripts/fresh-debian-test.sh builds (INSTALL=1).
set -eu
[ "$(id -u)" = 0 ] || { echo "install-smoke: must run as root"; exit 1; }
make -s install
getent passwd tegami >/dev/null || { echo "install-smoke: no user tegami"; exit 1; }
[ "$(stat -c %U:%G:%a /var/Tegami)" = "tegami:tegami:750" ] ||
	{ echo "install-smoke: /var/Tegami is $(stat -c %U:%G:%a /var/Tegami)"; exit 1; }
/usr/local/sbin/tegamid --version
port=$(/usr/bin/python3 -c '
import socket
for p in range(700, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break')
/usr/local/sbin/tegamid --listen smtp=127.0.0.1:"$port" >/tmp/install-smoke.log 2>&1 &
pid=$!
i=0
until [ -S /var/Tegami/ControlSocket ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
/usr/local/bin/tegami ListDomains
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$pid/status)
want=$(id -u tegami)
[ "$uids" = "$want $want $want $want" ] ||
	{ echo "install-smoke: tegamid runs with uids $uids, not $want"; kill $pid; exit 1; }
/usr/bin/python3 -c '
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    print("install-smoke: SMTP", s.noop()[0])' "$port"
kill -TERM $pid
wait $pid
echo "install-smoke: installed tegamid ran as tegami (uid $want) on port $port and stopped cleanly"
