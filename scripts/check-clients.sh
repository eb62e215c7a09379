#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks, before the integration tests start, that every client tool they use
# runs in the mode they use it: swaks with STARTTLS, curl with the imap, pop3
# and smtp protocols over TLS, fetchmail with SSL, mbsync (TLS), ldapsearch,
# pytest, aiosmtpd, dnslib, Postfix's smtp-sink and headless chromium with
# node and npm.  Each missing piece gives one line naming the Debian package that
# brings it (scripts/deps.sh installs them all), then the script exits 1, so
# a missing package stops `make it` at its start, never in the middle of the
# suite.
PY=${PYTHON:-/usr/bin/python3}
bad=0

need() {	# need PACKAGE WHAT
	echo "check-clients: $2: install the Debian package $1 (sh scripts/deps.sh)"
	bad=1
}

if ! "$PY" -c 'import pytest' 2>/dev/null; then
	need python3-pytest "$PY cannot import pytest"
fi

if ! command -v swaks >/dev/null 2>&1; then
	need swaks "swaks not found"
elif ! swaks --support 2>&1 | grep -q '^=== TLS supported'; then
	# swaks --tls needs Net::SSLeay, a Recommends of swaks
	need libnet-ssleay-perl "swaks has no TLS (swaks --support)"
fi

if ! command -v curl >/dev/null 2>&1; then
	need curl "curl not found"
else
	v=$(curl -V 2>/dev/null)
	for proto in imap imaps pop3 pop3s smtp smtps; do
		echo "$v" | grep '^Protocols:' | tr ' ' '\n' | grep -qx "$proto" ||
			need curl "curl has no $proto protocol (curl -V)"
	done
	echo "$v" | grep '^Features:' | tr ' ' '\n' | grep -qx SSL ||
		need curl "curl has no TLS (curl -V)"
	[ -d /etc/ssl/certs ] && [ -s /etc/ssl/certs/ca-certificates.crt ] ||
		need ca-certificates "no CA bundle for curl and fetchmail"
fi

if ! command -v fetchmail >/dev/null 2>&1; then
	need fetchmail "fetchmail not found"
elif ! fetchmail -V 2>/dev/null | grep -q '+SSL'; then
	need fetchmail "fetchmail has no SSL (fetchmail -V)"
fi

if ! command -v mbsync >/dev/null 2>&1; then
	need isync "mbsync not found"
elif ! mbsync --version >/dev/null 2>&1; then
	need isync "mbsync does not run"
elif command -v ldd >/dev/null 2>&1 &&
    ! ldd "$(command -v mbsync)" 2>/dev/null | grep -q 'libssl'; then
	need isync "mbsync is built without TLS"
fi

if ! command -v ldapsearch >/dev/null 2>&1; then
	need ldap-utils "ldapsearch not found"
elif ! ldapsearch -VV 2>&1 | grep -q 'OpenLDAP'; then
	need ldap-utils "ldapsearch does not run"
fi

# The SMTP-out tests' receivers and the DNS server the DNR tests start
# (without them those tests would be skipped, not failed).
if ! "$PY" -c 'import aiosmtpd.controller' 2>/dev/null; then
	need python3-aiosmtpd "$PY cannot import aiosmtpd"
fi
if ! "$PY" -c 'import dnslib.server' 2>/dev/null; then
	need python3-dnslib "$PY cannot import dnslib"
fi
# The LDAP tests' second client (besides ldapsearch).
if ! "$PY" -c 'import ldap3' 2>/dev/null; then
	need python3-ldap3 "$PY cannot import ldap3"
fi
if [ ! -x /usr/sbin/smtp-sink ]; then
	need postfix "/usr/sbin/smtp-sink not found"
fi

# The WebAdmin browser tests: Debian's chromium, headless, driven by the npm
# package playwright-core (tests/browser, installed there by npm ci).
# Node.js 20 or later with npm: the machine's own (Debian's nodejs 18 is too
# old for playwright-core), so no package is named.
nodev=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
if [ -z "$nodev" ] || [ "$nodev" -lt 20 ]; then
	echo "check-clients: node 20 or later not found (${nodev:-none}): the browser tests need the machine's Node.js"
	bad=1
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "check-clients: npm not found: the browser tests need the machine's npm"
	bad=1
fi
if [ ! -x /usr/bin/chromium ]; then
	need chromium "/usr/bin/chromium not found"
else
	cdir=$(mktemp -d)
	if ! timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --user-data-dir="$cdir" \
	    --dump-dom 'data:text/html,<p>chromium-ok</p>' 2>/dev/null |
	    grep -q chromium-ok; then
		need chromium "chromium does not start headless"
	fi
	rm -rf "$cdir"
fi

[ $bad = 0 ] && echo "check-clients: pytest, swaks (TLS), curl (imap/pop3/smtp, TLS), fetchmail (SSL), mbsync, ldapsearch, ldap3, aiosmtpd, dnslib, smtp-sink, node, npm, chromium (headless): ok"
exit $bad
