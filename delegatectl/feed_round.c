/* delegatectl: one round of a feed (feed_fetch.h): get the text from its
 * url or file, then judge and store it (common/feed/feed_accept.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "feed_fetch.h"

const struct dlg_feed_dirs ctl_feed_dirs = { DLG_FEEDS_DIR, DLG_FEED_REVOKED_DIR };

const char *ctl_feed_source(const struct dlg_feed *f)
{
    return f->url != NULL ? f->url : f->file != NULL ? f->file : "";
}

static enum dlg_feed_outcome round_url(struct ctl_fetch *fx, const struct dlg_feed *f, bool reset,
                                       int64_t now, char *msg, size_t msglen)
{
    struct dlg_feed_state st;
    struct ctl_fetch_result r;
    enum dlg_feed_outcome out;
    char err[256];
    const char *src = ctl_feed_source(f);

    /* the ETag of the stored version (read without the lock: a hint only;
     * dlg_feed_accept judges under the lock) */
    if (dlg_feed_state_read(ctl_feed_dirs.state, f->id, &st, err, sizeof(err)) != 0)
        memset(&st, 0, sizeof(st));
    if (ctl_fetch_url(fx, f, reset || st.ver == 0 ? NULL : st.etag, &r) != 0) {
        if (r.too_large) {
            snprintf(msg, msglen, "refused: %s (from %s)", r.why, src);
            out = DLG_FEED_REFUSED;
        } else {
            snprintf(msg, msglen, "nothing fetched from %s: %s", src, r.why);
            out = DLG_FEED_UNREACHABLE;
        }
        dlg_feed_note_error(f, &ctl_feed_dirs, src, msg, now);
    } else if (r.not_modified) {
        out = dlg_feed_accept(f, &ctl_feed_dirs, NULL, 0, NULL, src, now, false, msg, msglen);
    } else {
        out = dlg_feed_accept(f, &ctl_feed_dirs, r.body, r.len, r.etag, src, now, reset, msg,
                              msglen);
    }
    ctl_fetch_result_free(&r);
    dlg_feed_state_free(&st);
    return out;
}

static enum dlg_feed_outcome round_file(const struct dlg_feed *f, bool reset, int64_t now,
                                        char *msg, size_t msglen)
{
    char *text = NULL, err[320];
    size_t len = 0;
    struct stat sb;
    enum dlg_feed_outcome out;
    int r;

    if (stat(f->file, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (size_t)sb.st_size > DLG_FEED_MAX_BYTES + 2) {
        snprintf(msg, msglen, "refused: oversized: %s is larger than 16 MiB", f->file);
        dlg_feed_note_error(f, &ctl_feed_dirs, f->file, msg, now);
        return DLG_FEED_REFUSED;
    }
    r = dlg_feed_read_file(f->file, DLG_FEED_MAX_BYTES + 2, &text, &len, err, sizeof(err));
    if (r != 0) {
        snprintf(msg, msglen, "nothing read from %s: %s", f->file,
                 r == 1 ? strerror(ENOENT) : err);
        dlg_feed_note_error(f, &ctl_feed_dirs, f->file, msg, now);
        return DLG_FEED_UNREACHABLE;
    }
    out = dlg_feed_accept(f, &ctl_feed_dirs, text, len, NULL, f->file, now, reset, msg, msglen);
    free(text);
    return out;
}

enum dlg_feed_outcome ctl_feed_round(struct ctl_fetch *fx, const struct dlg_feed *f, bool reset,
                                     char *msg, size_t msglen)
{
    int64_t now = (int64_t)time(NULL);

    if (f->url != NULL)
        return round_url(fx, f, reset, now, msg, msglen);
    return round_file(f, reset, now, msg, msglen);
}
