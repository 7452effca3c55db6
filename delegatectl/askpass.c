/* delegatectl askpass: hands $DELEGATE_TICKET to ssh as SSH_ASKPASS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int run_askpass(const struct ctl_verb *v, int argc, char **argv)
{
    const char *t;

    /* ssh passes the prompt as the only argument: ignore it, but still
     * answer --help when that is all we were given */
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return ctl_help(v);
    t = getenv("DELEGATE_TICKET");
    if (!t || !t[0]) {
        ctl_err(v, "DELEGATE_TICKET is not set or empty");
        return CTL_USAGE;
    }
    if (printf("%s\n", t) < 0 || fflush(stdout) != 0) {
        ctl_err(v, "cannot write the ticket to stdout");
        return CTL_USAGE;
    }
    return CTL_OK;
}

const struct ctl_verb ctl_verb_askpass = {
    .name = "askpass",
    .run = run_askpass,
    .synopsis = "askpass [PROMPT]",
    .help =
        "Print the ticket in $DELEGATE_TICKET followed by a newline, for use as\n"
        "SSH_ASKPASS.  The PROMPT argument that ssh passes is ignored.\n"
        "\n"
        "  SSH_ASKPASS=\"delegatectl askpass\" SSH_ASKPASS_REQUIRE=force \\\n"
        "  DELEGATE_TICKET=\"$T\" ssh ci-deploy@host cmd\n"
        "\n"
        "Exit status: 0 printed, 2 DELEGATE_TICKET unset or empty.\n",
};
