/* delegatectl: messages, option parsing and input helpers shared by the verbs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "ticket/ticket.h"

static void vmsg(const struct ctl_verb *v, const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "delegatectl %s: %s", v->name, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void ctl_err(const struct ctl_verb *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(v, "", fmt, ap);
    va_end(ap);
}

void ctl_warn(const struct ctl_verb *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(v, "warning: ", fmt, ap);
    va_end(ap);
}

static void print_synopsis(FILE *f, const struct ctl_verb *v)
{
    const char *p = v->synopsis, *nl;
    bool first = true;

    /* a synopsis line is one form of the verb ("Usage: delegatectl" or its
     * indent in front); a line starting with a space continues the form */
    while (*p) {
        nl = strchr(p, '\n');
        if (!nl)
            nl = p + strlen(p);
        fprintf(f, "%s%.*s\n",
                first ? "Usage: delegatectl " : *p == ' ' ? "                   " : "       delegatectl ",
                (int)(nl - p), p);
        first = false;
        p = *nl ? nl + 1 : nl;
    }
}

int ctl_usage(const struct ctl_verb *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(v, "", fmt, ap);
    va_end(ap);
    print_synopsis(stderr, v);
    fprintf(stderr, "Try 'delegatectl %s --help' for more information.\n", v->name);
    return CTL_USAGE;
}

int ctl_help(const struct ctl_verb *v)
{
    print_synopsis(stdout, v);
    fprintf(stdout, "\n%s", v->help);
    return fflush(stdout) == 0 ? CTL_OK : CTL_USAGE;
}

int ctl_getopt(const struct ctl_verb *v, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    char spec[64];
    int c;

    /* leading ':' makes a missing argument return ':' instead of '?' */
    snprintf(spec, sizeof(spec), ":%s", shortopts);
    opterr = 0;
    c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c == '?') {
        if (optopt && optopt != '?')
            ctl_usage(v, "unknown option '-%c'", optopt);
        else
            ctl_usage(v, "unknown option '%s'", argv[optind - 1]);
        return '?';
    }
    if (c == ':') {
        ctl_usage(v, "option '%s' requires an argument", argv[optind - 1]);
        return '?';
    }
    return c;
}

int ctl_split_list(const char *s, struct dlg_strv *sv)
{
    const char *p = s, *comma;
    char *item;
    int rc;

    for (;;) {
        comma = strchr(p, ',');
        item = comma ? strndup(p, (size_t)(comma - p)) : strdup(p);
        if (!item)
            return -1;
        rc = item[0] ? dlg_strv_push(sv, item) : -1;
        free(item);
        if (rc < 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

void ctl_wipe_free(char *buf, size_t len)
{
    if (!buf)
        return;
    explicit_bzero(buf, len);
    free(buf);
}

int ctl_read_ticket(const struct ctl_verb *v, char *arg, char **out, size_t *len)
{
    /* room for the largest ticket the decision accepts, a "\r\n", and one
     * byte more so an oversized ticket stays oversized */
    const size_t cap = CTL_TICKET_BUF - 1;
    char *buf;
    size_t n = 0;
    ssize_t r = 0;

    *out = NULL;
    *len = 0;
    buf = malloc(cap + 1);
    if (!buf) {
        ctl_err(v, "out of memory");
        return -1;
    }
    if (arg && strcmp(arg, "-") != 0) {
        n = strlen(arg);
        if (n > cap)
            n = cap;
        memcpy(buf, arg, n);
        explicit_bzero(arg, strlen(arg));
    } else {
        struct termios old, quiet;
        int read_errno = 0;
        bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;

        /* typed by hand: prompt, do not echo the secret, stop at the newline */
        if (tty) {
            /* the prompt only once echo is off: what is typed after it is
             * neither echoed nor flushed */
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
            fprintf(stderr, "Ticket: ");
        }
        while (n < cap) {
            r = read(STDIN_FILENO, buf + n, cap - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                read_errno = errno;
                break;
            }
            n += (size_t)r;
            if (tty && buf[n - 1] == '\n')
                break;
        }
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
            fputc('\n', stderr);
        }
        if (r < 0) {
            ctl_err(v, "cannot read the ticket from stdin: %s", strerror(read_errno));
            ctl_wipe_free(buf, CTL_TICKET_BUF);
            return -1;
        }
        if (n > 0 && buf[n - 1] == '\n')
            n--;
    }
    buf[n] = '\0';
    /* the caller wipes cap + 1 bytes: keep the tail zeroed */
    memset(buf + n, 0, cap + 1 - n);
    *out = buf;
    *len = n;
    return 0;
}

struct dlg_config *ctl_load_config(const char *path, struct dlg_keyring *kr,
                                   struct dlg_diag *diag)
{
    struct dlg_config *cfg = dlg_config_load(path, diag);

    if (!cfg)
        return NULL;
    if (kr && dlg_keyring_load(cfg, kr, diag) < 0) {
        dlg_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* "FILE:LINE: msg" -> "FILE:LINE: warning: msg" (gcc style). */
static void print_warning(const char *line)
{
    const char *p = line, *q;

    if (strstr(line, "warning:")) {
        fprintf(stderr, "%s\n", line);
        return;
    }
    while ((p = strchr(p, ':')) != NULL) {
        q = p + 1;
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9')
                q++;
            if (q[0] == ':' && q[1] == ' ') {
                fprintf(stderr, "%.*s warning: %s\n", (int)(q + 1 - line), line, q + 2);
                return;
            }
        }
        p++;
    }
    fprintf(stderr, "warning: %s\n", line);
}

void ctl_print_diag(const struct dlg_diag *diag)
{
    size_t i;

    for (i = 0; i < diag->errors.n; i++)
        fprintf(stderr, "%s\n", diag->errors.v[i]);
    for (i = 0; i < diag->warnings.n; i++)
        print_warning(diag->warnings.v[i]);
}

void ctl_format_relative(int64_t t, int64_t now, char *buf, size_t len)
{
    static const struct { int64_t secs; const char *unit; } units[] = {
        { 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
    };
    /* saturating: a hostile exp of INT64_MIN must not overflow */
    int64_t d = dlg_time_sub(t, now), a = d < 0 ? (d == INT64_MIN ? INT64_MAX : -d) : d;
    char part[64] = "";
    size_t i, used = 0;
    int shown = 0;

    if (d == 0) {
        snprintf(buf, len, "now");
        return;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
        int64_t q = a / units[i].secs;

        if (q == 0 && shown == 0)
            continue;
        if (q > 0) {
            int w = snprintf(part + used, sizeof(part) - used, "%s%lld%s", shown ? " " : "",
                             (long long)q, units[i].unit);
            if (w < 0 || (size_t)w >= sizeof(part) - used)
                break;
            used += (size_t)w;
        }
        a -= q * units[i].secs;
        shown++;
    }
    if (d > 0)
        snprintf(buf, len, "in %s", part);
    else
        snprintf(buf, len, "%s ago", part);
}

const char *ctl_sessions_dir(void)
{
    const char *d = getenv("DELEGATE_SESSIONS_DIR");

    return d && d[0] ? d : DLG_SESSIONS_DIR;
}
