#!/bin/sh
# Installs the Debian packages Tegami needs to build, run and test, when missing.
# Idempotent: does nothing when everything is present.  As root it runs apt-get;
# otherwise it prints the exact command to run.
PKGS="build-essential pkg-config clang libclang-rt-14-dev openssl libssl-dev \
libsqlite3-dev libc-ares-dev libjansson-dev libcrypt-dev libldap-dev \
python3 python3-pytest swaks curl ldap-utils fetchmail isync"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || exit 1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
else
	echo "deps: missing packages; run as root:"
	echo "  apt-get update && apt-get install -y$missing"
	exit 1
fi
