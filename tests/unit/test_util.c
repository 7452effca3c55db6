/* Unit tests of common/util*.c: time, duration, CIDR and name parsers,
 * string lists and diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

/* ---- times ------------------------------------------------------------- */

static int64_t time_ok(const char *s)
{
    int64_t t = -12345;
    if (dlg_parse_time(s, &t) != 0)
        fail_msg("dlg_parse_time refused \"%s\"", s);
    return t;
}

static void time_bad(const char *s)
{
    int64_t t = -12345;
    if (dlg_parse_time(s, &t) == 0)
        fail_msg("dlg_parse_time accepted \"%s\" as %lld", s, (long long)t);
    assert_int_equal(t, -12345);        /* output untouched on failure */
}

static void test_time_rfc3339(void **state)
{
    (void)state;
    assert_int_equal(time_ok("2026-11-27T10:15:00Z"), 1795774500);
    assert_int_equal(time_ok("2026-11-27t10:15:00z"), 1795774500);
    assert_int_equal(time_ok("2026-11-27 10:15:00Z"), 1795774500);
    assert_int_equal(time_ok("2026-11-27T11:15:00+01:00"), 1795774500);
    assert_int_equal(time_ok("2026-11-27T04:45:00-05:30"), 1795774500);
    assert_int_equal(time_ok("2026-11-27T10:15:00.999Z"), 1795774500);   /* fraction truncated */
    assert_int_equal(time_ok("2026-11-01T00:00:00Z"), 1793491200);
    assert_int_equal(time_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(time_ok("1970-01-01T01:00:00+01:00"), 0);
    assert_int_equal(time_ok("2024-02-29T00:00:00Z"), 1709164800);        /* leap day */
    assert_int_equal(time_ok("2000-02-29T12:34:56Z"), 951827696);         /* 400-year leap */
    assert_int_equal(time_ok("9999-12-31T23:59:59Z"), INT64_C(253402300799));
}

static void test_time_rfc3339_bad(void **state)
{
    (void)state;
    time_bad("");
    time_bad("2026-11-27T10:15:00");            /* no zone */
    time_bad("2026-11-27T10:15Z");              /* no seconds */
    time_bad("2026-11-27");
    time_bad("2026-11-27T10:15:00Zjunk");
    time_bad("2026-11-27T10:15:00Z ");
    time_bad(" 2026-11-27T10:15:00Z");
    time_bad("2026-11-27X10:15:00Z");
    time_bad("2026-13-01T00:00:00Z");           /* month 13 */
    time_bad("2026-00-01T00:00:00Z");
    time_bad("2026-11-31T00:00:00Z");           /* November has 30 days */
    time_bad("2023-02-29T00:00:00Z");           /* not a leap year */
    time_bad("1900-02-29T00:00:00Z");           /* century, not leap */
    time_bad("2026-11-00T00:00:00Z");
    time_bad("2026-11-27T24:00:00Z");
    time_bad("2026-11-27T10:60:00Z");
    time_bad("2026-11-27T10:15:60Z");           /* leap seconds refused */
    time_bad("2026-11-27T10:15:00+24:00");
    time_bad("2026-11-27T10:15:00+01:60");
    time_bad("2026-11-27T10:15:00+0100");
    time_bad("2026-11-27T10:15:00.Z");
    time_bad("26-11-27T10:15:00Z");
    time_bad("+2026-11-27T10:15:00Z");
    time_bad("2026-1-27T10:15:00Z");
    time_bad("1969-12-31T23:59:59Z");           /* before the epoch */
    time_bad("1970-01-01T00:59:59+01:00");      /* likewise, via the offset */
    time_bad("yesterday");
}

static void test_time_at_seconds(void **state)
{
    (void)state;
    assert_int_equal(time_ok("@0"), 0);
    assert_int_equal(time_ok("@1795774500"), 1795774500);
    assert_int_equal(time_ok("@253402300799"), INT64_C(253402300799));
    time_bad("@");
    time_bad("@-1");
    time_bad("@+1");
    time_bad("@ 1");
    time_bad("@12a");
    time_bad("@1.5");
    time_bad("@253402300800");
    time_bad("@99999999999999999999999");
    time_bad("1795774500");                     /* bare number is not a time */
}

static void test_time_ignores_tz(void **state)
{
    (void)state;
    char *old = getenv("TZ") != NULL ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_int_equal(time_ok("2026-07-01T12:00:00Z"), 1782907200);
    char buf[32];
    dlg_format_time(1782907200, buf, sizeof(buf));
    assert_string_equal(buf, "2026-07-01T12:00:00Z");
    if (old != NULL) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_format_time(void **state)
{
    char buf[32];
    (void)state;
    dlg_format_time(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    dlg_format_time(1795774500, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-27T10:15:00Z");
    dlg_format_time(951827696, buf, sizeof(buf));
    assert_string_equal(buf, "2000-02-29T12:34:56Z");
    dlg_format_time(INT64_C(253402300799), buf, sizeof(buf));
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    dlg_format_time(-1, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    /* round trip over a spread of instants */
    for (int64_t t = 0; t < INT64_C(4102444800); t += 7777777) {
        int64_t back;
        dlg_format_time(t, buf, sizeof(buf));
        assert_int_equal(dlg_parse_time(buf, &back), 0);
        assert_int_equal(back, t);
    }
    /* a short buffer is truncated, never overrun */
    char small[8];
    memset(small, 'x', sizeof(small));
    dlg_format_time(0, small, sizeof(small));
    assert_int_equal(small[7], '\0');
}

/* ---- durations --------------------------------------------------------- */

static int64_t dur_ok(const char *s)
{
    int64_t v = -1;
    if (dlg_parse_duration(s, &v) != 0)
        fail_msg("dlg_parse_duration refused \"%s\"", s);
    return v;
}

static void dur_bad(const char *s)
{
    int64_t v = -12345;
    if (dlg_parse_duration(s, &v) == 0)
        fail_msg("dlg_parse_duration accepted \"%s\" as %lld", s, (long long)v);
    assert_int_equal(v, -12345);
}

static void test_duration(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("90s"), 90);
    assert_int_equal(dur_ok("15m"), 900);
    assert_int_equal(dur_ok("2h"), 7200);
    assert_int_equal(dur_ok("1d"), 86400);
    assert_int_equal(dur_ok("42"), 42);
    assert_int_equal(dur_ok("0"), 0);
    assert_int_equal(dur_ok("0s"), 0);
    assert_int_equal(dur_ok("2932896d"), INT64_C(2932896) * 86400);
    dur_bad("");
    dur_bad("s");
    dur_bad("-5");
    dur_bad("-5m");
    dur_bad("+5");
    dur_bad(" 5");
    dur_bad("5 ");
    dur_bad("5 m");
    dur_bad("5x");
    dur_bad("5ms");
    dur_bad("5m5");
    dur_bad("1.5h");
    dur_bad("5M");
    dur_bad("1w");
    dur_bad("99999999999999999999");
    dur_bad("9223372036854775807d");            /* overflows when multiplied */
    dur_bad("2932897d");                        /* past year 9999 */
    int64_t v;
    assert_int_equal(dlg_parse_duration(NULL, &v), -1);
}

/* ---- CIDRs ------------------------------------------------------------- */

static struct dlg_cidr cidr_ok(const char *s)
{
    struct dlg_cidr c;
    if (dlg_cidr_parse(s, &c) != 0)
        fail_msg("dlg_cidr_parse refused \"%s\"", s);
    return c;
}

static void cidr_bad(const char *s)
{
    struct dlg_cidr c;
    if (dlg_cidr_parse(s, &c) == 0)
        fail_msg("dlg_cidr_parse accepted \"%s\"", s);
}

static void test_cidr_parse(void **state)
{
    struct dlg_cidr c;
    (void)state;
    c = cidr_ok("10.0.0.0/8");
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.prefix, 8);
    assert_int_equal(c.addr[0], 10);
    c = cidr_ok("127.0.0.1");
    assert_int_equal(c.prefix, 32);
    c = cidr_ok("127.0.0.1/32");
    assert_int_equal(c.prefix, 32);
    c = cidr_ok("0.0.0.0/0");
    assert_int_equal(c.prefix, 0);
    c = cidr_ok("192.168.1.128/25");
    assert_int_equal(c.prefix, 25);
    c = cidr_ok("::1/128");
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(c.prefix, 128);
    c = cidr_ok("::1");
    assert_int_equal(c.prefix, 128);
    c = cidr_ok("2001:db8::/32");
    assert_int_equal(c.prefix, 32);
    c = cidr_ok("::/0");
    assert_int_equal(c.prefix, 0);
    c = cidr_ok("::ffff:10.0.0.0/104");
    assert_int_equal(c.family, AF_INET6);

    cidr_bad("10.0.0.1/8");                     /* host bits set */
    cidr_bad("192.168.1.129/25");
    cidr_bad("2001:db8::1/32");
    cidr_bad("0.0.0.1/0");
    cidr_bad("10.0.0.0/33");
    cidr_bad("::/129");
    cidr_bad("10.0.0.0/");
    cidr_bad("/8");
    cidr_bad("");
    cidr_bad("10.0.0.0/08");
    cidr_bad("10.0.0.0/-1");
    cidr_bad("10.0.0.0/+8");
    cidr_bad("10.0.0.0/8x");
    cidr_bad("10.0.0.0/8/8");
    cidr_bad("10.0.0.0 /8");
    cidr_bad("300.0.0.0/8");
    cidr_bad("10.0.0/8");
    cidr_bad("fe80::1%eth0");
    cidr_bad("example.com/32");
    cidr_bad("10.0.0.0/99999999999999999999");
    assert_int_equal(dlg_cidr_parse(NULL, &c), -1);
}

static bool match(const char *cidr, const char *rhost)
{
    struct dlg_cidr c = cidr_ok(cidr);
    return dlg_cidr_match(&c, rhost);
}

static void test_cidr_match(void **state)
{
    (void)state;
    assert_true(match("10.0.0.0/8", "10.1.2.3"));
    assert_true(match("10.0.0.0/8", "10.255.255.255"));
    assert_false(match("10.0.0.0/8", "11.0.0.0"));
    assert_false(match("10.0.0.0/8", "9.255.255.255"));
    assert_true(match("10.0.0.0/8", "::ffff:10.1.2.3"));     /* v4-mapped peer */
    assert_false(match("10.0.0.0/8", "::ffff:11.1.2.3"));
    assert_false(match("10.0.0.0/8", "::a01:203"));          /* v4-compatible is not mapped */
    assert_true(match("127.0.0.1/32", "127.0.0.1"));
    assert_false(match("127.0.0.1/32", "127.0.0.2"));
    assert_true(match("192.168.1.0/31", "192.168.1.1"));
    assert_false(match("192.168.1.0/31", "192.168.1.2"));
    assert_true(match("192.168.1.128/25", "192.168.1.255"));
    assert_false(match("192.168.1.128/25", "192.168.1.127"));
    assert_true(match("0.0.0.0/0", "203.0.113.9"));
    assert_false(match("0.0.0.0/0", "::1"));
    assert_true(match("::1/128", "::1"));
    assert_false(match("::1/128", "127.0.0.1"));
    assert_true(match("2001:db8::/32", "2001:db8:1::5"));
    assert_false(match("2001:db8::/32", "2001:db9::5"));
    assert_true(match("::ffff:10.0.0.0/104", "10.9.9.9"));   /* v4 peer, mapped network */
    assert_true(match("::/0", "2001:db8::1"));
    /* not a literal address: never a match */
    assert_false(match("10.0.0.0/8", "host.example.com"));
    assert_false(match("0.0.0.0/0", "localhost"));
    assert_false(match("10.0.0.0/8", ""));
    assert_false(match("10.0.0.0/8", NULL));
    assert_false(match("10.0.0.0/8", "10.1.2.3 "));
    assert_false(match("10.0.0.0/8", " 10.1.2.3"));
    assert_false(match("10.0.0.0/8", "10.1.2.3/32"));
    assert_false(match("10.0.0.0/8", "10.1.2"));
    assert_false(dlg_cidr_match(NULL, "10.1.2.3"));
}

/* ---- names ------------------------------------------------------------- */

static void test_username(void **state)
{
    (void)state;
    assert_true(dlg_valid_username("ci-deploy"));
    assert_true(dlg_valid_username("support_bot2"));
    assert_true(dlg_valid_username("_svc"));
    assert_true(dlg_valid_username("a"));
    assert_true(dlg_valid_username("host$"));
    assert_true(dlg_valid_username("abcdefghijklmnopqrstuvwxyz012345"));     /* 32 */
    assert_false(dlg_valid_username("abcdefghijklmnopqrstuvwxyz0123456"));   /* 33 */
    assert_false(dlg_valid_username(""));
    assert_false(dlg_valid_username(NULL));
    assert_false(dlg_valid_username("Alice"));
    assert_false(dlg_valid_username("1abc"));
    assert_false(dlg_valid_username("-abc"));
    assert_false(dlg_valid_username("a b"));
    assert_false(dlg_valid_username("a:b"));
    assert_false(dlg_valid_username("a$b"));
    assert_false(dlg_valid_username("$"));
    assert_false(dlg_valid_username("a.b"));
    assert_false(dlg_valid_username("a/b"));
    assert_false(dlg_valid_username("\xc3\xa9t\xc3\xa9"));
}

static void test_jti(void **state)
{
    char s[66];
    (void)state;
    assert_true(dlg_valid_jti("01JDX3QH5ZK2Y7V9B4N8M6C1XE"));
    assert_true(dlg_valid_jti("a.b_c-D"));
    assert_true(dlg_valid_jti("x"));
    memset(s, 'a', 64);
    s[64] = '\0';
    assert_true(dlg_valid_jti(s));
    s[64] = 'a';
    s[65] = '\0';
    assert_false(dlg_valid_jti(s));
    assert_false(dlg_valid_jti(""));
    assert_false(dlg_valid_jti(NULL));
    assert_false(dlg_valid_jti("a b"));
    assert_false(dlg_valid_jti("a/b"));
    assert_false(dlg_valid_jti("a\"b"));
    assert_false(dlg_valid_jti("a:b"));
    assert_false(dlg_valid_jti("a\nb"));
}

static void test_name_token(void **state)
{
    char s[130];
    (void)state;
    assert_true(dlg_valid_name_token("alice"));
    assert_true(dlg_valid_name_token("*"));
    assert_true(dlg_valid_name_token("team:release@example.com"));
    memset(s, 'a', 128);
    s[128] = '\0';
    assert_true(dlg_valid_name_token(s));
    s[128] = 'a';
    s[129] = '\0';
    assert_false(dlg_valid_name_token(s));
    assert_false(dlg_valid_name_token(""));
    assert_false(dlg_valid_name_token(NULL));
    assert_false(dlg_valid_name_token("a b"));
    assert_false(dlg_valid_name_token("a\"b"));
    assert_false(dlg_valid_name_token("a\tb"));
    assert_false(dlg_valid_name_token("a\x7f"));
    assert_false(dlg_valid_name_token("\xc3\xa9"));
}

/* ---- lists and diagnostics --------------------------------------------- */

static void test_strv(void **state)
{
    struct dlg_strv sv = {0};
    (void)state;
    assert_false(dlg_strv_contains(&sv, "a"));
    assert_int_equal(dlg_strv_push(&sv, "Web01.Example.com"), 0);
    assert_int_equal(dlg_strv_push(&sv, "b"), 0);
    assert_int_equal(sv.n, 2);
    assert_true(dlg_strv_contains(&sv, "b"));
    assert_false(dlg_strv_contains(&sv, "B"));
    assert_false(dlg_strv_contains(&sv, "web01.example.com"));
    assert_true(dlg_strv_contains_icase(&sv, "web01.example.com"));
    assert_true(dlg_strv_contains_icase(&sv, "WEB01.EXAMPLE.COM"));
    assert_false(dlg_strv_contains_icase(&sv, "web01.example.co"));
    assert_false(dlg_strv_contains(&sv, NULL));
    assert_false(dlg_strv_contains(NULL, "b"));
    dlg_strv_free(&sv);
    assert_int_equal(sv.n, 0);
    assert_null(sv.v);
    dlg_strv_free(&sv);                          /* twice is harmless */
}

static void test_diag(void **state)
{
    struct dlg_diag d = {0};
    (void)state;
    dlg_diag_error(&d, "/etc/delegate/delegate.conf", 12, "bad %s", "thing");
    dlg_diag_error(&d, "/etc/delegate/delegate.conf", 0, "no line");
    dlg_diag_error(&d, NULL, 0, "plain %d", 7);
    dlg_diag_warn(&d, "f", 3, "careful");
    dlg_diag_error(NULL, "f", 1, "ignored");    /* NULL diag: no crash */
    assert_int_equal(d.errors.n, 3);
    assert_string_equal(d.errors.v[0], "/etc/delegate/delegate.conf:12: bad thing");
    assert_string_equal(d.errors.v[1], "/etc/delegate/delegate.conf: no line");
    assert_string_equal(d.errors.v[2], "plain 7");
    assert_int_equal(d.warnings.n, 1);
    assert_string_equal(d.warnings.v[0], "f:3: careful");
    dlg_diag_free(&d);
    assert_int_equal(d.errors.n, 0);
}

/* dlg_jws_split: exactly two dots, parts by pointer and length, empty parts
 * left to the caller; the length bounds the search (no NUL needed). */
static void test_jws_split(void **state)
{
    struct dlg_jws_parts p;
    const char bounded[] = {'a', '.', 'b', '.', 'c', '.', 'd'};

    const char *t = "hh.ppp.s";
    (void)state;

    assert_int_equal(dlg_jws_split(t, 8, &p), 0);
    assert_ptr_equal(p.header, t);
    assert_int_equal(p.header_len, 2);
    assert_memory_equal(p.payload, "ppp", 3);
    assert_int_equal(p.payload_len, 3);
    assert_memory_equal(p.sig, "s", 1);
    assert_int_equal(p.sig_len, 1);
    assert_int_equal(dlg_jws_split("..", 2, &p), 0);
    assert_int_equal(p.header_len + p.payload_len + p.sig_len, 0);
    assert_int_equal(dlg_jws_split("h.p.", 4, &p), 0);
    assert_int_equal(p.sig_len, 0);
    /* wrong number of dots */
    assert_int_equal(dlg_jws_split("", 0, &p), -1);
    assert_int_equal(dlg_jws_split("hps", 3, &p), -1);
    assert_int_equal(dlg_jws_split("h.ps", 4, &p), -1);
    assert_int_equal(dlg_jws_split("h.p.s.x", 7, &p), -1);
    assert_int_equal(dlg_jws_split("h.p.s.", 6, &p), -1);
    assert_null(p.header);
    assert_int_equal(dlg_jws_split(NULL, 0, &p), -1);
    /* the length, not a NUL, ends the text: a third dot past it is not seen */
    assert_int_equal(dlg_jws_split(bounded, 5, &p), 0);
    assert_int_equal(p.sig_len, 1);
    assert_int_equal(dlg_jws_split(bounded, sizeof(bounded), &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_rfc3339),
        cmocka_unit_test(test_time_rfc3339_bad),
        cmocka_unit_test(test_time_at_seconds),
        cmocka_unit_test(test_time_ignores_tz),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_cidr_match),
        cmocka_unit_test(test_username),
        cmocka_unit_test(test_jti),
        cmocka_unit_test(test_name_token),
        cmocka_unit_test(test_strv),
        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_jws_split),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
