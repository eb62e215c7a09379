# SPDX-License-Identifier: Apache-2.0
# Tegami build.  GNU Make + pkg-config.
#
#   make            build build/tegamid, build/tegami, build/sendmail
#   make run        install missing packages, build, run on ./run-base (unprivileged ports)
#   make test       install missing packages, build, unit + integration tests,
#                   then the same again in an ASan+UBSan build
#   make fuzz       build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make BUILD=build-tsan SAN=thread all   a ThreadSanitizer build (tests/it with
#                   TEGAMI_BUILD=$PWD/build-tsan; docs/architecture.md, Hibernation)
#
# Sources are discovered: every src/**/*.c except src/tegamid.c goes into
# libtegami.a; every tools/*.c is one program; every tests/unit/**/*_test.c is one
# unit-test program; every fuzz/*.c is one fuzz target.

PKGS      := openssl sqlite3 libcares jansson libcrypt lber zlib libxml-2.0
CC        ?= cc
BUILD     ?= build
SAN       ?= 0

WARN      := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
             -Wstrict-prototypes -Wmissing-prototypes -Wimplicit-fallthrough
DEFS      := -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SAN),1)
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
LDOPT     := -fsanitize=address,undefined
else ifeq ($(SAN),thread)
# ThreadSanitizer (not part of make test): make BUILD=build-tsan SAN=thread
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDOPT     := -fsanitize=thread
else
OPT       := -O2 -g -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
LDOPT     := -pie -Wl,-z,relro,-z,now
endif

CFLAGS    := $(WARN) $(DEFS) $(OPT) -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS   := $(LDOPT)
LDLIBS    := $(PKG_LIBS) -lpthread -lm

# SRC_DIRS / UT_DIRS may name folders or single files, to build a part of the
# tree while other parts are being written:
#   make BUILD=build-x SRC_DIRS="$(CORE) src/lib/dict.c" UT_DIRS=tests/unit/lib/dict_test.c unit
CORE      := src/lib/xmalloc.c src/lib/strv.c src/lib/buf.c src/lib/error.c src/lib/test.c
SRC_DIRS  ?= src
UT_DIRS   ?= tests/unit
LIB_SRCS  := $(filter-out src/tegamid.c,$(shell find $(SRC_DIRS) -name '*.c' | sort -u))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_SRCS := $(shell find tools -maxdepth 1 -name '*.c' | sort)
TOOLS     := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)
UT_SRCS   := $(shell find $(UT_DIRS) -name '*_test.c' | sort)
UT_BINS   := $(UT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HDRS      := $(shell find src -name '*.h' | sort)

.PHONY: all run test unit it test-asan fuzz deps clean install hdrcheck check-banned check-spdx check-layers version

all: $(BUILD)/tegamid $(TOOLS)

# V=1 shows the commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libtegami.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# The whole archive: protocol modules are found by the service table.
$(BUILD)/tegamid: $(BUILD)/obj/src/tegamid.o $(BUILD)/libtegami.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(BUILD)/libtegami.a \
		-Wl,--no-whole-archive $(LDLIBS)

$(BUILD)/%: $(BUILD)/obj/tools/%.o $(BUILD)/libtegami.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libtegami.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.SECONDARY:

-include $(shell find $(BUILD)/obj build-fuzz/obj -name '*.d' 2>/dev/null)

deps:
	@sh scripts/deps.sh

# Every header compiles on its own.
hdrcheck:
	@for h in $(HDRS); do \
		printf '#include "%s"\n' "$${h#src/}" | \
		$(CC) $(WARN) $(DEFS) -Isrc $(PKG_CFLAGS) -fsyntax-only -x c - || exit 1; \
	done; echo "hdrcheck: $(words $(HDRS)) headers compile alone"

check-banned:
	@sh scripts/check-banned.sh

# No cycle between the folders of src/ (from their #include lines).
check-layers:
	@sh scripts/check-layers.sh

# Every source file names its license (SPDX).
check-spdx:
	@sh scripts/check-spdx.sh

unit: $(UT_BINS)
	@sh scripts/run-unit.sh $(UT_BINS)

it: all
	@sh scripts/check-clients.sh
	TEGAMI_BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q tests/it $(PYTEST_ARGS)

test: deps
	$(MAKE) all hdrcheck check-banned check-spdx check-layers
	$(MAKE) unit it
	$(MAKE) fuzz-regress
	$(MAKE) BUILD=build-asan SAN=1 all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) BUILD=build-asan SAN=1 unit it

RUN_BASE ?= $(CURDIR)/run-base
# Run by root, the development server stays root (with tegamid's warning)
# rather than needing the system user tegami; RUN_USER=name switches to name.
RUN_USER ?= $(if $(filter 0,$(shell id -u)),root)
run: deps all
	$(BUILD)/tegamid --base $(RUN_BASE) $(if $(RUN_USER),--user $(RUN_USER)) $(RUN_ARGS) \
		--listen smtp=127.0.0.1:2525 --listen submission=127.0.0.1:5587 \
		--listen smtps=127.0.0.1:4465 --listen pop3=127.0.0.1:1110 \
		--listen pop3s=127.0.0.1:1995 --listen imap=127.0.0.1:1143 \
		--listen imaps=127.0.0.1:1993 --listen webadmin=127.0.0.1:8010 \
		--listen webadmins=127.0.0.1:9010 --listen webuser=127.0.0.1:8100 \
		--listen webusers=127.0.0.1:9100 --listen ldap=127.0.0.1:1389 \
		--listen ldaps=127.0.0.1:1636 --listen cli=127.0.0.1:1106

# libFuzzer targets (clang).  fuzz/<name>.c -> build-fuzz/<name>
FUZZ_SRCS    := $(shell find fuzz -maxdepth 1 -name '*.c' | sort)
FUZZ_BINS    := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
                -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS    := $(LIB_SRCS:%.c=build-fuzz/obj/%.o)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

build-fuzz/libtegami.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build-fuzz/%: fuzz/%.c build-fuzz/libtegami.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libtegami.a $(PKG_LIBS) -lpthread -lm

fuzz: $(FUZZ_BINS)
	@sh scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# Replays fuzz/regress/<target>/* and the seeds through each target (no fuzzing).
fuzz-regress: $(FUZZ_BINS)
	@sh scripts/run-fuzz.sh 0 $(FUZZ_BINS)

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the programs, man pages,
# the systemd unit and the web root (web/ -> $(PREFIX)/share/tegami/web).  tegami-sendmail is not linked to a system sendmail.
# Without DESTDIR it also creates the system user tegami and /var/Tegami
# (owned by tegami, 0750).  The version comes from src/core/server.h.
VERSION  := $(shell sed -n 's/^\#define TEGAMI_VERSION[[:space:]]*"\(.*\)"/\1/p' src/core/server.h)
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DOCDIR   ?= $(PREFIX)/share/doc/tegami
WEBDIR   ?= $(PREFIX)/share/tegami/web
TEGAMI_USER ?= tegami
TEGAMI_BASE_DIR ?= /var/Tegami
MANPAGES := tegamid.8 tegami.8 tegami-sendmail.8

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/tegamid $(DESTDIR)$(SBINDIR)/tegamid
	install -m 0755 $(BUILD)/sendmail $(DESTDIR)$(SBINDIR)/tegami-sendmail
	install -m 0755 $(BUILD)/tegami $(DESTDIR)$(BINDIR)/tegami
	for m in $(MANPAGES); do \
		sed 's/@VERSION@/$(VERSION)/g' man/$$m > $(DESTDIR)$(MANDIR)/man8/$$m && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$$m || exit 1; \
	done
	sed 's|@SBINDIR@|$(SBINDIR)|g' dist/tegamid.service.in > $(DESTDIR)$(UNITDIR)/tegamid.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tegamid.service
	install -m 0644 LICENSE README.md docs/operations.md $(DESTDIR)$(DOCDIR)/
	# the web root (docs/http.md): tegamid finds it at ../share/tegami/web
	find web -type f | sort | while read -r f; do \
		install -D -m 0644 "$$f" "$(DESTDIR)$(WEBDIR)/$${f#web/}" || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
		if ! getent passwd $(TEGAMI_USER) >/dev/null; then \
			echo "install: creating the system user $(TEGAMI_USER)"; \
			useradd --system --user-group --home-dir $(TEGAMI_BASE_DIR) \
				--no-create-home --shell /usr/sbin/nologin $(TEGAMI_USER) || exit 1; \
		fi; \
		install -d -o $(TEGAMI_USER) -g $(TEGAMI_USER) -m 0750 $(TEGAMI_BASE_DIR); \
		echo "install: done; start with: systemctl daemon-reload && systemctl enable --now tegamid"; \
	fi

version:
	@echo $(VERSION)

clean:
	rm -rf build build-asan build-fuzz
