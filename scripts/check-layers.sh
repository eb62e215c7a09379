#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Folders of src/ depend on each other in one direction only.  Every
# `#include "x/..."` in src/<folder>/ is an edge <folder> -> x; a cycle
# between folders (a -> b -> ... -> a) fails the check and is printed with
# one include line for each of its edges.  -v also prints the edges.
cd "$(dirname "$0")/.." || exit 1
verbose=0
[ "$1" = "-v" ] && verbose=1
find src -mindepth 2 -name '*.[ch]' | sort | xargs grep -Hn '^#include "[a-z0-9_]*/' |
awk -v verbose="$verbose" '
{
	# src/<from>/file.c:NN:#include "<to>/x.h"
	split($0, part, ":")
	n = split(part[1], p, "/")
	from = p[2]
	to = $0
	sub(/^[^"]*"/, "", to)
	sub(/\/.*/, "", to)
	if (from == to)
		next
	if (!((from, to) in edge)) {
		edge[from, to] = part[1] ":" part[2]
		cnt[from, to] = 0
	}
	cnt[from, to]++
	node[from] = 1
	node[to] = 1
}
# The shortest path from a to b (breadth first), as "a b ... ", or "".
function path(a, b,    q, head, tail, seen, prev, x, y, s) {
	delete seen
	delete prev
	head = tail = 0
	q[tail++] = a
	seen[a] = 1
	while (head < tail) {
		x = q[head++]
		for (y in node) {
			if (!((x, y) in edge))
				continue
			if (y == b) {
				s = y
				while (x != a) {
					s = x " " s
					x = prev[x]
				}
				return a " " s
			}
			if (!(y in seen)) {
				seen[y] = 1
				prev[y] = x
				q[tail++] = y
			}
		}
	}
	return ""
}
END {
	if (verbose)
		for (k in edge) {
			split(k, e, SUBSEP)
			printf "  %s -> %s (%d includes, e.g. %s)\n", e[1], e[2],
			    cnt[k], edge[k]
		}
	bad = 0
	for (k in edge) {
		split(k, e, SUBSEP)
		# an edge a -> b closes a cycle when b reaches a
		c = path(e[2], e[1])
		if (c == "")
			continue
		c = e[1] " " c
		# print each cycle once: from its smallest folder name
		m = split(c, v, " ")
		least = v[1]
		for (i = 2; i < m; i++)
			if (v[i] < least)
				least = v[i]
		if (v[1] != least || (c in done))
			continue
		done[c] = 1
		bad = 1
		printf "check-layers: cycle between folders: %s\n", c
		for (i = 1; i < m; i++)
			printf "  %s -> %s: %s (%d includes)\n", v[i], v[i + 1],
			    edge[v[i], v[i + 1]], cnt[v[i], v[i + 1]]
	}
	nedge = 0
	for (k in edge)
		nedge++
	nnode = 0
	for (k in node)
		nnode++
	if (bad)
		exit 1
	printf "check-layers: %d folders, %d folder dependencies, no cycle\n",
	    nnode, nedge
}'
