# relaymilter - GNU Makefile
#
#   make            build the daemon and the tools into build/
#   make deps       install the Debian packages the build and the tests need
#   make check      deps, build, then every test (unit, miltertest, end-to-end)
#   make demo       deps, build, then a short run of the real sendmail world
#   make bench      benchmarks, figures as ratios against baselines
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc
#   make deb        the Debian package relaymilter_VERSION_ARCH.deb (here)
#   make SANITIZE=1 ...   same, built with ASan + UBSan into build-san/
#
# CI=true (or WERROR=1) turns warnings into errors.

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= /lib/systemd/system
DESTDIR		?=

VERSION		:= 0.9.0

ifeq ($(FUZZ),1)
# libFuzzer build (make fuzz): everything with clang and the sanitizers
BUILD		?= build-fuzz
CC		:= clang
SAN_FLAGS	:= -fsanitize=fuzzer-no-link,address,undefined \
		   -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifeq ($(SANITIZE),1)
BUILD		?= build-san
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -fno-omit-frame-pointer
else
BUILD		?= build
SAN_FLAGS	:=
endif

ifneq ($(filter true 1,$(CI) $(WERROR)),)
WERROR_FLAG	:= -Werror
endif

CC		?= cc
OPT		?= -O2 -g
WARN		:= -Wall -Wextra -Wformat=2 -Wstrict-prototypes \
		   -Wmissing-prototypes -Wno-unused-parameter $(WERROR_FLAG)
CPPFLAGS	+= -D_GNU_SOURCE -DRM_VERSION='"$(VERSION)"' -Iinclude
CFLAGS		?=
CFLAGS		+= -std=c11 $(OPT) $(WARN) $(SAN_FLAGS) -MMD -MP
# full RELRO, and no lazy symbol binding: the lazy resolver spills vector
# registers (which string functions leave secrets in) to the stack
LDFLAGS		+= $(SAN_FLAGS) -Wl,-z,relro -Wl,-z,now

pkgcf		= $(shell pkg-config --cflags $(1) 2>/dev/null)
pkglib		= $(shell pkg-config --libs $(1) 2>/dev/null)

# libspf2 ships no .pc file; libsystemd is optional (sd_notify).
HAVE_SYSTEMD	:= $(shell pkg-config --exists libsystemd 2>/dev/null && echo 1)
ifeq ($(HAVE_SYSTEMD),1)
CPPFLAGS	+= -DHAVE_LIBSYSTEMD
SYSTEMD_PKG	:= libsystemd
endif

CORE_PKGS	:= libcrypto libpsl libidn2
# libraries of the core modules that have no .pc file (spfcheck, dnsq)
CORE_LIBS	:= -lspf2 -lresolv -lpthread
DAEMON_PKGS	:= milter $(CORE_PKGS) $(SYSTEMD_PKG)
TRACE_PKGS	:= json-c zlib $(SYSTEMD_PKG)
CPPFLAGS	+= $(call pkgcf,milter $(CORE_PKGS) json-c zlib)
CPPFLAGS	+= -DRM_MILTER_PKGVERSION='"$(shell pkg-config --modversion milter 2>/dev/null)"'

# ---------------------------------------------------------------- sources
# Shared library of pure modules (no libmilter types).
CORE_SRCS	:= milter/util.c milter/strtab.c milter/log.c milter/addr.c \
		   milter/netlist.c milter/config.c milter/map.c \
		   milter/authinfo.c milter/relayprof.c milter/runas.c milter/tag.c milter/align.c \
		   milter/snapshot.c milter/policy.c \
		   milter/spfrec.c milter/dnsq.c milter/spfcache.c \
		   milter/spfguard.c milter/spfzone.c milter/spfdns.c \
		   milter/spfcheck.c \
		   milter/predict.c milter/causes.c milter/maillog.c \
		   milter/sendmailcf.c \
		   milter/maillog_msg.c
DAEMON_SRCS	:= milter/main.c milter/daemon.c milter/milter.c milter/testmode.c \
		   milter/checkmode.c
TRACE_SRCS	:= milter/trace.c milter/trace_table.c milter/trace_time.c \
		   milter/trace_tick.c milter/trace_store.c milter/trace_evid.c \
		   milter/trace_join.c milter/trace_out.c milter/trace_stats.c \
		   milter/trace_alert.c milter/trace_input.c milter/trace_main.c \
		   milter/trace_opts.c milter/trace_ports.c milter/trace_sink.c
CORE_SRCS	+= milter/smtpreply.c
DOCTOR_SRCS	:= milter/doctor_main.c milter/probe.c milter/cfcheck.c \
		   milter/cfgather.c milter/smoutput.c \
		   milter/mcparse.c milter/smtpconn.c milter/cfauth.c \
		   milter/cfmilter.c milter/probetls.c milter/probeauth.c \
		   milter/proberesult.c milter/probeaddr.c \
		   milter/cfrelay.c milter/cfhost.c milter/cfqueue.c \
		   milter/runprog.c milter/cfgather_host.c

# Every object depends on $(BUILD)/.flags, which holds the compiler and
# the flags and is rewritten only when they change: `CI=true make` after
# a plain `make` rebuilds everything with -Werror.
FLAGS_FILE	:= $(BUILD)/.flags
FLAGS_NOW	:= $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
ifeq ($(filter clean deps deb deb-deps,$(MAKECMDGOALS)),)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_FILE),$(FLAGS_NOW))
endif
endif

CORE_OBJS	= $(CORE_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS	= $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
TRACE_OBJS	= $(TRACE_SRCS:%.c=$(BUILD)/%.o)
DOCTOR_OBJS	= $(DOCTOR_SRCS:%.c=$(BUILD)/%.o)

CORE_LIB	= $(BUILD)/librelaymilter.a
PROGS		= $(BUILD)/relaymilter $(BUILD)/relaymilter-trace
PROGS		+= $(BUILD)/relaymilter-doctor

.PHONY: all deps check test demo bench fuzz fuzz-build install uninstall clean \
	deb deb-deps
all: $(PROGS)

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/relaymilter-trace: $(TRACE_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $(TRACE_OBJS) $(CORE_LIB) \
	    $(call pkglib,$(TRACE_PKGS))

$(BUILD)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

DAEMON_LIBS	= $(call pkglib,$(DAEMON_PKGS)) $(CORE_LIBS)

$(BUILD)/relaymilter: $(DAEMON_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(CORE_LIB) $(DAEMON_LIBS)

DOCTOR_PKGS	:= libssl libcrypto json-c
DOCTOR_LIBS	= $(call pkglib,$(DOCTOR_PKGS) $(CORE_PKGS)) $(CORE_LIBS)
# the doctor's configuration checks, for their unit tests
CFCHECK_OBJS	= $(BUILD)/milter/cfcheck.o $(BUILD)/milter/cfauth.o \
		  $(BUILD)/milter/cfmilter.o $(BUILD)/milter/cfgather.o \
		  $(BUILD)/milter/smoutput.o $(BUILD)/milter/mcparse.o \
		  $(BUILD)/milter/cfrelay.o $(BUILD)/milter/cfhost.o \
		  $(BUILD)/milter/cfqueue.o $(BUILD)/milter/runprog.o \
		  $(BUILD)/milter/cfgather_host.o

$(BUILD)/relaymilter-doctor: $(DOCTOR_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $(DOCTOR_OBJS) $(CORE_LIB) $(DOCTOR_LIBS)

# ---------------------------------------------------------------- deps
# Debian packages the build and the tests need. `make deps` installs the
# missing ones (apt-get update once, then install); it does nothing when
# everything is present.
DEPS_BUILD	:= gcc make binutils pkg-config libmilter-dev libspf2-dev libssl-dev \
		   libpsl-dev libidn2-dev publicsuffix libjson-c-dev zlib1g-dev \
		   libsystemd-dev
DEPS_TEST	:= libcmocka-dev miltertest sendmail-bin sendmail-cf m4 \
		   python3 python3-aiosmtpd python3-yaml dnsmasq-base libsasl2-modules \
		   openssl iproute2 util-linux procps mandoc valgrind time \
		   clang libclang-rt-14-dev systemd nftables python3-cryptography \
		   strace opendkim opendmarc python3-dkim \
		   debootstrap systemd-container lintian prometheus
DEPS		:= $(DEPS_BUILD) $(DEPS_TEST) debhelper dpkg-dev

# install-deps.sh refuses to replace another MTA (exim4, postfix...) with
# sendmail unless DEPS_REPLACE_MTA=yes, installs no recommends, and leaves
# the daemons it brought in disabled at boot
deps:
	@DEPS="$(DEPS)" DEPS_REPLACE_MTA="$(DEPS_REPLACE_MTA)" \
	    sh tests/tools/install-deps.sh

# ---------------------------------------------------------------- tests
# Unit tests: tests/unit/test_NAME.c, one cmocka program each, linked with
# the core library (and the objects of the tools they test).
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_PROGS	= $(UNIT_SRCS:%.c=$(BUILD)/%)
TEST_LIBS	= $(call pkglib,cmocka $(DAEMON_PKGS)) $(CORE_LIBS)
TEST_TOOLS	= $(BUILD)/tests/tools/milterclient $(BUILD)/tests/spf/spfsuite \
		  $(BUILD)/tests/tools/swapshim.so

# SPF conformance driver (tests/spf/run)
$(BUILD)/tests/spf/spfsuite: tests/spf/spfsuite.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) \
	    $(call pkglib,$(CORE_PKGS)) $(CORE_LIBS)

# an LD_PRELOAD attacker for the cli suite (no sanitizer: it is preloaded)
$(BUILD)/tests/tools/swapshim.so: tests/tools/swapshim.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra $(WERROR_FLAG) -shared -fPIC -o $@ $< -ldl

$(BUILD)/tests/tools/milterclient: tests/tools/milterclient.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

UNIT_HELPERS	= $(BUILD)/tests/unit/testutil.o

$(BUILD)/tests/unit/testutil.o: tests/unit/testutil.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcf,cmocka) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(call pkgcf,cmocka) $(CFLAGS) -o $@ \
	    $< $(UNIT_HELPERS) $(CORE_LIB) $(LDFLAGS) $(TEST_LIBS)

# the doctor's configuration checks link its objects
$(BUILD)/tests/unit/test_cfcheck: tests/unit/test_cfcheck.c $(UNIT_HELPERS) \
    $(CFCHECK_OBJS) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(call pkgcf,cmocka) $(CFLAGS) -o $@ \
	    $< $(UNIT_HELPERS) $(CFCHECK_OBJS) $(CORE_LIB) $(LDFLAGS) \
	    $(TEST_LIBS) $(DOCTOR_LIBS)

$(BUILD)/tests/unit/test_runprog: tests/unit/test_runprog.c $(UNIT_HELPERS) \
    $(BUILD)/milter/runprog.o $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(call pkgcf,cmocka) $(CFLAGS) -o $@ \
	    $< $(UNIT_HELPERS) $(BUILD)/milter/runprog.o $(CORE_LIB) \
	    $(LDFLAGS) $(TEST_LIBS)

# test_trace*: the trace modules without the program's own (main() and
# the modules of include/trace_app.h)
TRACE_APP_OBJS	= $(addprefix $(BUILD)/milter/,trace_main.o trace_input.o \
		   trace_opts.o trace_ports.o trace_sink.o)
TRACE_TEST_OBJS	= $(filter-out $(TRACE_APP_OBJS),$(TRACE_OBJS))
TRACE_UNITS	= $(filter $(BUILD)/tests/unit/test_trace%,$(UNIT_PROGS))
$(TRACE_UNITS): $(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS) \
    $(TRACE_TEST_OBJS) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(call pkgcf,cmocka) $(CFLAGS) -o $@ \
	    $< $(UNIT_HELPERS) $(TRACE_TEST_OBJS) $(CORE_LIB) $(LDFLAGS) \
	    $(TEST_LIBS) $(call pkglib,$(TRACE_PKGS))

TEST_SUITES	?= unit cli miltertest spf docs ops trace e2e seeds spfworld dmarcworld \
		   doctor valgrind faults system

# Benchmarks: tests/bench/NAME scripts, with their helper programs.
BENCHES		?= tests/bench/milter tests/bench/sendermap tests/bench/spf \
		   tests/bench/trace tests/bench/sendmail tests/bench/load
BENCH_TOOLS	= $(BUILD)/tests/bench/spfbench $(BUILD)/tests/bench/noopmilter \
		   $(BUILD)/tests/bench/mapbench $(BUILD)/tests/tools/milterclient \
		   $(BUILD)/tests/bench/tracegen

$(BUILD)/tests/bench/noopmilter: tests/bench/noopmilter.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) \
	    $(call pkglib,milter) -lpthread

$(BUILD)/tests/bench/mapbench: tests/bench/mapbench.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) \
	    $(call pkglib,$(CORE_PKGS)) $(CORE_LIBS)

$(BUILD)/tests/bench/tracegen: tests/bench/tracegen.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/tests/bench/spfbench: tests/bench/spfbench.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) \
	    $(call pkglib,$(CORE_PKGS)) $(CORE_LIBS)

bench: all $(BENCH_TOOLS)
	@for b in $(BENCHES); do BUILD=$(BUILD) $$b || exit 1; done
export TEST_SUITES

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory test

test: all $(UNIT_PROGS) $(TEST_TOOLS)
	@tests/run -b $(BUILD) $(TEST_SUITES)

# The end-to-end world in a real sendmail, a handful of messages, a report
# (tests/e2e/demo; needs root for its private namespaces).
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/e2e/demo

# ---------------------------------------------------------------- install
# Binaries, man pages, samples and systemd units. An existing configuration
# is never overwritten; `make uninstall` keeps /etc/relaymilter (like a
# Debian "remove", not a "purge").
DOCDIR		?= $(PREFIX)/share/doc/relaymilter
MANS		:= $(wildcard milter/*.1 milter/*.5 milter/*.8)
UNITS		:= $(wildcard contrib/systemd/*.service contrib/systemd/*.timer)
INSTALL		?= install

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/relaymilter $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR)
	for p in $(PROGS); do \
		case $$p in *-trace) d=$(BINDIR);; *) d=$(SBINDIR);; esac; \
		$(INSTALL) -m 755 $$p $(DESTDIR)$$d/; done
	for m in $(MANS); do \
		sec=$${m##*.}; $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$sec; \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(MANDIR)/man$$sec/; done
	# a new configuration: root:smmsp 0640, readable by the daemon
	# (relaymilter:smmsp in the unit); an existing one is left alone
	c=$(DESTDIR)$(SYSCONFDIR)/relaymilter/relaymilter.conf; \
	if ! test -e $$c; then \
		$(INSTALL) -m 640 conf/relaymilter.conf $$c; \
		if getent group smmsp >/dev/null 2>&1; then chgrp smmsp $$c || \
		    echo "install: chgrp smmsp $$c failed: the daemon" \
			"(group smmsp) cannot read it until you do it" >&2; \
		else echo "install: no group smmsp (sendmail not installed" \
		    "yet): after installing sendmail, chgrp smmsp $$c" >&2; fi; \
	fi
	$(INSTALL) -m 644 conf/sendermap.sample conf/allowed-senders.sample \
	    $(DESTDIR)$(SYSCONFDIR)/relaymilter/
	$(INSTALL) -m 644 conf/sendmail.mc.snippet README.md LICENSE \
	    $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)/alerting
	$(INSTALL) -m 644 contrib/alerting/*.yml contrib/alerting/*.conf \
	    $(DESTDIR)$(DOCDIR)/alerting/
	$(INSTALL) -m 755 contrib/alerting/*.sh $(DESTDIR)$(DOCDIR)/alerting/
	for u in $(UNITS); do \
		sed -e 's|/usr/sbin/|$(SBINDIR)/|g' \
		    -e 's|/usr/bin/relaymilter|$(BINDIR)/relaymilter|g' \
		    -e 's|/etc/relaymilter/|$(SYSCONFDIR)/relaymilter/|g' $$u \
		    >$(DESTDIR)$(UNITDIR)/$${u##*/}; \
		chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/}; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(SBINDIR)/$${p##*/} \
	    $(DESTDIR)$(BINDIR)/$${p##*/}; done
	for m in $(MANS); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
	    done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	rm -f $(DESTDIR)$(SYSCONFDIR)/relaymilter/sendermap.sample \
	    $(DESTDIR)$(SYSCONFDIR)/relaymilter/allowed-senders.sample
	rm -rf $(DESTDIR)$(DOCDIR)

# ---------------------------------------------------------------- deb
# The Debian package, from the packaging in contrib/debian (debhelper,
# compat 13): the tree is copied to build/deb/src with contrib/debian as
# debian/, dpkg-buildpackage builds it there with a plain build (whatever
# BUILD or SANITIZE say), and the .deb is copied here. It is rebuilt only
# when a file it is made from changed, so every run of the suites
# (build and build-san) tests the same package.
DEB_VERSION	:= $(shell dpkg-parsechangelog -l contrib/debian/changelog -S Version 2>/dev/null)
DEB_ARCH	:= $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE	:= relaymilter_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_DIR		:= build/deb
DEB_INPUTS	:= Makefile README.md LICENSE $(shell find milter include conf \
		   contrib -type f 2>/dev/null)
DEPS_DEB	:= debhelper dpkg-dev

deb-deps:
	@DEPS="$(DEPS_BUILD) $(DEPS_DEB)" sh tests/tools/install-deps.sh

deb: deb-deps
	@$(MAKE) --no-print-directory $(DEB_FILE)

$(DEB_FILE): $(DEB_INPUTS)
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src/relaymilter-$(DEB_VERSION)
	cp -a milter include conf contrib Makefile README.md LICENSE \
	    $(DEB_DIR)/src/relaymilter-$(DEB_VERSION)/
	cp -a contrib/debian $(DEB_DIR)/src/relaymilter-$(DEB_VERSION)/debian
	cd $(DEB_DIR)/src/relaymilter-$(DEB_VERSION) && \
	    env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD -u SANITIZE \
	    -u FUZZ -u CI -u WERROR dpkg-buildpackage -b --no-sign >../build.log 2>&1 || \
	    { tail -40 ../build.log; echo "make deb: dpkg-buildpackage" \
	    "failed, see $(DEB_DIR)/src/build.log" >&2; exit 1; }
	cp $(DEB_DIR)/src/$(DEB_FILE) $@
	@echo "make deb: $@"

# ---------------------------------------------------------------- fuzzing
# tests/fuzz/fuzz_NAME.c: one libFuzzer target per parser; `make fuzz` runs
# each for FUZZ_SECONDS (default 60) from its seed corpus.
FUZZ_SECONDS	?= 60
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_PROGS	= $(FUZZ_SRCS:%.c=$(BUILD)/%)

$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(CORE_LIB) \
	    $(LDFLAGS) $(call pkglib,$(DAEMON_PKGS)) $(CORE_LIBS)

# relaymilter-doctor's readers of sendmail's files and outputs
$(BUILD)/tests/fuzz/fuzz_sendmailcf: tests/fuzz/fuzz_sendmailcf.c \
    $(BUILD)/milter/mcparse.o $(BUILD)/milter/smoutput.o $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(filter %.o,$^) $(CORE_LIB) $(LDFLAGS) \
	    $(call pkglib,$(DAEMON_PKGS)) $(CORE_LIBS)

fuzz-build: $(FUZZ_PROGS)

fuzz:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@FUZZ_BUILD=build-fuzz tests/fuzz/run $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-fuzz relaymilter_*.deb

-include $(wildcard $(BUILD)/milter/*.d $(BUILD)/tests/*/*.d)
