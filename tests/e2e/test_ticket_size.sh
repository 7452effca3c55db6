#!/bin/bash
# The largest tickets `delegatectl issue` allows go through the real
# programs (issue 18 item 13): a 511-byte sudo ticket through `sudo -S`, a
# 1023-byte sshd ticket through ssh's keyboard-interactive (SSH_ASKPASS).
# The limits themselves, with tickets minted by an independent
# implementation (python3-cryptography): sudo refuses a 512-byte reply, the
# ssh client cuts a 1024-byte one; issue refuses to mint either.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
e2e_start_sshd

HOME_BOT=/var/lib/delegate/support-bot
ssh-keygen -q -t ed25519 -N '' -C e2e-size -f "$NS/client/id_size"

# mint_len LEN ACTOR SVC [RUNAS] [APPROVER]: a ticket of exactly LEN bytes
# from corp/k1, signed by python3-cryptography; the length is reached with
# a second audience entry (aud stays an array holding this host)
mint_len() {
    /usr/bin/python3 - "$NS/issuer/corp-k1.key" "$HOSTNAME_DLG" "$@" <<'EOF'
import base64, json, sys, time
from cryptography.hazmat.primitives.serialization import load_pem_private_key
key_file, host, want, actor, svc = sys.argv[1:6]
runas = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
apv = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
key = load_pem_private_key(open(key_file, "rb").read(), password=None)
b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
for kid in ("k1", None):
    header = {"alg": "EdDSA", "typ": "dlg+jwt"}
    if kid:
        header["kid"] = kid
    for n in range(1, 2000):
        claims = {"iss": "corp", "sub": "alice", "act": {"sub": actor},
                  "aud": [host, "p" * min(n, 200) + ("." + "q" * (n - 200) if n > 200 else "")],
                  "svc": [svc], "iat": now, "exp": now + 600, "jti": "size-%d" % n}
        if runas:
            claims["runas"] = [runas]
        if apv:
            claims["apv"] = [apv]
        si = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
             b64(json.dumps(claims, separators=(",", ":")).encode())
        if len(si) + 1 + 86 == int(want):
            print(si + "." + b64(key.sign(si.encode())))
            sys.exit(0)
        if len(si) + 1 + 86 > int(want):
            break
sys.exit(1)
EOF
}

# ---- sudo: the largest ticket issue mints (511 bytes) -----------------------------------
# walk the jti length until issue prints a 511-byte ticket
T511=
for n in $(seq 1 64); do
    j=$(head -c "$n" /dev/zero | tr '\0' j)
    t=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
              --runas alice --approver carol,dave --bind-key "$NS/client/id_size.pub" \
              --jti "$j" 2>/dev/null) || break
    [ "${#t}" -eq 511 ] && { T511=$t; break; }
done
check "issue mints a sudo ticket of exactly 511 bytes" test "${#T511}" -eq 511
out=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --runas alice \
            --approver carol,dave --bind-key "$NS/client/id_size.pub" \
            --jti "$(head -c 64 /dev/zero | tr '\0' j)" 2>&1 >/dev/null)
check "issue refuses the same ticket with a longer jti (over 511 bytes)" \
    grep -q "sudo takes at most 511" <<<"$out"
# bound to a key: only a sudo inside a session that proved it would pass, so
# take an unbound one of the same length for the plain sudo path
U511=
for n in $(seq 1 64); do
    j=$(head -c "$n" /dev/zero | tr '\0' u)
    t=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
              --runas alice --approver "carol,dave,$(head -c 40 /dev/zero | tr '\0' e)" \
              --jti "$j" 2>/dev/null) || break
    [ "${#t}" -eq 511 ] && { U511=$t; break; }
done
check "issue mints an unbound sudo ticket of exactly 511 bytes" test "${#U511}" -eq 511
audit_mark
out=$(sudo_as support-bot "$U511" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "real sudo -S with the 511-byte ticket: admitted" grep -q "RAN-AS=alice$" <<<"$out"
check "audit admit for it" audit_has event=admit service=sudo user=support-bot

# the limit is sudo's: 512 bytes (independent minting) never reach the module
T512=$(mint_len 512 support-bot sudo alice carol)
check "python3-cryptography mints a sudo ticket of exactly 512 bytes" test "${#T512}" -eq 512
audit_mark
out=$(sudo_as support-bot "$T512" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "real sudo -S with a 512-byte ticket: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "sudo passed no ticket to the module (audit deny no_ticket)" \
    audit_has event=deny service=sudo user=support-bot reason=no_ticket
T511P=$(mint_len 511 support-bot sudo alice carol)
audit_mark
out=$(sudo_as support-bot "$T511P" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "control: its 511-byte sibling (independent minting) is admitted" grep -q "RAN-AS=alice$" <<<"$out"

# the bound 511-byte one inside a session that proved its key
printf '%s\n' "$T511" >"$HOME_BOT/t511"
chown 62002:62000 "$HOME_BOT/t511"
chmod 0600 "$HOME_BOT/t511"
sed -i 's/services = \["sudo"\];/services = ["sudo", "'"$SSHD_SVC"'"];/' "$CONF"
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
e2e_stop_sshd
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd
S=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --approver carol --ttl 10m --bind-key "$NS/client/id_size.pub")
audit_mark
out=$(SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$S \
      timeout 60 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
      -i "$NS/client/id_size" -o PreferredAuthentications=publickey,keyboard-interactive \
      -p "$PORT" support-bot@127.0.0.1 \
      "sudo -S -u alice sh -c 'echo RAN-AS=\$(id -un)' <t511 2>&1" 2>>"$NS/ssh-client.err")
check "the bound 511-byte sudo ticket inside a session of its key: admitted" \
    grep -q "RAN-AS=alice$" <<<"$out"

# ---- ssh: the largest sshd-only ticket issue mints (1023 bytes) ----------------------------
T1023=
for h in $(seq 20 60); do
    hosts=$HOSTNAME_DLG$(printf ',h%03d.example.test' $(seq 1 "$h"))
    for n in $(seq 1 64); do
        j=$(head -c "$n" /dev/zero | tr '\0' s)
        t=$(issue --actor ci-deploy --for alice --host "$hosts" --service "$SSHD_SVC" \
                  --jti "$j" 2>/dev/null) || break
        [ "${#t}" -eq 1023 ] && { T1023=$t; break 2; }
    done
done
check "issue mints an sshd ticket of exactly 1023 bytes" test "${#T1023}" -eq 1023
audit_mark
out=$(ssh_kbd "$T1023" ci-deploy 'echo ADMITTED')
check "real ssh (keyboard-interactive, SSH_ASKPASS) with the 1023-byte ticket: admitted" \
    grep -qx ADMITTED <<<"$out"
T1024=$(mint_len 1024 ci-deploy "$SSHD_SVC")
check "python3-cryptography mints an sshd ticket of exactly 1024 bytes" test "${#T1024}" -eq 1024
audit_mark
out=$(ssh_kbd "$T1024" ci-deploy 'echo ADMITTED')
check "real ssh with a 1024-byte ticket: refused (the client cut it)" \
    bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "the module saw a cut ticket (audit deny malformed or bad_signature)" \
    grep -Eq '"event":"deny".*"reason":"(malformed|bad_signature)"' <<<"$(audit_new)"

check "no ticket text in the audit trail or the logs" \
    secret_absent "$T511" "$AUDIT" "$NS/sshd.log" "$NS/sudo.err"
