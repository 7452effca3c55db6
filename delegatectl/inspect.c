/* delegatectl inspect: decode a ticket for humans, without verifying it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "ticket/ticket.h"

/* The ticket is hostile until verified: nothing it carries reaches the
 * terminal raw.  Printable ASCII (and, with keep_newlines, the newlines of
 * our own indentation) as is; every other byte as \xNN, so no escape
 * sequence, C1 control (U+009B is a CSI), U+0085, U+2028 or U+2029. */
static void print_escaped(const char *s, bool keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        if ((*p >= 0x20 && *p < 0x7f) || (keep_newlines && *p == '\n'))
            putchar(*p);
        else
            printf("\\x%02x", *p);
    }
}

static void print_json_block(const char *title, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    char *pretty = NULL;

    printf("%s:\n", title);
    /* JSON_ENSURE_ASCII: every non-ASCII character as \uXXXX; jansson
     * escapes controls below 0x20 itself, print_escaped catches DEL */
    if (j)
        pretty = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
                               JSON_ENSURE_ASCII);
    if (pretty) {
        print_escaped(pretty, true);
        printf("\n");
    } else {
        print_escaped(text, false);
        printf("\n(not valid JSON: ");
        print_escaped(j ? "cannot format" : jerr.text, false);
        printf(")\n");
    }
    free(pretty);
    json_decref(j);
}

static void print_time_claim(json_t *claims, const char *name, const char *label, int64_t now)
{
    json_t *v = json_object_get(claims, name);
    char when[40], rel[64];

    if (!v)
        return;
    if (!json_is_integer(v)) {
        printf("  %-4s %-11s (not an integer: refused by verify)\n", name, label);
        return;
    }
    dlg_format_time((int64_t)json_integer_value(v), when, sizeof(when));
    ctl_format_relative((int64_t)json_integer_value(v), now, rel, sizeof(rel));
    printf("  %-4s %-11s %s  (%s)\n", name, label, when, rel);
}

static int run_inspect(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char *ticket = NULL, *header = NULL, *claims = NULL, *arg = NULL;
    size_t len = 0;
    json_t *cj = NULL;
    int c, rc = CTL_DENY;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'h':
            return ctl_help(v);
        default:
            return CTL_USAGE;
        }
    }
    if (argc - optind > 1)
        return ctl_usage(v, "too many arguments: give one ticket, or '-' for stdin");
    if (optind < argc)
        arg = argv[optind];
    if (ctl_read_ticket(v, arg, &ticket, &len) < 0)
        return CTL_USAGE;
    if (len == 0) {
        ctl_err(v, "no ticket given");
        goto out;
    }
    if (dlg_ticket_decode_json(ticket, len, &header, &claims) < 0) {
        ctl_err(v, "cannot decode the ticket: not a compact JWS with base64url header and claims");
        goto out;
    }
    printf("UNVERIFIED: decoded only; the signature, issuer, times and scope were NOT checked.\n"
           "Use 'delegatectl verify' for the host's decision.\n\n");
    print_json_block("Header", header);
    printf("\n");
    print_json_block("Claims", claims);
    cj = json_loads(claims, 0, NULL);
    if (json_is_object(cj)) {
        int64_t now = (int64_t)time(NULL);

        printf("\nTimes (UTC):\n");
        print_time_claim(cj, "iat", "issued", now);
        print_time_claim(cj, "nbf", "not before", now);
        print_time_claim(cj, "exp", "expires", now);
        rc = CTL_OK;
    } else {
        ctl_err(v, "the claims are not a JSON object");
    }
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
out:
    json_decref(cj);
    free(header);
    if (claims) {
        explicit_bzero(claims, strlen(claims));
        free(claims);
    }
    ctl_wipe_free(ticket, CTL_TICKET_BUF);
    return rc;
}

const struct ctl_verb ctl_verb_inspect = {
    .name = "inspect",
    .run = run_inspect,
    .synopsis = "inspect [TICKET|-]",
    .help =
        "Decode a ticket's header and claims and print them, with the times in\n"
        "UTC.  Nothing is verified: the output is marked UNVERIFIED.  The ticket is\n"
        "read from the argument or, with '-' or none, from stdin (one trailing\n"
        "newline stripped).\n"
        "\n"
        "Options:\n"
        "  -h, --help   show this help\n"
        "\n"
        "Exit status: 0 decoded, 1 not decodable, 2 usage or system error.\n",
};
