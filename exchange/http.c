/* The HTTP side, on libmicrohttpd: POST /v1/ticket and GET /v1/health,
 * native TLS (GnuTLS inside libmicrohttpd) when tls is configured, a body
 * cap of X_BODY_MAX (413 too_large, before the body is read when
 * Content-Length says so), an idle timeout per connection (`timeout`),
 * a connection limit (`max_connections`) and a small thread pool.  One
 * audit line per request to /v1/ticket and per refused request, written
 * when the answer is queued or, for a request that never completed (a slow
 * or vanished client), when libmicrohttpd gives it up. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "xchg.h"

#define DISCARD_MAX (1024 * 1024)   /* an oversized chunked body: then the connection is cut */

struct req {
    char *buf;
    size_t len, seen;
    bool too_large;
    bool answered;              /* a response was queued and audited */
    bool ticket;                /* POST /v1/ticket */
    char remote[INET6_ADDRSTRLEN + 8];
};

static void wipe_free(void *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, char *body, const char *allow)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (!body)
        return MHD_NO;
    resp = MHD_create_response_from_buffer_with_free_callback(strlen(body), body, wipe_free);
    if (!resp) {
        wipe_free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Queue the answer of res and write its audit line. */
static enum MHD_Result answer(struct MHD_Connection *c, struct req *q, struct x_result *res,
                              int status_override, const char *allow)
{
    enum MHD_Result ret;
    int status = status_override ? status_override : res->status;

    if (status_override)
        json_object_set_new(res->audit, "status", json_integer(status));
    x_audit_write(res->audit);
    q->answered = true;
    ret = send_json(c, status, res->body, allow);
    res->body = NULL;           /* now libmicrohttpd's (freed by wipe_free) */
    x_result_free(res);
    return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, struct req *q, enum x_reason r,
                              int status, const char *detail, const char *allow)
{
    struct x_result res;

    x_refusal(r, q->remote, detail, &res);
    json_object_set_new(res.audit, "path", json_string(q->ticket ? "/v1/ticket" : "other"));
    return answer(c, q, &res, status, allow);
}

static void client_address(struct MHD_Connection *c, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, outlen, "unix");
    if (sa && sa->sa_family == AF_INET)
        getnameinfo(sa, sizeof(struct sockaddr_in), out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
    else if (sa && sa->sa_family == AF_INET6)
        getnameinfo(sa, sizeof(struct sockaddr_in6), out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
}

static bool json_content_type(const char *ct)
{
    size_t n = strlen("application/json");

    return ct && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The first call for a request: its headers are in. */
static enum MHD_Result on_headers(struct MHD_Connection *c, struct req *q, const char *url,
                                  const char *method)
{
    const char *cl, *ct;

    if (strcmp(url, "/v1/health") == 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return refuse(c, q, XR_MALFORMED, 405, "method not allowed on /v1/health", "GET, HEAD");
        q->answered = true;     /* not audited: load balancers poll it */
        return send_json(c, 200, strdup("{\"status\":\"ok\"}"), NULL);
    }
    if (strcmp(url, "/v1/ticket") != 0) {
        struct x_result res;

        x_refusal(XR_MALFORMED, q->remote, "no such path", &res);
        free(res.body);
        res.body = strdup("{\"error\":\"not_found\"}");
        return answer(c, q, &res, 404, NULL);
    }
    q->ticket = true;
    if (strcmp(method, "POST") != 0)
        return refuse(c, q, XR_MALFORMED, 405, "method not allowed on /v1/ticket", "POST");
    ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!json_content_type(ct))
        return refuse(c, q, XR_MALFORMED, 0, "Content-Type must be application/json", NULL);
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > X_BODY_MAX)
        return refuse(c, q, XR_TOO_LARGE, 0, "Content-Length over 16384", NULL);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct x_config *cfg = cls;
    struct req *q = *con_cls;
    struct x_result res;

    (void)version;
    if (!q) {
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        *con_cls = q;
        client_address(c, q->remote, sizeof(q->remote));
        return on_headers(c, q, url, method);
    }
    if (q->answered)
        return MHD_YES;
    if (*upload_data_size) {
        size_t n = *upload_data_size;

        q->seen += n;
        if (q->len + n > X_BODY_MAX)
            q->too_large = true;
        if (q->seen > DISCARD_MAX)
            return MHD_NO;      /* a stream without end: cut it */
        if (!q->too_large) {
            char *nb = realloc(q->buf, q->len + n + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + q->len, upload_data, n);
            q->buf = nb;
            q->len += n;
            q->buf[q->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->too_large)
        return refuse(c, q, XR_TOO_LARGE, 0, "body over 16384 bytes", NULL);
    x_exchange(cfg, q->buf ? q->buf : "", q->len, q->remote, (int64_t)time(NULL), &res);
    return answer(c, q, &res, 0, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)c;
    if (!q)
        return;
    if (!q->answered) {
        struct x_result res;

        x_refusal(XR_MALFORMED, q->remote, NULL, &res);
        json_object_set_new(res.audit, "reason",
                            json_string(toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                                        : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client_closed"
                                        : "incomplete"));
        json_object_set_new(res.audit, "status", json_null());
        x_audit_write(res.audit);
        x_result_free(&res);
    }
    if (q->buf) {
        explicit_bzero(q->buf, q->len);
        free(q->buf);
    }
    free(q);
    *con_cls = NULL;
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "delegate-exchange: %s: path too long for a socket\n", path);
        return -1;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            fprintf(stderr, "delegate-exchange: %s exists and is not a socket\n", path);
            return -1;
        }
        unlink(path);           /* a stale socket of an earlier run */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0666) != 0 ||
        listen(fd, 128) != 0) {
        fprintf(stderr, "delegate-exchange: listen on %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int listen_inet(const char *spec)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *ai = NULL;
    int fd = -1, one = 1, rc;
    size_t hl = (size_t)(colon - spec);

    if (hl >= sizeof(host))
        return -1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (host[0] == '[') {
        memmove(host, host + 1, hl);
        host[strlen(host) - 1] = '\0';
    }
    rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "delegate-exchange: listen %s: %s\n", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "delegate-exchange: listen on %s: %s\n", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static char *read_pem(const char *path)
{
    char *text = NULL, err[256];
    size_t len = 0;
    FILE *f = fopen(path, "re");
    long sz;

    (void)err;
    if (!f) {
        fprintf(stderr, "delegate-exchange: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && sz < 1024 * 1024 &&
        fseek(f, 0, SEEK_SET) == 0 && (text = calloc(1, (size_t)sz + 1)))
        len = fread(text, 1, (size_t)sz, f);
    fclose(f);
    if (!text || len == 0) {
        fprintf(stderr, "delegate-exchange: %s: cannot read\n", path);
        free(text);
        return NULL;
    }
    return text;
}

static unsigned pool_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

int x_http_serve(struct x_config *cfg)
{
    struct MHD_Daemon *d;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    char *cert = NULL, *key = NULL;
    int fd, rc = -1;
    sigset_t set;
    int sig = 0;

    fd = cfg->listen[0] == '/' ? listen_unix(cfg->listen) : listen_inet(cfg->listen);
    if (fd < 0)
        return -1;
    if (cfg->tls_cert) {
        cert = read_pem(cfg->tls_cert);
        key = read_pem(cfg->tls_key);
        if (!cert || !key)
            goto out;
        flags |= MHD_USE_TLS;
    }
    d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, cfg,
                         MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                         MHD_OPTION_THREAD_POOL_SIZE, pool_size(),
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
                         MHD_OPTION_HTTPS_MEM_KEY, key,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "delegate-exchange: cannot start the HTTP server on %s\n", cfg->listen);
        goto out;
    }
    fprintf(stderr, "delegate-exchange: listening on %s%s\n", cfg->listen, cert ? " (TLS)" : "");
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    while (sigwait(&set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
        ;
    fprintf(stderr, "delegate-exchange: signal %d, stopping\n", sig);
    MHD_stop_daemon(d);
    rc = 0;
out:
    close(fd);
    if (cfg->listen[0] == '/')
        unlink(cfg->listen);
    wipe_free(key);
    free(cert);
    return rc;
}
