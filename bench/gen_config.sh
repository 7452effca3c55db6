#!/bin/bash
# gen_config.sh CONF REVOKED NACTORS NREVOKED SERVICE PUBKEY AUDITFILE
#
# A delegate.conf with NACTORS actors and a revoked.conf (included) with
# NREVOKED revoked ticket ids, the way `delegatectl revoke` writes them
# (sorted by id, each with its until).  Actor 1 is "ci-deploy" (the one the
# PAM benchmark logs in as); the others are bench-00002... with uids from
# 62001 up, each in one of 10 extra groups, so that the file looks like a
# real one of that size rather than a list of names.
#
# Also writes CONF.passwd: an /etc/passwd with root and the same number of
# entries (same names and uids) for the nss_files comparison.
set -eu
conf=$1 revoked=$2 nactors=$3 nrevoked=$4 service=$5 pubkey=$6 audit=$7

{
cat <<EOF
version = 1;
host = { name = "bench-host"; aliases = ["bench-host.example.test"]; };
tickets = { clock_skew = 60; max_lifetime = 3600; prompt = "Delegation ticket: "; };
issuers = (
  { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
    keys = ( { kid = "k1"; file = "$pubkey"; } ); }
);
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 99999;
             home = "/var/lib/delegate/%u"; shell = "/usr/sbin/nologin"; };
groups = (
EOF
for g in 0 1 2 3 4 5 6 7 8 9; do
    sep=","; [ "$g" = 9 ] && sep=""
    echo "  { name = \"team$g\"; gid = $((61000 + g)); }$sep"
done
echo ");"
echo "actors = ("
awk -v n="$nactors" -v svc="$service" 'BEGIN {
    for (i = 1; i <= n; i++) {
        name = (i == 1) ? "ci-deploy" : sprintf("bench-%05d", i);
        sep = (i == n) ? "" : ",";
        printf "  { name = \"%s\"; uid = %d; comment = \"bench actor %d\"; shell = \"/bin/bash\";\n", name, 62000 + i, i;
        printf "    groups = [\"team%d\"]; principals = [\"alice\", \"release\"]; services = [\"%s\"];\n", i % 10, svc;
        printf "    sources = [\"10.0.0.0/8\", \"127.0.0.1/32\"]; approvals = 0; }%s\n", sep;
    }
}'
echo ");"
echo "audit = { syslog = true; file = \"$audit\"; };"
echo "@include \"$revoked\""
} >"$conf"

# Ticket ids like delegatectl's (26 chars of [0-9A-Z]); until in the future.
awk -v n="$nrevoked" 'BEGIN {
    print "revoke = {";
    if (n == 0) {
        print "  tickets = ();";
    } else {
        print "  tickets = (";
        for (i = 1; i <= n; i++) {
            sep = (i == n) ? "" : ",";
            printf "    { id = \"01JDX3R%019d\"; until = \"2099-11-27T10:15:00Z\"; }%s\n", i * 7919, sep;
        }
        print "  );";
    }
    print "  actors = []; principals = []; issuers = []; keys = [];";
    print "};";
}' >"$revoked"

awk -v n="$nactors" 'BEGIN {
    print "root:x:0:0:root:/root:/bin/bash";
    for (i = 1; i <= n; i++) {
        name = (i == 1) ? "ci-deploy" : sprintf("bench-%05d", i);
        printf "%s:x:%d:62000:bench actor %d:/var/lib/delegate/%s:/bin/bash\n", name, 62000 + i, i, name;
    }
}' >"$conf.passwd"
chmod 0644 "$conf" "$revoked" "$conf.passwd"
