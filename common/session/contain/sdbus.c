/* The system bus, with sd-bus from libsystemd (as pam_systemd talks to
 * logind): one private connection per use, to the fixed socket path (never
 * an address from the environment), every call bounded; no helper process. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "session/contain/backend.h"

#define SYSTEM_BUS "unix:path=/run/dbus/system_bus_socket"
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static void bus_err(char *err, size_t errlen, const char *what, const sd_bus_error *e, int r)
{
    dlg_set_err(err, errlen, "%s: %s", what,
                e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(r < 0 ? -r : EIO));
}

static uint64_t mono_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Drive the connection until done(bus, ctx) says so: 1, 0 when timeout_usec
 * passed first, < 0 an error. */
static int wait_until(sd_bus *bus, int (*done)(sd_bus *, void *), void *ctx, uint64_t timeout_usec)
{
    uint64_t deadline = mono_usec() + timeout_usec, now;
    int r;

    for (;;) {
        r = done(bus, ctx);
        if (r != 0)
            return r < 0 ? r : 1;
        r = sd_bus_process(bus, NULL);
        if (r < 0)
            return r;
        if (r > 0)
            continue;
        now = mono_usec();
        if (now >= deadline)
            return 0;
        r = sd_bus_wait(bus, deadline - now);
        if (r < 0 && r != -EINTR)
            return r;
    }
}

static int bus_ready(sd_bus *bus, void *ctx)
{
    (void)ctx;
    return sd_bus_is_ready(bus);
}

struct sd_bus *dlg_bus_open(char *err, size_t errlen)
{
    sd_bus *bus = NULL;
    int r;

    r = sd_bus_new(&bus);
    if (r >= 0)
        r = sd_bus_set_address(bus, SYSTEM_BUS);
    if (r >= 0)
        r = sd_bus_set_bus_client(bus, 1);
    if (r >= 0)
        r = sd_bus_set_method_call_timeout(bus, DLG_BUS_TIMEOUT_USEC);
    if (r >= 0)
        r = sd_bus_start(bus);
    if (r < 0) {
        dlg_set_err(err, errlen, "no system bus (%s): %s", SYSTEM_BUS + 10, strerror(-r));
        sd_bus_unref(bus);
        return NULL;
    }
    /* sd-bus waits up to 90 s for the authentication and Hello of a new
     * connection, whatever the method call timeout: bound it here */
    r = wait_until(bus, bus_ready, NULL, DLG_BUS_TIMEOUT_USEC);
    if (r <= 0) {
        if (r == 0)
            dlg_set_err(err, errlen, "the system bus (%s) did not answer within %llu s", SYSTEM_BUS + 10,
                        (unsigned long long)(DLG_BUS_TIMEOUT_USEC / 1000000));
        else
            dlg_set_err(err, errlen, "no system bus (%s): %s", SYSTEM_BUS + 10, strerror(-r));
        sd_bus_close_unref(bus);
        return NULL;
    }
    return bus;
}

/* Every call here waits for its reply, so there is nothing to flush; and a
 * flush waits for a connection still authenticating (sd-bus's 90 s). */
void dlg_bus_close(struct sd_bus *bus)
{
    if (bus)
        sd_bus_close_unref(bus);
}

int dlg_bus_ping(struct sd_bus *bus, const char *name, char *err, size_t errlen)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_call_method(bus, name, "/", "org.freedesktop.DBus.Peer", "Ping", &e, NULL, "");

    if (r < 0)
        bus_err(err, errlen, name, &e, r);
    sd_bus_error_free(&e);
    return r < 0 ? -1 : 0;
}

int dlg_bus_kill_unit(struct sd_bus *bus, const char *unit, int sig, char *err, size_t errlen)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", &e, NULL, "ssi", unit,
                               "all", (int32_t)sig);

    if (r < 0)
        bus_err(err, errlen, "KillUnit", &e, r);
    sd_bus_error_free(&e);
    return r < 0 ? -1 : 0;
}

int dlg_bus_terminate_session(struct sd_bus *bus, const char *id, char *err, size_t errlen)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                               "org.freedesktop.login1.Manager", "TerminateSession", &e, NULL, "s", id);

    if (r < 0)
        bus_err(err, errlen, "TerminateSession", &e, r);
    sd_bus_error_free(&e);
    return r < 0 ? -1 : 0;
}

/* ---- StartTransientUnit and the wait for its job ---- */

struct job_wait {
    const char *unit;
    bool done;
    char result[32];
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
    struct job_wait *w = userdata;
    const char *path, *unit, *result;
    uint32_t id;

    (void)e;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && strcmp(unit, w->unit) == 0) {
        w->done = true;
        snprintf(w->result, sizeof(w->result), "%s", result);
    }
    return 0;
}

static int append_props(sd_bus_message *m, const char *unit, const struct dlg_contain_req *req,
                        const char *binds_to)
{
    char desc[200];
    int r;

    snprintf(desc, sizeof(desc), "delegate: delegated session %s", req->name);
    r = sd_bus_message_append(m, "ss", unit, "fail");
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc,
                                  "PIDs", "au", 1, (uint32_t)req->pid,
                                  "RuntimeMaxUSec", "t", req->runtime_usec,
                                  "SendSIGHUP", "b", 1,
                                  "TimeoutStopUSec", "t", req->grace_usec,
                                  "CollectMode", "s", "inactive-or-failed");
    if (r >= 0 && req->tasks_max)
        r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", req->tasks_max);
    if (r >= 0 && binds_to)
        r = sd_bus_message_append(m, "(sv)(sv)", "BindsTo", "as", 1, binds_to, "After", "as", 1, binds_to);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    if (r >= 0)
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
    return r;
}


static int job_done(sd_bus *bus, void *ctx)
{
    (void)bus;
    return ((const struct job_wait *)ctx)->done;
}

int dlg_bus_start_scope(struct sd_bus *bus, const char *unit, const struct dlg_contain_req *req,
                        const char *binds_to, char *err, size_t errlen)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_slot *slot = NULL;
    struct job_wait w = { .unit = unit };
    int r, rc = -1;

    /* the match first: the job may finish before the reply is read */
    r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
    if (r >= 0)
        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
    if (r >= 0)
        r = append_props(m, unit, req, binds_to);
    if (r < 0) {
        dlg_set_err(err, errlen, "cannot build the request for %s: %s", unit, strerror(-r));
        goto out;
    }
    r = sd_bus_call(bus, m, DLG_BUS_TIMEOUT_USEC, &e, &reply);
    if (r < 0) {
        bus_err(err, errlen, "systemd refused the transient scope", &e, r);
        goto out;
    }
    r = wait_until(bus, job_done, &w, DLG_JOB_TIMEOUT_USEC);
    if (r <= 0) {
        dlg_set_err(err, errlen, "no answer from systemd on the job of %s: %s", unit,
                    strerror(r == 0 ? ETIMEDOUT : -r));
        goto out;
    }
    if (strcmp(w.result, "done") != 0) {
        dlg_set_err(err, errlen, "the job of %s ended with %s", unit, w.result);
        goto out;
    }
    rc = 0;
out:
    sd_bus_error_free(&e);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
    sd_bus_slot_unref(slot);
    return rc;
}
