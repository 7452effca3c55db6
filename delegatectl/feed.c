/* delegatectl feed sign | fetch | status: revocation feeds (DESIGN.md §6a, §7). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl.h"
#include "feed_fetch.h"
#include "ticket/sign.h"

#define DEFAULT_FEED_TTL ((int64_t)15 * 60)

/* ---- feed sign ------------------------------------------------------------ */

static int cmp_ticket_id(const void *a, const void *b)
{
    return strcmp(((const struct dlg_feed_ticket *)a)->id, ((const struct dlg_feed_ticket *)b)->id);
}

static int revs_from_file(const struct ctl_verb *v, const char *path, struct dlg_feed_revs *out)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *c = dlg_revoke_file_load(path, true, &diag);
    size_t i;
    int rc = CTL_DENY;

    memset(out, 0, sizeof(*out));
    if (c == NULL) {
        ctl_print_diag(&diag);
        ctl_err(v, "%s is not a usable revocation file", path);
        goto out;
    }
    out->tickets = c->revoked_tickets.n ? calloc(c->revoked_tickets.n, sizeof(*out->tickets)) : NULL;
    if (c->revoked_tickets.n && out->tickets == NULL)
        goto nomem;
    for (i = 0; i < c->revoked_tickets.n; i++) {
        out->tickets[i].id = strdup(dlg_revoked_id(&c->revoked_tickets, i));
        out->tickets[i].until = c->revoked_tickets.v[i].until;
        if (out->tickets[i].id == NULL)
            goto nomem;
        out->ntickets++;
    }
    /* the set is ordered by hash; the feed lists its ids in order */
    if (out->ntickets > 1)
        qsort(out->tickets, out->ntickets, sizeof(*out->tickets), cmp_ticket_id);
    for (i = 0; i < c->revoked_actors.n; i++)
        if (dlg_strv_push(&out->actors, c->revoked_actors.v[i]) != 0)
            goto nomem;
    for (i = 0; i < c->revoked_principals.n; i++)
        if (dlg_strv_push(&out->principals, c->revoked_principals.v[i]) != 0)
            goto nomem;
    for (i = 0; i < c->revoked_issuers.n; i++)
        if (dlg_strv_push(&out->issuers, c->revoked_issuers.v[i]) != 0)
            goto nomem;
    for (i = 0; i < c->revoked_keys.n; i++)
        if (dlg_strv_push(&out->keys, c->revoked_keys.v[i]) != 0)
            goto nomem;
    out->has_issued_before = c->has_issued_before;
    out->issued_before = c->issued_before;
    rc = CTL_OK;
    goto out;
nomem:
    ctl_err(v, "out of memory");
    rc = CTL_USAGE;
out:
    dlg_config_free(c);
    dlg_diag_free(&diag);
    return rc;
}

static int previous_ver(const struct ctl_verb *v, const char *path, int64_t *ver)
{
    char *text = NULL, err[320];
    size_t len = 0;
    int r = dlg_feed_read_file(path, DLG_FEED_MAX_BYTES + 2, &text, &len, err, sizeof(err));

    if (r != 0) {
        ctl_err(v, "--previous %s: %s", path, r == 1 ? "no such file" : err);
        return CTL_USAGE;
    }
    r = dlg_feed_peek_ver(text, len, ver, err, sizeof(err));
    free(text);
    if (r != 0) {
        ctl_err(v, "--previous %s: %s", path, err);
        return CTL_DENY;
    }
    return CTL_OK;
}

static int run_sign(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "id", required_argument, NULL, 'i' },
        { "from", required_argument, NULL, 'f' },
        { "previous", required_argument, NULL, 'p' },
        { "version", required_argument, NULL, 'n' },
        { "ttl", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *key = NULL, *id = NULL, *from = NULL, *prev = NULL, *vers = NULL, *ttl_arg = NULL;
    struct dlg_feed_revs revs;
    int64_t ttl = DEFAULT_FEED_TTL, ver = 0, pver = 0, now = (int64_t)time(NULL);
    EVP_PKEY *priv = NULL;
    char err[512], *out = NULL, *end;
    int c, rc;

    memset(&revs, 0, sizeof(revs));
    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'i': id = optarg; break;
        case 'f': from = optarg; break;
        case 'p': prev = optarg; break;
        case 'n': vers = optarg; break;
        case 't': ttl_arg = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (key == NULL || id == NULL || from == NULL)
        return ctl_usage(v, "--key, --id and --from are required");
    if (!dlg_valid_jti(id) || id[0] == '.')
        return ctl_usage(v, "invalid feed id '%s' (1..64 of A-Z a-z 0-9 . _ -, not starting "
                            "with '.')", id);
    if (ttl_arg && (dlg_parse_duration(ttl_arg, &ttl) < 0 || ttl <= 0 || ttl > 366 * 86400))
        return ctl_usage(v, "invalid duration '%s' for --ttl (e.g. 90s, 15m, 2h, 1d; at most "
                            "366d)", ttl_arg);
    if (vers != NULL) {
        errno = 0;
        long long n = strtoll(vers, &end, 10);
        if (errno != 0 || *end != '\0' || end == vers || n < 1 || n > INT64_C(9007199254740990))
            return ctl_usage(v, "invalid --version '%s' (an integer of at least 1)", vers);
        ver = n;
    }
    if (prev != NULL && (rc = previous_ver(v, prev, &pver)) != CTL_OK)
        return rc;
    if (vers != NULL && prev != NULL && ver <= pver) {
        ctl_err(v, "--version %lld is not above version %lld of --previous %s: hosts would "
                   "refuse it as a rollback", (long long)ver, (long long)pver, prev);
        return CTL_DENY;
    }
    if (vers == NULL)
        ver = pver + 1;
    rc = revs_from_file(v, from, &revs);
    if (rc != CTL_OK)
        goto out;
    priv = dlg_load_private_key(key, err, sizeof(err));
    if (priv == NULL) {
        ctl_err(v, "%s", err);
        rc = CTL_USAGE;
        goto out;
    }
    out = dlg_feed_sign(priv, id, ver, now, dlg_time_add(now, ttl), &revs, err, sizeof(err));
    if (out == NULL) {
        ctl_err(v, "%s", err);
        rc = CTL_DENY;
        goto out;
    }
    printf("%s\n", out);
    rc = fflush(stdout) == 0 ? CTL_OK : CTL_USAGE;
out:
    free(out);
    EVP_PKEY_free(priv);
    dlg_feed_revs_free(&revs);
    return rc;
}

/* ---- feed fetch ----------------------------------------------------------- */

static struct dlg_config *load_feeds_config(const struct ctl_verb *v, const char *config)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = dlg_config_load(config, &diag);

    ctl_print_diag(&diag);
    dlg_diag_free(&diag);
    if (cfg == NULL)
        ctl_err(v, "the config %s has errors: fix them first (see delegatectl check-config)",
                config);
    return cfg;
}

static int run_fetch(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "reset", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG, *only = NULL;
    struct dlg_config *cfg;
    bool reset = false;
    int c, rc = CTL_OK, done = 0;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'r': reset = true; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        only = argv[optind++];
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (reset && only == NULL)
        return ctl_usage(v, "--reset needs the feed ID: it starts over for one feed");
    if (geteuid() != 0) {
        ctl_err(v, "must run as root (it writes %s)", DLG_FEEDS_DIR);
        return CTL_USAGE;
    }
    cfg = load_feeds_config(v, config);
    if (cfg == NULL)
        return CTL_DENY;
    if (only != NULL && dlg_config_feed(cfg, only) == NULL) {
        ctl_err(v, "the config %s has no feed '%s'", config, only);
        dlg_config_free(cfg);
        return CTL_USAGE;
    }
    if (cfg->nfeeds == 0)
        printf("the config %s names no feed\n", config);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (size_t i = 0; i < cfg->nfeeds; i++) {
        const struct dlg_feed *f = &cfg->feeds[i];
        struct ctl_fetch fx;
        char msg[1024];
        enum dlg_feed_outcome o;
        int frc;

        if (only != NULL && strcmp(only, f->id) != 0)
            continue;
        if (dlg_feed_restore(f, &ctl_feed_dirs, msg, sizeof(msg)) != 0 || msg[0] != '\0')
            fprintf(stderr, "delegatectl feed fetch: %s: %s\n", f->id, msg);
        ctl_fetch_init(&fx, NULL);
        o = ctl_feed_round(&fx, f, reset, msg, sizeof(msg));
        ctl_fetch_cleanup(&fx);
        frc = o == DLG_FEED_NEW || o == DLG_FEED_UNCHANGED ? CTL_OK
            : o == DLG_FEED_REFUSED ? CTL_DENY : CTL_USAGE;
        if (frc == CTL_OK)
            printf("%s: %s\n", f->id, msg);
        else
            fprintf(stderr, "delegatectl feed fetch: %s: %s\n", f->id, msg);
        if (frc > rc)
            rc = frc;
        if (o == DLG_FEED_NEW)
            done++;
    }
    if (done > 0)
        ctl_compile_after_write(v, config);
    curl_global_cleanup();
    dlg_config_free(cfg);
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
    return rc;
}

/* ---- feed status ---------------------------------------------------------- */

struct feed_row {
    const struct dlg_feed *f;
    bool stale;
    char *error;                /* heap, or NULL */
};

static void row_error(struct feed_row *row)
{
    struct dlg_feed_state st;
    char err[512];

    if (dlg_feed_state_read(ctl_feed_dirs.state, row->f->id, &st, err, sizeof(err)) != 0) {
        row->error = strdup(err);
        return;
    }
    row->error = st.error != NULL ? strdup(st.error) : NULL;
    dlg_feed_state_free(&st);
}

static json_t *int_or_null(bool have, int64_t v)
{
    return have ? json_integer(v) : json_null();
}

static int print_status_json(const struct feed_row *rows, size_t n)
{
    json_t *arr = json_array();
    char *text;
    int rc = -1;

    if (arr == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct dlg_feed *f = rows[i].f;
        json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:b, s:s, s:o}", "id", f->id,
                              "ver", int_or_null(f->fetched, f->ver),
                              "iat", int_or_null(f->fetched, f->iat),
                              "exp", int_or_null(f->fetched, f->exp), "stale", rows[i].stale,
                              "source", ctl_feed_source(f),
                              "error", rows[i].error ? json_string(rows[i].error) : json_null());
        if (o == NULL || json_array_append_new(arr, o) != 0)
            goto out;
    }
    text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text != NULL) {
        printf("%s\n", text);
        free(text);
        rc = 0;
    }
out:
    json_decref(arr);
    return rc;
}

static void print_status_table(const struct feed_row *rows, size_t n, int64_t now)
{
    char iat[40], exp[112], rel[64];

    printf("%-16s %-8s %-20s %-30s %-5s %s\n", "FEED", "VERSION", "ISSUED", "EXPIRES", "STALE",
           "SOURCE / LAST ERROR");
    for (size_t i = 0; i < n; i++) {
        const struct dlg_feed *f = rows[i].f;
        char ver[24] = "-";

        iat[0] = exp[0] = '\0';
        if (f->fetched) {
            snprintf(ver, sizeof(ver), "%lld", (long long)f->ver);
            dlg_format_time(f->iat, iat, sizeof(iat));
            ctl_format_relative(f->exp, now, rel, sizeof(rel));
            dlg_format_time(f->exp, exp, sizeof(exp));
            snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), " (%s)", rel);
        }
        printf("%-16s %-8s %-20s %-30s %-5s %s\n", f->id, ver, f->fetched ? iat : "never fetched",
               f->fetched ? exp : "-", rows[i].stale ? "yes" : "no", ctl_feed_source(f));
        if (rows[i].error != NULL)
            printf("%-16s last error: %s\n", "", rows[i].error);
    }
}

static int run_status(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG;
    struct dlg_config *cfg;
    struct feed_row *rows;
    bool json = false, any_stale = false;
    int64_t now = (int64_t)time(NULL);
    int c, rc;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'j': json = true; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    cfg = load_feeds_config(v, config);
    if (cfg == NULL)
        return CTL_DENY;
    rows = calloc(cfg->nfeeds + 1, sizeof(*rows));
    if (rows == NULL) {
        dlg_config_free(cfg);
        ctl_err(v, "out of memory");
        return CTL_USAGE;
    }
    for (size_t i = 0; i < cfg->nfeeds; i++) {
        rows[i].f = &cfg->feeds[i];
        rows[i].stale = dlg_feed_is_stale(&cfg->feeds[i], now);
        any_stale |= rows[i].stale;
        row_error(&rows[i]);
    }
    if (json) {
        rc = print_status_json(rows, cfg->nfeeds) == 0 ? CTL_OK : CTL_USAGE;
    } else {
        print_status_table(rows, cfg->nfeeds, now);
        rc = CTL_OK;
    }
    if (rc == CTL_OK && any_stale)
        rc = CTL_DENY;
    for (size_t i = 0; i < cfg->nfeeds; i++)
        free(rows[i].error);
    free(rows);
    dlg_config_free(cfg);
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
    return rc;
}

/* ---- check-config ----------------------------------------------------------- */

void ctl_feed_check(const struct dlg_config *cfg, struct dlg_diag *diag)
{
    int64_t now = (int64_t)time(NULL);
    char err[512];
    struct stat st;

    for (size_t i = 0; i < cfg->nfeeds; i++) {
        const struct dlg_feed *f = &cfg->feeds[i];
        EVP_PKEY *k = dlg_feed_key_load(f->key, NULL, 0, err, sizeof(err));

        if (k == NULL)
            dlg_diag_error(diag, cfg->path, 0, "feed '%s': %s", f->id, err);
        EVP_PKEY_free(k);
        if (f->ca != NULL && dlg_stat_trusted(f->ca, &st, err, sizeof(err)) != 0)
            dlg_diag_error(diag, cfg->path, 0, "feed '%s': ca %s", f->id, err);
        if (!f->fetched)
            dlg_diag_warn(diag, cfg->path, 0, "feed '%s' was never fetched: actors are refused "
                          "(feed_stale) until 'delegatectl watch' or 'feed fetch' stores a good "
                          "version", f->id);
        else if (dlg_feed_is_stale(f, now))
            dlg_diag_warn(diag, cfg->path, 0, "feed '%s' is stale (version %lld expired): actors "
                          "are refused (feed_stale)", f->id, (long long)f->ver);
    }
}

/* ---- the verb -------------------------------------------------------------- */

static const struct ctl_verb verb_sign = {
    .name = "feed sign",
    .run = run_sign,
    .synopsis = "feed sign --key FILE --id ID --from REVOKED.conf [--previous FEED]\n"
                "          [--version N] [--ttl 15m]",
    .help =
        "Sign the revocations of REVOKED.conf (revoked.conf's syntax: only a\n"
        "'revoke = { ... };' group) as the next version of feed ID and print it\n"
        "(a compact JWS, typ dlg-feed+jwt) on stdout.  Publish the output as a\n"
        "static file on any web server; hosts fetch, verify and apply it.\n"
        "\n"
        "The version is --version N, else one above the version of --previous\n"
        "FEED (the file published last, whatever key signed it), else 1.  Hosts\n"
        "refuse a version that is not above the one they hold.  The feed expires\n"
        "--ttl after now (default 15m): sign it again before that (for example\n"
        "from cron every 5 minutes), or hosts refuse actors (feed_stale).\n"
        "\n"
        "Options:\n"
        "  --key FILE       the feed's private key (Ed25519 or P-256, from\n"
        "                   'delegatectl keygen'); never an issuer key\n"
        "  --id ID          the feed id hosts configure (feeds = ( { id = ...\n"
        "  --from FILE      the revocations (owned by root or you, not writable\n"
        "                   by group or others)\n"
        "  --previous FEED  the last published feed: its version + 1\n"
        "  --version N      this version exactly (above --previous's)\n"
        "  --ttl DURATION   lifetime (90s, 15m, 2h, 1d; default 15m)\n"
        "  -h, --help       show this help\n"
        "\n"
        "Exit status: 0 printed, 1 invalid revocation file or version, 2 usage or\n"
        "system error.\n",
};

static const struct ctl_verb verb_fetch = {
    .name = "feed fetch",
    .run = run_fetch,
    .synopsis = "feed fetch [--config F] [ID]\n"
                "feed fetch --reset [--config F] ID",
    .help =
        "One round for every feed of the config (or feed ID), as 'watch' does it:\n"
        "fetch (https, the certificate verified, If-None-Match, 16 MiB at most) or\n"
        "read the file, verify, and store a new version in " DLG_FEEDS_DIR "\n"
        "and its revocations in " DLG_FEED_REVOKED_DIR ", where every\n"
        "reader of the config takes them from.  A running 'watch' ends the\n"
        "sessions the new revocations cover.  Run as root.\n"
        "\n"
        "A version is accepted only when its signature verifies with the feed's\n"
        "key, its iss is ID, its exp lies ahead and its version is above the\n"
        "stored one (the same version only as the identical file).\n"
        "\n"
        "Options:\n"
        "  --config F  the config (default " DLG_DEFAULT_CONFIG ")\n"
        "  --reset     accept any version that verifies with the configured key,\n"
        "              even one below the stored version: starting over after\n"
        "              the publisher rotated its key and lost the version count\n"
        "  -h, --help  show this help\n"
        "\n"
        "Exit status: 0 a good feed is stored afterwards (new or unchanged), 1 the\n"
        "fetched file was refused (signature, rollback, format, expired, larger\n"
        "than 16 MiB), 2 nothing could be fetched, or a usage or system error.\n"
        "With several feeds, the worst of their outcomes.\n",
};

static const struct ctl_verb verb_status = {
    .name = "feed status",
    .run = run_status,
    .synopsis = "feed status [--config F] [--json]",
    .help =
        "Each feed of the config: its id, the version on this host with its issue\n"
        "and expiry times, whether it is stale (never fetched, or past its exp:\n"
        "actors are then refused with feed_stale), its source and the last error\n"
        "of a fetch.  --json prints an array of {\"id\", \"ver\", \"iat\", \"exp\",\n"
        "\"stale\", \"source\", \"error\"} (ver, iat, exp null before the first good\n"
        "feed; error null or a string).  The last error is read from\n"
        DLG_FEEDS_DIR " (root only).\n"
        "\n"
        "Options:\n"
        "  --config F  the config (default " DLG_DEFAULT_CONFIG ")\n"
        "  --json      JSON instead of a table\n"
        "  -h, --help  show this help\n"
        "\n"
        "Exit status: 0 no feed is stale, 1 a feed is stale or the config is\n"
        "invalid, 2 usage or system error.\n",
};

static int run_feed(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct ctl_verb *const subs[] = { &verb_sign, &verb_fetch, &verb_status };

    if (argc < 2)
        return ctl_usage(v, "a sub-command is required: sign, fetch or status");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return ctl_help(v);
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i]->name + 5) == 0)
            return subs[i]->run(subs[i], argc - 1, argv + 1);
    return ctl_usage(v, "unknown sub-command '%s' (sign, fetch or status)", argv[1]);
}

const struct ctl_verb ctl_verb_feed = {
    .name = "feed",
    .run = run_feed,
    .synopsis = "feed sign --key FILE --id ID --from REVOKED.conf [--previous FEED]\n"
                "          [--version N] [--ttl 15m]\n"
                "feed fetch [--config F] [--reset] [ID]\n"
                "feed status [--config F] [--json]",
    .help =
        "Revocation feeds: one signed, versioned file of revocations that every\n"
        "host whose config names the feed fetches from an ordinary web server\n"
        "(or reads from a file) and applies like revoked.conf.  'watch' fetches\n"
        "every feed each 'refresh' seconds.  See 'delegatectl feed sign --help',\n"
        "'feed fetch --help', 'feed status --help' and delegatectl(8).\n",
};
