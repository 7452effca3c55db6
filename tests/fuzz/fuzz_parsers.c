/* Fuzz target: the small parsers.  The input (cut at its first NUL) goes
 * through times, durations, CIDRs (parse, and match as an rhost), base64url
 * (decode, and an encode/decode round trip), the name validators, and the
 * audit JSON writer (whose output must parse back to the same strings: no
 * log injection). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"
#include "ticket/ticket.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_time(const char *s)
{
    int64_t t, t2;
    char buf[64];

    if (dlg_parse_time(s, &t) != 0)
        return;
    dlg_format_time(t, buf, sizeof(buf));
    /* A time that parses formats to something that parses back to it,
     * unless it lies outside what RFC 3339 years can hold. */
    if (t >= 0 && t < 253402300800LL) {
        if (dlg_parse_time(buf, &t2) != 0 || t2 != t) {
            fprintf(stderr, "time round trip: '%s' -> %lld -> '%s'\n", s, (long long)t, buf);
            abort();
        }
    }
}

static void check_cidr(const char *s)
{
    static const char *const hosts[] = {"10.1.2.3", "127.0.0.1", "::1", "2001:db8::1",
                                        "::ffff:10.1.2.3", "0.0.0.0", "255.255.255.255"};
    struct dlg_cidr c;
    size_t i;

    if (dlg_cidr_parse(s, &c) == 0) {
        if ((c.family != AF_INET && c.family != AF_INET6) ||
            c.prefix > (c.family == AF_INET ? 32u : 128u))
            abort();
        for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
            (void)dlg_cidr_match(&c, hosts[i]);
        (void)dlg_cidr_match(&c, s);
    }
    if (dlg_cidr_parse("10.0.0.0/8", &c) == 0)
        (void)dlg_cidr_match(&c, s);
    if (dlg_cidr_parse("::ffff:0:0/96", &c) == 0)
        (void)dlg_cidr_match(&c, s);
}

static void check_b64(const uint8_t *data, size_t size)
{
    unsigned char *out = NULL, *back = NULL;
    size_t outlen = 0, backlen = 0;
    char *enc;

    if (dlg_b64url_decode((const char *)data, size, &out, &outlen) == 0) {
        enc = dlg_b64url_encode(out, outlen);
        /* Strict decoding: the canonical encoding is the input itself. */
        if (!enc || strlen(enc) != size || memcmp(enc, data, size) != 0)
            abort();
        free(enc);
        free(out);
    }
    enc = dlg_b64url_encode(data, size);
    if (!enc || dlg_b64url_decode(enc, strlen(enc), &back, &backlen) != 0 ||
        backlen != size || memcmp(back, data, size) != 0)
        abort();
    free(enc);
    free(back);
}

static void check_audit(const char *s)
{
    struct dlg_audit_event ev = {
        .ts = 1800000000, .event = "deny", .service = "sshd", .user = s, .actor = s,
        .principal = "alice", .runas = NULL, .jti = s, .iss = "corp", .kid = NULL,
        .rhost = s, .tty = "ssh", .pid = 42, .reason = "malformed",
    };
    char *line = dlg_audit_json(&ev);
    json_t *o, *ref;
    json_error_t e;

    if (!line)
        return;
    if (strchr(line, '\n'))
        abort();
    o = json_loads(line, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        abort();
    /* Valid UTF-8 text must come back unchanged (invalid text may be
     * replaced, but never break the line or the JSON). */
    ref = json_string(s);
    if (ref) {
        const char *u = json_string_value(json_object_get(o, "user"));
        if (!u || strcmp(u, s) != 0) {
            fprintf(stderr, "audit changed valid text\n");
            abort();
        }
        json_decref(ref);
    }
    json_decref(o);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    int64_t d;

    if (size > 4096)
        return 0;
    s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    check_time(s);
    if (dlg_parse_duration(s, &d) == 0 && d < 0)
        abort();
    check_cidr(s);
    check_b64(data, size);
    (void)dlg_valid_username(s);
    if (dlg_valid_jti(s) && (strlen(s) < 1 || strlen(s) > 64))
        abort();
    (void)dlg_valid_name_token(s);
    (void)dlg_valid_name(s);
    check_audit(s);
    free(s);
    return 0;
}
