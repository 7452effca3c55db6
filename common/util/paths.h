/* Every file and directory delegate uses by default, in one place (issue
 * 14).  Installed paths: debian/, conf/tmpfiles.d and the man pages name
 * the same ones.  Tests point the programs elsewhere through their options
 * (--config, config=, DELEGATE_* variables), never by editing these. */
#ifndef DLG_PATHS_H
#define DLG_PATHS_H

/* The config, as the PAM module, the NSS module and delegatectl read it. */
#define DLG_DEFAULT_CONFIG "/etc/delegate/delegate.conf"

/* Root-only runtime state (tmpfs; conf/tmpfiles.d/delegate.conf). */
#define DLG_RUN_DIR        "/run/delegate"
/* Session records (common/session.c, `delegatectl sessions`). */
#define DLG_SESSIONS_DIR   DLG_RUN_DIR "/sessions"
/* Where auth leaves its verified result for the session phase
 * (pam_delegate/carry.c). */
#define DLG_CARRY_DIR      DLG_RUN_DIR "/auth"
/* Which ssh keys the sessions of an actor no longer vouch for, because a
 * session of the same actor without them was live at the same time
 * (pam_delegate/keytrust.c). */
#define DLG_KEYTRUST_DIR   DLG_RUN_DIR "/keytrust"
/* The compiled policy snapshot of the default config (compiled.h). */
#define DLG_COMPILED_PATH  DLG_RUN_DIR "/policy.bin"

/* Single-use markers of once tickets (common/once.c): persistent. */
#define DLG_ONCE_DIR       "/var/lib/delegate/.once"

/* Revocation feeds (DESIGN.md §6a; common/feed/, config/config_feed.c).
 * FEEDS_DIR (root, 0700): ID.jws, the last accepted signed feed, and
 * ID.state, its version and SHA-256 (anti-rollback) and the fetch status;
 * persistent, never touched by package upgrades or purges.
 * FEED_REVOKED_DIR (root, 0755): ID.conf, the revocations of that feed in
 * revoked.conf's syntax, written by delegatectl after it verified the feed
 * and read by the config loader like revoked.conf, so that the NSS module
 * in unprivileged processes (which cannot read FEEDS_DIR) sees them too.
 * A name starting with '.' never clashes with an actor's home (%u). */
#define DLG_FEEDS_DIR        "/var/lib/delegate/feeds"
#define DLG_FEED_REVOKED_DIR "/var/lib/delegate/.feed-revocations"

/* Defaults of accounts.home (a template, %u = the actor) and accounts.shell. */
#define DLG_DEFAULT_HOME   "/var/lib/delegate/%u"
#define DLG_DEFAULT_SHELL  "/usr/sbin/nologin"

#endif
