/* The field lists of the config value (included by config.h).
 *
 * Each struct of the config is declared from its list below, and the same
 * list drives everything that has to know every field: the compiled form's
 * writer and reader (a record is one 8-byte slot per carried field, in list
 * order; the list's shape is hashed into the file, so a snapshot of another
 * list is stale), the text loader's free, and the round-trip test's dump.
 * A field added to a list is carried by the compiled form with no other
 * change; a field cannot be added to these structs outside a list.
 *
 * X(KIND, TYPE, NAME, A, B): KIND says what the field is and how it is
 * carried (config_fields.c):
 *   STR   char *, required            OSTR  char *, may be NULL
 *   PATH  char *, required, absolute  CSTR  const char *, may be NULL, not owned
 *   STRV  struct dlg_strv             BOOL  bool
 *   U32   TYPE (uid_t, gid_t, ...)    U64   TYPE (dev_t, ino_t, ...)
 *   I32   int, A..B                   I64   TYPE (int64_t, off_t), A..B
 *   TS    struct timespec (as ns)
 *   CIDRS TYPE NAME plus size_t A: an array of struct dlg_cidr (own section)
 *   KEYS  TYPE NAME plus size_t A: an array of struct dlg_key (own section)
 * and three kinds that a record does not carry, each on purpose:
 *   TABLE    TYPE NAME plus size_t A: a sorted table with a section of its own
 *   IDSET    struct dlg_revoked_set: an id set with sections of its own
 *   DERIVED  TYPE NAME: computed from carried fields by every loader at load
 *   RUNTIME  TYPE NAME: the loader's own state, meaningless in another process
 * U32 and I32 ranges are checked by the reader (A..B); the text loader's own
 * validation is stricter. */
#ifndef DLG_CONFIG_FIELDS_H
#define DLG_CONFIG_FIELDS_H

/* tests/unit/test_fields_probe.c builds the config code with one field more
 * in three lists (a bool, a uint32_t, a bool), to show that a field added to
 * a list is carried by the compiled form with no other change. */
#ifdef DLG_FIELD_PROBE
#define DLG_PROBE_ACTOR(X)  X(BOOL, bool, probe_flag, 0, 0)
#define DLG_PROBE_GROUP(X)  X(U32, uint32_t, probe_count, 0, UINT32_MAX)
#define DLG_PROBE_CONFIG(X) X(BOOL, bool, probe_switch, 0, 0)
#else
#define DLG_PROBE_ACTOR(X)
#define DLG_PROBE_GROUP(X)
#define DLG_PROBE_CONFIG(X)
#endif

#define DLG_KEY_FIELDS(X)                                                                      \
    X(OSTR, char *, kid, 0, 0)                                                                 \
    X(PATH, char *, file, 0, 0)             /* the PEM public key */                           \
    X(CSTR, const char *, src_file, 0, 0)   /* where it was configured (a files[] path) */     \
    X(I32, int, line, 0, INT32_MAX)

#define DLG_ISSUER_FIELDS(X)                                                                   \
    X(STR, char *, id, 0, 0)                                                                   \
    X(STRV, struct dlg_strv, algorithms, 0, 0) /* "Ed25519" normalised to "EdDSA" */           \
    X(STRV, struct dlg_strv, principals, 0, 0) /* "*" = any */                                 \
    X(STR, char *, typ, 0, 0)               /* "dlg+jwt" (default) or "JWT" */                 \
    X(KEYS, struct dlg_key *, keys, nkeys, 0)

#define DLG_ACTOR_FIELDS(X)                                                                    \
    X(STR, char *, name, 0, 0)                                                                 \
    X(U32, uid_t, uid, 0, UINT32_MAX)                                                          \
    X(STR, char *, comment, 0, 0)           /* "" if unset */                                  \
    X(STR, char *, home, 0, 0)              /* already expanded (%u) */                        \
    X(STR, char *, shell, 0, 0)             /* actor's or accounts.shell */                    \
    X(STRV, struct dlg_strv, groups, 0, 0)  /* extra group names, each in cfg->groups */       \
    X(STRV, struct dlg_strv, principals, 0, 0) /* "*" = any */                                 \
    X(STRV, struct dlg_strv, services, 0, 0)                                                   \
    X(BOOL, bool, has_sources, 0, 0)                                                           \
    X(CIDRS, struct dlg_cidr *, sources, nsources, 0)                                          \
    X(BOOL, bool, has_runas, 0, 0)                                                             \
    X(STRV, struct dlg_strv, runas, 0, 0)                                                      \
    X(I64, int64_t, max_lifetime, 0, INT64_MAX) /* effective: min(actor, tickets) */           \
    X(I32, int, approvals, 0, 64)                                                              \
    X(BOOL, bool, revoked, 0, 0)            /* listed in revoke.actors */                      \
    X(BOOL, bool, key_required, 0, 0)       /* key_binding = "required" */                     \
    DLG_PROBE_ACTOR(X)

#define DLG_GROUP_FIELDS(X)                                                                    \
    X(STR, char *, name, 0, 0)                                                                 \
    X(U32, gid_t, gid, 0, UINT32_MAX)                                                          \
    X(STRV, struct dlg_strv, members, 0, 0) /* actor names (revoked actors excluded) */        \
    DLG_PROBE_GROUP(X)

/* Every file read (main + includes), for freshness checks. */
#define DLG_FILE_FIELDS(X)                                                                     \
    X(PATH, char *, path, 0, 0)                                                                \
    X(U64, dev_t, dev, 0, 0)                                                                   \
    X(U64, ino_t, ino, 0, 0)                                                                   \
    X(I64, off_t, size, 0, INT64_MAX)                                                          \
    X(TS, struct timespec, mtime, 0, 0)                                                        \
    X(TS, struct timespec, ctime, 0, 0)     /* catches chmod/chown, which leave mtime alone */ \
    X(U64, uint64_t, fs_type, 0, 0)         /* statfs f_type of its file system */          \
    X(BOOL, bool, absent, 0, 0)             /* read as not existing (a feed never fetched): \
                                               unchanged only while it still does not exist */

/* A revocation feed (DESIGN.md §6a): feeds = ( { id; key; url | file; ca;
 * refresh; on_stale; } ), and what the loader knows of its last verified
 * version, from DLG_FEED_REVOKED_DIR/ID.conf (config_feed.c). */
#define DLG_FEED_FIELDS(X)                                                                     \
    X(STR, char *, id, 0, 0)                /* [A-Za-z0-9._-], not starting with '.' */        \
    X(PATH, char *, key, 0, 0)              /* its public key (Ed25519 or P-256 PEM) */        \
    X(OSTR, char *, url, 0, 0)              /* "https://...", or NULL */                       \
    X(OSTR, char *, file, 0, 0)             /* a local copy, or NULL */                        \
    X(OSTR, char *, ca, 0, 0)               /* CA bundle for url; NULL: the system's CAs */    \
    X(I64, int64_t, refresh, 1, 86400)      /* seconds between fetches */                      \
    X(BOOL, bool, on_stale_end, 0, 0)       /* on_stale = "end" */                             \
    X(BOOL, bool, fetched, 0, 0)            /* a verified version is on the host */            \
    X(I64, int64_t, ver, 0, INT64_MAX)      /* of that version (0 when !fetched) */            \
    X(I64, int64_t, iat, 0, INT64_MAX)                                                         \
    X(I64, int64_t, exp, 0, INT64_MAX)

#define DLG_CONFIG_FIELDS(X)                                                                   \
    X(I32, int, version, 1, 1)                                                                 \
    X(PATH, char *, path, 0, 0)             /* main config file */                             \
    X(OSTR, char *, host_conf, 0, 0)        /* host.name; NULL: gethostname() at each load */  \
    X(DERIVED, char *, host_name, 0, 0)     /* host_conf, else gethostname() at load */        \
    X(STRV, struct dlg_strv, host_aliases, 0, 0)                                               \
    X(I64, int64_t, clock_skew, 0, DLG_CLOCK_SKEW_MAX)                                         \
    X(I64, int64_t, max_lifetime, 0, INT64_MAX)                                                \
    X(STR, char *, prompt, 0, 0)                                                               \
    X(TABLE, struct dlg_issuer *, issuers, nissuers, 0) /* sorted by id */                     \
    X(STR, char *, acc_group, 0, 0)         /* accounts.group */                               \
    X(U32, gid_t, acc_gid, 0, UINT32_MAX)                                                      \
    X(U32, uid_t, uid_min, 0, UINT32_MAX)                                                      \
    X(U32, uid_t, uid_max, 0, UINT32_MAX)                                                      \
    X(STR, char *, acc_home, 0, 0)          /* template with %u */                             \
    X(STR, char *, acc_shell, 0, 0)                                                            \
    X(TABLE, struct dlg_actor *, actors, nactors, 0) /* sorted by name (strcmp) */             \
    X(DERIVED, struct dlg_actor **, actors_by_uid, 0, 0) /* sorted by uid */                   \
    X(TABLE, struct dlg_group *, groups, ngroups, 0) /* sorted by name; not the accounts group */ \
    X(DERIVED, struct dlg_group **, groups_by_gid, 0, 0) /* sorted by gid */                   \
    X(BOOL, bool, audit_syslog, 0, 0)                                                          \
    X(OSTR, char *, audit_file, 0, 0)       /* NULL = no file */                               \
    X(OSTR, char *, revoke_file, 0, 0)      /* the file of the revoke group, NULL if none */   \
    X(IDSET, struct dlg_revoked_set, revoked_tickets, 0, 0) /* revoked ticket ids */          \
    X(STRV, struct dlg_strv, revoked_actors, 0, 0)                                             \
    X(STRV, struct dlg_strv, revoked_principals, 0, 0)                                         \
    X(STRV, struct dlg_strv, revoked_issuers, 0, 0)                                            \
    X(STRV, struct dlg_strv, revoked_keys, 0, 0)                                               \
    X(BOOL, bool, has_issued_before, 0, 0)                                                     \
    X(I64, int64_t, issued_before, INT64_MIN, INT64_MAX)                                       \
    X(TABLE, struct dlg_file_id *, files, nfiles, 0)                                           \
    X(TABLE, struct dlg_feed *, feeds, nfeeds, 0) /* in config order */                        \
    X(I64, int64_t, session_grace, 0, 3600) /* sessions.grace: SIGHUP..SIGKILL seconds */      \
    X(I64, int64_t, session_tasks_max, 0, DLG_TASKS_MAX_LIMIT) /* sessions.tasks_max, 0: none */\
    X(RUNTIME, int64_t, load_started_ns, 0, 0) /* CLOCK_REALTIME at the text load, 0 unknown */\
    X(RUNTIME, const struct dlg_config_ops *, ops, 0, 0) /* the loader's lookups and free */   \
    X(RUNTIME, void *, impl, 0, 0)          /* the loader's own state */                       \
    DLG_PROBE_CONFIG(X)

/* Member declarations, one macro per kind. */
#define DLG_DECL_STR(T, N, A, B)     T N;
#define DLG_DECL_OSTR(T, N, A, B)    T N;
#define DLG_DECL_PATH(T, N, A, B)    T N;
#define DLG_DECL_CSTR(T, N, A, B)    T N;
#define DLG_DECL_STRV(T, N, A, B)    T N;
#define DLG_DECL_BOOL(T, N, A, B)    T N;
#define DLG_DECL_U32(T, N, A, B)     T N;
#define DLG_DECL_U64(T, N, A, B)     T N;
#define DLG_DECL_I32(T, N, A, B)     T N;
#define DLG_DECL_I64(T, N, A, B)     T N;
#define DLG_DECL_TS(T, N, A, B)      T N;
#define DLG_DECL_CIDRS(T, N, A, B)   T N; size_t A;
#define DLG_DECL_KEYS(T, N, A, B)    T N; size_t A;
#define DLG_DECL_TABLE(T, N, A, B)   T N; size_t A;
#define DLG_DECL_IDSET(T, N, A, B)   T N;
#define DLG_DECL_DERIVED(T, N, A, B) T N;
#define DLG_DECL_RUNTIME(T, N, A, B) T N;
#define DLG_DECL(K, T, N, A, B)      DLG_DECL_##K(T, N, A, B)

#endif
