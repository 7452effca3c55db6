/* A config that gives every key a value, and every carried field of the
 * first actor, issuer, key, group and file a non-zero one (fields_dump.h
 * checks it): fmt takes the directory (%1$s) three times.  Header-only. */
#ifndef FIELDS_CONF_H
#define FIELDS_CONF_H

static const char fields_conf_fmt[] =
    "version = 1;\n"
    "host = { name = \"web01\"; aliases = [\"web01.example.com\", \"w1\"]; };\n"
    "tickets = { clock_skew = 30; max_lifetime = 7200; prompt = \"Ticket please: \"; };\n"
    "issuers = (\n"
    "  { id = \"corp\"; algorithms = [\"EdDSA\", \"ES256\"]; principals = [\"alice\", \"*\"]; typ = \"JWT\";\n"
    "    keys = ( { kid = \"k1\"; file = \"%1$s/ed.pub\"; }, { kid = \"k2\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"zed\"; algorithms = [\"EdDSA\"]; principals = [\"zed\"];\n"
    "    keys = ( { kid = \"z1\"; file = \"%1$s/ed.pub\"; } ); }\n"
    ");\n"
    "accounts = { group = \"dlg\"; gid = 63000; uid_min = 63001; uid_max = 63999;\n"
    "             home = \"/srv/actors/%%u\"; shell = \"/bin/sh\"; };\n"
    "actors = (\n"
    "  { name = \"all-bot\"; uid = 63001; comment = \"every field\"; shell = \"/bin/bash\";\n"
    "    groups = [\"g1\", \"g2\"]; principals = [\"alice\"]; services = [\"sshd\", \"sudo\"];\n"
    "    sources = [\"10.0.0.0/8\", \"2001:db8::/32\"]; runas = [\"alice\", \"bob\"];\n"
    "    max_lifetime = 900; approvals = 2; key_binding = \"required\"; },\n"
    "  { name = \"plain\"; uid = 63002; groups = [\"g1\"]; principals = [\"*\"]; services = [\"sshd\"]; }\n"
    ");\n"
    "groups = ( { name = \"g1\"; gid = 63100; }, { name = \"g2\"; gid = 63101; } );\n"
    "audit = { syslog = true; file = \"/var/log/delegate/audit.jsonl\"; };\n"
    "sessions = { grace = 9; tasks_max = 512; };\n"
    /* never fetched on this host: their revocation files are read as absent
     * (a fetched feed's fields: test_feed_config, in a namespace) */
    "feeds = ( { id = \"f-url\"; key = \"%1$s/feed.pub\"; url = \"https://feeds.example/f.jws\";\n"
    "            ca = \"%1$s/ca.pem\"; refresh = 45; on_stale = \"end\"; },\n"
    "          { id = \"f-file\"; key = \"%1$s/feed.pub\"; file = \"%1$s/f.jws\"; } );\n"
    "@include \"%1$s/revoked.conf\"\n";

static const char fields_revoked[] =
    "revoke = {\n"
    "  tickets = ( { id = \"t-1\"; until = 1800000000; }, \"t-2\", { id = \"t-3\"; until = 5; } );\n"
    "  actors = [\"all-bot\"]; principals = [\"mallory\"]; issuers = [\"old\"]; keys = [\"k0\"];\n"
    "  issued_before = \"2026-01-01T00:00:00Z\";\n"
    "};\n";

#endif
