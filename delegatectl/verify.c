/* delegatectl verify: the PAM module's decision on a ticket, from the shell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/compiled.h"
#include "ctl.h"
#include "decision/policy.h"
#include "ticket/sshkey.h"

static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "-";
}

static void print_verdict(enum dlg_reason r, const struct dlg_verdict *vd,
                          const struct dlg_request *req)
{
    char exp[40];

    if (r == DLG_ADMIT) {
        dlg_format_time(vd->exp, exp, sizeof(exp));
        printf("admit\n");
        printf("actor %s may act for %s through %s%s%s (ticket %s, issuer %s, key %s, expires %s)\n",
               or_dash(vd->actor), or_dash(vd->sub), req->service,
               req->runas ? " as " : "", req->runas ? req->runas : "",
               or_dash(vd->jti), or_dash(vd->iss), or_dash(vd->kid), exp);
        return;
    }
    printf("deny: %s\n", dlg_reason_str(r));
    if (vd->detail[0])
        printf("%s (%s)\n", dlg_reason_explain(r), vd->detail);
    else
        printf("%s\n", dlg_reason_explain(r));
}

static int run_verify(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, 'u' },
        { "service", required_argument, NULL, 's' },
        { "rhost", required_argument, NULL, 'r' },
        { "runas", required_argument, NULL, 'R' },
        { "config", required_argument, NULL, 'c' },
        { "now", required_argument, NULL, 'N' },
        { "ssh-key", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG, *now_arg = NULL, *ssh_key = NULL;
    char fp[DLG_SSH_FP_LEN], err[160];
    struct dlg_request req = { 0 };
    struct dlg_verdict vd;
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = NULL;
    char *ticket = NULL, *arg = NULL;
    size_t len = 0;
    enum dlg_reason r;
    int c, rc = CTL_DENY;

    memset(&vd, 0, sizeof(vd));
    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'u': req.user = optarg; break;
        case 's': req.service = optarg; break;
        case 'r': req.rhost = optarg; break;
        case 'R': req.runas = optarg; break;
        case 'c': config = optarg; break;
        case 'N': now_arg = optarg; break;
        case 'k': ssh_key = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (!req.user || !req.user[0])
        return ctl_usage(v, "--user is required");
    if (!req.service || !req.service[0])
        return ctl_usage(v, "--service is required");
    if (req.rhost && !req.rhost[0])
        return ctl_usage(v, "--rhost must not be empty");
    if (req.runas && !req.runas[0])
        return ctl_usage(v, "--runas must not be empty");
    if (req.runas && strcmp(req.runas, req.user) == 0)
        req.runas = NULL;           /* same user: no target to check */
    if (now_arg) {
        if (dlg_parse_time(now_arg, &req.now) < 0)
            return ctl_usage(v, "invalid time '%s' for --now (RFC 3339 or @SECONDS)", now_arg);
    } else {
        req.now = (int64_t)time(NULL);
    }
    if (ssh_key) {
        /* FILE.pub, or the fingerprint itself */
        if (dlg_ssh_fp_valid(ssh_key))
            snprintf(fp, sizeof(fp), "%s", ssh_key);
        else if (dlg_ssh_pubkey_file_fp(ssh_key, fp, err, sizeof(err)) != 0)
            return ctl_usage(v, "--ssh-key %s: %s", ssh_key, err);
        req.ssh_key = fp;
    }
    if (argc - optind > 1)
        return ctl_usage(v, "too many arguments: give one ticket, or '-' for stdin");
    if (optind < argc)
        arg = argv[optind];
    /* never consume a single-use ticket: the check is a dry run */
    req.once_dir = NULL;
    req.consume_once = false;

    if (ctl_read_ticket(v, arg, &ticket, &len) < 0)
        return CTL_USAGE;

    /* like the PAM module: the compiled form while it is fresh, else the
     * text; only the key the ticket selects is read */
    if (ctl_compiled_path(config) != NULL) {
        char why[256];
        cfg = dlg_compiled_load(ctl_compiled_path(config), config, 0, why, sizeof(why));
    }
    if (!cfg)
        cfg = ctl_load_config(config, NULL, &diag);
    if (!cfg) {
        ctl_print_diag(&diag);
        printf("deny: %s\n%s\n", dlg_reason_str(DLG_CONFIG_ERROR),
               dlg_reason_explain(DLG_CONFIG_ERROR));
        goto out;
    }
    r = dlg_decide_lazy(cfg, ticket, len, &req, &vd, &diag);
    if (r == DLG_CONFIG_ERROR && diag.errors.n > 0)
        ctl_print_diag(&diag);     /* the selected key file is unusable */
    print_verdict(r, &vd, &req);
    rc = r == DLG_ADMIT ? CTL_OK : CTL_DENY;
out:
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
    dlg_verdict_free(&vd);
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
    ctl_wipe_free(ticket, CTL_TICKET_BUF);
    return rc;
}

const struct ctl_verb ctl_verb_verify = {
    .name = "verify",
    .run = run_verify,
    .synopsis = "verify --user A --service S [--rhost ADDR] [--runas U] [--ssh-key FILE.pub]\n"
                "       [--config F] [TICKET|-]",
    .help =
        "Run the PAM module's decision on a ticket and print 'admit' or\n"
        "'deny: REASON' followed by a one-line explanation.  A single-use ticket\n"
        "is checked but never used up.  The ticket is read from the argument or,\n"
        "with '-' or none, from stdin (one trailing newline stripped); prefer\n"
        "stdin, as arguments are visible to other users.\n"
        "\n"
        "Options:\n"
        "  --user A       the user being admitted (the actor)\n"
        "  --service S    the PAM service, e.g. sshd or sudo\n"
        "  --rhost ADDR   the remote address (PAM_RHOST); none means unknown source\n"
        "  --runas U      the target user (sudo -u U); runas is checked only if given\n"
        "  --ssh-key FILE.pub  the ssh public key (or its SHA256:... fingerprint) the\n"
        "                 actor authenticated with: for sshd the publickey step, for\n"
        "                 sudo the key of the delegated session it runs in; without\n"
        "                 it a key-bound ticket is refused key_mismatch\n"
        "  --config F     the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help     show this help\n"
        "\n"
        "Exit status: 0 admit, 1 deny (also for config errors), 2 usage or system error.\n",
};
