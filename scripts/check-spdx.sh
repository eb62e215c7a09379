#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every source file (C, Python, shell, make, and scripts with a #! line)
# names its license in its first lines: SPDX-License-Identifier: Apache-2.0.
cd "$(dirname "$0")/.." || exit 1
tag='SPDX-License-Identifier: Apache-2.0'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard)
else
	files=$(find . -path ./build -prune -o -path './build-*' -prune -o \
	    -path ./run-base -prune -o -type f -print | sed 's|^\./||')
fi
bad=""
n=0
for f in $files; do
	[ -f "$f" ] || continue
	case "$f" in
	fuzz/seeds/*|fuzz/regress/*) continue ;;
	*.c|*.h|*.py|*.sh|Makefile|*.mk) ;;
	*) head -c 2 "$f" | grep -q '#!' || continue ;;
	esac
	n=$((n + 1))
	head -n 5 "$f" | grep -q "$tag" || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "check-spdx: no '$tag' line in the first 5 lines of:"
	for f in $bad; do echo "  $f"; done
	exit 1
fi
echo "check-spdx: $n source files carry $tag"
