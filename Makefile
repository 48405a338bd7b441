# pktmap -- netmap on stock Linux, in user space.
#
#   make            library, tools, examples and test programs into build/
#   make demo       a live demo: generator -> bridge example -> receiver over veth
#   make test       installs what it needs, builds, runs every test
#   make install    PREFIX=/usr/local DESTDIR=  (installs the build's Debian
#                   packages first; `make uninstall` with the same variables
#                   removes exactly what it put)
#   make package-test  Debian packages into build/deb/, installed and tried
#                   in a scratch root
#
# Layout: a tool is a folder tools/NAME/ (binary NAME, linked with tools/lib);
# an example is examples/NN-NAME/ (binary example-NAME); tests/unit/*.c are
# built with ASan+UBSan; tests/net/*.c are helper programs of the net tests
# (those named nolink-*.c are built without -lpktmap, for LD_PRELOAD).

PREFIX ?= /usr/local
DESTDIR ?=
B := build
VERSION := 0.1.0

CC ?= cc
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -Iinclude -D_GNU_SOURCE
LIB_CFLAGS := -fPIC -fvisibility=hidden -Isrc -DPKTMAP_VERSION=\"$(VERSION)\"
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
RPATH := -Wl,-rpath,'$$ORIGIN/../lib'
LIBS := -lpthread -ldl -lbpf -lrt

LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
LIB_SAN_OBJ := $(LIB_SRC:%.c=$(B)/san/%.o)
MAP := src/libpktmap.map

TOOL_LIB := $(wildcard tools/lib/*.c)
TOOLS := $(filter-out lib,$(notdir $(wildcard tools/*)))
TOOL_BINS := $(TOOLS:%=$(B)/bin/%)
EXAMPLES := $(notdir $(wildcard examples/[0-9]*))
EXAMPLE_BINS := $(foreach e,$(EXAMPLES),$(B)/bin/example-$(word 2,$(subst -, ,$(e))))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/*.c))
NET_BINS := $(patsubst tests/net/%.c,$(B)/tests/net/%,$(wildcard tests/net/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

# Python bindings: the package runs from $(B)/python (PYTHONPATH) for the
# tests; `make install` builds it again for the installed library.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
PY_INC = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PY_DIR = $(shell $(PYTHON) -c 'import sysconfig as s; p = "$(PREFIX)"; \
	print(s.get_path("platlib") if p == "/usr/local" and s.get_default_scheme() == "posix_local" \
	else s.get_path("platlib", "posix_prefix", vars={"base": p, "platbase": p}))')
PY_PURE := $(wildcard python/pktmap/*.py) python/netmap.py
PY_BINS := $(B)/python/pktmap/_pktmap.abi3.so $(PY_PURE:python/%=$(B)/python/%) \
	$(B)/python/pktmap-python

.PHONY: all deps build-deps tools demo test unit-test net-test install \
	install-python uninstall package-test clean format
all: $(B)/lib/libpktmap.so $(B)/lib/libpktmap.a \
     $(TOOL_BINS) $(EXAMPLE_BINS) $(UNIT_BINS) $(NET_BINS) $(BENCH_BINS) \
     $(PY_BINS)

deps:
	scripts/install-deps

build-deps:
	scripts/install-deps build

# the library and the tools: what `make install` and the packages ship
tools: $(B)/lib/libpktmap.so $(B)/lib/libpktmap.a $(TOOL_BINS)

$(B)/obj/%.o: %.c $(wildcard src/*/*.h) $(wildcard include/*.h include/net/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c $(wildcard src/*/*.h) $(wildcard include/*.h include/net/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) $(SAN) -c $< -o $@

$(B)/lib/libpktmap.so: $(LIB_OBJ) $(MAP)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -o $@ $(LIB_OBJ) -Wl,--version-script=$(MAP) \
		-Wl,-soname,libpktmap.so.0 $(LIBS)
	ln -sf libpktmap.so $(B)/lib/libpktmap.so.0

$(B)/lib/libpktmap.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/libpktmap-san.a: $(LIB_SAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/%: tools/%/*.c $(TOOL_LIB) $(wildcard tools/lib/*.h) $(B)/lib/libpktmap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itools/lib -DPKTMAP_VERSION=\"$(VERSION)\" -o $@ \
		$(filter %.c,$^) -L$(B)/lib -lpktmap $(RPATH) $(LIBS) -lpcap -lm

.SECONDEXPANSION:
$(B)/bin/example-%: $$(wildcard examples/*-%/*.c) $(B)/lib/libpktmap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) -L$(B)/lib -lpktmap $(RPATH) $(LIBS) -lpcap

$(B)/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/lib/libpktmap-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -Itests/unit -o $@ $< $(B)/lib/libpktmap-san.a $(LIBS)

$(B)/tests/net/nolink-%: tests/net/nolink-%.c tests/net/frames.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

$(B)/tests/net/%: tests/net/%.c tests/net/frames.c $(B)/lib/libpktmap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -L$(B)/lib -lpktmap -Wl,-rpath,'$$ORIGIN/../../lib' $(LIBS)

$(B)/bench/%: bench/%.c $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBS)

# the extension, told which libpktmap to load when none is interposed
PY_EXT = $(CC) $(CFLAGS) -fPIC -shared -I$(PY_INC) \
	-DPKTMAP_LIBRARY='"$(LIBRARY)"' -o $@ $< -ldl
$(B)/python/%/_pktmap.abi3.so: python/%/_pktmap.c $(wildcard include/*.h include/net/*.h)
	@mkdir -p $(@D)
	$(PY_EXT)
$(B)/python-install/%/_pktmap.abi3.so: python/%/_pktmap.c $(wildcard include/*.h include/net/*.h)
	@mkdir -p $(@D)
	$(PY_EXT)
$(B)/python/%/_pktmap.abi3.so: LIBRARY = $(abspath $(B)/lib/libpktmap.so)
$(B)/python-install/%/_pktmap.abi3.so: LIBRARY = $(PREFIX)/lib/libpktmap.so.0

$(B)/python/%.py: python/%.py
	@mkdir -p $(@D)
	cp $< $@

$(B)/python/pktmap-python $(B)/python-install/pktmap-python: python/pktmap-python
	@mkdir -p $(@D)
	sed -e 's|@LIBRARY@|$(LIBRARY)|' -e 's|@PYTHON@|$(PYTHON)|' $< > $@ && chmod 755 $@
$(B)/python/pktmap-python: LIBRARY = $(abspath $(B)/lib/libpktmap.so)
$(B)/python-install/pktmap-python: LIBRARY = $(PREFIX)/lib/libpktmap.so.0

demo: deps all
	scripts/demo

test: deps all
	tests/run

unit-test: all
	tests/run unit

net-test: all
	tests/run net

# Installing into the real root (DESTDIR empty) refreshes the linker's cache;
# a PREFIX whose lib is not searched by default (not /usr, /usr/local) gets
# /etc/ld.so.conf.d/pktmap.conf, so that programs find libpktmap.so.0.
LDCONF := /etc/ld.so.conf.d/pktmap.conf
LDCONF_NEEDED := $(if $(DESTDIR)$(filter /usr /usr/local,$(PREFIX)),,yes)
MAN_PAGES := $(wildcard docs/man/*.1 docs/man/*.7)
HEADERS := $(wildcard include/*.h include/net/*.h)

install: build-deps tools
	install -d $(DESTDIR)$(PREFIX)/include/net $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/bin
	install -m 644 $(filter include/net/%,$(HEADERS)) $(DESTDIR)$(PREFIX)/include/net/
	install -m 644 $(filter-out include/net/%,$(HEADERS)) $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(B)/lib/libpktmap.so $(DESTDIR)$(PREFIX)/lib/libpktmap.so.$(VERSION)
	ln -sf libpktmap.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libpktmap.so.0
	ln -sf libpktmap.so.0 $(DESTDIR)$(PREFIX)/lib/libpktmap.so
	install -m 644 $(B)/lib/libpktmap.a $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' pktmap.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/pktmap.pc
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man7/
	$(MAKE) install-python
ifeq ($(LDCONF_NEEDED),yes)
	echo $(PREFIX)/lib > $(LDCONF)
endif
ifeq ($(DESTDIR),)
	ldconfig
endif

install-python: $(B)/python-install/pktmap/_pktmap.abi3.so $(B)/python-install/pktmap-python
	install -d $(DESTDIR)$(PY_DIR)/pktmap $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(wildcard python/pktmap/*.py) $(DESTDIR)$(PY_DIR)/pktmap/
	install -m 644 python/netmap.py $(DESTDIR)$(PY_DIR)/
	install -m 755 $(B)/python-install/pktmap/_pktmap.abi3.so $(DESTDIR)$(PY_DIR)/pktmap/
	install -m 755 $(B)/python-install/pktmap-python $(DESTDIR)$(PREFIX)/bin/

# Removes what `make install` put, given the same PREFIX and DESTDIR; the
# Python bytecode made when the bindings ran goes too.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(HEADERS)) \
		$(DESTDIR)$(PREFIX)/lib/libpktmap.so.$(VERSION) \
		$(DESTDIR)$(PREFIX)/lib/libpktmap.so.0 \
		$(DESTDIR)$(PREFIX)/lib/libpktmap.so \
		$(DESTDIR)$(PREFIX)/lib/libpktmap.a \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/pktmap.pc \
		$(addprefix $(DESTDIR)$(PREFIX)/bin/,$(TOOLS) pktmap-python) \
		$(patsubst docs/man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(filter %.1,$(MAN_PAGES))) \
		$(patsubst docs/man/%,$(DESTDIR)$(PREFIX)/share/man/man7/%,$(filter %.7,$(MAN_PAGES))) \
		$(addprefix $(DESTDIR)$(PY_DIR)/pktmap/,$(notdir $(wildcard python/pktmap/*.py)) \
			_pktmap.abi3.so) \
		$(DESTDIR)$(PY_DIR)/netmap.py $(DESTDIR)$(PY_DIR)/__pycache__/netmap.*.pyc
	rm -rf $(DESTDIR)$(PY_DIR)/pktmap/__pycache__
	rmdir --ignore-fail-on-non-empty $(DESTDIR)$(PY_DIR)/pktmap
ifeq ($(LDCONF_NEEDED),yes)
	rm -f $(LDCONF)
endif
ifeq ($(DESTDIR),)
	ldconfig
endif

# Debian packages built from a copy of the tree (the repository stays clean)
# and tried in a scratch root: scripts/package-test.
package-test: deps
	scripts/package-test

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

# ---- fuzzing: libFuzzer targets fuzz/NAME.c, seeds in fuzz/corpus/NAME/ ----
#   make fuzz [FUZZ_SECONDS=600]   runs each target that long (fuzz/run)
#   make test                      builds them; tests/run runs each briefly
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)
FUZZ_BINS := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(wildcard fuzz/*.c))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

$(B)/fuzz/obj/%.o: %.c $(wildcard src/*/*.h) $(wildcard include/*.h include/net/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(LIB_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		-c $< -o $@

$(B)/fuzz/%: fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_OBJ) $(LIBS)

fuzz: deps fuzz-build
	fuzz/run $(FUZZ_SECONDS)

test: fuzz-build
