# delegate: PAM module, NSS module and CLI for ticket-based delegated execution.
# See README.md. `make` builds, `make check` runs every test, `make demo` the story.

PREFIX      ?= /usr/local
DESTDIR     ?=
MULTIARCH   := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
LIBDIR      ?= /lib/$(MULTIARCH)
PAMDIR      ?= $(LIBDIR)/security
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
# Where Debian's tools look, whatever PREFIX is (pam-auth-update reads only
# /usr/share/pam-configs); the packages in debian/ install the same tree.
PAMCONFDIR  ?= /usr/share/pam-configs
TMPFILESDIR ?= /usr/lib/tmpfiles.d
LOGROTATEDIR?= $(SYSCONFDIR)/logrotate.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
EXAMPLESDIR ?= $(PREFIX)/share/doc/delegate-tools/examples
EXCH_EXAMPLESDIR ?= $(PREFIX)/share/doc/delegate-exchange/examples
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
VERSION     := 0.1.0

CC          ?= gcc
B           ?= build
SAN         ?=

WARN        := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
HARDEN      := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
OPT         ?= -O2 -g
ifeq ($(SAN),asan)
  OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  HARDEN    := -fstack-protector-strong -fPIC
  SANLD     := -fsanitize=address,undefined
endif
ifeq ($(SAN),tsan)
  OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
  HARDEN    := -fstack-protector-strong -fPIC
  SANLD     := -fsanitize=thread
endif
ifeq ($(SAN),coverage)
  OPT       := -O0 -g --coverage
  HARDEN    := -fstack-protector-strong -fPIC
  SANLD     := --coverage
endif
CFLAGS_ALL  := -std=c11 -D_GNU_SOURCE -DDLG_VERSION=\"$(VERSION)\" $(OPT) $(WARN) $(HARDEN) \
               -fvisibility=hidden -Icommon -MMD -MP $(CFLAGS)
LDFLAGS_ALL := -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD) $(LDFLAGS)

LIBS_NSS    := -lconfig
# The NSS module loads libconfig on demand by this absolute path, fixed at
# build time: dlopen by bare name would search LD_LIBRARY_PATH and the host
# program's DT_RPATH (issue 18 item 7).
LIBCONFIG_SO ?= $(abspath $(firstword $(filter /%,$(shell $(CC) -print-file-name=libconfig.so.9)) \
                  /usr/lib/$(MULTIARCH)/libconfig.so.9))
LIBS_FULL   := -lconfig -lcrypto -ljansson -lsystemd
# libcurl: only delegatectl fetches (revocation feeds, DESIGN.md §6a) and the
# exchange (JWKS); never the PAM or the NSS module.
LIBS_CTL    := $(LIBS_FULL) -lcurl

# common/ is grouped by concern, each folder using only the ones listed before
# it: util/ (small helpers), ticket/ (JWT format, algorithms, signing), config/
# (the text loader and the compiled form), feed/ (signed revocation feeds:
# verification, state, the revocation file; delegatectl only), decision/ (keys,
# the decision, single use), audit/, session/ (records, containment backends,
# ending sessions).
# util/*.c, config/config*.c, config/compiled_read.c, config/compiled_format.c
# and ticket/alg.c are libc+libconfig only (linked into the NSS module);
# everything else may use OpenSSL and jansson.
COMMON_DIRS     := util ticket config feed decision audit session session/contain
COMMON_HDR      := $(wildcard $(addsuffix /*.h,$(addprefix common/,$(COMMON_DIRS))))
NSS_CONFIG_SRC  := $(sort $(wildcard common/config/config*.c))
NSS_COMMON_SRC  := $(sort $(wildcard common/util/*.c)) $(NSS_CONFIG_SRC) \
                   common/config/compiled_read.c common/config/compiled_format.c common/ticket/alg.c
COMMON_SRC      := $(sort $(wildcard $(addsuffix /*.c,$(addprefix common/,$(COMMON_DIRS)))))
PAM_SRC         := $(sort $(wildcard pam_delegate/*.c))
NSS_SRC         := $(sort $(wildcard nss_delegate/*.c))
CTL_SRC         := $(sort $(wildcard delegatectl/*.c))
# delegate-exchange (issuer side, its own package): the only program that
# links libmicrohttpd and libcurl; the PAM and NSS modules never do.
EXCH_SRC        := $(sort $(wildcard exchange/*.c))
LIBS_EXCH       := $(LIBS_FULL) -lmicrohttpd -lcurl -lpthread

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PAM_SO      := $(B)/pam_delegate.so
NSS_SO      := $(B)/libnss_delegate.so.2
CTL         := $(B)/delegatectl
EXCH        := $(B)/delegate-exchange
LIBCOMMON   := $(B)/libdelegate-common.a
LIBNSSCOMMON:= $(B)/libdelegate-nsscommon.a

UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
NSS_TEST_SRC:= $(sort $(wildcard tests/nss/test_*.c))
NSS_TEST_BIN:= $(patsubst tests/nss/%.c,$(B)/tests/%,$(NSS_TEST_SRC))
PAM_TEST_SRC:= $(sort $(wildcard tests/pam/test_*.c))
PAM_TEST_BIN:= $(patsubst tests/pam/%.c,$(B)/tests/%,$(PAM_TEST_SRC))
TEST_HELPER_SRC := $(sort $(wildcard tests/lib/*.c))
ADV_TEST_SRC:= $(sort $(wildcard tests/adversarial/test_*.c))
ADV_TEST_BIN:= $(patsubst tests/adversarial/%.c,$(B)/tests/%,$(ADV_TEST_SRC))

# keep intermediate objects (tests/lib/*.o) between builds
.SECONDARY:

.PHONY: all deps check check-unit check-asan check-tsan check-valgrind demo install uninstall \
        clean fuzz lint coverage bench tests

all: $(PAM_SO) $(NSS_SO) $(CTL) $(EXCH)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

$(B)/obj/%.o: %.c $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/obj/nss_delegate/lcshim.o: CFLAGS_ALL += -DDLG_LIBCONFIG_SO=\"$(LIBCONFIG_SO)\"
$(B)/obj/nss_delegate/lcshim.o: Makefile

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@rm -f $@
	ar rcs $@ $^

# The NSS module's copy of config*.c calls libconfig through nss_delegate/lcshim.c
# (dlopen on demand, issue 13): its DT_NEEDED is libc only.
NSS_COMMON_OBJ := $(patsubst common/%.c,$(B)/obj-nss/common/%.o,$(NSS_CONFIG_SRC)) \
                  $(call obj,$(filter-out $(NSS_CONFIG_SRC),$(NSS_COMMON_SRC)))

$(B)/obj-nss/common/%.o: common/%.c nss_delegate/lcshim.h $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -include nss_delegate/lcshim.h -c -o $@ $<

$(LIBNSSCOMMON): $(NSS_COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(PAM_SO): $(call obj,$(PAM_SRC)) $(LIBCOMMON) pam_delegate/pam_delegate.map
	$(CC) -shared -o $@ $(call obj,$(PAM_SRC)) $(LIBCOMMON) $(LDFLAGS_ALL) \
	    -Wl,--version-script=pam_delegate/pam_delegate.map -Wl,-soname,pam_delegate.so \
	    -lpam $(LIBS_FULL)

$(NSS_SO): $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) nss_delegate/nss_delegate.map
	$(CC) -shared -o $@ $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) $(LDFLAGS_ALL) \
	    -Wl,--version-script=nss_delegate/nss_delegate.map -Wl,-soname,libnss_delegate.so.2 \
	    -Wl,--no-undefined -lpthread

$(CTL): $(call obj,$(CTL_SRC)) $(LIBCOMMON)
	$(CC) -pie -o $@ $^ $(LDFLAGS_ALL) $(LIBS_CTL)

$(EXCH): $(call obj,$(EXCH_SRC)) $(LIBCOMMON)
	$(CC) -pie -o $@ $^ $(LDFLAGS_ALL) $(LIBS_EXCH)

# ---- tests ---------------------------------------------------------------
$(B)/tests/test_%: tests/unit/test_%.c $(LIBCOMMON) $(call obj,$(TEST_HELPER_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib -o $@ $< $(call obj,$(TEST_HELPER_SRC)) $(LIBCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka $(LIBS_FULL) -lpthread

# The config code built with a field added to three of its lists
# (config_fields.h, DLG_FIELD_PROBE): the compiled form carries them.
FIELDS_PROBE_SRC := $(sort $(wildcard common/config/*.c common/util/*.c)) common/ticket/alg.c
$(B)/tests/test_fields_probe: tests/unit/test_fields_probe.c tests/unit/fields_dump.h \
                              tests/unit/fields_conf.h $(FIELDS_PROBE_SRC) $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS_ALL)) -DDLG_FIELD_PROBE -o $@ $< $(FIELDS_PROBE_SRC) \
	    $(LDFLAGS_ALL) -lcmocka -lconfig -lpthread

# Lookups allocate nothing: this test fails every allocation around them.
$(B)/tests/test_compiled_review: LDFLAGS_ALL += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(B)/tests/test_%: tests/nss/test_%.c $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Inss_delegate -Itests/lib -o $@ $< $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka $(LIBS_NSS) -lpthread

$(B)/tests/test_%: tests/pam/test_%.c $(LIBCOMMON) $(call obj,$(TEST_HELPER_SRC)) $(PAM_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib -o $@ $< $(call obj,$(TEST_HELPER_SRC)) $(LIBCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka -lpamtest -lpam $(LIBS_FULL) -lpthread

# Adversarial tier: the JWT attack catalogue and hostile host conditions
# (cmocka; the PAM ones reuse tests/pam's harness under pam_wrapper).
$(B)/tests/test_%: tests/adversarial/test_%.c tests/adversarial/catalogue.h tests/adversarial/adv_mint.h \
                   $(LIBCOMMON) $(call obj,$(TEST_HELPER_SRC)) $(PAM_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib -Itests/pam -Itests/adversarial -o $@ $< \
	    $(call obj,$(TEST_HELPER_SRC)) $(LIBCOMMON) $(LDFLAGS_ALL) -lcmocka -lpamtest -lpam \
	    $(LIBS_FULL) -lpthread

tests: all $(UNIT_BIN) $(NSS_TEST_BIN) $(PAM_TEST_BIN) $(ADV_TEST_BIN)

deps:
	@./tests/deps.sh

# Every test: unit (cmocka), NSS direct calls, PAM (pam_wrapper), CLI, and the
# end-to-end tier with real sshd/sudo in a private mount namespace.
# CI runs them all: the hardening tiers too (adversarial catalogue, valgrind
# cycles, the suite under ASan+UBSan, the NSS thread test under TSan, lint,
# a FUZZ_SECONDS fuzz smoke per harness) and the Debian package install/purge
# test (pkg).  CHECK_TIERS= narrows it, except in CI (CI=true, set by .ci/run
# and by CI services): there every tier runs, FUZZ_SECONDS=60, whatever the
# environment or the command line says.
ALL_TIERS   := unit nss pam cli adversarial e2e exchange feed pkg systemd valgrind asan tsan lint fuzz
CHECK_TIERS ?= $(ALL_TIERS)
FUZZ_SECONDS ?= 60
ifeq ($(CI),true)
  override CHECK_TIERS := $(ALL_TIERS)
  override FUZZ_SECONDS := 60
endif
export FUZZ_SECONDS

check: deps
	$(MAKE) tests
	B=$(B) TIERS="$(CHECK_TIERS)" ./tests/run.sh

check-unit: tests
	B=$(B) TIERS="unit nss pam cli adversarial" ./tests/run.sh

# tests/asan/test_asan.sh builds build-asan (SAN=asan) and runs the unit,
# NSS, PAM, CLI and adversarial tiers there, halting on the first error.
check-asan:
	B=$(B) TIERS="asan" ./tests/run.sh

check-tsan:
	$(MAKE) B=build-tsan SAN=tsan tests
	B=build-tsan SAN=tsan TIERS="tsan" ./tests/run.sh

check-valgrind: tests
	B=$(B) TIERS="valgrind" ./tests/run.sh

# libFuzzer harnesses (tests/fuzz/README.md): FUZZ_SECONDS each, in build-fuzz.
fuzz:
	./tests/fuzz/fuzz.sh run $(FUZZ_SECONDS)

# cppcheck + clang-tidy (check set: .clang-tidy, tests/lint/*.supp).
lint:
	B=$(B) TIERS="lint" ./tests/run.sh

# Line and branch coverage of common/, pam_delegate/, nss_delegate/ (build-cov).
coverage:
	./tests/coverage.sh

demo: deps all
	./tests/e2e/demo.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/delegate
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_delegate.so
	install -m 0644 $(NSS_SO) $(DESTDIR)$(LIBDIR)/libnss_delegate.so.2
	install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/delegatectl
	ln -sf delegatectl $(DESTDIR)$(SBINDIR)/delegatectl-askpass   # for SSH_ASKPASS (no word splitting)
	for m in man/*.5; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in man/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/; done; true
	ln -sf delegatectl.8 $(DESTDIR)$(MANDIR)/man8/delegatectl-askpass.8
	install -d $(DESTDIR)$(PAMCONFDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(LOGROTATEDIR) \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(EXAMPLESDIR)
	install -m 0644 conf/pam-configs/delegate $(DESTDIR)$(PAMCONFDIR)/delegate
	install -m 0644 conf/tmpfiles.d/delegate.conf $(DESTDIR)$(TMPFILESDIR)/delegate.conf
	install -m 0644 conf/logrotate.d/delegate $(DESTDIR)$(LOGROTATEDIR)/delegate
	install -m 0644 conf/delegatectl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/delegatectl
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/sbin/delegatectl|$(SBINDIR)/delegatectl|' conf/systemd/delegate-watch.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/delegate-watch.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/delegate-watch.service
	install -m 0755 $(EXCH) $(DESTDIR)$(SBINDIR)/delegate-exchange
	sed 's|/usr/sbin/delegate-exchange|$(SBINDIR)/delegate-exchange|' conf/systemd/delegate-exchange.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/delegate-exchange.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/delegate-exchange.service
	install -D -m 0644 conf/exchange.conf $(DESTDIR)$(EXCH_EXAMPLESDIR)/exchange.conf
	install -D -m 0644 'conf/systemd/user@.service.d/delegate.conf' \
	    '$(DESTDIR)$(SYSTEMDUNITDIR)/user@.service.d/delegate.conf'
	for f in conf/delegate.conf conf/revoked.conf conf/nsswitch.conf conf/pam.d/* \
	         conf/sshd_config.d/* conf/sudoers.d/*; do \
	    [ -f "$$f" ] || continue; \
	    install -D -m 0644 "$$f" $(DESTDIR)$(EXAMPLESDIR)/$${f#conf/} || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_delegate.so $(DESTDIR)$(LIBDIR)/libnss_delegate.so.2 \
	    $(DESTDIR)$(SBINDIR)/delegatectl $(DESTDIR)$(SBINDIR)/delegatectl-askpass
	rm -f $(DESTDIR)$(PAMCONFDIR)/delegate $(DESTDIR)$(TMPFILESDIR)/delegate.conf \
	    $(DESTDIR)$(LOGROTATEDIR)/delegate $(DESTDIR)$(BASHCOMPDIR)/delegatectl \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/delegate-watch.service \
	    $(DESTDIR)$(SBINDIR)/delegate-exchange $(DESTDIR)$(SYSTEMDUNITDIR)/delegate-exchange.service \
	    '$(DESTDIR)$(SYSTEMDUNITDIR)/user@.service.d/delegate.conf'
	rm -rf $(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(EXCH_EXAMPLESDIR)
	rm -f $(DESTDIR)$(MANDIR)/man8/delegatectl-askpass.8
	for m in man/*.5 man/*.8; do [ -e "$$m" ] || continue; \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; done

clean:
	rm -rf build build-asan build-tsan build-cov build-fuzz

# ---- benchmarks (not part of check; see BENCHMARKS.md) ---------------------
BENCH_SRC   := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN   := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

$(B)/bench/bench_%: bench/bench_%.c bench/bench_common.h $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ibench -o $@ $< $(LIBCOMMON) $(LDFLAGS_ALL) -lpam $(LIBS_FULL)

$(B)/bench/bench_exchange: bench/exchange/bench_exchange.c bench/bench_common.h $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ibench -o $@ $< $(LIBCOMMON) $(LDFLAGS_ALL) $(LIBS_EXCH)

bench: all $(BENCH_BIN) $(B)/bench/bench_exchange
	B=$(B) ./bench/run.sh
