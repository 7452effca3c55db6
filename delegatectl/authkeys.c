/* delegatectl authorized-keys: sshd's AuthorizedKeysCommand for actors.
 *
 *   AuthorizedKeysCommand /usr/sbin/delegatectl authorized-keys %u %t %k
 *   AuthorizedKeysCommandUser nobody
 *
 * For a configured, unrevoked actor it prints back the key the client
 * offered (any plain ed25519, ecdsa or rsa key), so the publickey step
 * proves possession of some private key without files in the actor's home.
 * That step alone never admits an actor: the sshd drop-in demands
 * `AuthenticationMethods publickey,keyboard-interactive`, and in the
 * keyboard-interactive step pam_delegate compares the ticket's cnf with
 * the key sshd verified (SSH_AUTH_INFO_0).  The ticket binds the key; this
 * command only lets sshd ask for it.  For anyone else it prints nothing. */
#include <stdio.h>
#include <string.h>

#include "config/compiled.h"
#include "ctl.h"
#include "ticket/sshkey.h"

/* What the line allows: a command or a shell with a pty; no forwarding of
 * ports, agent or X11, no ~/.ssh/rc. */
#define AK_OPTIONS "restrict,pty"

static int run_authkeys(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG, *user, *type, *key;
    const struct dlg_actor *a;
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = NULL;
    int c, rc = CTL_OK;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (argc - optind != 3)
        return ctl_usage(v, "give the user, the key type and the key (sshd's %%u %%t %%k)");
    user = argv[optind];
    type = argv[optind + 1];
    key = argv[optind + 2];
    /* anything but a plain key of a supported type: nothing to say */
    if (!dlg_valid_username(user) || !dlg_ssh_key_valid(type, key))
        return CTL_OK;

    /* sshd runs this twice per login: the compiled form while it is
     * fresh (one actor materialized), else the text */
    if (ctl_compiled_path(config) != NULL) {
        char why[256];
        cfg = dlg_compiled_load(ctl_compiled_path(config), config,
                                DLG_CPL_LAZY_ACTORS | DLG_CPL_NO_TICKETS, why, sizeof(why));
    }
    if (!cfg)
        cfg = ctl_load_config(config, NULL, &diag);
    if (!cfg) {
        ctl_print_diag(&diag);          /* sshd logs our stderr */
        rc = CTL_DENY;
        goto out;
    }
    a = dlg_config_actor(cfg, user);
    if (!a || a->revoked || dlg_strv_contains(&cfg->revoked_actors, a->name))
        goto out;
    if (printf("%s %s %s\n", AK_OPTIONS, type, key) < 0 || fflush(stdout) != 0)
        rc = CTL_USAGE;
out:
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
    return rc;
}

const struct ctl_verb ctl_verb_authkeys = {
    .name = "authorized-keys",
    .run = run_authkeys,
    .synopsis = "authorized-keys [--config F] USER KEYTYPE KEY",
    .help =
        "sshd's AuthorizedKeysCommand for delegated actors (run it as an\n"
        "unprivileged user):\n"
        "\n"
        "  AuthorizedKeysCommand /usr/sbin/delegatectl authorized-keys %u %t %k\n"
        "  AuthorizedKeysCommandUser nobody\n"
        "\n"
        "For a configured actor that is not revoked, prints the offered key back\n"
        "as an authorized_keys line (options " AK_OPTIONS "), whatever the key: the\n"
        "ticket's cnf, checked by pam_delegate in the keyboard-interactive step of\n"
        "the same connection, decides which key is the right one.  Use it only with\n"
        "'AuthenticationMethods publickey,keyboard-interactive'.  Prints nothing for\n"
        "any other user, a certificate or an unsupported key type.\n"
        "\n"
        "Options:\n"
        "  --config F     the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help     show this help\n"
        "\n"
        "Exit status: 0 (also when nothing is printed), 1 config unusable, 2 usage error.\n",
};
