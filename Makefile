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
               -fvisibility=hidden -Icommon $(CFLAGS)
LDFLAGS_ALL := -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD) $(LDFLAGS)

LIBS_NSS    := -lconfig
LIBS_FULL   := -lconfig -lcrypto -ljansson

# common/: util.c and config.c are libc+libconfig only (linked into the NSS
# module); everything else may use OpenSSL and jansson.
NSS_COMMON_SRC  := common/util.c common/config.c
COMMON_SRC      := $(sort $(wildcard common/*.c))
PAM_SRC         := $(sort $(wildcard pam_delegate/*.c))
NSS_SRC         := $(sort $(wildcard nss_delegate/*.c))
CTL_SRC         := $(sort $(wildcard delegatectl/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PAM_SO      := $(B)/pam_delegate.so
NSS_SO      := $(B)/libnss_delegate.so.2
CTL         := $(B)/delegatectl
LIBCOMMON   := $(B)/libdelegate-common.a
LIBNSSCOMMON:= $(B)/libdelegate-nsscommon.a

UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
NSS_TEST_SRC:= $(sort $(wildcard tests/nss/test_*.c))
NSS_TEST_BIN:= $(patsubst tests/nss/%.c,$(B)/tests/%,$(NSS_TEST_SRC))
PAM_TEST_SRC:= $(sort $(wildcard tests/pam/test_*.c))
PAM_TEST_BIN:= $(patsubst tests/pam/%.c,$(B)/tests/%,$(PAM_TEST_SRC))
TEST_HELPER_SRC := $(sort $(wildcard tests/lib/*.c))

.PHONY: all deps check check-unit check-asan check-tsan check-valgrind demo install uninstall \
        clean fuzz lint coverage bench tests

all: $(PAM_SO) $(NSS_SO) $(CTL)

$(B)/obj/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@rm -f $@
	ar rcs $@ $^

$(LIBNSSCOMMON): $(call obj,$(NSS_COMMON_SRC))
	@rm -f $@
	ar rcs $@ $^

$(PAM_SO): $(call obj,$(PAM_SRC)) $(LIBCOMMON) pam_delegate/pam_delegate.map
	$(CC) -shared -o $@ $(call obj,$(PAM_SRC)) $(LIBCOMMON) $(LDFLAGS_ALL) \
	    -Wl,--version-script=pam_delegate/pam_delegate.map -Wl,-soname,pam_delegate.so \
	    -lpam $(LIBS_FULL)

$(NSS_SO): $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) nss_delegate/nss_delegate.map
	$(CC) -shared -o $@ $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) $(LDFLAGS_ALL) \
	    -Wl,--version-script=nss_delegate/nss_delegate.map -Wl,-soname,libnss_delegate.so.2 \
	    -Wl,--no-undefined $(LIBS_NSS) -lpthread

$(CTL): $(call obj,$(CTL_SRC)) $(LIBCOMMON)
	$(CC) -pie -o $@ $^ $(LDFLAGS_ALL) $(LIBS_FULL)

# ---- tests ---------------------------------------------------------------
$(B)/tests/test_%: tests/unit/test_%.c $(LIBCOMMON) $(call obj,$(TEST_HELPER_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib -o $@ $< $(call obj,$(TEST_HELPER_SRC)) $(LIBCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka $(LIBS_FULL) -lpthread

$(B)/tests/test_%: tests/nss/test_%.c $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Inss_delegate -Itests/lib -o $@ $< $(call obj,$(NSS_SRC)) $(LIBNSSCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka $(LIBS_NSS) -lpthread

$(B)/tests/test_%: tests/pam/test_%.c $(LIBCOMMON) $(call obj,$(TEST_HELPER_SRC)) $(PAM_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib -o $@ $< $(call obj,$(TEST_HELPER_SRC)) $(LIBCOMMON) \
	    $(LDFLAGS_ALL) -lcmocka -lpamtest -lpam $(LIBS_FULL) -lpthread

tests: all $(UNIT_BIN) $(NSS_TEST_BIN) $(PAM_TEST_BIN)

deps:
	@./tests/deps.sh

# Every test: unit (cmocka), NSS direct calls, PAM (pam_wrapper), CLI, and the
# end-to-end tier with real sshd/sudo in a private mount namespace.
check: deps
	$(MAKE) tests
	B=$(B) ./tests/run.sh

check-unit: tests
	B=$(B) TIERS="unit nss pam cli" ./tests/run.sh

check-asan:
	$(MAKE) B=build-asan SAN=asan tests
	B=build-asan SAN=asan TIERS="unit nss pam cli" ./tests/run.sh

check-tsan:
	$(MAKE) B=build-tsan SAN=tsan tests
	B=build-tsan SAN=tsan TIERS="tsan" ./tests/run.sh

check-valgrind: tests
	B=$(B) TIERS="valgrind" ./tests/run.sh

demo: deps all
	./tests/e2e/demo.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/delegate
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_delegate.so
	install -m 0644 $(NSS_SO) $(DESTDIR)$(LIBDIR)/libnss_delegate.so.2
	install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/delegatectl
	for m in man/*.5; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in man/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/; done; true

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_delegate.so $(DESTDIR)$(LIBDIR)/libnss_delegate.so.2 \
	    $(DESTDIR)$(SBINDIR)/delegatectl

clean:
	rm -rf build build-asan build-tsan build-cov build-fuzz
