#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks that a fresh Debian 12 (bookworm) machine passes the README's
# `make test`: builds a clean minimal root with debootstrap, copies the tree in
# (git archive of HEAD: committed files only), and runs, inside it with chroot,
# what the README tells a new user to run:
#
#     sh scripts/deps.sh      (a minimal Debian has no make yet)
#     make test
#
# Run by hand as root, not in CI; it takes a long time (packages, then the
# whole test suite twice).  The mirror is the one this machine's apt uses
# (/etc/apt/sources.list and /etc/apt/sources.list.d/*), never a hard-coded
# host.  Loopback works in the chroot: it shares the host's network namespace.
#
#   sh scripts/fresh-debian-test.sh [ROOT_DIR]     default: /var/tmp/tegami-fresh.XXXXXX
#   KEEP=1 keeps the root afterwards; MAKE_TARGET=it runs another target;
#   INSTALL=1 then runs scripts/install-smoke.sh in the root (make install,
#   the installed server as root switching to the user tegami).
set -eu

[ "$(id -u)" = 0 ] || { echo "fresh-debian-test: must run as root (debootstrap, chroot)"; exit 1; }
top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
target=${MAKE_TARGET:-test}

# The first Debian URI of this machine's apt sources whose suites include
# bookworm itself (not bookworm-security / -updates).
find_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
			if ($(i + 1) == "bookworm") { print $i; exit } break } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822: stanzas separated by blank lines
		awk 'BEGIN { RS = ""; FS = "\n" }
		{ uri = ""; deb = 0; bw = 0
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
			if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
			if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) bw = 1
		  }
		  if (deb && bw && uri != "") { print uri; exit } }' "$f"
	done
}
mirror=$(find_mirror | head -n 1)
[ -n "$mirror" ] || { echo "fresh-debian-test: no bookworm mirror in /etc/apt/sources.list*"; exit 1; }

if ! command -v debootstrap >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

root=${1:-$(mktemp -d /var/tmp/tegami-fresh.XXXXXX)}
mkdir -p "$root"
# It becomes "/" in the chroot: mktemp's 0700 would keep every user but
# root out of the whole tree (the privilege tests run as another user).
chmod 0755 "$root"
mounted=""
cleanup() {
	for m in $mounted; do umount -l "$root/$m" 2>/dev/null || true; done
	if [ "${KEEP:-0}" != 1 ]; then
		# only after every mount is gone
		if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
	fi
}
trap cleanup EXIT INT TERM

echo "fresh-debian-test: $(date -u '+%Y-%m-%d %H:%M:%SZ') debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
	{ tail -n 20 "$root.debootstrap.log"; exit 1; }

# The chroot's apt uses the same mirror; name resolution as on the host.
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

mount -t proc proc "$root/proc";		mounted="proc $mounted"
mount -t sysfs sysfs "$root/sys";		mounted="sys $mounted"
mount --bind /dev "$root/dev";			mounted="dev $mounted"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"; mounted="dev/pts $mounted"
mount -t tmpfs tmpfs "$root/dev/shm";		mounted="dev/shm $mounted"

mkdir -p "$root/src/tegami"
git -C "$top" archive --format=tar HEAD | tar -x -C "$root/src/tegami"
echo "fresh-debian-test: tree $(git -C "$top" rev-parse --short HEAD); running: sh scripts/deps.sh && make $target${INSTALL:+ && sh scripts/install-smoke.sh}"

set +e
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	LANG=C.UTF-8 /bin/sh -c "cd /src/tegami && sh scripts/deps.sh && make $target &&
	if [ '${INSTALL:-0}' = 1 ]; then sh scripts/install-smoke.sh; fi"
rc=$?
set -e
echo "fresh-debian-test: $(date -u '+%Y-%m-%d %H:%M:%SZ') make $target exited $rc"
exit $rc
