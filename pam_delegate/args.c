/* Module arguments: config=PATH, compiled=PATH, debug, use_first_pass, try_first_pass. */
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "pam_delegate.h"
#include "config/compiled.h"
#include "util/util.h"

void pd_parse_args(pam_handle_t *pamh, int argc, const char **argv, struct pd_args *args)
{
    memset(args, 0, sizeof(*args));
    args->config = DLG_DEFAULT_CONFIG;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "config=", 7) == 0) {
            args->config = a + 7;
            /* Fail closed: a relative path would depend on the cwd of
             * whatever program loaded us.  (Logged with the denial.) */
            if (args->config[0] != '/')
                args->config_invalid = true;
        } else if (strncmp(a, "compiled=", 9) == 0) {
            args->compiled = a + 9;
            args->compiled_invalid = args->compiled[0] != '/';
        } else if (strcmp(a, "debug") == 0) {
            args->debug = true;
        } else if (strcmp(a, "use_first_pass") == 0) {
            args->use_first_pass = true;
        } else if (strcmp(a, "try_first_pass") == 0) {
            args->try_first_pass = true;
        } else {
            pam_syslog(pamh, LOG_WARNING, "unknown option ignored: %s", a);
        }
    }
    /* The compiled form at the default place belongs to the default config
     * (a reader checks that anyway); with config= elsewhere, only an
     * explicit compiled= names one. */
    if (args->compiled == NULL && strcmp(args->config, DLG_DEFAULT_CONFIG) == 0)
        args->compiled = DLG_COMPILED_PATH;
    if (args->compiled_invalid) {
        pam_syslog(pamh, LOG_WARNING, "compiled= needs an absolute path; ignored");
        args->compiled = NULL;
    }
    if (args->use_first_pass && args->try_first_pass)
        args->try_first_pass = false;   /* use_first_pass is the stricter one */
}
