#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rejects calls to unsafe string functions: strings carry their length and
# buffers a ceiling instead (lib/strv.h, lib/buf.h).
bad=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|strncpy)[[:space:]]*\(' \
	src tools fuzz tests/unit 2>/dev/null | grep -v 'check-banned: allow')
if [ -n "$bad" ]; then echo "banned functions used:"; echo "$bad"; exit 1; fi
echo "check-banned: ok"
