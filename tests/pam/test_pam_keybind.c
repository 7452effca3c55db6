/* Key binding in the PAM module (DESIGN.md §3 rule 10; issue 18 items 9,
 * 10, 11): which keys the actor proved, and where a local sudo or su finds
 * them.
 *
 * - sshd: every "publickey" line of SSH_AUTH_INFO_0 is a key sshd's monitor
 *   verified, so any of them may match the ticket's cnf; the variable is
 *   read only for sshd's services ("sshd", a renamed copy "sshd-*").
 * - sudo and su: the keys the delegated session they run in proved (kept in
 *   its record, whatever its ticket's cnf), never the parent's session; for
 *   su the caller's uid must be the actor's.
 * - a session of the same actor that did not prove the key, live now or at
 *   any time during the session's life, makes the session stop vouching for
 *   it: same-uid processes can ptrace each other on a kernel without Yama.
 *
 * Sessions are held by forked "holder" processes: each opens an sshd
 * session as support-bot (so it is moved into that session's cgroup) and
 * then runs sudo or su transactions inside it on request. */
#include <signal.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "pd_harness.h"

/* ---- ssh keys ----------------------------------------------------------------- */

struct sshkey {
    char line[256];             /* "ssh-ed25519 BASE64", as sshd writes it */
    char fp[64];                /* "SHA256:..." */
};

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A fresh Ed25519 key in OpenSSH wire form, and its fingerprint computed
 * here (not by the product's sshkey.c). */
static void make_sshkey(struct sshkey *k)
{
    EVP_PKEY *pk = tl_new_key("ed25519");
    unsigned char blob[4 + 11 + 4 + 32], digest[SHA256_DIGEST_LENGTH], b64[128];
    size_t rawlen = 32;
    int n;

    put32(blob, 11);
    memcpy(blob + 4, "ssh-ed25519", 11);
    put32(blob + 15, 32);
    assert_int_equal(EVP_PKEY_get_raw_public_key(pk, blob + 19, &rawlen), 1);
    n = EVP_EncodeBlock(b64, blob, (int)sizeof(blob));
    snprintf(k->line, sizeof(k->line), "ssh-ed25519 %.*s", n, b64);
    SHA256(blob, sizeof(blob), digest);
    n = EVP_EncodeBlock(b64, digest, (int)sizeof(digest));
    while (n > 0 && b64[n - 1] == '=')
        n--;
    snprintf(k->fp, sizeof(k->fp), "SHA256:%.*s", n, b64);
    EVP_PKEY_free(pk);
}

static struct sshkey KA, KB, KC;

/* ---- config and tickets -------------------------------------------------------- */

static void keybind_config(void)
{
    struct pdt_cfg o = {
        .bot_services = "\"sudo\", \"sshd\", \"sshd-x\", \"su\", \"login\"",
    };

    pdt_config_with(&o);
}

/* A ticket for support-bot through svc, bound to key (NULL: unbound). */
static char *bot_ticket(const char *svc, const struct sshkey *key)
{
    json_t *c = pdt_claims_for("support-bot", svc);

    if (key != NULL)
        json_object_set_new(c, "cnf", json_pack("{s:s}", "ssh", key->fp));
    return pdt_mint(c);
}

static char *sudo_ticket(const struct sshkey *key)
{
    json_t *c = pdt_claims_for("support-bot", "sudo");

    json_object_set_new(c, "runas", json_pack("[s]", "alice"));
    if (key != NULL)
        json_object_set_new(c, "cnf", json_pack("{s:s}", "ssh", key->fp));
    return pdt_mint(c);
}

/* ---- one PAM transaction in this process -------------------------------------- */

/* auth (and account when auth passed) of user through service with the
 * ticket as the only answer and auth_info as SSH_AUTH_INFO_0 (NULL: none).
 * Returns the first failing result, or PAM_SUCCESS. */
static int auth_account(const char *service, const char *user, const char *ticket,
                        const char *auth_info)
{
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_conv conv = { pdt_conv_fn, &cv };
    pam_handle_t *ph = NULL;
    char env[1024];
    int rc;

    rc = pam_start(service, user, &conv, &ph);
    if (rc != PAM_SUCCESS)
        return rc;
    if (auth_info != NULL) {
        snprintf(env, sizeof(env), "SSH_AUTH_INFO_0=%s", auth_info);
        rc = pam_putenv(ph, env);
    }
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(ph, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(ph, 0);
    pam_end(ph, rc);
    return rc;
}

/* ---- session holders ------------------------------------------------------------ */

struct holder {
    pid_t pid;
    int to, from;               /* command pipe, result pipe */
};

/* Every holder lives here (not on a test's stack, which a failed check
 * leaves): the teardown stops those still running. */
static struct holder POOL[8];

static int read_line(int fd, char *buf, size_t len)
{
    size_t off = 0;

    while (off + 1 < len) {
        ssize_t n = read(fd, buf + off, 1);
        if (n <= 0)
            return -1;
        if (buf[off] == '\n')
            break;
        off++;
    }
    buf[off] = '\0';
    return 0;
}

static void write_int(int fd, int v)
{
    char b[16];
    int n = snprintf(b, sizeof(b), "%d\n", v);

    if (write(fd, b, (size_t)n) != n)
        exit(3);
}

/* The verdict of a forked child comes through a pipe, not its exit status,
 * which a checker (ASan's leak check, valgrind) may replace. */
static int child_verdict(pid_t pid, int rfd)
{
    char line[32];
    int st = 0, rc;

    rc = read_line(rfd, line, sizeof(line)) == 0 ? atoi(line) : -1;
    close(rfd);
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return rc;
}

/* In a grandchild: optionally leave the session's cgroup, take the real
 * uid ruid (the caller of a setuid su or sudo), then one transaction. */
static int run_detached(const char *service, const char *user, const char *ticket, uid_t ruid,
                        bool leave_group)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int rc = -1;

        close(fds[0]);
        if (leave_group) {
            /* to the test's own (root) group: a process outside any session
             * whose parent runs inside one */
            FILE *f = fopen("/sys/fs/cgroup/cgroup.procs", "we");
            if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0)
                rc = -90;
        }
        if (rc == -1 && ruid != (uid_t)-1 && setresuid(ruid, 0, 0) != 0)
            rc = -91;
        if (rc == -1)
            rc = auth_account(service, user, ticket, NULL);
        write_int(fds[1], rc);
        exit(0);                /* exit: pam_wrapper's destructor */
    }
    close(fds[1]);
    return child_verdict(pid, fds[0]);
}

/* In a child: a sudo to alice with sudo_ticket, its session opened (the
 * child moves into the sudo's own group, nested in the holder's session),
 * then a su by a grandchild with real uid ruid inside that group.  Returns
 * the su's result, or -1 when the sudo did not get that far. */
static int run_nested(const char *sudo_ticket, uid_t ruid, const char *su_ticket)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct pdt_conv cv = { .answer = { sudo_ticket } };
        struct pam_conv conv = { pdt_conv_fn, &cv };
        pam_handle_t *ph = NULL;
        int rc;

        setenv("PAM_RUSER", "support-bot", 1);
        rc = pam_start("sudo", "support-bot", &conv, &ph);
        if (rc == PAM_SUCCESS)
            rc = pam_authenticate(ph, 0);
        if (rc == PAM_SUCCESS)
            rc = pam_acct_mgmt(ph, 0);
        if (rc == PAM_SUCCESS)
            rc = pam_set_item(ph, PAM_USER, "alice");
        if (rc == PAM_SUCCESS)
            rc = pam_open_session(ph, 0);
        close(fds[0]);
        if (rc != PAM_SUCCESS) {
            pam_end(ph, rc);
            write_int(fds[1], -1);
            exit(0);
        }
        unsetenv("PAM_RUSER");
        rc = run_detached("su", "support-bot", su_ticket, ruid, false);
        (void)pam_close_session(ph, 0);
        pam_end(ph, PAM_SUCCESS);
        write_int(fds[1], rc);
        exit(0);
    }
    close(fds[1]);
    return child_verdict(pid, fds[0]);
}

/* The holder: an sshd session as support-bot (SSH_AUTH_INFO_0 = info),
 * then commands, one per line:
 *   "sudo TICKET"        a sudo auth+account here, in the session's group
 *   "su UID TICKET"      a su auth+account by a child with real uid UID
 *   "out TICKET"         a sudo by a child moved out of the session's group
 *   "nested UID T1 T2"   a sudo to alice with T1 (session opened), then inside
 *                        its group a su with T2 by a child with real uid UID
 *   "quit"               close the session and leave
 * Each answer is one line with the PAM result (0: success). */
static void holder_main(int in, int out, const char *ticket, const char *info)
{
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_conv conv = { pdt_conv_fn, &cv };
    pam_handle_t *ph = NULL;
    char cmd[4096], env[1024];
    int rc;

    setenv("PAM_RHOST", "127.0.0.1", 1);
    rc = pam_start("sshd", "support-bot", &conv, &ph);
    if (rc == PAM_SUCCESS && info != NULL) {
        snprintf(env, sizeof(env), "SSH_AUTH_INFO_0=%s", info);
        rc = pam_putenv(ph, env);
    }
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(ph, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(ph, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_open_session(ph, 0);
    write_int(out, rc);
    if (rc != PAM_SUCCESS) {
        pam_end(ph, rc);
        exit(0);
    }
    unsetenv("PAM_RHOST");
    while (read_line(in, cmd, sizeof(cmd)) == 0) {
        if (strncmp(cmd, "sudo ", 5) == 0) {
            setenv("PAM_RUSER", "support-bot", 1);
            write_int(out, auth_account("sudo", "support-bot", cmd + 5, NULL));
            unsetenv("PAM_RUSER");
        } else if (strncmp(cmd, "out ", 4) == 0) {
            write_int(out, run_detached("sudo", "support-bot", cmd + 4, (uid_t)-1, true));
        } else if (strncmp(cmd, "nested ", 7) == 0) {
            char *t1 = strchr(cmd + 7, ' '), *t2 = t1 ? strchr(t1 + 1, ' ') : NULL;
            if (t2 == NULL)
                break;
            *t1++ = '\0';
            *t2++ = '\0';
            write_int(out, run_nested(t1, (uid_t)strtoul(cmd + 7, NULL, 10), t2));
        } else if (strncmp(cmd, "su ", 3) == 0) {
            char *sp = strchr(cmd + 3, ' ');
            if (sp == NULL)
                break;
            *sp = '\0';
            write_int(out, run_detached("su", "support-bot", sp + 1,
                                        (uid_t)strtoul(cmd + 3, NULL, 10), false));
        } else {
            break;
        }
    }
    (void)pam_close_session(ph, 0);
    pam_end(ph, PAM_SUCCESS);
    exit(0);
}

/* Start a holder (*hp: its slot in POOL); returns the session open's result. */
static int holder_start(struct holder **hp, const char *ticket, const char *info)
{
    struct holder *h = NULL;
    int to[2], from[2];
    char line[32];

    for (size_t i = 0; i < sizeof(POOL) / sizeof(POOL[0]) && h == NULL; i++)
        if (POOL[i].pid == 0)
            h = &POOL[i];
    assert_non_null(h);
    *hp = h;

    assert_int_equal(pipe(to), 0);
    assert_int_equal(pipe(from), 0);
    fflush(NULL);
    h->pid = fork();
    assert_true(h->pid >= 0);
    if (h->pid == 0) {
        close(to[1]);
        close(from[0]);
        holder_main(to[0], from[1], ticket, info);
    }
    close(to[0]);
    close(from[1]);
    h->to = to[1];
    h->from = from[0];
    assert_int_equal(read_line(h->from, line, sizeof(line)), 0);
    return atoi(line);
}

static int holder_cmd(struct holder *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int holder_cmd(struct holder *h, const char *fmt, ...)
{
    char cmd[4096], line[32];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(cmd) - 1);
    cmd[n++] = '\n';
    assert_int_equal(write(h->to, cmd, (size_t)n), n);
    assert_int_equal(read_line(h->from, line, sizeof(line)), 0);
    return atoi(line);
}

/* Ends the holder's session (its close runs) and waits for it. */
static bool holder_end(struct holder *h)
{
    int st = 0;
    bool ok;

    if (h->pid <= 0)
        return true;
    if (write(h->to, "quit\n", 5) != 5)
        kill(h->pid, SIGKILL);
    close(h->to);
    close(h->from);
    ok = waitpid(h->pid, &st, 0) == h->pid;
    h->pid = 0;
    return ok;
}

static void holder_stop(struct holder *h)
{
    assert_true(holder_end(h));
}

/* "publickey TYPE BASE64" lines, as sshd writes SSH_AUTH_INFO_0. */
static char *info_of(const struct sshkey *a, const struct sshkey *b)
{
    char *s = NULL;

    if (b == NULL)
        assert_true(asprintf(&s, "publickey %s\n", a->line) > 0);
    else
        assert_true(asprintf(&s, "publickey %s\npublickey %s\n", a->line, b->line) > 0);
    return s;
}

static int ks_setup(void **state)
{
    pdt_setup(state);
    keybind_config();
    return 0;
}

static int ks_teardown(void **state)
{
    for (size_t i = 0; i < sizeof(POOL) / sizeof(POOL[0]); i++)
        (void)holder_end(&POOL[i]);
    return pdt_teardown(state);
}

/* The audit events so far must include a deny with this reason. */
static bool audit_has_deny(const char *reason)
{
    json_t *lines[64] = { 0 };
    size_t n = pdt_audit_lines(lines, 64), i;
    bool found = false;

    for (i = 0; i < n && i < 64; i++) {
        const char *ev = pdt_jstr(lines[i], "event"), *r = pdt_jstr(lines[i], "reason");
        if (ev && r && strcmp(ev, "deny") == 0 && strcmp(r, reason) == 0)
            found = true;
        json_decref(lines[i]);
    }
    return found;
}

/* ---- sshd: SSH_AUTH_INFO_0 ------------------------------------------------------ */

/* Issue 18 item 9: publickey,publickey proves two keys; either matches. */
static void test_any_publickey_line(void **state)
{
    char *ta = bot_ticket("sshd", &KA), *tb = bot_ticket("sshd", &KB);
    char *tc = bot_ticket("sshd", &KC), *both = info_of(&KA, &KB), *cert = NULL;
    (void)state;

    setenv("PAM_RHOST", "127.0.0.1", 1);
    assert_int_equal(auth_account("sshd", "support-bot", ta, both), PAM_SUCCESS);
    assert_int_equal(auth_account("sshd", "support-bot", tb, both), PAM_SUCCESS);
    assert_int_equal(auth_account("sshd", "support-bot", tc, both), PAM_AUTH_ERR);
    assert_true(audit_has_deny("key_mismatch"));
    /* a line that does not parse (a certificate) takes nothing from the others */
    assert_true(asprintf(&cert, "publickey %s\npublickey ssh-ed25519-cert-v01@openssh.com AAAA\n",
                         KA.line) > 0);
    assert_int_equal(auth_account("sshd", "support-bot", ta, cert), PAM_SUCCESS);
    /* and the comparison stays exact: one letter of another case, denied
     * as key_mismatch.  The letter is the first of the base64, not the
     * last: the last character of a SHA-256 in base64 carries padding
     * bits, so another case there is a malformed fingerprint, refused for
     * that reason whatever the comparison does. */
    {
        struct sshkey flipped = KA;
        char *p = flipped.fp + strlen("SHA256:");
        char *tf;

        while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            p++;
        assert_true(*p != '\0');
        *p = (char)(*p ^ 0x20);
        tf = bot_ticket("sshd", &flipped);
        unlink(T.audit);
        assert_int_equal(auth_account("sshd", "support-bot", tf, both), PAM_AUTH_ERR);
        assert_true(audit_has_deny("key_mismatch"));
        free(tf);
    }
    free(ta);
    free(tb);
    free(tc);
    free(both);
    free(cert);
}

/* Issue 18 item 10: only sshd's services read SSH_AUTH_INFO_0; a renamed
 * sshd ("sshd-x") is one of them, a console login is not. */
static void test_auth_info_only_for_sshd(void **state)
{
    char *tl = bot_ticket("login", &KA), *tx = bot_ticket("sshd-x", &KA), *info = info_of(&KA, NULL);
    (void)state;

    setenv("PAM_RHOST", "127.0.0.1", 1);
    assert_int_equal(auth_account("login", "support-bot", tl, info), PAM_AUTH_ERR);
    assert_true(audit_has_deny("key_mismatch"));
    assert_int_equal(auth_account("sshd-x", "support-bot", tx, info), PAM_SUCCESS);
    free(tl);
    free(tx);
    free(info);
}

/* ---- sudo and su inside a session ---------------------------------------------- */

/* Issue 18 item 10: the session keeps the key it proved, not its ticket's
 * cnf: a session that proved key A with an unbound ticket vouches for A. */
static void test_sudo_in_unbound_session_that_proved_a_key(void **state)
{
    char *ssh = bot_ticket("sshd", NULL), *sa = sudo_ticket(&KA), *sb = sudo_ticket(&KB);
    char *info = info_of(&KA, NULL);
    struct dlg_session *list = NULL;
    struct holder *h;
    int n, i;
    (void)state;

    assert_int_equal(holder_start(&h, ssh, info), PAM_SUCCESS);
    n = pdt_sessions(&list);
    assert_int_equal(n, 1);
    assert_null(list[0].key);                       /* the ticket is unbound */
    {
        /* the record (root-only JSON) names the key the session proved */
        char path[256];
        json_t *rec, *proved;

        snprintf(path, sizeof(path), "%s/%s-%ld.json", DLG_SESSIONS_DIR, list[0].service,
                 (long)list[0].pid);
        rec = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(rec);
        proved = json_object_get(rec, "proved");
        assert_true(json_is_array(proved));
        assert_int_equal(json_array_size(proved), 1);
        assert_string_equal(json_string_value(json_array_get(proved, 0)), KA.fp);
        json_decref(rec);
    }
    dlg_session_list_free(list, n);

    assert_int_equal(holder_cmd(h, "sudo %s", sa), PAM_SUCCESS);
    assert_int_not_equal(holder_cmd(h, "sudo %s", sb), PAM_SUCCESS);
    holder_stop(h);
    assert_true(audit_has_deny("key_mismatch"));
    /* the sudo's own record (nested, closed by pam_end) is gone; so is the session's */
    n = pdt_sessions(&list);
    for (i = 0; i < n; i++)
        fprintf(stderr, "# left: %s %s\n", list[i].service, list[i].jti);
    dlg_session_list_free(list, n);
    assert_int_equal(n, 0);
    free(ssh);
    free(sa);
    free(sb);
    free(info);
}

/* Issue 18 item 10: no fallback to the parent's session.  A process outside
 * every session, whose parent runs in one that proved the key, gets no key. */
static void test_no_parent_fallback(void **state)
{
    char *ssh = bot_ticket("sshd", &KA), *sa = sudo_ticket(&KA), *info = info_of(&KA, NULL);
    struct holder *h;
    (void)state;

    assert_int_equal(holder_start(&h, ssh, info), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h, "out %s", sa), PAM_AUTH_ERR);
    assert_true(audit_has_deny("key_mismatch"));
    /* control: the same ticket from inside the session */
    assert_int_equal(holder_cmd(h, "sudo %s", sa), PAM_SUCCESS);
    holder_stop(h);
    free(ssh);
    free(sa);
    free(info);
}

/* Issue 18 item 10: su inside a session that proved the key is admitted only
 * when the caller's (real) uid is the actor's. */
static void test_su_caller_must_be_the_actor(void **state)
{
    char *ssh = bot_ticket("sshd", &KA), *su = bot_ticket("su", &KA), *info = info_of(&KA, NULL);
    struct holder *h;
    (void)state;

    assert_int_equal(holder_start(&h, ssh, info), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h, "su 2901 %s", su), PAM_AUTH_ERR);   /* alice's uid */
    assert_int_equal(holder_cmd(h, "su 0 %s", su), PAM_AUTH_ERR);      /* root */
    assert_true(audit_has_deny("key_mismatch"));
    assert_int_equal(holder_cmd(h, "su 62002 %s", su), PAM_SUCCESS);   /* support-bot */
    /* a process with the actor's uid inside a sudo of that session to alice:
     * the innermost session runs as alice, so it vouches for nothing */
    {
        char *sa = sudo_ticket(NULL);
        assert_int_equal(holder_cmd(h, "nested 62002 %s %s", sa, su), PAM_AUTH_ERR);
        free(sa);
    }
    holder_stop(h);
    free(ssh);
    free(su);
    free(info);
}

/* Issue 18 item 11: same-uid sessions are not isolated (a second session of
 * the actor can ptrace the first and run a sudo there), so a session stops
 * vouching for a key once a session of the same actor that did not prove it
 * was live at the same time, even after that one ended. */
static void test_same_actor_session_without_the_key(void **state)
{
    char *ssh = bot_ticket("sshd", NULL), *bound = bot_ticket("sshd", &KA), *sa = sudo_ticket(&KA);
    char *info_a = info_of(&KA, NULL), *info_ab = info_of(&KA, &KB);
    struct holder *h1, *h2, *h3, *h4;
    (void)state;

    /* S1 proved A (its ticket bound to A); alone it vouches for A */
    assert_int_equal(holder_start(&h1, bound, info_a), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h1, "sudo %s", sa), PAM_SUCCESS);
    /* S2 of the same actor, no key: S1's bound sudo is refused */
    assert_int_equal(holder_start(&h2, ssh, NULL), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h1, "sudo %s", sa), PAM_AUTH_ERR);
    assert_true(audit_has_deny("key_mismatch"));
    /* and stays refused after S2 is gone: what S2 did to S1 may still run */
    holder_stop(h2);
    assert_int_equal(holder_cmd(h1, "sudo %s", sa), PAM_AUTH_ERR);
    /* S3 proved A, but S1 (no longer trusted for A) is live: refused too */
    assert_int_equal(holder_start(&h3, ssh, info_ab), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h3, "sudo %s", sa), PAM_AUTH_ERR);
    holder_stop(h1);
    holder_stop(h3);
    /* once they are gone: two sessions that both proved A vouch for it */
    assert_int_equal(holder_start(&h3, ssh, info_a), PAM_SUCCESS);
    assert_int_equal(holder_start(&h4, ssh, info_ab), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h3, "sudo %s", sa), PAM_SUCCESS);
    assert_int_equal(holder_cmd(h4, "sudo %s", sa), PAM_SUCCESS);
    holder_stop(h3);
    holder_stop(h4);
    free(ssh);
    free(bound);
    free(sa);
    free(info_a);
    free(info_ab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_any_publickey_line, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_auth_info_only_for_sshd, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_in_unbound_session_that_proved_a_key, ks_setup,
                                        ks_teardown),
        cmocka_unit_test_setup_teardown(test_no_parent_fallback, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_su_caller_must_be_the_actor, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_same_actor_session_without_the_key, ks_setup,
                                        ks_teardown),
    };
    int rc;

    pdt_setup_all();
    make_sshkey(&KA);
    make_sshkey(&KB);
    make_sshkey(&KC);
    rc = cmocka_run_group_tests_name("pam_keybind", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
