#!/bin/bash
# libnss_delegate.so.2 is loaded into every process that looks up a user:
# it must need only libc (libconfig is loaded on demand with dlopen, issue 13),
# export only _nss_delegate_* and
# carry the right soname.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
SO=$B/libnss_delegate.so.2
n=0 rc=0
check() {   # desc, then a command that succeeds when the check holds
    local desc=$1; shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; rc=1; fi
}
if [ ! -f "$SO" ]; then echo "not ok 1 - $SO missing"; exit 1; fi

# A sanitizer build (make SAN=asan/tsan) also needs its runtime; leave that
# out of the comparison and preload it for the dlopen check.
needed=$(readelf -d "$SO" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
echo "# NEEDED: $(echo $needed)"
preload=$(ldd "$SO" | awk '/lib(asan|ubsan|tsan)\.so/ {print $3}' | tr '\n' ' ')
needed=$(grep -Ev '^lib(asan|ubsan|tsan)\.so' <<<"$needed" | tr '\n' ' ')
[ -n "$preload" ] && echo "# sanitizer build: runtime $preload not counted"
check "NEEDED is exactly libc.so.6 (no libconfig)" [ "$needed" = "libc.so.6 " ]
check "no libconfig symbol imported (config_* goes through dlopen/dlsym)" \
    bash -c '! nm -D --undefined-only "$1" | grep -Eq " config_"' _ "$SO"
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "SONAME is libnss_delegate.so.2" [ "$soname" = "libnss_delegate.so.2" ]

exported=$(nm -D --defined-only "$SO" | awk '{print $3}' | sort)
echo "# exported: $(echo $exported)"
check "every exported symbol is _nss_delegate_*" \
    bash -c '! grep -qv "^_nss_delegate_" <<<"$1"' _ "$exported"
want="_nss_delegate_endgrent _nss_delegate_endpwent _nss_delegate_endspent
_nss_delegate_getgrent_r _nss_delegate_getgrgid_r _nss_delegate_getgrnam_r
_nss_delegate_getpwent_r _nss_delegate_getpwnam_r _nss_delegate_getpwuid_r
_nss_delegate_getspent_r _nss_delegate_getspnam_r _nss_delegate_initgroups_dyn
_nss_delegate_setgrent _nss_delegate_setpwent _nss_delegate_setspent"
check "all 15 NSS entry points exported" [ "$exported" = "$(tr ' ' '\n' <<<"$want" | sort)" ]
check "the test hook nss_delegate_set_config_path is not exported" \
    bash -c '! nm -D "$1" | grep -q nss_delegate_set_config_path' _ "$SO"
check "no OpenSSL or jansson symbol referenced" \
    bash -c '! nm -D --undefined-only "$1" | grep -Eq " (EVP_|OPENSSL_|json_)"' _ "$SO"
# imported functions, with fortify's __X_chk mapped back to X
undef=$(nm -D --undefined-only "$SO" | awk '{print $2}' | sed -e 's/@.*//' -e 's/^__\(.*\)_chk$/\1/' | sort -u)
check "no NSS calls (getpw*, getgr*, getsp*, initgroups, host lookups)" \
    bash -c '! grep -Eq "^(getpw|getgr|getsp|getspnam|initgroups|getaddrinfo|gethostby|getnameinfo|nss_)" <<<"$1"' _ "$undef"
check "no stdio output (printf, puts, fwrite, perror, openlog)" \
    bash -c '! grep -Eqx "(v?f?printf|v?dprintf|puts|fputs|putchar|fputc|fwrite|perror|openlog|err|warn|warnx|errx)" <<<"$1"' _ "$undef"
check "full RELRO and BIND_NOW" bash -c 'readelf -d "$1" | grep -q "BIND_NOW\|FLAGS.*NOW"' _ "$SO"
check "loads with dlopen and resolves an entry point" \
    env ${preload:+LD_PRELOAD="$preload"} ASAN_OPTIONS=detect_leaks=0 \
    python3 -c 'import ctypes,sys; l=ctypes.CDLL(sys.argv[1]); l._nss_delegate_getpwnam_r' "$PWD/$SO"
exit "$rc"
