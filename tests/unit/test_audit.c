/* The audit trail (DESIGN.md §8): one intact JSON line per event, the file
 * created 0600, concurrent writers never interleave, no ticket text, and a
 * failed write is reported. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "decision/policy.h"
#include "testlib.h"

#define NOW INT64_C(1790000000)

struct fixture {
    char *dir;
    char *file;
    struct dlg_config cfg;      /* only the audit settings are used */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = tl_mkdtemp();
    f->file = tl_path(f->dir, "log/audit.jsonl");   /* log/ does not exist yet */
    f->cfg.audit_syslog = false;
    f->cfg.audit_file = f->file;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tl_rmtree(f->dir);
    free(f->dir);
    free(f->file);
    free(f);
    return 0;
}

static struct dlg_audit_event deny_event(void)
{
    struct dlg_audit_event ev = {
        .ts = NOW, .event = "deny", .service = "sshd", .user = "ci-deploy", .actor = "ci-deploy",
        .principal = "alice", .runas = "alice", .jti = "01JDX3", .iss = "corp", .kid = "2026-11",
        .rhost = "10.1.2.3", .tty = "ssh", .pid = 4242, .reason = "expired",
    };
    return ev;
}

static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &e);

    if (!j)
        fail_msg("not JSON (%s): %s", e.text, line);
    assert_true(json_is_object(j));
    return j;
}

static void assert_field(json_t *j, const char *key, const char *want)
{
    json_t *v = json_object_get(j, key);

    assert_non_null(v);
    if (!want) {
        assert_true(json_is_null(v));
        return;
    }
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
}

static void test_json_deny(void **state)
{
    struct dlg_audit_event ev = deny_event();
    char *line = dlg_audit_json(&ev), ts[40];
    json_t *j;

    (void)state;
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    j = parse_line(line);
    dlg_format_time(NOW, ts, sizeof(ts));
    assert_field(j, "ts", ts);
    assert_string_equal(ts, "2026-09-21T14:13:20Z");
    assert_field(j, "event", "deny");
    assert_field(j, "service", "sshd");
    assert_field(j, "user", "ci-deploy");
    assert_field(j, "actor", "ci-deploy");
    assert_field(j, "principal", "alice");
    assert_field(j, "runas", "alice");
    assert_field(j, "jti", "01JDX3");
    assert_field(j, "iss", "corp");
    assert_field(j, "kid", "2026-11");
    assert_field(j, "rhost", "10.1.2.3");
    assert_field(j, "tty", "ssh");
    assert_field(j, "reason", "expired");
    assert_true(json_is_integer(json_object_get(j, "pid")));
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), 4242);
    assert_field(j, "key", NULL);                       /* unbound ticket */
    assert_int_equal(json_object_size(j), 15);
    json_decref(j);
    free(line);
}

static void test_json_admit_and_absent(void **state)
{
    struct dlg_audit_event ev = { .ts = NOW, .event = "admit", .service = "sudo", .user = "bot",
                                  .pid = 7, .reason = "ignored on admit" };
    char *line = dlg_audit_json(&ev);
    json_t *j = parse_line(line);

    (void)state;
    assert_field(j, "event", "admit");
    assert_field(j, "actor", NULL);
    assert_field(j, "principal", NULL);
    assert_field(j, "runas", NULL);
    assert_field(j, "jti", NULL);
    assert_field(j, "rhost", NULL);
    assert_field(j, "tty", NULL);
    assert_null(json_object_get(j, "reason"));          /* deny only */
    assert_field(j, "key", NULL);
    assert_int_equal(json_object_size(j), 14);
    json_decref(j);
    free(line);

    /* a bound ticket: the cnf fingerprint in "key" */
    ev.key = "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw";
    line = dlg_audit_json(&ev);
    j = parse_line(line);
    assert_field(j, "key", "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw");
    json_decref(j);
    free(line);
    ev.key = NULL;

    /* a deny without a known reason still has the key */
    ev.event = "deny";
    ev.reason = NULL;
    line = dlg_audit_json(&ev);
    j = parse_line(line);
    assert_field(j, "reason", NULL);
    json_decref(j);
    free(line);
}

static void test_json_escaping(void **state)
{
    struct dlg_audit_event ev = deny_event();
    char *line;
    json_t *j;

    (void)state;
    ev.tty = "pts/1\n{\"event\":\"admit\"}";
    ev.rhost = "host \"quoted\" \\ back";
    ev.user = "bad\xff\xfeutf8";
    line = dlg_audit_json(&ev);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));            /* no line injection */
    j = parse_line(line);
    assert_field(j, "tty", "pts/1\n{\"event\":\"admit\"}");
    assert_field(j, "rhost", "host \"quoted\" \\ back");
    assert_field(j, "user", "bad??utf8");
    assert_field(j, "event", "deny");
    json_decref(j);
    free(line);
}

static char **read_lines(const char *path, size_t *n)
{
    size_t len;
    char *text = tl_read_file(path, &len), *p, **lines = NULL;

    *n = 0;
    assert_non_null(text);
    assert_true(len == 0 || text[len - 1] == '\n');
    for (p = text; *p;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        lines = realloc(lines, (*n + 1) * sizeof(*lines));
        lines[*n] = strndup(p, (size_t)(nl - p));
        (*n)++;
        p = nl + 1;
    }
    free(text);
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void test_file_created_0600(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event ev = deny_event();
    struct stat st;
    char **lines, *logdir = tl_path(f->dir, "log");
    size_t n;
    json_t *j;

    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);
    assert_int_equal(lstat(f->file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(logdir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    ev.event = "session_open";
    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);
    ev.event = "session_close";
    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);
    lines = read_lines(f->file, &n);
    assert_int_equal(n, 3);
    j = parse_line(lines[0]);
    assert_field(j, "event", "deny");
    assert_field(j, "reason", "expired");
    json_decref(j);
    j = parse_line(lines[2]);
    assert_field(j, "event", "session_close");
    assert_null(json_object_get(j, "reason"));
    json_decref(j);
    free_lines(lines, n);
    free(logdir);
}

static void test_existing_file_appended(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event ev = deny_event();
    char *logdir = tl_path(f->dir, "log"), *text;

    assert_int_equal(mkdir(logdir, 0755), 0);
    free(tl_write_file(logdir, "audit.jsonl", "{\"old\":1}\n", 0600));
    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);
    text = tl_read_file(f->file, NULL);
    assert_true(strncmp(text, "{\"old\":1}\n{\"ts\":", 16) == 0);
    free(text);
    free(logdir);
}

/* 100 writers at once: 50 threads and 50 processes, long lines. */
struct writer {
    const struct dlg_config *cfg;
    int id;
    pthread_barrier_t *barrier;
    int rc;
};

static void write_one(const struct dlg_config *cfg, int id, int *rc)
{
    static char big[3000];
    struct dlg_audit_event ev = deny_event();
    char jti[32];

    memset(big, 'x', sizeof(big) - 1);
    snprintf(jti, sizeof(jti), "w-%03d", id);
    ev.jti = jti;
    ev.principal = big;
    ev.pid = id;
    *rc = dlg_audit(cfg, &ev);
}

static void *writer_thread(void *arg)
{
    struct writer *w = arg;

    pthread_barrier_wait(w->barrier);
    write_one(w->cfg, w->id, &w->rc);
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    enum { THREADS = 50, PROCS = 50 };
    struct fixture *f = *state;
    pthread_t th[THREADS];
    struct writer ws[THREADS];
    pthread_barrier_t barrier;
    pid_t pids[PROCS];
    int i, pipefd[2];
    bool seen[THREADS + PROCS] = { false };
    char **lines;
    size_t n;

    /* the first event creates the dir; keep it out of the race count */
    assert_int_equal(pipe(pipefd), 0);
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char go;
            int rc;
            close(pipefd[1]);
            if (read(pipefd[0], &go, 1) < 0)
                _exit(3);
            write_one(&f->cfg, THREADS + i, &rc);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    close(pipefd[0]);
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (i = 0; i < THREADS; i++) {
        ws[i] = (struct writer){ &f->cfg, i, &barrier, -2 };
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &ws[i]), 0);
    }
    close(pipefd[1]);
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ws[i].rc, 0);
    }
    pthread_barrier_destroy(&barrier);
    for (i = 0; i < PROCS; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    lines = read_lines(f->file, &n);
    assert_int_equal(n, THREADS + PROCS);
    for (i = 0; i < (int)n; i++) {
        json_t *j = parse_line(lines[i]);
        json_int_t pid = json_integer_value(json_object_get(j, "pid"));
        assert_true(pid >= 0 && pid < THREADS + PROCS);
        assert_false(seen[pid]);
        seen[pid] = true;
        assert_int_equal(strlen(json_string_value(json_object_get(j, "principal"))), 2999);
        json_decref(j);
    }
    free_lines(lines, n);
}

/* A real decision's verdict audited: neither the ticket nor any part of it
 * lands in the file. */
static void test_no_ticket_text(void **state)
{
    struct fixture *f = *state;
    char *pub = tl_write_pub(f->dir, "corp", tl_key("ed25519"));
    char *text, *path, *tk, *log, *part;
    struct dlg_config *cfg;
    struct dlg_keyring kr;
    struct dlg_request req = { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3",
                               .now = NOW };
    struct dlg_verdict v;
    json_t *c = tl_claims(NOW);
    const char *sig;
    int pass;

    assert_true(asprintf(&text,
        "version = 1;\nhost = { name = \"web01\"; };\n"
        "issuers = ( { id = \"corp\"; principals = [\"*\"]; keys = ( { kid = \"k1\"; file = \"%s\"; } ); } );\n"
        "accounts = { uid_min = 62001; uid_max = 62999; gid = 62000; };\n"
        "actors = ( { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"]; } );\n"
        "audit = { syslog = false; file = \"%s\"; };\n", pub, f->file) > 0);
    path = tl_write_file(f->dir, "delegate.conf", text, 0644);
    cfg = tl_load_config(path);
    assert_non_null(cfg);
    assert_int_equal(dlg_keyring_load(cfg, &kr, NULL), 0);
    tk = tl_mint(tl_key("ed25519"), "EdDSA", "k1", c);
    for (pass = 0; pass < 2; pass++) {
        struct dlg_audit_event ev;
        char *t = strdup(tk);
        if (pass == 1) {
            /* a broken signature: a deny.  Another base64url letter, not a
             * flipped bit ('-' ^ 1 = ',' would make the ticket malformed) */
            char *ch = &t[strlen(t) - 3];
            *ch = *ch == 'A' ? 'B' : 'A';
        }
        dlg_decide_lazy(cfg, t, strlen(t), &req, &v, NULL);
        assert_int_equal(v.reason, pass == 0 ? DLG_ADMIT : DLG_BAD_SIGNATURE);
        ev = (struct dlg_audit_event){ .ts = NOW, .event = pass == 0 ? "admit" : "deny",
            .service = req.service, .user = req.user, .actor = v.actor, .principal = v.sub,
            .jti = v.jti, .iss = v.iss, .kid = v.kid, .rhost = req.rhost, .pid = getpid(),
            .reason = dlg_reason_str(v.reason) };
        assert_int_equal(dlg_audit(cfg, &ev), 0);
        dlg_verdict_free(&v);
        free(t);
    }
    log = tl_read_file(f->file, NULL);
    assert_non_null(strstr(log, "\"event\":\"admit\""));
    assert_non_null(strstr(log, "\"reason\":\"bad_signature\""));
    assert_null(strstr(log, tk));
    /* no 12-character window of the signature or the payload */
    sig = strrchr(tk, '.') + 1;
    part = strndup(sig, 12);
    assert_null(strstr(log, part));
    free(part);
    part = strndup(strchr(tk, '.') + 1, 12);
    assert_null(strstr(log, part));
    free(part);
    free(log);
    free(tk);
    json_decref(c);
    dlg_keyring_free(&kr);
    dlg_config_free(cfg);
    free(path);
    free(text);
    free(pub);
}

static void test_write_failures(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event ev = deny_event();
    char *target, *link;
    struct stat st;

    /* the directory cannot be created (its parent is missing) */
    free(f->file);
    f->file = tl_path(f->dir, "missing/log/audit.jsonl");
    f->cfg.audit_file = f->file;
    assert_int_equal(dlg_audit(&f->cfg, &ev), -1);
    /* the file is a symlink: never followed */
    target = tl_write_file(f->dir, "target", "", 0600);
    link = tl_path(f->dir, "audit-link.jsonl");
    assert_int_equal(symlink(target, link), 0);
    f->cfg.audit_file = link;
    assert_int_equal(dlg_audit(&f->cfg, &ev), -1);
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 0);
    /* not a regular file */
    f->cfg.audit_file = "/dev/full";
    assert_int_equal(dlg_audit(&f->cfg, &ev), -1);
    f->cfg.audit_file = f->dir;
    assert_int_equal(dlg_audit(&f->cfg, &ev), -1);
    /* a relative path */
    f->cfg.audit_file = "audit.jsonl";
    assert_int_equal(dlg_audit(&f->cfg, &ev), -1);
    /* no file configured, or no config at all: syslog only, success */
    f->cfg.audit_file = NULL;
    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);
    assert_int_equal(dlg_audit(NULL, &ev), 0);
    free(target);
    free(link);
}

/* A full disk: the write itself fails (simulated with RLIMIT_FSIZE). */
static void test_disk_full(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event ev = deny_event();
    pid_t pid;
    int status;

    assert_int_equal(dlg_audit(&f->cfg, &ev), 0);       /* creates the file */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        struct stat st;
        if (stat(f->file, &st) != 0)
            _exit(3);
        signal(SIGXFSZ, SIG_IGN);
        rl.rlim_cur = rl.rlim_max = (rlim_t)st.st_size + 10;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(4);
        _exit(dlg_audit(&f->cfg, &ev) == -1 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_deny),
        cmocka_unit_test(test_json_admit_and_absent),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test_setup_teardown(test_file_created_0600, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_file_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ticket_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
