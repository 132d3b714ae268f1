# relaymilter - GNU Makefile
#
#   make            build the daemon and the tools into build/ (target all)
#   make deps       install the Debian packages the build and the tests need
#   make test       build, then the suites TEST_SUITES="..." names (default:
#                   every suite, tests/run's ALL_SUITES)
#   make check      deps, then make test
#   make demo       deps, build, then a short run of the real sendmail world
#   make bench      benchmarks BENCHES="..." (default all), figures as ratios
#                   against baselines
#   make fuzz       deps, then every libFuzzer target for FUZZ_SECONDS each
#                   (default 60), built into build-fuzz/ (target fuzz-build)
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc
#   make deb        the Debian package relaymilter_VERSION_ARCH.deb (here),
#                   after make deb-deps (the packages it needs)
#   make uninstall  remove what install installed (keeps the configuration)
#   make clean      remove every build directory made here (any BUILD=)
#   make SANITIZE=1 ...   same, built with ASan + UBSan into build-san/
#   make BUILD=DIR ...    build into DIR instead
#
# CI=true (or WERROR=1) turns warnings into errors.

# the first rule would otherwise be an archive made by $(eval) below
.DEFAULT_GOAL	:= all

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

ifneq ($(filter . ./ .. ../ / ~,$(BUILD))$(findstring ..,$(BUILD)),)
$(error BUILD=$(BUILD): a directory of its own please, `make clean` removes it)
endif

ifneq ($(filter true 1,$(CI) $(WERROR)),)
WERROR_FLAG	:= -Werror
endif

CC		?= cc
OPT		?= -O2 -g
WARN		:= -Wall -Wextra -Wformat=2 -Wstrict-prototypes \
		   -Wmissing-prototypes -Wno-unused-parameter $(WERROR_FLAG)
CPPFLAGS	+= -D_GNU_SOURCE -DRM_VERSION='"$(VERSION)"'
CFLAGS		?=
CFLAGS		+= -std=c11 $(OPT) $(WARN) $(SAN_FLAGS) -MMD -MP
# full RELRO, and no lazy symbol binding: the lazy resolver spills vector
# registers (which string functions leave secrets in) to the stack
LDFLAGS		+= $(SAN_FLAGS) -Wl,-z,relro -Wl,-z,now

pkgcf		= $(shell pkg-config --cflags $(1) 2>/dev/null)
pkglib		= $(shell pkg-config --libs $(1) 2>/dev/null)

# libsystemd is optional (sd_notify, the journal).
HAVE_SYSTEMD	:= $(shell pkg-config --exists libsystemd 2>/dev/null && echo 1)
ifeq ($(HAVE_SYSTEMD),1)
CPPFLAGS	+= -DHAVE_LIBSYSTEMD
SYSTEMD_PKG	:= libsystemd
endif

# the include paths of the outside libraries (their link flags: PKGS_ below)
CPPFLAGS	+= $(call pkgcf,milter libcrypto libpsl libidn2 json-c zlib)
CPPFLAGS	+= -DRM_MILTER_PKGVERSION='"$(shell pkg-config --modversion milter 2>/dev/null)"'

# ---------------------------------------------------------------- layout
# One folder per library layer, lowest first, and one per program (README
# "Layout"). A layer's headers are in include/LAYER/, a program's private
# headers beside its sources in milter/PROGRAM/. Each folder compiles with
# its own -I set: its own headers and those of the layers under it (BELOW_),
# so that an include of a higher layer or of another program fails to
# build. Each folder makes one archive, $(BUILD)/libNAME.a (a program's
# without the file holding main()).
LAYERS		:= util global spf policy
PROGRAMS	:= daemon trace doctor
# the folders each one builds on, nearest first (tests/layout reads these)
BELOW_util	:=
BELOW_global	:= util
BELOW_spf	:= global util
BELOW_policy	:= spf global util
BELOW_daemon	:= policy spf global util
BELOW_trace	:= global util
BELOW_doctor	:= global util
# the outside libraries of each folder: pkg-config names, then the others
PKGS_util	:= json-c
PKGS_global	:= libcrypto
PKGS_spf	:=
LIBS_spf	:= -lspf2 -lresolv -lpthread
PKGS_policy	:= libcrypto libpsl libidn2
LIBS_policy	:= -lpthread
PKGS_daemon	:= milter libpsl $(SYSTEMD_PKG)
LIBS_daemon	:= -lspf2 -lpthread
PKGS_trace	:= json-c zlib $(SYSTEMD_PKG)
PKGS_doctor	:= libssl libcrypto json-c
MAINS		:= milter/daemon/main.c milter/trace/trace_main.c \
		   milter/doctor/doctor_main.c

# $(call stack,X): X and the folders under it
stack		= $(1) $(BELOW_$(1))
# $(call incs,X): the -I set of folder X
incs		= $(if $(filter $(1),$(PROGRAMS)),-Imilter/$(1)) \
		  $(addprefix -Iinclude/,$(filter $(LAYERS),$(call stack,$(1))))
# $(call archives,X): the archives a program of folder X links, top first
archives	= $(foreach l,$(call stack,$(1)),$(BUILD)/lib$(l).a)
# $(call ldlibs,X): the outside libraries of X and the folders under it
uniq		= $(if $(1),$(firstword $(1)) $(call uniq,$(filter-out \
		  $(firstword $(1)),$(1))))
ldlibs		= $(call pkglib,$(call uniq,$(foreach l,$(call stack,$(1)),\
		  $(PKGS_$(l))))) $(call uniq,$(foreach l,$(call stack,$(1)),\
		  $(LIBS_$(l))))

define folder
OBJS_$(1)	:= $$(patsubst %.c,$$(BUILD)/%.o,$$(filter-out $$(MAINS),$$(wildcard milter/$(1)/*.c)))
$$(BUILD)/lib$(1).a: $$(OBJS_$(1))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach f,$(LAYERS) $(PROGRAMS),$(eval $(call folder,$(f))))

# Every object depends on $(BUILD)/.flags, which holds the compiler and
# the flags and is rewritten only when they change: `CI=true make` after
# a plain `make` rebuilds everything with -Werror. A directory is listed in
# .builddirs when its .flags is first written, so that `make clean` finds
# every build directory, whatever BUILD= named it.
FLAGS_FILE	:= $(BUILD)/.flags
FLAGS_NOW	:= $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
ifeq ($(filter clean deps deb deb-deps,$(MAKECMDGOALS)),)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_FILE),$(FLAGS_NOW))
$(shell grep -qxF '$(BUILD)' .builddirs 2>/dev/null || echo '$(BUILD)' >>.builddirs)
endif
endif

# milter/FOLDER/NAME.c -> $(BUILD)/milter/FOLDER/NAME.o, with FOLDER's -I set
$(BUILD)/milter/%.o: milter/%.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call incs,$(firstword $(subst /, ,$*))) $(CFLAGS) \
	    -c -o $@ $<

PROGS		= $(BUILD)/relaymilter $(BUILD)/relaymilter-trace
PROGS		+= $(BUILD)/relaymilter-doctor

.PHONY: all deps check test demo bench fuzz fuzz-build install uninstall clean \
	deb deb-deps
all: $(PROGS)

$(BUILD)/relaymilter: $(BUILD)/milter/daemon/main.o $(call archives,daemon)
	$(CC) $(LDFLAGS) -o $@ $< $(call archives,daemon) \
	    $(call ldlibs,daemon)

$(BUILD)/relaymilter-trace: $(BUILD)/milter/trace/trace_main.o \
    $(call archives,trace)
	$(CC) $(LDFLAGS) -o $@ $< $(call archives,trace) $(call ldlibs,trace)

$(BUILD)/relaymilter-doctor: $(BUILD)/milter/doctor/doctor_main.o \
    $(call archives,doctor)
	$(CC) $(LDFLAGS) -o $@ $< $(call archives,doctor) $(call ldlibs,doctor)

# A test, fuzz or bench program from one C file builds on the folder of the
# highest header it includes (ORDER: layers, then programs): it compiles
# with that folder's -I set and links its archives. No per-test lists.
ORDER		:= $(LAYERS) $(PROGRAMS)
hdr_home	= $(word 2,$(subst /, ,$(firstword $(wildcard include/*/$(1) \
		  milter/*/$(1)))))
top_of		= $(lastword $(filter $(sort $(foreach h,$(shell sed -n \
		  's/^\#include "\([^"/]*\)".*/\1/p' $(1)),$(call hdr_home,$(h)))),\
		  $(ORDER)))
# $(call testprog,SOURCE,EXTRA FLAGS,EXTRA OBJECTS,EXTRA LIBS): the rule
define testprog
TOP_$(1)	:= $$(call top_of,$(1))
$$(BUILD)/$(1:.c=): $(1) $(3) $$(call archives,$$(TOP_$(1))) $$(FLAGS_FILE)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(call incs,$$(TOP_$(1))) $(2) $$(CFLAGS) -o $$@ \
	    $$< $(3) $$(call archives,$$(TOP_$(1))) $$(LDFLAGS) $(4) \
	    $$(call ldlibs,$$(TOP_$(1)))
endef

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
# Unit tests: tests/unit/test_NAME.c, one cmocka program each; like every
# test program it builds on the folder of the highest header it includes
# (testprog above).
UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_PROGS	= $(UNIT_SRCS:%.c=$(BUILD)/%)
UNIT_HELPERS	= $(BUILD)/tests/unit/testutil.o
TEST_TOOLS	= $(BUILD)/tests/tools/milterclient $(BUILD)/tests/spf/spfsuite \
		  $(BUILD)/tests/tools/swapshim.so

$(BUILD)/tests/unit/testutil.o: tests/unit/testutil.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcf,cmocka) $(CFLAGS) -c -o $@ $<

$(foreach t,$(UNIT_SRCS),$(eval $(call testprog,$(t),-Itests/unit \
    $(call pkgcf,cmocka),$(UNIT_HELPERS),$(call pkglib,cmocka))))
# the SPF conformance driver (tests/spf/run), an MTA-side milter client
$(eval $(call testprog,tests/spf/spfsuite.c))
$(eval $(call testprog,tests/tools/milterclient.c,,,-lpthread))

# an LD_PRELOAD attacker for the cli suite (no sanitizer: it is preloaded)
$(BUILD)/tests/tools/swapshim.so: tests/tools/swapshim.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra $(WERROR_FLAG) -shared -fPIC -o $@ $< -ldl

# the suites make test runs: those named, else tests/run's ALL_SUITES
TEST_SUITES	?= $(shell sed -n 's/^ALL_SUITES="\(.*\)"$$/\1/p' tests/run)

# Benchmarks: tests/bench/NAME scripts, with their helper programs.
BENCHES		?= tests/bench/milter tests/bench/sendermap tests/bench/spf \
		   tests/bench/trace tests/bench/sendmail tests/bench/load \
		   tests/bench/queue
BENCH_TOOLS	= $(BUILD)/tests/bench/spfbench $(BUILD)/tests/bench/noopmilter \
		   $(BUILD)/tests/bench/mapbench $(BUILD)/tests/tools/milterclient \
		   $(BUILD)/tests/bench/tracegen

$(eval $(call testprog,tests/bench/noopmilter.c,,,$(call pkglib,milter) \
    -lpthread))
$(eval $(call testprog,tests/bench/mapbench.c))
$(eval $(call testprog,tests/bench/tracegen.c))
$(eval $(call testprog,tests/bench/spfbench.c))

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
MANS		:= $(wildcard milter/*/*.1 milter/*/*.5 milter/*/*.8)
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

$(foreach t,$(FUZZ_SRCS),$(eval $(call testprog,$(t),-fsanitize=fuzzer)))

# fuzz-build outside FUZZ=1 (plain `make fuzz-build`) builds with the fuzz
# flags (clang, libFuzzer) in build-fuzz/ rather than with cc in build/
ifeq ($(FUZZ),1)
fuzz-build: $(FUZZ_PROGS)
else
fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
endif

fuzz:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-build
	@FUZZ_BUILD=build-fuzz tests/fuzz/run $(FUZZ_SECONDS)

# the default directories, BUILD, and every one .builddirs lists that has
# a .flags (never this directory itself)
clean:
	@for d in build build-san build-fuzz $(BUILD) \
	    $$(cat .builddirs 2>/dev/null); do \
		[ -d "$$d" ] || continue; \
		case $$d in build|build-san|build-fuzz) ;; \
		*) [ -f "$$d/.flags" ] || continue;; esac; \
		[ "$$(cd "$$d" && pwd -P)" = "$$(pwd -P)" ] && continue; \
		echo "rm -rf $$d"; rm -rf -- "$$d"; \
	done; rm -f .builddirs relaymilter_*.deb

-include $(wildcard $(BUILD)/milter/*/*.d $(BUILD)/tests/*/*.d)
