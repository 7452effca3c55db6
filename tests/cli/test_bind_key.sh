#!/bin/bash
# Key-bound tickets from the shell (issue 12): issue --bind-key sets cnf to
# the key's OpenSSH SHA256 fingerprint (as ssh-keygen -lf prints it) for
# every key type; verify --ssh-key simulates the key for sshd and sudo;
# key_binding = "required"; authorized-keys; a Python-minted bound ticket.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }
command -v ssh-keygen >/dev/null || { not_ok "ssh-keygen is installed"; finish; }

for k in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa; do
    case $k in
    ecdsa*) ssh-keygen -q -t ecdsa -b "${k#ecdsa}" -N '' -C "cli-$k" -f "$T/$k" ;;
    rsa) ssh-keygen -q -t rsa -b 2048 -N '' -C "cli-$k" -f "$T/$k" ;;
    *) ssh-keygen -q -t "$k" -N '' -C "cli-$k" -f "$T/$k" ;;
    esac
done
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other"
fp_of() { ssh-keygen -lf "$1" | awk '{print $2}'; }
cnf_of() {   # TICKET: cnf.ssh of the decoded claims
    "$DELEGATECTL" inspect "$1" 2>/dev/null |
        /usr/bin/python3 -c 'import sys,json,re
t=sys.stdin.read(); i=t.index("{", t.index("Claims:"))
d,_=json.JSONDecoder().raw_decode(t[i:]); print(d.get("cnf",{}).get("ssh",""))'
}

# ---- issue --bind-key: cnf = ssh-keygen's fingerprint, for every type -----
for k in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa; do
    t=$(ci_ticket --bind-key "$T/$k.pub")
    is_fp=$(cnf_of "$t")
    if [ -n "$is_fp" ] && [ "$is_fp" = "$(fp_of "$T/$k.pub")" ]; then
        ok "issue --bind-key ($k): cnf.ssh equals ssh-keygen -lf"
    else
        not_ok "issue --bind-key ($k): cnf.ssh equals ssh-keygen -lf"
        echo "# cnf '$is_fp' ssh-keygen '$(fp_of "$T/$k.pub")'"
    fi
    verify_ci "$t" --ssh-key "$T/$k.pub"
    expect_admit "a $k-bound ticket with its key is admitted"
    verify_ci "$t" --ssh-key "$T/other.pub"
    expect_deny key_mismatch "a $k-bound ticket with another key: key_mismatch"
done
t=$(ci_ticket --bind-key "$T/ed25519.pub")
check "an Ed25519-signed ticket bound to a key stays under 512 bytes (${#t})" test "${#t}" -lt 512
t=$(ci_ticket --bind-key "$T/rsa.pub" --runas alice,bob --source 10.0.0.0/8 --jti a-longer-ticket-id)
check "even with an RSA key and more claims it stays under 512 bytes (${#t})" test "${#t}" -lt 512

verify_ci "$(ci_ticket --bind-key "$T/ed25519.pub")"
expect_deny key_mismatch "a bound ticket with no key used: key_mismatch"
check "the explanation names the bound key" grep -q "$(fp_of "$T/ed25519.pub")" "$T/out"
verify_ci "$(ci_ticket --bind-key "$T/ed25519.pub")" --ssh-key "$(fp_of "$T/ed25519.pub")"
expect_admit "verify --ssh-key also takes the fingerprint itself"
verify_ci "$(ci_ticket)" --ssh-key "$T/ed25519.pub"
expect_admit "an unbound ticket is admitted whatever key was used (key_binding optional)"

# sudo: the same rule, the key being the one of the session sudo runs in
t=$(bot_ticket --runas alice --bind-key "$T/ecdsa256.pub")
verify_bot "$t" --ssh-key "$T/ecdsa256.pub"
expect_admit "sudo: a bound ticket inside a session of that key is admitted"
verify_bot "$t"
expect_deny key_mismatch "sudo: a bound ticket outside any keyed session: key_mismatch"
verify_bot "$t" --ssh-key "$T/rsa.pub"
expect_deny key_mismatch "sudo: a bound ticket in a session of another key: key_mismatch"

# ---- errors ---------------------------------------------------------------
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host web01 \
    --service sshd --bind-key "$T/nope.pub"
expect_out 2 "bind-key .*nope.pub" "issue --bind-key with a missing file: exit 2"
printf 'ssh-dss AAAAB3NzaC1kc3MAAACBAP== x\n' >"$T/dsa.pub"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host web01 \
    --service sshd --bind-key "$T/dsa.pub"
expect_out 2 "unsupported key type" "issue --bind-key with an unsupported type: exit 2"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host web01 \
    --service sshd --bind-key "$T/ed25519"
expect_out 2 "bind-key" "issue --bind-key with a private key file: refused"
check "nothing printed for a refused --bind-key" test ! -s "$T/out"
run_ctl_in "$(ci_ticket)" verify --config "$CONF" --user ci-deploy --service sshd --ssh-key "$T/dsa.pub" -
expect 2 "verify --ssh-key with an unusable key: usage error"

# ---- key_binding = "required" -------------------------------------------
write_config "$T/req.conf"
sed -i 's/approvals = 0; }/approvals = 0; key_binding = "required"; }/' "$T/req.conf"
run_ctl check-config --config "$T/req.conf"
expect 0 "key_binding = \"required\" is a valid actor setting"
run_ctl_in "$(ci_ticket)" verify --config "$T/req.conf" --user ci-deploy --service sshd \
    --rhost 10.1.2.3 --ssh-key "$T/ed25519.pub" -
expect_deny key_required "key_binding required: an unbound ticket is refused key_required"
run_ctl_in "$(ci_ticket --bind-key "$T/ed25519.pub")" verify --config "$T/req.conf" \
    --user ci-deploy --service sshd --rhost 10.1.2.3 --ssh-key "$T/ed25519.pub" -
expect_admit "key_binding required: a bound ticket with its key is admitted"
write_config "$T/bad.conf"
sed -i 's/approvals = 0; }/approvals = 0; key_binding = "always"; }/' "$T/bad.conf"
run_ctl check-config --config "$T/bad.conf"
expect_out 1 "key_binding' must be \"optional\" or \"required\"" "key_binding = \"always\" is refused"
write_config "$T/bad2.conf"
sed -i 's/approvals = 0; }/approvals = 0; key_binding = true; }/' "$T/bad2.conf"
run_ctl check-config --config "$T/bad2.conf"
expect 1 "key_binding of the wrong type is refused"

# ---- authorized-keys ------------------------------------------------------
read -r ktype kb64 _ <"$T/ed25519.pub"
run_ctl authorized-keys --config "$CONF" ci-deploy "$ktype" "$kb64"
expect 0 "authorized-keys for an actor: exit 0"
is_line=$(cat "$T/out")
check "authorized-keys prints the offered key back, restricted" \
    test "$is_line" = "restrict,pty $ktype $kb64"
for k in ecdsa384 rsa; do
    read -r ktype2 kb642 _ <"$T/$k.pub"
    run_ctl authorized-keys --config "$CONF" ci-deploy "$ktype2" "$kb642"
    check "authorized-keys accepts a $k key for an actor" test "$(cat "$T/out")" = "restrict,pty $ktype2 $kb642"
done
run_ctl authorized-keys --config "$CONF" alice "$ktype" "$kb64"
expect 0 "authorized-keys for a non-actor: exit 0"
check "authorized-keys for a non-actor prints nothing" test ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" ci-deploy ssh-ed25519-cert-v01@openssh.com "$kb64"
check "authorized-keys prints nothing for a certificate type" test ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" ci-deploy ssh-rsa "$kb64"
check "authorized-keys prints nothing when the blob does not match the type" test ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" ci-deploy "$ktype" "${kb64%?}"
check "authorized-keys prints nothing for truncated base64" test ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" ci-deploy "$ktype" "${kb64%????}!!!!"
check "authorized-keys prints nothing for a non-base64 character" test ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" "ci-deploy
evil" "$ktype" "$kb64"
check "authorized-keys prints nothing for an invalid user name" test ! -s "$T/out"
write_config "$T/rev.conf"
sed -i 's/^@include.*//' "$T/rev.conf"
printf 'revoke = { tickets = (); actors = ["ci-deploy"]; };\n' >>"$T/rev.conf"
run_ctl authorized-keys --config "$T/rev.conf" ci-deploy "$ktype" "$kb64"
check "authorized-keys prints nothing for a revoked actor" test "$RC" -eq 0 -a ! -s "$T/out"
run_ctl authorized-keys --config "$T/missing.conf" ci-deploy "$ktype" "$kb64"
check "authorized-keys with an unusable config: exit 1, nothing printed" test "$RC" -eq 1 -a ! -s "$T/out"
run_ctl authorized-keys --config "$CONF" ci-deploy
expect 2 "authorized-keys with too few arguments: usage error"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    chmod 755 "$T"
    out=$(runuser -u nobody -- "$DELEGATECTL" authorized-keys --config "$CONF" ci-deploy "$ktype" "$kb64" 2>&1)
    check "authorized-keys works as nobody (AuthorizedKeysCommandUser)" \
        test "$out" = "restrict,pty $ktype $kb64"
fi

# ---- any JWT library can mint a bound ticket (the README's example) ------
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    fp=$(fp_of "$T/ed25519.pub")
    sed -n '/^```python bind-key-example$/,/^```$/p' README.md | sed '1d;$d' >"$T/mint.py"
    check "README has the Python bound-ticket example" test -s "$T/mint.py"
    t=$(/usr/bin/python3 "$T/mint.py" "$T/corp.key" ci-deploy alice "$HOST" sshd "$fp" 2>"$T/py.err")
    verify_ci "$t" --ssh-key "$T/ed25519.pub"
    expect_admit "a ticket minted by the README's Python example with its key is admitted"
    verify_ci "$t" --ssh-key "$T/other.pub"
    expect_deny key_mismatch "the Python-minted bound ticket with another key: key_mismatch"
else
    not_ok "/usr/bin/python3 has the cryptography module"
fi

# ---- malformed cnf (signed, so only the parser can refuse it) -----------
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    fp=$(fp_of "$T/ed25519.pub")
    cnfs=(
        '"SHA256:'"${fp#SHA256:}"'"'                          # not an object
        '{"ssh":"'"${fp#SHA256:}"'"}'                         # no prefix
        '{"ssh":"sha256:'"${fp#SHA256:}"'"}'                  # wrong prefix case
        '{"ssh":"'"$fp"'=","x":1}'                            # extra member
        '{"ssh":"'"$fp"'="}'                                  # padding
        '{"ssh":"'"${fp%?}"'"}'                               # 42 chars
        '{"ssh":"'"${fp%?}"'-"}'                              # base64url char
        '{"ssh":"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"}'  # stray bits
        '{"ssh":["'"$fp"'"]}'                                 # array
        '{"ssh":null}'                                        # null
        '{}'                                                  # empty
        '{"ssh":"'"$fp"'","ssh2":"x"}'                        # extra member
        '{"jkt":"abc"}'                                       # another confirmation method
        'null'
    )
    i=0
    for c in "${cnfs[@]}"; do
        i=$((i + 1))
        t=$(/usr/bin/python3 - "$T/corp.key" "$c" <<'EOF'
import base64, json, sys, time
from cryptography.hazmat.primitives.serialization import load_pem_private_key
key = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
h = b(json.dumps({"alg": "EdDSA", "typ": "dlg+jwt", "kid": "k1"}).encode())
c = '{"iss":"corp","sub":"alice","act":{"sub":"ci-deploy"},"aud":"web01","svc":["sshd"],' \
    '"iat":%d,"exp":%d,"jti":"cnf-bad","cnf":%s}' % (now, now + 600, sys.argv[2])
p = b(c.encode())
print(h + "." + p + "." + b(key.sign((h + "." + p).encode())))
EOF
)
        verify_ci "$t" --ssh-key "$T/ed25519.pub"
        expect_deny malformed "malformed cnf #$i ($c) is refused malformed"
    done
    t=$(/usr/bin/python3 - "$T/corp.key" "$(fp_of "$T/ed25519.pub")" <<'EOF'
import base64, json, sys, time
from cryptography.hazmat.primitives.serialization import load_pem_private_key
key = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
h = b(json.dumps({"alg": "EdDSA", "typ": "dlg+jwt", "kid": "k1"}).encode())
c = '{"iss":"corp","sub":"alice","act":{"sub":"ci-deploy"},"aud":"web01","svc":["sshd"],' \
    '"iat":%d,"exp":%d,"jti":"cnf-dup","cnf":{"ssh":"%s","ssh":"%s"}}' % (now, now + 600, sys.argv[2], sys.argv[2])
p = b(c.encode())
print(h + "." + p + "." + b(key.sign((h + "." + p).encode())))
EOF
)
    verify_ci "$t" --ssh-key "$T/ed25519.pub"
    expect_deny malformed "a duplicate ssh member in cnf is malformed"
fi

finish
