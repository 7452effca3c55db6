/* delegatectl: fetching revocation feeds (DESIGN.md §6a), shared by `feed
 * fetch` and `watch`. */
#ifndef DLG_CTL_FEED_FETCH_H
#define DLG_CTL_FEED_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "feed/feed.h"

/* feed_http.c: one feed's HTTPS client, kept between rounds. */
struct ctl_fetch {
    void *curl;                 /* CURL *, created on first use */
    volatile int *stop;         /* set by another thread: abort a transfer */
};

struct ctl_fetch_result {
    long status;                /* HTTP status of the last response */
    bool not_modified;          /* 304 for the ETag sent */
    bool too_large;             /* more than 16 MiB */
    char *body;                 /* 200: the feed text (NUL-terminated) */
    size_t len;
    char *etag;                 /* of the 200 response, or NULL */
    size_t bytes;               /* body bytes received in this round */
    char why[320];              /* what went wrong (-1) */
};

void ctl_fetch_init(struct ctl_fetch *fx, volatile int *stop);
void ctl_fetch_cleanup(struct ctl_fetch *fx);
/* GET f->url (If-None-Match: etag when not NULL).  0: r->body or
 * r->not_modified; -1: nothing usable (r->why; r->too_large). */
int ctl_fetch_url(struct ctl_fetch *fx, const struct dlg_feed *f, const char *etag,
                  struct ctl_fetch_result *r);
void ctl_fetch_result_free(struct ctl_fetch_result *r);

/* feed_round.c: one round for feed f, as watch and `feed fetch` do it:
 * restore a missing revocation file, fetch (url or file), judge and store
 * (dlg_feed_accept).  msg: one line for the log. */
extern const struct dlg_feed_dirs ctl_feed_dirs;   /* DLG_FEEDS_DIR, DLG_FEED_REVOKED_DIR */
enum dlg_feed_outcome ctl_feed_round(struct ctl_fetch *fx, const struct dlg_feed *f, bool reset,
                                     char *msg, size_t msglen);
/* The source as the config names it (url or file). */
const char *ctl_feed_source(const struct dlg_feed *f);

/* feed.c: check-config's look at the feeds: each key (trust-checked, Ed25519
 * or P-256) and CA bundle (trust-checked) as errors, a stale feed as a
 * warning. */
void ctl_feed_check(const struct dlg_config *cfg, struct dlg_diag *diag);

/* feed_watch.c: the fetch loop of `delegatectl watch`, one thread per feed
 * (so that a slow server delays nothing else: ending sessions stays on the
 * main thread, which sees a new version as a change of the feed's revocation
 * file).  log: called with one line (any thread). */
struct ctl_feed_watch;
struct ctl_feed_watch *ctl_feed_watch_new(void (*log)(const char *line));
/* The feeds of cfg (NULL: keep what runs): threads for new or changed feeds
 * are started (their first round at once), those of removed or changed
 * feeds stopped. */
void ctl_feed_watch_config(struct ctl_feed_watch *fw, const struct dlg_config *cfg);
void ctl_feed_watch_free(struct ctl_feed_watch *fw);

#endif
