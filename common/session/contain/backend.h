/* Inside the containment folder: the two backends behind contain.h and the
 * small helpers they share.  Not for use outside common/session/contain/. */
#ifndef DLG_CONTAIN_BACKEND_H
#define DLG_CONTAIN_BACKEND_H

#include "session/contain/contain.h"

void dlg_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int dlg_copy_str(char *buf, size_t len, const char *s);     /* 0, or -1 when too long */

/* cgroup2.c */
int dlg_cg2_usable(char *err, size_t errlen);
int dlg_cg2_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err, size_t errlen);
bool dlg_cg2_owned(const struct dlg_cell *cell);
bool dlg_cg2_group_name_ok(const char *name, size_t n);

/* systemd.c */
int dlg_sd_usable(char *err, size_t errlen);
int dlg_sd_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err, size_t errlen);
bool dlg_sd_owned(const struct dlg_cell *cell);
int dlg_sd_signal(const struct dlg_cell *cell, int sig);
int dlg_sd_terminate(const struct dlg_cell *cell);

/* sdbus.c: one short-lived connection to the system bus per use, every call
 * bounded by DLG_BUS_TIMEOUT_USEC. */
#define DLG_BUS_TIMEOUT_USEC (5ULL * 1000 * 1000)
#define DLG_JOB_TIMEOUT_USEC (10ULL * 1000 * 1000)
struct sd_bus;
struct sd_bus *dlg_bus_open(char *err, size_t errlen);
void dlg_bus_close(struct sd_bus *bus);
/* org.freedesktop.DBus.Peer.Ping to name; 0 or -1 (err) */
int dlg_bus_ping(struct sd_bus *bus, const char *name, char *err, size_t errlen);
/* systemd1.Manager.KillUnit(unit, "all", sig); 0 or -1 */
int dlg_bus_kill_unit(struct sd_bus *bus, const char *unit, int sig, char *err, size_t errlen);
/* login1.Manager.TerminateSession(id); 0 or -1 */
int dlg_bus_terminate_session(struct sd_bus *bus, const char *id, char *err, size_t errlen);
/* systemd1.Manager.StartTransientUnit for a scope holding req->pid, and the
 * wait for its job; 0 or -1 (err) */
int dlg_bus_start_scope(struct sd_bus *bus, const char *unit, const struct dlg_contain_req *req,
                        const char *binds_to, char *err, size_t errlen);

#endif
