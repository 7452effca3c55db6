#!/bin/bash
# delegate-exchange --check: every broken config is refused with FILE:LINE
# and exit 1 (and the service does not start on it); warnings leave a valid
# config valid; usage errors exit 2.
. "$(dirname "$0")/lib.sh"
x_require
X=$(mktemp -d /tmp/dlg-xchg.XXXXXX) || exit 2
chmod 0755 "$X"
trap x_cleanup EXIT
mkdir -m 0700 "$X/issuer"
"$CTL" keygen --out "$X/issuer/ci-1" >/dev/null || x_die "issuer key"
"$CTL" keygen --out "$X/issuer/ec" --type p256 >/dev/null || x_die "p256 issuer key"
printf '{"keys": []}\n' >"$X/jwks.json"
chmod 0644 "$X/jwks.json"
C=$X/c.conf

base() {   # the valid config, each setting on its own line (line numbers below)
    cat <<EOF
version = 1;
listen = "127.0.0.1:8443";
issuer = { id = "ci"; kid = "ci-1"; key = "$X/issuer/ci-1.key"; };
state = "$X/state";
providers = (
  { id = "github"; issuer = "https://token.actions.githubusercontent.com";
    audience = "delegate-prod";
    jwks_url = "https://token.actions.githubusercontent.com/.well-known/jwks"; max_age = 3600; },
  { id = "gitlab"; type = "gitlab"; issuer = "https://gitlab.example.test";
    audience = "delegate-prod";
    jwks_file = "$X/jwks.json"; }
);
rules = (
  { provider = "github";
    match = { repository_id = "123456"; repository_owner_id = "7890"; ref = "refs/heads/main";
              ref_type = "branch"; environment = "production"; };
    actor = "ci-deploy"; principal_claim = "actor";
    hosts = ["web01", "web02"]; services = ["sshd"]; ttl = 600; },
  { provider = "gitlab";
    match = { project_id = "20"; ref = "main"; };
    actor = "ci-deploy"; principal = "release";
    hosts = ["web01"]; services = ["sshd"]; }
);
EOF
}
conf() { base >"$C"; chmod 0644 "$C"; }
# refused DESC LINE MESSAGE-REGEX: --check exits 1 and prints FILE:LINE: message
refused() {
    local desc=$1 line=$2 re=$3 out rc
    out=$("$XCHG" --config "$C" --check 2>&1); rc=$?
    local at="$C:$line: "
    [ "$line" = - ] && at="$C: "
    if [ "$rc" -eq 1 ] && grep -qE "^$at.*$re" <<<"$out"; then
        ok "$desc: exit 1, $(basename "$C"):$line"
    else
        not_ok "$desc: exit 1, $(basename "$C"):$line: /$re/"
        diag "exit $rc" "$out"
    fi
}
edit() { conf; sed -i "$1" "$C"; }

conf
out=$("$XCHG" --config "$C" --check 2>&1); rc=$?
is "$rc $out" "0 $C: OK (2 providers, 2 rules)" "the DESIGN.md example config is valid"

edit 's/^listen = .*/listen = "127.0.0.1:8443";\nprovidres = ();/'
refused "a misspelt top-level setting" 3 "unknown setting 'providres'"
edit 's/^version = 1;/version = 2;/'
refused "version 2" 1 "unsupported version"
edit 's/    audience = "delegate-prod";//'
refused "a provider without audience (no default)" 6 "'audience' is required"
edit '0,/repository_id = "123456"; /s///'
refused "a GitHub rule without repository_id" 15 "immutable id: repository_id"
edit 's/match = { project_id = "20"; ref = "main"; };/match = { project_path = "my-group\/my-project"; ref = "main"; };/'
refused "a GitLab rule without project_id (a path only)" 20 "immutable id: project_id"
edit 's/ref_type = "branch"; environment = "production";/ref_type = "branch"; event_name = "pull_request_target";/'
refused "a rule matching event_name pull_request_target" 16 "always refused"
edit 's/match = { project_id = "20"; ref = "main"; };/match = { project_id = "20"; ref_protected = "false"; };/'
refused "a GitLab rule matching ref_protected false" 20 'ref_protected must be "true"'
edit 's/ttl = 600;/ttl = 601;/'
refused "ttl 601" 18 "out of range \(1\.\.600\)"
edit 's/principal_claim = "actor";/principal_claim = "actor"; principal = "x";/'
refused "both principal_claim and principal" 14 "exactly one of 'principal_claim'"
edit 's/principal_claim = "actor";//'
refused "neither principal_claim nor principal" 14 "exactly one of 'principal_claim'"
edit 's/provider = "gitlab";/provider = "gitlb";/'
refused "a rule naming an unknown provider" 19 "unknown provider 'gitlb'"
edit 's|jwks_url = "https://token|jwks_url = "http://token|'
refused "jwks_url over plain http" 8 "must be https://"
edit "s|jwks_file = \"$X/jwks.json\"; }|jwks_file = \"$X/jwks.json\"; jwks_url = \"https://x/j\"; }|"
refused "jwks_url and jwks_file together" 9 "exclude each other"
edit 's|issuer = "https://gitlab.example.test";|issuer = "gitlab.example.test";|'
refused "an issuer that is not an https URL" 9 "must be an https:// URL"
edit 's/ id = "gitlab"; type = "gitlab";/ id = "gitlab";/'
refused "a non-GitHub issuer without type" 9 "'type' .* is required"
edit 's/repository_id = "123456";/repository_id = 123456;/'
refused "a match value that is a number" 15 "must be a string"
edit 's/actor = "ci-deploy"; principal_claim/actor = "CI Deploy"; principal_claim/'
refused "an invalid actor name" 17 "invalid actor name"
edit 's/hosts = \["web01", "web02"\]/hosts = []/'
refused "no hosts" 18 "'hosts' must not be empty"
edit 's/services = \["sshd"\]; ttl/services = ["ss hd"]; ttl/'
refused "an invalid service name" 18 "invalid service name"
edit 's/^listen = .*/listen = "localhost:8443";/'
refused "listen on a name, not an address" 2 "neither ADDRESS:PORT"
edit 's/^state = .*/state = "var\/lib\/x";/'
refused "a relative state path" 4 "absolute path"
edit 's/max_age = 3600;/max_age = "1h";/'
refused "max_age as a string" 8 "must be an integer"
edit "s|^issuer = .*|issuer = { id = \"ci\"; kid = \"ci 1\"; key = \"$X/issuer/ci-1.key\"; };|"
refused "an invalid issuer kid" 3 "invalid kid"
edit 's/^state = /@include "\/etc\/passwd"\nstate = /'
refused "@include" 4 "@include is not supported"
edit 's/^rules = (/rules = (\n  { provider = "github"; match = { repository_id = "1"; }; actor = "ci-deploy"; principal = "p";\n    hosts = ["a-very-long-host-name-01.example.com", "a-very-long-host-name-02.example.com", "a-very-long-host-name-03.example.com"];\n    services = ["sshd", "sudo"]; runas = ["alice", "bob"]; },/'
refused "a rule whose Ed25519 tickets would reach 512 bytes" 14 "sudo refuses 512 or more"
edit 's/ttl = 600; },/ttl = 600; }/; s/^    hosts = \["web01"\]; services = \["sshd"\]; }$/    hosts = ["web01"]; services = ["sshd"]; },/'
refused "a syntax error" 19 "syntax error"

# unsafe files
conf; chmod 0666 "$C"
refused "a config writable by others" - "writable"
conf
chmod 0644 "$X/issuer/ci-1.key"
refused "an issuer key readable by others" 3 "issuer key: .*group or others"
chmod 0600 "$X/issuer/ci-1.key"
edit "s|$X/issuer/ci-1.key|$X/issuer/missing.key|"
refused "a missing issuer key" 3 "issuer key: .*No such file"
rm -f "$C"
refused "a missing config" - "No such file"

# warnings keep a config valid
edit 's|ref = "refs/heads/main";|ref = "refs/heads/*";|'
out=$("$XCHG" --config "$C" --check 2>&1); rc=$?
check "a glob-looking match value: warning, still valid (compared literally)" \
    bash -c '[ "$1" -eq 0 ] && grep -qE "c.conf:15: .*compared literally: there are no globs" <<<"$2"' _ "$rc" "$out"
edit 's/match = { project_id = "20";/match = { project_id = "20"; project_path = "my-group\/my-project";/'
out=$("$XCHG" --config "$C" --check 2>&1); rc=$?
check "matching a name that can be re-registered: warning, valid" \
    bash -c '[ "$1" -eq 0 ] && grep -qE "c.conf:20: .*re-registered" <<<"$2"' _ "$rc" "$out"
edit "s|key = \"$X/issuer/ci-1.key\"|key = \"$X/issuer/ec.key\"|"
out=$("$XCHG" --config "$C" --check 2>&1); rc=$?
is "$rc" 0 "a P-256 issuer key is accepted (ES256 tickets)"

# the service refuses to start on a broken config; usage
edit 's/^version = 1;/version = 7;/'
"$XCHG" --config "$C" >"$X/o" 2>&1; rc=$?
check "the service does not start on a broken config: exit 1, FILE:LINE on stderr" \
    bash -c '[ "$1" -eq 1 ] && grep -q "c.conf:1: unsupported version" "$2"' _ "$rc" "$X/o"
"$XCHG" --bogus >/dev/null 2>&1; is "$?" 2 "an unknown option: exit 2"
"$XCHG" extra >/dev/null 2>&1; is "$?" 2 "an extra argument: exit 2"
"$XCHG" --help | grep -q -- '--check'; is "$?" 0 "--help names --check"
