/* delegatectl: entry point and verb dispatch. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef DLG_VERSION
#define DLG_VERSION "unknown"
#endif

static const struct ctl_verb *const verbs[] = {
    &ctl_verb_keygen, &ctl_verb_issue, &ctl_verb_inspect, &ctl_verb_verify,
    &ctl_verb_check_config, &ctl_verb_revoke, &ctl_verb_prune, &ctl_verb_sessions,
    &ctl_verb_watch, &ctl_verb_askpass, &ctl_verb_compile, &ctl_verb_authkeys, &ctl_verb_feed,
};

static const char *const verb_summary[] = {
    "generate an issuer key pair (NAME.key, NAME.pub)",
    "mint a signed delegation ticket",
    "decode a ticket without verifying it",
    "run the host's decision on a ticket",
    "validate the config, its includes and its keys",
    "revoke a ticket, actor, principal, issuer, key or older tickets",
    "drop revoked ticket ids that have expired anyway",
    "list open delegated sessions",
    "end sessions whose ticket expired or was revoked (daemon)",
    "print $DELEGATE_TICKET (for SSH_ASKPASS)",
    "write the compiled policy snapshot /run/delegate/policy.bin",
    "sshd AuthorizedKeysCommand: the offered key, for actors",
    "revocation feeds: sign one, fetch now, show their status",
};

static void print_global_usage(FILE *f, bool full)
{
    size_t i;

    fprintf(f, "Usage: delegatectl [--help] [--version] VERB [OPTIONS]\n");
    if (!full) {
        fprintf(f, "Try 'delegatectl --help' for more information.\n");
        return;
    }
    fprintf(f, "\nDelegated execution with short-lived signed tickets.\n\nVerbs:\n");
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(f, "  %-14s %s\n", verbs[i]->name, verb_summary[i]);
    fprintf(f, "\nOptions:\n"
               "  -h, --help     show this help\n"
               "      --version  show the version\n"
               "\nRun 'delegatectl VERB --help' for the options of a verb.\n"
               "Exit status: 0 success or admit, 1 deny or invalid, 2 usage or system error.\n"
               "See delegatectl(8).\n");
}

int main(int argc, char **argv)
{
    size_t i;
    const char *name;

    /* ssh runs $SSH_ASKPASS with execlp(): no word splitting, so
     * "delegatectl askpass" cannot be given there; a link named
     * delegatectl-askpass to this binary can. */
    name = argv[0] ? strrchr(argv[0], '/') : NULL;
    name = name ? name + 1 : argv[0];
    if (name && strcmp(name, "delegatectl-askpass") == 0)
        return ctl_verb_askpass.run(&ctl_verb_askpass, argc, argv);

    if (argc < 2) {
        fprintf(stderr, "delegatectl: a verb is required\n");
        print_global_usage(stderr, false);
        return CTL_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) {
            for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(argv[2], verbs[i]->name) == 0)
                    return ctl_help(verbs[i]);
            fprintf(stderr, "delegatectl: unknown verb '%s'\n", argv[2]);
            print_global_usage(stderr, false);
            return CTL_USAGE;
        }
        print_global_usage(stdout, true);
        return CTL_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("delegatectl %s\n", DLG_VERSION);
        return CTL_OK;
    }
    if (name[0] == '-') {
        fprintf(stderr, "delegatectl: unknown option '%s'\n", name);
        print_global_usage(stderr, false);
        return CTL_USAGE;
    }
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(name, verbs[i]->name) == 0)
            return verbs[i]->run(verbs[i], argc - 1, argv + 1);

    fprintf(stderr, "delegatectl: unknown verb '%s'\n", name);
    print_global_usage(stderr, false);
    return CTL_USAGE;
}
