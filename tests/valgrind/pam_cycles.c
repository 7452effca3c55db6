/* N full PAM transactions in one process, admit and deny mixed:
 *   pam_start_confdir -> authenticate -> acct_mgmt -> open_session ->
 *   close_session -> pam_end
 * Run by test_pam_cycles.sh under valgrind in a private mount namespace.
 * Checks every result, and that the process's open descriptors are the
 * same after the cycles as before.
 * Usage: pam_cycles CONFDIR TICKETFILE N [MODULE]
 * With MODULE, the harness keeps its own reference to the module (dlopen),
 * as a long-lived process that loaded it before would: libpam's dlclose at
 * pam_end then does not unmap it, so valgrind need not re-translate its
 * code every cycle (10x faster); each cycle still runs the module's whole
 * transaction with fresh PAM state. */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const char *answer;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    int i;

    (void)data;
    if (!r)
        return PAM_BUF_ERR;
    for (i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
            r[i].resp = strdup(answer);
    *resp = r;
    return PAM_SUCCESS;
}

/* Open descriptors as a string "0,1,2,..." (not the DIR's own). */
static void fds(char *buf, size_t len)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    size_t off = 0;
    int self = dirfd(d);

    buf[0] = '\0';
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || atoi(de->d_name) == self)
            continue;
        off += (size_t)snprintf(buf + off, len - off, "%s,", de->d_name);
        if (off >= len)
            break;
    }
    closedir(d);
}

static char *slurp_line(const char *path)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f || (n = getline(&line, &cap, f)) <= 0) {
        perror(path);
        exit(2);
    }
    fclose(f);
    if (line[n - 1] == '\n')
        line[n - 1] = '\0';
    return line;
}

/* One transaction; returns 0 when every step gave what kind expects. */
static int cycle(const char *confdir, int kind, const char *good)
{
    static const char *const users[] = {"ci-deploy", "ci-deploy", "root", "ci-deploy"};
    const struct pam_conv pc = { conv, NULL };
    pam_handle_t *ph = NULL;
    int a, b = -1, c = -1, d = -1, ok;

    /* 0: admitted; 1: bad ticket; 2: root (ignored); 3: empty reply */
    answer = kind == 0 ? good : kind == 1 ? "eyJhbGciOiJub25lIn0.e30." : "";
    if (pam_start_confdir("sshd", users[kind], &pc, confdir, &ph) != PAM_SUCCESS)
        return -1;
    pam_set_item(ph, PAM_RHOST, "10.1.2.3");
    pam_set_item(ph, PAM_TTY, "ssh");
    a = pam_authenticate(ph, 0);
    if (a == PAM_SUCCESS) {
        b = pam_acct_mgmt(ph, 0);
        c = pam_open_session(ph, 0);
        d = pam_close_session(ph, 0);
    }
    pam_end(ph, a);
    switch (kind) {
    case 0: ok = a == PAM_SUCCESS && b == PAM_SUCCESS && c == PAM_SUCCESS && d == PAM_SUCCESS; break;
    case 2: ok = a != PAM_SUCCESS; break;     /* our module ignores root: the marker decides */
    default: ok = a == PAM_AUTH_ERR; break;
    }
    if (!ok)
        fprintf(stderr, "cycle kind %d: auth %d account %d open %d close %d\n", kind, a, b, c, d);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    char before[4096], after[4096];
    int i, n, bad = 0, counts[4] = {0};
    char *good;

    void *pin = NULL;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s CONFDIR TICKETFILE N [MODULE]\n", argv[0]);
        return 2;
    }
    if (argc == 5 && (pin = dlopen(argv[4], RTLD_NOW | RTLD_LOCAL)) == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", argv[4], dlerror());
        return 2;
    }
    good = slurp_line(argv[2]);
    n = atoi(argv[3]);
    /* one warm-up cycle, so that lazily opened library descriptors (none
     * expected) are counted in "before" */
    if (cycle(argv[1], 0, good) != 0)
        bad++;
    fds(before, sizeof(before));
    for (i = 0; i < n; i++) {
        int kind = i % 4;
        counts[kind]++;
        if (cycle(argv[1], kind, good) != 0 && ++bad > 20)
            break;
    }
    fds(after, sizeof(after));
    printf("1..2\n");
    printf("%s 1 - %d PAM cycles (%d admitted, %d bad ticket, %d root, %d empty): %d wrong results\n",
           bad ? "not ok" : "ok", n, counts[0], counts[1], counts[2], counts[3], bad);
    printf("%s 2 - open descriptors unchanged (before: %s after: %s)\n",
           strcmp(before, after) == 0 ? "ok" : "not ok", before, after);
    free(good);
    if (pin)
        dlclose(pin);
    return bad || strcmp(before, after) != 0;
}
