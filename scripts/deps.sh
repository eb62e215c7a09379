#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages Tegami needs to build, run and test, when missing.
# Idempotent: does nothing when everything is present.  As root it runs
# apt-get update once, then apt-get install; otherwise it prints the exact
# command to run.
#
# Packages are installed with --no-install-recommends, so what a tool only
# Recommends but the tests need is named here too:
#   swaks             libnet-ssleay-perl, libio-socket-ssl-perl (--tls, STARTTLS)
#   curl, fetchmail   ca-certificates (TLS trust store; curl -k still loads it)
#   ldap-utils        libldap-common (ldap.conf defaults for ldapsearch)
#   python3-pytest    python3-pygments (pytest's failure reports)
# chromium runs the WebAdmin browser tests (tests/browser: npm ci installs the
# pinned playwright-core there; no browser download); fonts-dejavu-core gives
# it a font for readable screenshots.  Node.js (20 or later) and npm are the
# machine's own (its Node.js ships npm; Debian's nodejs 18 is too old for
# playwright-core), so they are not installed here: check-clients.sh checks
# that they run.
# postfix is there for smtp-sink (an independent SMTP receiver in the SMTP-out
# tests); it is installed as "No configuration", so it does not run.
# isync (mbsync) recommends nothing.  systemd brings systemd-analyze, which
# checks the unit file (a minimal Debian root has no systemd).  scripts/check-clients.sh checks that each
# client tool runs in the mode the tests use.
BUILD_PKGS="build-essential make pkg-config clang libclang-rt-14-dev openssl \
libssl-dev libsqlite3-dev libc-ares-dev libjansson-dev libcrypt-dev libldap-dev zlib1g-dev \
libxml2-dev"
TEST_PKGS="python3 python3-dnslib python3-pytest python3-pygments swaks libnet-ssleay-perl \
libio-socket-ssl-perl curl ca-certificates ldap-utils libldap-common fetchmail \
isync passwd groff-base man-db systemd python3-aiosmtpd postfix python3-ldap3 \
chromium fonts-dejavu-core"
PKGS="$BUILD_PKGS $TEST_PKGS"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# The tests need Postfix's smtp-sink only: installed unconfigured, Postfix
	# never starts and never holds port 25, which the SMTP-out tests listen on.
	case " $missing " in
	*" postfix "*)
		echo "postfix postfix/main_mailer_type select No configuration" |
			debconf-set-selections || exit 1 ;;
	esac
	apt-get update -qq || exit 1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
else
	echo "deps: missing packages; run as root:"
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing"
	exit 1
fi
