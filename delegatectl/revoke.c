/* delegatectl revoke and prune: edit the host's revocation list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "revfile.h"

static const char *const kind_option[] = {
    [CTL_REV_TICKET] = "--ticket", [CTL_REV_ACTOR] = "--actor",
    [CTL_REV_PRINCIPAL] = "--principal", [CTL_REV_ISSUER] = "--issuer",
    [CTL_REV_KEY] = "--key", [CTL_REV_ISSUED_BEFORE] = "--issued-before",
};

static const char *const kind_noun[] = {
    [CTL_REV_TICKET] = "ticket", [CTL_REV_ACTOR] = "actor",
    [CTL_REV_PRINCIPAL] = "principal", [CTL_REV_ISSUER] = "issuer",
    [CTL_REV_KEY] = "key", [CTL_REV_ISSUED_BEFORE] = "issued_before",
};

static bool key_known(const struct dlg_config *cfg, const char *kid)
{
    size_t i, j;

    for (i = 0; i < cfg->nissuers; i++)
        for (j = 0; j < cfg->issuers[i].nkeys; j++)
            if (cfg->issuers[i].keys[j].kid && strcmp(cfg->issuers[i].keys[j].kid, kid) == 0)
                return true;
    return false;
}

static void warn_unknown(const struct ctl_verb *v, const struct dlg_config *cfg,
                         const struct ctl_revocation *r)
{
    switch (r->kind) {
    case CTL_REV_ACTOR:
        if (!dlg_config_actor(cfg, r->value))
            ctl_warn(v, "actor '%s' is not configured (revoking it anyway)", r->value);
        break;
    case CTL_REV_ISSUER:
        if (!dlg_config_issuer(cfg, r->value))
            ctl_warn(v, "issuer '%s' is not configured (revoking it anyway)", r->value);
        break;
    case CTL_REV_KEY:
        if (!key_known(cfg, r->value))
            ctl_warn(v, "no issuer has a key with kid '%s' (revoking it anyway)", r->value);
        break;
    default:
        break;
    }
}

/* Merge r into rs; *changed tells whether rs changed, msg what happened.
 * Returns 0, or -1 when out of memory. */
static int merge(struct ctl_revset *rs, const struct ctl_revocation *r, bool *changed,
                 char *msg, size_t msglen)
{
    struct dlg_strv *list = NULL;
    char when[40], old[40];
    size_t i;

    *changed = false;
    switch (r->kind) {
    case CTL_REV_TICKET:
        /* r->time: the ticket's exp as given with --until, 0 when unknown
         * (then the entry has no until and prune never drops it) */
        dlg_format_time(r->time, when, sizeof(when));
        for (i = 0; i < rs->ntickets; i++) {
            if (strcmp(rs->tickets[i].id, r->value) != 0)
                continue;
            if (r->time && (rs->tickets[i].until == 0 || rs->tickets[i].until < r->time)) {
                rs->tickets[i].until = r->time;
                *changed = true;
                snprintf(msg, msglen, "ticket %s was already revoked; its entry now lasts until %s",
                       r->value, when);
            } else {
                snprintf(msg, msglen, "ticket %s was already revoked; nothing changed", r->value);
            }
            return 0;
        }
        if (ctl_revset_add_ticket(rs, r->value, r->time) < 0)
            return -1;
        *changed = true;
        if (r->time)
            snprintf(msg, msglen, "revoked ticket %s (entry kept until %s)", r->value, when);
        else
            snprintf(msg, msglen, "revoked ticket %s (its exp is unknown: the entry is kept "
                                  "until removed by hand or given --until)", r->value);
        return 0;
    case CTL_REV_ACTOR: list = &rs->actors; break;
    case CTL_REV_PRINCIPAL: list = &rs->principals; break;
    case CTL_REV_ISSUER: list = &rs->issuers; break;
    case CTL_REV_KEY: list = &rs->keys; break;
    case CTL_REV_ISSUED_BEFORE:
        dlg_format_time(r->time, when, sizeof(when));
        if (rs->has_issued_before && rs->issued_before >= r->time) {
            dlg_format_time(rs->issued_before, old, sizeof(old));
            snprintf(msg, msglen, "tickets issued before %s are already revoked; nothing changed", old);
            return 0;
        }
        rs->has_issued_before = true;
        rs->issued_before = r->time;
        *changed = true;
        snprintf(msg, msglen, "revoked every ticket issued before %s", when);
        return 0;
    }
    if (dlg_strv_contains(list, r->value)) {
        snprintf(msg, msglen, "%s %s was already revoked; nothing changed", kind_noun[r->kind], r->value);
        return 0;
    }
    if (dlg_strv_push(list, r->value) < 0)
        return -1;
    *changed = true;
    snprintf(msg, msglen, "revoked %s %s", kind_noun[r->kind], r->value);
    return 0;
}

static bool valid_value(enum ctl_revoke_kind kind, const char *s)
{
    switch (kind) {
    case CTL_REV_TICKET: return dlg_valid_jti(s);
    case CTL_REV_ACTOR: return dlg_valid_username(s);
    case CTL_REV_PRINCIPAL: return dlg_valid_name(s);     /* the ticket's sub grammar */
    case CTL_REV_KEY: return dlg_valid_jti(s);            /* the ticket's kid grammar */
    default: return dlg_valid_name_token(s);
    }
}

static int run_revoke(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "ticket", required_argument, NULL, CTL_REV_TICKET + 1 },
        { "actor", required_argument, NULL, CTL_REV_ACTOR + 1 },
        { "principal", required_argument, NULL, CTL_REV_PRINCIPAL + 1 },
        { "issuer", required_argument, NULL, CTL_REV_ISSUER + 1 },
        { "key", required_argument, NULL, CTL_REV_KEY + 1 },
        { "issued-before", required_argument, NULL, CTL_REV_ISSUED_BEFORE + 1 },
        { "until", required_argument, NULL, 'u' },
        { "terminate", no_argument, NULL, 't' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG, *until_arg = NULL, *value = NULL;
    struct ctl_revocation r = { 0 };
    struct ctl_revfile rf;
    struct ctl_revset rs = { 0 };
    bool terminate = false, changed = false;
    char msg[256] = "";
    int c, nkinds = 0, rc;
    int64_t now = (int64_t)time(NULL);

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case CTL_REV_TICKET + 1: case CTL_REV_ACTOR + 1: case CTL_REV_PRINCIPAL + 1:
        case CTL_REV_ISSUER + 1: case CTL_REV_KEY + 1: case CTL_REV_ISSUED_BEFORE + 1:
            r.kind = (enum ctl_revoke_kind)(c - 1);
            value = optarg;
            nkinds++;
            break;
        case 'u': until_arg = optarg; break;
        case 't': terminate = true; break;
        case 'c': config = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (nkinds != 1)
        return ctl_usage(v, "give exactly one of --ticket, --actor, --principal, --issuer, "
                            "--key, --issued-before");
    if (until_arg && r.kind != CTL_REV_TICKET)
        return ctl_usage(v, "--until applies only to --ticket");
    if (r.kind == CTL_REV_ISSUED_BEFORE) {
        if (dlg_parse_time(value, &r.time) < 0)
            return ctl_usage(v, "invalid time '%s' for --issued-before (RFC 3339 or @SECONDS)",
                             value);
    } else if (!valid_value(r.kind, value)) {
        return ctl_usage(v, "invalid %s '%s' for %s", kind_noun[r.kind], value,
                         kind_option[r.kind]);
    } else {
        r.value = value;
    }
    if (until_arg && dlg_parse_time(until_arg, &r.time) < 0)
        return ctl_usage(v, "invalid time '%s' for --until (RFC 3339 or @SECONDS)", until_arg);

    rc = ctl_revfile_open(v, config, true, &rf);
    if (rc != CTL_OK)
        goto out;
    /* Without --until the ticket's exp is unknown: no guess (a ticket
     * minted with a future iat, or after max_lifetime was raised, outlives
     * any guess), so the entry gets no until and prune keeps it. */
    if (r.kind == CTL_REV_ISSUED_BEFORE && r.time > dlg_time_add(now, rf.cfg->clock_skew))
        ctl_warn(v, "%s is in the future: tickets issued until then are refused too", value);
    warn_unknown(v, rf.cfg, &r);
    if (ctl_revset_from_config(rf.cfg, &rs) < 0 || merge(&rs, &r, &changed, msg, sizeof(msg)) < 0) {
        ctl_err(v, "out of memory");
        rc = CTL_USAGE;
        goto out;
    }
    if (changed) {
        rc = ctl_revfile_write(v, &rf, &rs);
        if (rc != CTL_OK)
            goto out;
        printf("%s\nwrote %s; effective at the next authentication\n", msg, rf.target);
    } else {
        printf("%s\n", msg);
    }
    if (fflush(stdout) != 0) {
        rc = CTL_USAGE;
        goto out;
    }
    r.config = config;
    if (terminate && ctl_terminate_sessions(v, &r) < 0)
        rc = CTL_USAGE;
out:
    ctl_revset_free(&rs);
    ctl_revfile_close(&rf);
    return rc;
}

static int run_prune(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG;
    struct ctl_revfile rf;
    struct ctl_revset rs = { 0 };
    size_t i, kept = 0, dropped;
    int64_t cutoff;
    int c, rc;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);

    rc = ctl_revfile_open(v, config, false, &rf);
    if (rc != CTL_OK)
        goto out;
    if (!rf.target) {
        printf("pruned 0 revoked ticket ids: the config has no revocation file\n");
        goto out;
    }
    if (ctl_revset_from_config(rf.cfg, &rs) < 0) {
        ctl_err(v, "out of memory");
        rc = CTL_USAGE;
        goto out;
    }
    /* a ticket whose exp lies more than the largest allowed clock_skew in
     * the past is refused as expired under any config: not the current
     * skew, which may be raised later */
    cutoff = dlg_time_sub((int64_t)time(NULL), DLG_CLOCK_SKEW_MAX);
    for (i = 0; i < rs.ntickets; i++) {
        if (rs.tickets[i].until && rs.tickets[i].until < cutoff) {
            free(rs.tickets[i].id);
            continue;
        }
        rs.tickets[kept++] = rs.tickets[i];
    }
    dropped = rs.ntickets - kept;
    rs.ntickets = kept;
    if (dropped > 0) {
        rc = ctl_revfile_write(v, &rf, &rs);
        if (rc != CTL_OK)
            goto out;
    }
    printf("pruned %zu revoked ticket id%s from %s, %zu kept\n", dropped,
           dropped == 1 ? "" : "s", rf.target, kept);
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
out:
    ctl_revset_free(&rs);
    ctl_revfile_close(&rf);
    return rc;
}

const struct ctl_verb ctl_verb_revoke = {
    .name = "revoke",
    .run = run_revoke,
    .synopsis =
        "revoke --ticket ID [--until TIME] [--terminate] [--config F]\n"
        "revoke (--actor A | --principal P | --issuer I | --key KID |\n"
        "        --issued-before TIME) [--terminate] [--config F]",
    .help =
        "Add one revocation to the host's revocation file and rewrite it\n"
        "atomically (validated first; temp file, fsync, rename; same owner and\n"
        "mode).  It takes effect at the next authentication, with no restart.\n"
        "Revoking something twice changes nothing.  The file is the one holding\n"
        "the config's revoke group, or revoked.conf next to the config when the\n"
        "config @includes it.  Comments in that file are not kept.\n"
        "\n"
        "Options:\n"
        "  --ticket ID           revoke one ticket by its jti\n"
        "  --until TIME          the ticket's exp: 'prune' may drop the entry 600 s\n"
        "                        (the largest clock_skew) after it; without --until\n"
        "                        the entry is kept until removed by hand (or given\n"
        "                        an --until later)\n"
        "  --actor A             revoke every ticket of actor A (A no longer resolves)\n"
        "  --principal P         revoke every ticket on behalf of P\n"
        "  --issuer I            revoke every ticket of issuer I\n"
        "  --key KID             revoke every ticket signed with key KID\n"
        "  --issued-before TIME  revoke every ticket issued before TIME\n"
        "  --terminate           also end the open sessions admitted with it\n"
        "  --config F            the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help            show this help\n"
        "\n"
        "TIME is RFC 3339 (2026-11-27T10:15:00Z) or @SECONDS.\n"
        "Exit status: 0 done, 1 config invalid or the revocation file holds other\n"
        "settings, 2 usage or system error.\n",
};

const struct ctl_verb ctl_verb_prune = {
    .name = "prune",
    .run = run_prune,
    .synopsis = "prune [--config F]",
    .help =
        "Drop revoked ticket ids whose 'until' (the ticket's exp) lies more than\n"
        "600 s, the largest allowed clock_skew, in the past (those tickets are\n"
        "refused as expired under any config), rewriting the revocation file\n"
        "atomically like 'revoke'.  Entries without 'until' are never dropped:\n"
        "remove them by hand, or give them the ticket's exp with\n"
        "'revoke --ticket ID --until EXP'.  A revocation file that holds other\n"
        "settings than 'revoke' is refused (exit 1).\n"
        "\n"
        "Options:\n"
        "  --config F   the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help   show this help\n"
        "\n"
        "Exit status: 0 done, 1 config invalid or the revocation file holds other\n"
        "settings, 2 usage or system error.\n",
};
