/* delegatectl: fetching a feed over HTTPS with libcurl (DESIGN.md §6a).
 *
 * https only (redirects too), the peer's certificate and name verified
 * (the feed's ca, else the system's CAs), If-None-Match with the ETag of the
 * stored version, a connect timeout, a total timeout and a floor on the
 * transfer speed (a slow or hanging server ends the round, it never blocks
 * the caller for long), 16 MiB at most (Content-Length and the bytes
 * actually received alike).  A redirect is followed only to the same
 * scheme, host and port; one to another host is refused.  The easy handle
 * is kept between rounds, so an unchanged feed costs one conditional
 * request on a kept-alive connection.
 *
 * An ETag is kept only when it can tell versions apart: nginx (like most
 * static servers) derives it from the file's mtime in whole seconds and its
 * size, so a file replaced by another of the same size within the second it
 * was fetched in would keep its ETag, and every later round would be told
 * "not modified".  A response whose Last-Modified is less than 2 s before
 * its Date is such a racy validator (RFC 9110 §8.8.2.2): its ETag is not
 * kept, and the next round asks without If-None-Match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "feed_fetch.h"

#define CONNECT_TIMEOUT_S  10
#define LOW_SPEED_BYTES    1024     /* below this many bytes/s ... */
#define LOW_SPEED_TIME_S   10       /* ... for this long: give up */
#define MAX_REDIRECTS      3

struct sink {
    char *buf;
    size_t len, cap;
    bool too_large;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
    struct sink *s = userdata;
    size_t bytes = size * n;

    if (bytes > DLG_FEED_MAX_BYTES + 2 - s->len) {
        s->too_large = true;
        return 0;               /* aborts the transfer */
    }
    if (s->len + bytes + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        char *nb;
        while (cap < s->len + bytes + 1)
            cap *= 2;
        nb = realloc(s->buf, cap);
        if (nb == NULL)
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, bytes);
    s->len += bytes;
    s->buf[s->len] = '\0';
    return bytes;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const volatile int *stop = userdata;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return stop != NULL && *stop ? 1 : 0;
}

void ctl_fetch_init(struct ctl_fetch *fx, volatile int *stop)
{
    memset(fx, 0, sizeof(*fx));
    fx->stop = stop;
}

void ctl_fetch_cleanup(struct ctl_fetch *fx)
{
    if (fx->curl != NULL)
        curl_easy_cleanup(fx->curl);
    fx->curl = NULL;
}

void ctl_fetch_result_free(struct ctl_fetch_result *r)
{
    free(r->body);
    free(r->etag);
    memset(r, 0, sizeof(*r));
}

/* Same scheme, host (case-insensitive) and port as the URL asked for. */
static bool same_origin(const char *a, const char *b)
{
    CURLU *ua = curl_url(), *ub = curl_url();
    char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
    bool same = false;

    if (ua != NULL && ub != NULL && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
        curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) == CURLUE_OK)
        same = strcasecmp(sa, "https") == 0 && strcasecmp(sb, "https") == 0 &&
               strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
    curl_free(sa);
    curl_free(sb);
    curl_free(ha);
    curl_free(hb);
    curl_free(pa);
    curl_free(pb);
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* A response header as a time, or -1.  (Each curl_easy_header call reuses
 * the struct it hands out: read it before the next.) */
static time_t header_time(struct ctl_fetch *fx, const char *name)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(fx->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL ||
        h->value == NULL)
        return -1;
    return curl_getdate(h->value, NULL);
}

/* The response's Last-Modified less than 2 s before its Date (both sent). */
static bool racy_validator(struct ctl_fetch *fx)
{
    time_t date = header_time(fx, "Date"), mod = header_time(fx, "Last-Modified");

    return date != -1 && mod != -1 && date - mod < 2;
}

static void why_set(struct ctl_fetch_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why_set(struct ctl_fetch_result *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
}

static int setup(struct ctl_fetch *fx, const struct dlg_feed *f)
{
    long timeout = f->refresh > 30 ? (long)f->refresh : 30;

    if (timeout > 300)
        timeout = 300;
    if (fx->curl == NULL) {
        fx->curl = curl_easy_init();
        if (fx->curl == NULL)
            return -1;
    } else {
        curl_easy_reset(fx->curl);      /* keeps the connection cache */
    }
    CURL *c = fx->curl;
    if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME_S) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)DLG_FEED_MAX_BYTES) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_USERAGENT, "delegatectl/" DLG_VERSION " (revocation feed)") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)fx->stop) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK)
        return -1;
    if (f->ca != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, f->ca) != CURLE_OK)
        return -1;
    return 0;
}

/* One request of url; 0 done (status and body in r), 1 redirected (*next,
 * curl-owned until the next request), -1 failed (r->why). */
static int request(struct ctl_fetch *fx, const char *url, const char *etag, struct sink *sink,
                   struct ctl_fetch_result *r, char **next)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    struct curl_header *h = NULL;
    char inm[600];
    curl_off_t down = 0;
    CURLcode cc;
    long status = 0;

    *next = NULL;
    if (etag != NULL) {
        snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
        hdrs = curl_slist_append(NULL, inm);
    }
    curl_easy_setopt(fx->curl, CURLOPT_URL, url);
    curl_easy_setopt(fx->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(fx->curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(fx->curl, CURLOPT_ERRORBUFFER, errbuf);
    cc = curl_easy_perform(fx->curl);
    curl_easy_getinfo(fx->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    r->bytes += (size_t)down;
    curl_easy_setopt(fx->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(fx->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    if (sink->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        r->too_large = true;
        why_set(r, "oversized: larger than 16 MiB");
        return -1;
    }
    if (cc != CURLE_OK) {
        why_set(r, "%s%s%s", curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
        return -1;
    }
    curl_easy_getinfo(fx->curl, CURLINFO_RESPONSE_CODE, &status);
    r->status = status;
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        char *loc = NULL;
        curl_easy_getinfo(fx->curl, CURLINFO_REDIRECT_URL, &loc);
        if (loc == NULL) {
            why_set(r, "HTTP %ld without a usable Location", status);
            return -1;
        }
        *next = loc;
        return 1;
    }
    if (curl_easy_header(fx->curl, "ETag", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h != NULL &&
        h->value != NULL)
        r->etag = strdup(h->value);
    if (r->etag != NULL && racy_validator(fx)) {
        free(r->etag);
        r->etag = NULL;
    }
    return 0;
}

int ctl_fetch_url(struct ctl_fetch *fx, const struct dlg_feed *f, const char *etag,
                  struct ctl_fetch_result *r)
{
    struct sink sink = { 0 };
    char url[4200], *next = NULL;
    int hops, rc;

    memset(r, 0, sizeof(*r));
    if (setup(fx, f) != 0) {
        why_set(r, "cannot set up libcurl");
        return -1;
    }
    snprintf(url, sizeof(url), "%s", f->url);
    for (hops = 0;; hops++) {
        free(sink.buf);
        memset(&sink, 0, sizeof(sink));
        rc = request(fx, url, etag, &sink, r, &next);
        if (rc != 1)
            break;
        if (!same_origin(f->url, next)) {
            char shown[200];
            snprintf(shown, sizeof(shown), "%s", next);
            why_set(r, "redirect to another host refused (%s)", shown);
            rc = -1;
            break;
        }
        if (hops + 1 >= MAX_REDIRECTS) {
            why_set(r, "too many redirects");
            rc = -1;
            break;
        }
        snprintf(url, sizeof(url), "%s", next);
    }
    if (rc != 0) {
        free(sink.buf);
        return -1;
    }
    if (r->status == 304) {
        free(sink.buf);
        r->not_modified = true;
        return 0;
    }
    if (r->status != 200) {
        free(sink.buf);
        why_set(r, "HTTP status %ld", r->status);
        return -1;
    }
    r->body = sink.buf != NULL ? sink.buf : strdup("");
    r->len = sink.len;
    return r->body != NULL ? 0 : -1;
}
