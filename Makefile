# AAM backend. `make` builds build/aam; `make test` runs every test; `make run` starts the demo.
# BUILD=dir puts objects elsewhere (parallel trees); SANITIZE=address,undefined instruments.
CC      ?= cc
BUILD   ?= build
SANITIZE ?=
PKGS    := libmicrohttpd libpq libjwt jansson openssl
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

APP_SRC  := $(wildcard util/*.c server/*.c server/handlers/*.c db/*.c)
LIB_SRC  := $(filter-out server/main.c,$(APP_SRC))
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*/test_*.c tests/unit/*/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
ITEST_SRC := $(wildcard tests/integration/test_*.c)
ITEST_BIN := $(ITEST_SRC:%.c=$(BUILD)/%)
HANDLER_BIN := $(filter $(BUILD)/tests/unit/server/handlers/%,$(UNIT_BIN))
SEAM_OBJ := $(filter-out $(BUILD)/db/% $(BUILD)/server/cmd_%,$(LIB_OBJ)) \
            $(BUILD)/tests/unit/server/handlers/db_script.o

.PHONY: all deps test check unit integration sanitize check-asan check-valgrind run clean format fuzz image

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

$(filter-out $(HANDLER_BIN),$(UNIT_BIN) $(ITEST_BIN)): $(BUILD)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

# Handler tests drive every handler without a server or a database: they link the scripted
# database seam (tests/unit/server/handlers/db_script.c: db_run, db_ping and the result readers)
# in place of db/ and of the commands, which open a real pool.
$(HANDLER_BIN): $(BUILD)/tests/%: tests/%.c $(SEAM_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(SEAM_OBJ) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

deps:
	@scripts/deps.sh
	@scripts/deps-ui.sh

# make test: unit tests, then the integration suite against a PostgreSQL + PgBouncer
# (transaction mode) that the harness starts and stops itself.
test: deps
	@$(MAKE) --no-print-directory all tests-bin
	@tests/run.sh $(BUILD)

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

# libFuzzer targets (clang + libclang-rt-14-dev), FUZZ_SECONDS each over the committed corpus.
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: deps
	@dpkg-query -W -f='$${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed' || \
	  { echo "make fuzz needs clang's libFuzzer runtime: apt-get install libclang-rt-14-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang SANITIZE=address,undefined,fuzzer-no-link \
	  OPT="-O1 -g" $(LIB_SRC:%.c=build-fuzz/%.o)
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); c=tests/fuzz/corpus/$${n#fuzz_}; \
	  [ -d $$c ] || c=tests/fuzz/corpus/$$(echo $${n#fuzz_} | cut -d_ -f1); \
	  echo "  FUZZ $$n ($(FUZZ_SECONDS) s, corpus $$c)"; \
	  clang -O1 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -fsanitize=fuzzer,address,undefined \
	    -o build-fuzz/$$n $$f $(LIB_SRC:%.c=build-fuzz/%.o) $(LDLIBS); \
	  mkdir -p build-fuzz/corpus-$$n; \
	  build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n $$c; done

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

format:
	clang-format -i $(APP_SRC) $(wildcard util/*.h server/*.h server/handlers/*.h db/*.h)

clean:
	rm -rf build build-sanitize build-valgrind build-fuzz

-include $(APP_OBJ:.o=.d)

# The OpenAPI document is embedded with .incbin (server/handlers/docs.c).
$(BUILD)/server/handlers/docs.o: docs/openapi.json
# The web UI's files are embedded the same way (server/handlers/ui.c): editing one rebuilds.
$(BUILD)/server/handlers/ui.o: $(wildcard web/*)
