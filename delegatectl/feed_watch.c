/* delegatectl watch: the fetch loop of the revocation feeds (feed_fetch.h).
 *
 * One thread per feed, each with its own copy of the feed's settings and
 * its own libcurl handle (kept between rounds: an unchanged feed costs one
 * conditional request on a kept-alive connection).  A round runs at once
 * when the thread starts, then every `refresh` seconds less a random 0-10 %
 * (so that hosts restarted together drift apart, and the time between two
 * rounds never exceeds `refresh`).  A thread never touches watch's state:
 * a new version reaches the main thread as a change of the feed's
 * revocation file, which watch has an inotify watch on like every file of
 * the config, and ends the sessions it covers from there.  Threads block
 * every signal (SIGTERM stays the main thread's) and are stopped through a
 * flag that also aborts a transfer in progress. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "feed_fetch.h"

struct feed_thread {
    struct ctl_feed_watch *fw;
    struct dlg_feed f;          /* own copy (strings owned) */
    pthread_t tid;
    volatile int stop;
};

struct ctl_feed_watch {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* CLOCK_MONOTONIC */
    struct feed_thread **threads;
    size_t n;
    void (*log)(const char *line);
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct feed_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct feed_thread *t, const char *fmt, ...)
{
    char line[1400];
    int n;
    va_list ap;

    n = snprintf(line, sizeof(line), "feed %s: ", t->f.id);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    t->fw->log(line);
}

/* Wait until deadline (monotonic ms) or stop; true when stopped. */
static bool wait_until(struct feed_thread *t, int64_t deadline)
{
    struct ctl_feed_watch *fw = t->fw;
    struct timespec ts;

    ts.tv_sec = (time_t)(deadline / 1000);
    ts.tv_nsec = (long)(deadline % 1000) * 1000000;
    pthread_mutex_lock(&fw->lock);
    while (!t->stop && mono_ms() < deadline)
        if (pthread_cond_timedwait(&fw->cond, &fw->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&fw->lock);
    return t->stop != 0;
}

static int64_t jitter_ms(int64_t refresh_s)
{
    uint32_t r = 0;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint32_t)mono_ms() * 2654435761u;
    return (int64_t)(r % 1000) * refresh_s / 10;   /* 0 .. 10 % of refresh, in ms */
}

static void *feed_main(void *arg)
{
    struct feed_thread *t = arg;
    struct ctl_fetch fx;
    char msg[1024], last[1024] = "";
    enum dlg_feed_outcome o, last_o = DLG_FEED_NEW;
    int64_t start;
    bool first = true;

    ctl_fetch_init(&fx, &t->stop);
    if (dlg_feed_restore(&t->f, &ctl_feed_dirs, msg, sizeof(msg)) != 0 || msg[0] != '\0')
        say(t, "%s", msg);
    while (!t->stop) {
        start = mono_ms();
        o = ctl_feed_round(&fx, &t->f, false, msg, sizeof(msg));
        if (t->stop)
            break;
        /* every new version; a refusal or an outage once per change of
         * its message; the first unchanged round after one of them */
        if (o == DLG_FEED_NEW || first || (o == DLG_FEED_UNCHANGED && last_o != o) ||
            (o != DLG_FEED_UNCHANGED && strcmp(msg, last) != 0))
            say(t, "%s", msg);
        if (o == DLG_FEED_REFUSED && strcmp(msg, last) != 0)
            syslog(LOG_AUTHPRIV | LOG_WARNING, "delegatectl watch: feed %s: %s", t->f.id, msg);
        snprintf(last, sizeof(last), "%s", msg);
        last_o = o;
        first = false;
        if (wait_until(t, start + t->f.refresh * 1000 - jitter_ms(t->f.refresh)))
            break;
    }
    ctl_fetch_cleanup(&fx);
    return NULL;
}

static void feed_free(struct dlg_feed *f)
{
    free(f->id);
    free(f->key);
    free(f->url);
    free(f->file);
    free(f->ca);
    memset(f, 0, sizeof(*f));
}

static int dup_or_null(char **dst, const char *src)
{
    *dst = src != NULL ? strdup(src) : NULL;
    return src != NULL && *dst == NULL ? -1 : 0;
}

static int feed_copy(struct dlg_feed *dst, const struct dlg_feed *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->refresh = src->refresh;
    dst->on_stale_end = src->on_stale_end;
    if (dup_or_null(&dst->id, src->id) || dup_or_null(&dst->key, src->key) ||
        dup_or_null(&dst->url, src->url) || dup_or_null(&dst->file, src->file) ||
        dup_or_null(&dst->ca, src->ca)) {
        feed_free(dst);
        return -1;
    }
    return 0;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Everything that makes a round: a change restarts the thread. */
static bool same_feed(const struct dlg_feed *a, const struct dlg_feed *b)
{
    return same_str(a->id, b->id) && same_str(a->key, b->key) && same_str(a->url, b->url) &&
           same_str(a->file, b->file) && same_str(a->ca, b->ca) && a->refresh == b->refresh;
}

static void stop_thread(struct ctl_feed_watch *fw, struct feed_thread *t)
{
    pthread_mutex_lock(&fw->lock);
    t->stop = 1;
    pthread_cond_broadcast(&fw->cond);
    pthread_mutex_unlock(&fw->lock);
    pthread_join(t->tid, NULL);
    feed_free(&t->f);
    free(t);
}

static struct feed_thread *start_thread(struct ctl_feed_watch *fw, const struct dlg_feed *f)
{
    struct feed_thread *t = calloc(1, sizeof(*t));
    sigset_t all, old;
    int rc;

    if (t == NULL || feed_copy(&t->f, f) != 0) {
        free(t);
        return NULL;
    }
    t->fw = fw;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&t->tid, NULL, feed_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        feed_free(&t->f);
        free(t);
        return NULL;
    }
    return t;
}

struct ctl_feed_watch *ctl_feed_watch_new(void (*log)(const char *line))
{
    struct ctl_feed_watch *fw = calloc(1, sizeof(*fw));
    pthread_condattr_t ca;

    if (fw == NULL)
        return NULL;
    /* jansson seeds its hash function at first use: do it here, before any
     * feed thread parses JSON (jansson's thread safety note) */
    json_object_seed(0);
    fw->log = log;
    pthread_mutex_init(&fw->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fw->cond, &ca);
    pthread_condattr_destroy(&ca);
    return fw;
}

void ctl_feed_watch_config(struct ctl_feed_watch *fw, const struct dlg_config *cfg)
{
    struct feed_thread **next;
    size_t i, k, n = 0;
    char line[600];

    if (fw == NULL || cfg == NULL)
        return;
    /* the directories exist before watch arms its inotify watches, so the
     * first version written into them is seen at once */
    if (cfg->nfeeds > 0) {
        (void)dlg_mkdir_private(ctl_feed_dirs.state);
        if (mkdir(ctl_feed_dirs.revoked, 0755) != 0 && errno != EEXIST) {
            snprintf(line, sizeof(line), "feeds: cannot create %s: %s", ctl_feed_dirs.revoked,
                     strerror(errno));
            fw->log(line);
        }
    }
    next = calloc(cfg->nfeeds + 1, sizeof(*next));
    if (next == NULL) {
        fw->log("feeds: out of memory: the feed threads are left as they were");
        return;
    }
    /* keep the threads of unchanged feeds, stop the others, then start the
     * new ones (never two threads for one feed) */
    for (i = 0; i < cfg->nfeeds; i++)
        for (k = 0; k < fw->n && next[i] == NULL; k++)
            if (fw->threads[k] != NULL && same_feed(&fw->threads[k]->f, &cfg->feeds[i])) {
                next[i] = fw->threads[k];
                fw->threads[k] = NULL;
            }
    for (k = 0; k < fw->n; k++)
        if (fw->threads[k] != NULL)
            stop_thread(fw, fw->threads[k]);
    for (i = 0; i < cfg->nfeeds; i++) {
        if (next[i] == NULL)
            next[i] = start_thread(fw, &cfg->feeds[i]);
        if (next[i] == NULL) {
            snprintf(line, sizeof(line), "feed %s: cannot start its fetch thread",
                     cfg->feeds[i].id);
            fw->log(line);
            continue;
        }
        next[n++] = next[i];
    }
    free(fw->threads);
    fw->threads = next;
    fw->n = n;
}

void ctl_feed_watch_free(struct ctl_feed_watch *fw)
{
    if (fw == NULL)
        return;
    for (size_t k = 0; k < fw->n; k++)
        stop_thread(fw, fw->threads[k]);
    free(fw->threads);
    pthread_cond_destroy(&fw->cond);
    pthread_mutex_destroy(&fw->lock);
    free(fw);
}
