#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-fuzz.sh SECONDS target...
# SECONDS=0: replay seeds (fuzz/seeds/<t>/) and crash regressions
# (fuzz/regress/<t>/) only.  Otherwise fuzz each target for SECONDS.
secs=$1; shift
for bin in "$@"; do
	t=$(basename "$bin")
	dirs=""
	for d in fuzz/seeds/$t fuzz/regress/$t; do [ -d "$d" ] && dirs="$dirs $d"; done
	dict=""; [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
	if [ "$secs" = 0 ]; then
		[ -z "$dirs" ] && continue
		files=$(find $dirs -type f)
		[ -z "$files" ] && continue
		"$bin" $dict $files >/dev/null 2>&1 || { echo "fuzz-regress: $t FAILED"; "$bin" $files 2>&1 | tail -30; exit 1; }
		echo "fuzz-regress: $t ok ($(echo "$files" | wc -l) inputs)"
	else
		corpus=build-fuzz/corpus/$t; mkdir -p "$corpus"
		"$bin" $dict -max_total_time="$secs" -print_final_stats=1 "$corpus" $dirs 2>&1 | \
			grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || true
		[ -n "$(ls crash-* leak-* timeout-* 2>/dev/null)" ] && { echo "fuzz: $t found a crash"; exit 1; }
		echo "fuzz: $t ran ${secs}s"
	fi
done
exit 0
