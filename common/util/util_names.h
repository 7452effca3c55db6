/* Name grammars (util_names.c); included by util.h. */
#ifndef DLG_UTIL_NAMES_H
#define DLG_UTIL_NAMES_H

#include <stdbool.h>

/* User/group names as useradd accepts them: [a-z_][a-z0-9_-]*[$]?, max 32. */
bool dlg_valid_username(const char *s);
/* Ticket ids: 1..64 of [A-Za-z0-9._-]. */
bool dlg_valid_jti(const char *s);
/* PAM service names (they name files under /etc/pam.d and session
 * records): the ticket-id rule and no leading dot. */
bool dlg_valid_service(const char *s);
/* Principals/approvers/issuer ids: 1..128 printable ASCII, no space, no '"'. */
bool dlg_valid_name_token(const char *s);
/* The one name grammar of DESIGN.md §2 "Names", for sub, act.sub, runas
 * and apv entries in tickets, principals and runas in the config, and the
 * CLI options that name them: 1..64 characters of [A-Za-z0-9._@+-], not
 * starting with '-'.  (Key ids follow dlg_valid_jti.) */
bool dlg_valid_name(const char *s);

#endif
