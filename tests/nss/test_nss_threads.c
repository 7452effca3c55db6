/* 16 threads look up actors, groups, shadow entries and supplementary groups
 * (and one more enumerates) while a writer atomically replaces the config
 * 100 times, each version with a different set of actors and fields.  Every
 * answer must be an entry that is right for some one version, or NOTFOUND
 * for an actor that some version lacks; never UNAVAIL, never a mixed entry.
 * Also built with -fsanitize=thread (tests/tsan/test_nss_threads.sh). */
#include "nss_test.h"

#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <valgrind/valgrind.h>

#define N_READERS 16
#define N_VERSIONS 100
#define N_POOL 40               /* t00..t39; t00 in every version, t39 always revoked */
#define GID_ACC 62000u
#define GID_EVEN 62100u

static char *dir;
static atomic_bool writer_done;
static atomic_uint failures;
static atomic_ulong answers, notfounds;
static atomic_uint versions_seen[N_VERSIONS + 1];
static char first_failure[256];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void thread_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void thread_fail(const char *fmt, ...)
{
    va_list ap;

    if (atomic_fetch_add(&failures, 1) == 0) {
        pthread_mutex_lock(&failure_lock);
        va_start(ap, fmt);
        vsnprintf(first_failure, sizeof(first_failure), fmt, ap);
        va_end(ap);
        pthread_mutex_unlock(&failure_lock);
    }
}

static bool in_version(unsigned i, unsigned v)
{
    return i == 0 || (i * 7 + v) % 5 != 0;
}

/* Live (not revoked) members of the accounts group in version v, as a mask. */
static uint64_t live_mask(unsigned v)
{
    uint64_t m = 0;

    for (unsigned i = 0; i < N_POOL - 1; i++)
        if (in_version(i, v))
            m |= UINT64_C(1) << i;
    return m;
}

static bool some_version_lacks(unsigned i)
{
    for (unsigned v = 0; v <= N_VERSIONS; v++)
        if (!in_version(i, v))
            return true;
    return false;
}

/* Version v of the config, written without cmocka asserts (any thread). */
static int write_version(unsigned v)
{
    char *text = NULL, tmp[4200], dst[4200];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int fd, rc = -1;

    if (f == NULL)
        return -1;
    fprintf(f, "version = 1;\nhost = { name = \"web01\"; };\n"
               "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
               "  keys = ( { kid = \"k1\"; file = \"%s/corp.pub\"; } ); } );\n"
               "accounts = { group = \"delegated\"; gid = %u; uid_min = 62001; uid_max = 62999;"
               " home = \"/var/lib/delegate/%%u\"; shell = \"/usr/sbin/nologin\"; };\n"
               "actors = (", dir, GID_ACC);
    for (unsigned i = 0, n = 0; i < N_POOL; i++) {
        if (!in_version(i, v))
            continue;
        fprintf(f, "%s\n  { name = \"t%02u\"; uid = %u; principals = [\"*\"]; services = [\"sshd\"];"
                   " comment = \"v%u\"; home = \"/home/t%02u-%u\";%s groups = [%s]; }",
                n++ ? "," : "", i, 62001 + i, v, i, v, v % 2 ? " shell = \"/bin/sh\";" : "",
                i % 2 == 0 ? "\"even\"" : "");
    }
    fprintf(f, "\n);\ngroups = ( { name = \"even\"; gid = %u; } );\n"
               "@include \"%s/revoked.conf\"\n", GID_EVEN, dir);
    if (fclose(f) != 0)
        goto out;
    snprintf(tmp, sizeof(tmp), "%s/.delegate.conf.tmp", dir);
    snprintf(dst, sizeof(dst), "%s/delegate.conf", dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) != 0) {
        close(fd);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, dst) != 0)
        goto out;
    rc = 0;
out:
    free(text);
    return rc;
}

/* The same revocation under a new inode: the include changes identity. */
static int rewrite_revoked(void)
{
    char tmp[4200], dst[4200];
    static const char text[] = "revoke = { actors = [\"t39\"]; };\n";
    int fd;

    snprintf(tmp, sizeof(tmp), "%s/.revoked.conf.tmp", dir);
    snprintf(dst, sizeof(dst), "%s/revoked.conf", dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 || close(fd) != 0)
        return -1;
    return rename(tmp, dst);
}

static void *writer(void *arg)
{
    struct timespec pause = { 0, 1000 * 1000 };

    (void)arg;
    for (unsigned v = 1; v <= N_VERSIONS; v++) {
        /* give the readers time to see version v - 1 (polled, up to 30 s:
         * a loaded machine only makes this slower, not different) */
        for (int k = 0; k < 30000 && !atomic_load(&versions_seen[v - 1]); k++)
            nanosleep(&pause, NULL);
        nanosleep(&pause, NULL);
        if (write_version(v) != 0)
            thread_fail("writer: version %u not written", v);
        if (v % 10 == 5 && rewrite_revoked() != 0)
            thread_fail("writer: revoked.conf not written");
    }
    atomic_store(&writer_done, true);
    return NULL;
}

/* ---- checks ------------------------------------------------------------- */

static unsigned parse_version(const char *comment)
{
    char *end;
    unsigned long v;

    if (comment[0] != 'v')
        return UINT32_MAX;
    v = strtoul(comment + 1, &end, 10);
    return *end == '\0' && v <= N_VERSIONS ? (unsigned)v : UINT32_MAX;
}

/* Call with growing buffers like glibc: start small, double on ERANGE. */
#define RETRY_ERANGE(status, err, call, buf, size)                                        \
    do {                                                                                  \
        for (size = 1 + (size_t)(rand_r(&seed) % 24);; size *= 2) {                       \
            buf = malloc(size);                                                           \
            err = 0;                                                                      \
            status = (call);                                                              \
            if (status != NSS_STATUS_TRYAGAIN || err != ERANGE || size > 65536)           \
                break;                                                                    \
            free(buf);                                                                    \
        }                                                                                 \
    } while (0)

static void check_notfound(const char *what, unsigned i, enum nss_status st, int err)
{
    if (st != NSS_STATUS_NOTFOUND || err != ENOENT) {
        thread_fail("%s t%02u: status %d errno %d", what, i, (int)st, err);
        return;
    }
    atomic_fetch_add(&notfounds, 1);
    if (i != 39 && !some_version_lacks(i))
        thread_fail("%s t%02u: NOTFOUND but present in every version", what, i);
}

static void check_pw(const char *what, unsigned i, enum nss_status st, int err,
                     const struct passwd *pw)
{
    char name[8], home[32];
    unsigned v;

    if (st != NSS_STATUS_SUCCESS) {
        check_notfound(what, i, st, err);
        return;
    }
    snprintf(name, sizeof(name), "t%02u", i);
    v = parse_version(pw->pw_gecos);
    if (v == UINT32_MAX || i == 39 || !in_version(i, v)) {
        thread_fail("%s t%02u: entry of no version (gecos '%s')", what, i, pw->pw_gecos);
        return;
    }
    atomic_store_explicit(&versions_seen[v], 1, memory_order_relaxed);
    snprintf(home, sizeof(home), "/home/t%02u-%u", i, v);
    if (strcmp(pw->pw_name, name) != 0 || pw->pw_uid != 62001 + i || pw->pw_gid != GID_ACC ||
        strcmp(pw->pw_passwd, "x") != 0 || strcmp(pw->pw_dir, home) != 0 ||
        strcmp(pw->pw_shell, v % 2 ? "/bin/sh" : "/usr/sbin/nologin") != 0)
        thread_fail("%s t%02u: wrong entry for version %u", what, i, v);
}

static uint64_t members_mask(char **mem, bool *ok)
{
    uint64_t m = 0, bit;
    unsigned i;
    char *end;

    for (; *mem != NULL; mem++) {
        if ((*mem)[0] != 't' || strlen(*mem) != 3) {
            *ok = false;
            return 0;
        }
        i = (unsigned)strtoul(*mem + 1, &end, 10);
        bit = UINT64_C(1) << i;
        if (*end != '\0' || i >= N_POOL || (m & bit)) {
            *ok = false;
            return 0;
        }
        m |= bit;
    }
    return m;
}

static void check_group(const char *what, enum nss_status st, int err, const struct group *gr,
                        gid_t gid, const char *name, uint64_t filter)
{
    bool ok = true;
    uint64_t m;

    if (st != NSS_STATUS_SUCCESS) {
        thread_fail("%s: status %d errno %d", what, (int)st, err);
        return;
    }
    if (gr->gr_gid != gid || strcmp(gr->gr_name, name) != 0 || strcmp(gr->gr_passwd, "x") != 0) {
        thread_fail("%s: wrong group", what);
        return;
    }
    m = members_mask(gr->gr_mem, &ok);
    if (ok) {
        ok = false;
        for (unsigned v = 0; v <= N_VERSIONS && !ok; v++)
            ok = m == (live_mask(v) & filter);
    }
    if (!ok)
        thread_fail("%s: members of no version", what);
}

static const uint64_t even_filter = UINT64_C(0x5555555555555555);

static void one_lookup(unsigned *seedp)
{
    unsigned seed = *seedp;
    unsigned i = (unsigned)rand_r(&seed) % N_POOL, op = (unsigned)rand_r(&seed) % 6;
    char name[8], *buf = NULL;
    size_t size;
    enum nss_status st;
    int err;
    struct passwd pw;
    struct group gr;
    struct spwd sp;

    snprintf(name, sizeof(name), "t%02u", i);
    switch (op) {
    case 0:
        RETRY_ERANGE(st, err, _nss_delegate_getpwnam_r(name, &pw, buf, size, &err), buf, size);
        check_pw("getpwnam", i, st, err, &pw);
        break;
    case 1:
        RETRY_ERANGE(st, err, _nss_delegate_getpwuid_r(62001 + i, &pw, buf, size, &err), buf,
                     size);
        check_pw("getpwuid", i, st, err, &pw);
        break;
    case 2:
        RETRY_ERANGE(st, err, _nss_delegate_getgrnam_r("delegated", &gr, buf, size, &err), buf,
                     size);
        check_group("getgrnam delegated", st, err, &gr, GID_ACC, "delegated", ~UINT64_C(0));
        break;
    case 3:
        RETRY_ERANGE(st, err, _nss_delegate_getgrgid_r(GID_EVEN, &gr, buf, size, &err), buf,
                     size);
        check_group("getgrgid even", st, err, &gr, GID_EVEN, "even", even_filter);
        break;
    case 4:
        RETRY_ERANGE(st, err, _nss_delegate_getspnam_r(name, &sp, buf, size, &err), buf, size);
        if (st != NSS_STATUS_SUCCESS)
            check_notfound("getspnam", i, st, err);
        else if (strcmp(sp.sp_namp, name) != 0 || strcmp(sp.sp_pwdp, "!") != 0 ||
                 sp.sp_lstchg != -1 || i == 39)
            thread_fail("getspnam %s: wrong entry", name);
        break;
    default: {
        gid_t *groups = NULL;
        long start = 0, gsize = 0;

        err = 0;
        st = _nss_delegate_initgroups_dyn(name, GID_ACC, &start, &gsize, &groups, 0, &err);
        if (st != NSS_STATUS_SUCCESS)
            check_notfound("initgroups", i, st, err);
        else if (i % 2 == 0 ? start != 1 || groups[0] != GID_EVEN : start != 0)
            thread_fail("initgroups %s: %ld groups", name, start);
        free(groups);
        break;
    }
    }
    free(buf);
    atomic_fetch_add(&answers, 1);
    *seedp = seed;
}

static void *reader(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u, extra = 200;

    while (!atomic_load(&writer_done) || extra-- > 0)
        one_lookup(&seed);
    return NULL;
}

/* Enumerations while the config changes: each pass lists the actors of one
 * version exactly once. */
static void *enumerator(void *arg)
{
    static char buf[65536];
    struct passwd pw;
    uint64_t m, bit;
    unsigned i, passes = 0;
    int err;
    bool ok;

    (void)arg;
    while (!atomic_load(&writer_done) || passes < 3) {
        if (_nss_delegate_setpwent(0) != NSS_STATUS_SUCCESS) {
            thread_fail("setpwent failed");
            break;
        }
        m = 0;
        ok = true;
        while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
            i = (unsigned)strtoul(pw.pw_name + 1, NULL, 10);
            bit = UINT64_C(1) << i;
            if (i >= N_POOL || (m & bit))
                ok = false;
            m |= bit;
        }
        if (err != ENOENT)
            thread_fail("getpwent ended with errno %d", err);
        _nss_delegate_endpwent();
        if (ok) {
            ok = false;
            for (unsigned v = 0; v <= N_VERSIONS && !ok; v++)
                ok = m == live_mask(v);
        }
        if (!ok)
            thread_fail("enumeration pass %u: actors of no version", passes);
        passes++;
    }
    return NULL;
}

static void test_lookups_during_replacement(void **state)
{
    pthread_t readers[N_READERS], w, e;
    uintptr_t k;
    unsigned nseen = 0;

    (void)state;
    nt_write_file(dir, "corp.pub", nt_pubkey);
    assert_int_equal(rewrite_revoked(), 0);
    assert_int_equal(write_version(0), 0);
    nt_use_config(dir);

    for (k = 0; k < N_READERS; k++)
        assert_int_equal(pthread_create(&readers[k], NULL, reader, (void *)(k + 1)), 0);
    assert_int_equal(pthread_create(&e, NULL, enumerator, NULL), 0);
    assert_int_equal(pthread_create(&w, NULL, writer, NULL), 0);
    assert_int_equal(pthread_join(w, NULL), 0);
    for (k = 0; k < N_READERS; k++)
        assert_int_equal(pthread_join(readers[k], NULL), 0);
    assert_int_equal(pthread_join(e, NULL), 0);

    for (k = 0; k <= N_VERSIONS; k++)
        nseen += atomic_load(&versions_seen[k]);
    printf("# %lu answers, %lu NOTFOUND, %u versions seen, %lu config loads\n",
           atomic_load(&answers), atomic_load(&notfounds), nseen, nss_delegate_load_count());
    if (atomic_load(&failures) != 0)
        fail_msg("%u wrong answers, first: %s", atomic_load(&failures), first_failure);
    assert_true(atomic_load(&answers) >= N_READERS * 200);
    assert_true(atomic_load(&notfounds) > 0);
    assert_true(nseen >= N_VERSIONS * 9 / 10);
    /* the last version is what a lookup sees now */
    {
        struct passwd pw;
        char buf[1024];
        int err;

        assert_int_equal(_nss_delegate_getpwnam_r("t00", &pw, buf, sizeof(buf), &err),
                         NSS_STATUS_SUCCESS);
        assert_string_equal(pw.pw_gecos, "v100");
    }
}

/* ---- fork while other threads hold the module's locks ------------------ */

static atomic_bool churn_stop;

/* Keep the module busy: replace the config and look up, so that some
 * thread is nearly always inside a load or an enumeration. */
static void *churn_writer(void *arg)
{
    unsigned v = 0;

    (void)arg;
    while (!atomic_load(&churn_stop))
        if (write_version(v++ % 2) != 0)
            thread_fail("churn: config not written");
    return NULL;
}

static void *churn_reader(void *arg)
{
    char buf[4096];
    struct passwd pw;
    int err;

    while (!atomic_load(&churn_stop)) {
        if (arg != NULL) {
            _nss_delegate_setpwent(0);
            while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
                ;
            _nss_delegate_endpwent();
        } else if (_nss_delegate_getpwnam_r("t00", &pw, buf, sizeof(buf), &err) !=
                   NSS_STATUS_SUCCESS) {
            thread_fail("churn: t00 not found");
        }
    }
    return NULL;
}

/* A child forked at any moment can still look up (no lock inherited held). */
/* gcc 12's sanitizer runtimes do not take their own allocator locks around
 * fork (LLVM's compiler-rt marks its fork_threaded test "UNSUPPORTED: tsan"
 * for that reason): a child that allocates can hang inside the runtime, seen
 * here in TSan's DenseSlabAlloc::Refill under MetaMap::AllocBlock and in
 * ASan's malloc.  Under a sanitizer the children exit at once; the sanitizer
 * still checks the parent side, the atfork handlers taking every module lock
 * while readers, an enumerator and a writer are busy.  The plain build runs
 * the lookups in every child. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
static const bool child_lookups = false;
#else
static const bool child_lookups = true;
#endif

static void test_fork_while_busy(void **state)
{
    pthread_t t[4];
    int i, st, hung = 0, bad = 0, forks = 200, sig = 0, code = 0;
    const char *env = getenv("DLG_NSS_FORKS");     /* fewer under TSan */
    pid_t pid;

    (void)state;
    if (env != NULL && atoi(env) > 0)
        forks = atoi(env);
    nt_write_file(dir, "corp.pub", nt_pubkey);
    assert_int_equal(rewrite_revoked(), 0);
    assert_int_equal(write_version(0), 0);
    nt_use_config(dir);
    atomic_store(&churn_stop, false);
    assert_int_equal(pthread_create(&t[0], NULL, churn_writer, NULL), 0);
    assert_int_equal(pthread_create(&t[1], NULL, churn_reader, NULL), 0);
    assert_int_equal(pthread_create(&t[2], NULL, churn_reader, NULL), 0);
    assert_int_equal(pthread_create(&t[3], NULL, churn_reader, (void *)1), 0);
    for (i = 0; i < forks && hung == 0; i++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char buf[4096];
            struct passwd pw;
            int err;

            alarm(60);   /* a hang, not a slow machine */
            if (!child_lookups)
                _exit(0);
            if (_nss_delegate_getpwnam_r("t00", &pw, buf, sizeof(buf), &err) !=
                NSS_STATUS_SUCCESS)
                _exit(1);
            _nss_delegate_setpwent(0);
            if (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
                _exit(2);
            _nss_delegate_endpwent();
            _exit(0);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (WIFSIGNALED(st)) {
            hung++;
            sig = WTERMSIG(st);
        } else if (WEXITSTATUS(st) != 0) {
            bad++;
            code = WEXITSTATUS(st);
        }
    }
    atomic_store(&churn_stop, true);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    if (atomic_load(&failures) != 0)
        fail_msg("%u wrong answers, first: %s", atomic_load(&failures), first_failure);
    if (hung != 0 || bad != 0)
        fail_msg("after %d forks: %d children killed (last by signal %d: %s), "
                 "%d exited non-zero (last with %d)", i, hung, sig,
                 sig != 0 ? strsignal(sig) : "-", bad, code);
}

static int setup(void **state)
{
    (void)state;
    dir = nt_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nss_delegate_set_config_path(NULL);
    nt_rmtree(dir);
    dir = NULL;
    return 0;
}

/* Why the fork test cannot run here, or NULL. */
static const char *fork_test_unsupported(void)
{
    if (RUNNING_ON_VALGRIND)
        return "valgrind reports the other threads' memory as leaked in every child";
    return NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookups_during_replacement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_while_busy, setup, teardown),
    };
    const char *why = fork_test_unsupported();

    if (why != NULL)
        printf("# test_fork_while_busy left out: %s\n", why);
    return _cmocka_run_group_tests("tests", tests, why != NULL ? 1 : 2, NULL, NULL);
}
