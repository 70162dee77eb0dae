# AAM backend. `make` builds build/aam; `make test` runs every test; `make run` starts the demo.
# BUILD=dir puts objects elsewhere (parallel trees); SANITIZE=address,undefined instruments.
CC      ?= cc
BUILD   ?= build
SANITIZE ?=
PKGS    := libmicrohttpd libpq libjwt jansson openssl libcurl
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wundef -Wcast-qual -fno-common
# OPT is the optimisation knob (make OPT="-O0 -g"); CFLAGS itself is built here so that a
# command-line CFLAGS cannot silently drop the warnings or the include path.
OPT     ?= -O2 -g
override CFLAGS := $(OPT) $(CFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -MMD -MP \
           -fstack-protector-strong -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ifeq ($(SANITIZE),)
override CFLAGS += -D_FORTIFY_SOURCE=2
else
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all -DAAM_TEST_BUILD
LDFLAGS += -fsanitize=$(SANITIZE)
endif
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lpthread -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

APP_SRC  := $(wildcard util/*.c db/*.c server/*/*.c)
LIB_SRC  := $(filter-out server/cli/main.c,$(APP_SRC))
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*/test_*.c tests/unit/*/*/test_*.c tests/unit/*/*/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
ITEST_SRC := $(wildcard tests/integration/test_*.c)
ITEST_BIN := $(ITEST_SRC:%.c=$(BUILD)/%)
HANDLER_BIN := $(filter $(BUILD)/tests/unit/server/handlers/%,$(UNIT_BIN))
# Seam tests: every handler test, and the unit tests of other modules whose only database
# access is db/'s per-table functions (listed here by their path under tests/unit/).
SEAM_TESTS := server/core/test_session
SEAM_BIN := $(HANDLER_BIN) $(SEAM_TESTS:%=$(BUILD)/tests/unit/%)
# db/'s plumbing (pool, pipeline, results, transactions, URLs, migrations, log): what the
# handlers' scripted seam replaces. The per-table files (db/connectors.c, db/sessions.c, ...)
# are not in it: handler tests link them, so they script the very statements the server runs.
DB_PLUMBING := $(addprefix $(BUILD)/db/,conn.o hosts.o log.o migrate.o pool.o result.o run.o tx.o url.o)
SEAM_OBJ := $(filter-out $(DB_PLUMBING) $(BUILD)/server/cli/%,$(LIB_OBJ)) \
            $(BUILD)/tests/unit/server/handlers/db_script.o

.PHONY: all deps test check unit integration sanitize check-asan check-valgrind run clean format fuzz \
        fuzz-bin fuzz-merge lint image

all: $(BUILD)/aam

# V=1 shows the full command lines.
Q := $(if $(V),,@)

$(BUILD)/aam: $(APP_OBJ)
	@echo "  LD   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC   $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(filter-out $(SEAM_BIN),$(UNIT_BIN) $(ITEST_BIN)): $(BUILD)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

# Seam tests drive every handler (and session.c) without a server or a database: they link the
# scripted database seam (tests/unit/server/handlers/db_script.c: db_run, db_ping and the result
# readers) in place of db/'s plumbing, and leave out the commands, which open a real pool.
$(SEAM_BIN): $(BUILD)/tests/%: tests/%.c $(SEAM_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(SEAM_OBJ) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

deps:
	@scripts/deps.sh
	@scripts/deps-ui.sh

# make test: build, lint, then unit tests, the fuzz corpora replayed once, and the integration suite
# against a PostgreSQL + PgBouncer (transaction mode) that the harness starts and stops itself.
test: deps
	@$(MAKE) --no-print-directory all tests-bin
	@$(MAKE) --no-print-directory lint
	+@$(FUZZ_MAKE) $(FUZZ_BIN)
	@AAM_FUZZ_BUILD=$(FUZZ_BUILD) tests/run.sh $(BUILD)

# make lint: every executable in scripts/lint/ (cppcheck, shellcheck, ...), except LINT_SKIP.
# LINT_SKIP names checks to leave out (none: the tree was formatted once with .clang-format).
LINT_SKIP :=
lint: deps
	@set -e; for t in scripts/lint/*; do \
	  [ -x "$$t" ] || continue; case " $(LINT_SKIP) " in *" $${t##*/} "*) continue ;; esac; \
	  echo "  LINT $$t"; $$t; done

check: test

tests-bin: $(UNIT_BIN) $(ITEST_BIN)
.PHONY: tests-bin

unit: deps
	@$(MAKE) --no-print-directory all tests-bin
	@AAM_TEST_ONLY=unit tests/run.sh $(BUILD)

integration: deps
	@$(MAKE) --no-print-directory all tests-bin
	@AAM_TEST_ONLY=integration tests/run.sh $(BUILD)

# ASan + UBSan over the whole suite, in its own build tree.
sanitize check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-sanitize SANITIZE=address,undefined OPT="-O1 -g" all tests-bin
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  CK_FORK=no tests/run.sh build-sanitize

check-valgrind: deps
	@$(MAKE) --no-print-directory BUILD=build-valgrind OPT="-O0 -g" all tests-bin
	@AAM_VALGRIND=1 CK_FORK=no AAM_TEST_ONLY=unit tests/run.sh build-valgrind

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-local.sh $(BUILD)/aam

# libFuzzer targets (clang + libclang-rt-14-dev), ASan + UBSan, in their own tree. Each
# tests/fuzz/fuzz_NAME.c has its committed corpus in tests/fuzz/corpus/NAME.
#   make fuzz FUZZ_SECONDS=N   fuzz each target N s (new finds go to build-fuzz/corpus/)
#   make fuzz-merge            minimise each committed corpus with those finds (-merge=1)
# `make test` replays the committed corpora once (tests/fuzz/regress.sh).
FUZZ_SECONDS ?= 30
FUZZ_BUILD := build-fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/%)
FUZZ_MAKE = $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
            SANITIZE=address,undefined,fuzzer-no-link OPT="-O1 -g"

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZ $@"
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

fuzz-bin: deps
	+@$(FUZZ_MAKE) $(FUZZ_BIN)

fuzz: fuzz-bin
	@set -e; for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "  FUZZ $$n ($(FUZZ_SECONDS) s)"; \
	  nice -n 10 $(FUZZ_BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$${n#fuzz_}; done

fuzz-merge: fuzz-bin
	@set -e; for n in $(FUZZ_NAMES); do c=tests/fuzz/corpus/$${n#fuzz_}; \
	  rm -rf $(FUZZ_BUILD)/merged; mkdir -p $(FUZZ_BUILD)/merged $(FUZZ_BUILD)/corpus/$$n; \
	  $(FUZZ_BUILD)/fuzz/$$n -merge=1 $(FUZZ_BUILD)/merged $$c $(FUZZ_BUILD)/corpus/$$n 2>&1 | tail -1; \
	  rm -rf $$c; mv $(FUZZ_BUILD)/merged $$c; echo "  $$c: $$(ls $$c | wc -l) inputs"; done

# Rewrites the C sources and tests with .clang-format (scripts/lint/format.sh checks them).
format:
	find util server db tests -name '*.[ch]' -not -path '*/node_modules/*' -print0 | xargs -0 clang-format -i

# The Docker image, built for real with podman (chroot isolation, no daemon) and checked by
# running its own filesystem against the test stack (tests/image/build.sh). Needs root; not
# part of make test (minutes, and the Debian mirror).
image:
	@scripts/deps.sh --image
	@tests/image/build.sh

# How request cost grows with the data (connectors, files, a 1 GB CSV): a measurement, not a test.
bench-scale: all
	@scripts/bench-scale.sh $(BUILD)
.PHONY: bench-scale

clean:
	rm -rf build build-sanitize build-valgrind build-fuzz

-include $(APP_OBJ:.o=.d) $(UNIT_BIN:=.d) $(ITEST_BIN:=.d) $(FUZZ_BIN:=.d)

# The OpenAPI document is embedded with .incbin (server/handlers/docs.c).
$(BUILD)/server/handlers/docs.o: docs/openapi.json
# The web UI's files are embedded the same way (server/handlers/ui.c): editing one rebuilds.
$(BUILD)/server/handlers/ui.o: $(wildcard web/*)
