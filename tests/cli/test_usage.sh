#!/bin/bash
# delegatectl: global options, --help of every verb, usage errors (exit 2,
# message and usage on stderr) and askpass.
. "$(dirname "$0")/lib.sh"

VERBS="keygen issue inspect verify check-config revoke prune sessions watch askpass authorized-keys"

run_ctl
expect_out 2 "a verb is required" "no verb: exit 2"
check "no verb: usage on stderr, nothing on stdout" \
    bash -c "grep -q '^Usage: delegatectl' '$T/err' && test ! -s '$T/out'"
run_ctl --help
expect_out 0 "^Usage: delegatectl" "--help: exit 0"
check "--help goes to stdout and lists every verb" \
    bash -c "for v in $VERBS; do grep -q \"^  \$v \" '$T/out' || exit 1; done; test ! -s '$T/err'"
run_ctl -h
expect_out 0 "^Usage: delegatectl" "-h: exit 0"
run_ctl --version
expect_out 0 "^delegatectl [0-9]+\.[0-9]+\.[0-9]+$" "--version prints the version"
run_ctl frobnicate
expect_out 2 "unknown verb 'frobnicate'" "an unknown verb: exit 2"
run_ctl --frobnicate
expect_out 2 "unknown option '--frobnicate'" "an unknown global option: exit 2"
run_ctl help revoke
expect_out 0 "^Usage: delegatectl revoke" "'help VERB' shows the verb's help"

for v in $VERBS; do
    run_ctl "$v" --help
    if [ "$RC" -eq 0 ] && grep -q "^Usage: delegatectl $v" "$T/out" && [ ! -s "$T/err" ]; then
        ok "$v --help: usage on stdout, exit 0"
    else
        not_ok "$v --help: usage on stdout, exit 0 (exit $RC)"; diag "$T/out" "$T/err"
    fi
done
for v in keygen issue inspect verify check-config revoke prune sessions watch; do
    run_ctl "$v" -h
    expect_out 0 "^Usage: delegatectl $v" "$v -h: exit 0"
    run_ctl "$v" --no-such-option
    if [ "$RC" -eq 2 ] && grep -q "^delegatectl $v: unknown option '--no-such-option'$" "$T/err" \
        && grep -q "^Usage: delegatectl $v" "$T/err" && [ ! -s "$T/out" ]; then
        ok "$v with an unknown option: one-line message and usage on stderr, exit 2"
    else
        not_ok "$v with an unknown option (exit $RC)"; diag "$T/out" "$T/err"
    fi
done
for v in verify check-config revoke prune watch; do
    run_ctl "$v" --config
    expect_out 2 "^delegatectl $v: option '--config' requires an argument$" \
        "$v --config without a value: exit 2"
done
run_ctl keygen --type
expect_out 2 "option '--type' requires an argument" "keygen --type without a value: exit 2"
run_ctl issue --ttl
expect_out 2 "option '--ttl' requires an argument" "issue --ttl without a value: exit 2"
run_ctl revoke --ticket
expect_out 2 "option '--ticket' requires an argument" "revoke --ticket without a value: exit 2"
run_ctl sessions --json extra
expect 2 "sessions with an extra argument: exit 2"
run_ctl watch extra
expect 2 "watch with an extra argument: exit 2"
run_ctl watch --config relative.conf
expect_out 2 "--config must be an absolute path" "watch --config with a relative path: exit 2"
run_ctl keygen -x
expect_out 2 "unknown option '-x'" "an unknown short option is named"

# ---- askpass ------------------------------------------------------------
DELEGATE_TICKET=abc.def.ghi "$DELEGATECTL" askpass "Delegation ticket: " >"$T/out" 2>"$T/err"; RC=$?
expect 0 "askpass exits 0"
check "askpass prints \$DELEGATE_TICKET and a newline" \
    test "$(od -An -c "$T/out" | tr -d ' \n')" = 'abc.def.ghi\n'
check "askpass ignores the prompt argument and prints nothing else" test ! -s "$T/err"
env -u DELEGATE_TICKET "$DELEGATECTL" askpass "Password: " >"$T/out" 2>"$T/err"; RC=$?
expect_out 2 "DELEGATE_TICKET is not set" "askpass without DELEGATE_TICKET: exit 2"
check "askpass without a ticket prints nothing on stdout" test ! -s "$T/out"
DELEGATE_TICKET="" "$DELEGATECTL" askpass >"$T/out" 2>"$T/err"; RC=$?
expect 2 "askpass with an empty DELEGATE_TICKET: exit 2"
ln -s "$DELEGATECTL" "$T/delegatectl-askpass"
DELEGATE_TICKET=xyz "$T/delegatectl-askpass" "Prompt: " >"$T/out" 2>"$T/err"; RC=$?
check "a link named delegatectl-askpass acts as askpass (for SSH_ASKPASS)" \
    test "$RC" -eq 0 -a "$(cat "$T/out")" = xyz

# ssh runs $SSH_ASKPASS with execlp(): prove the link works with the real
# mechanism (ssh-add asks for a key passphrase through it, like ssh does for
# a password)
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
    pass=abc.def-GHI_123
    ssh-keygen -q -t ed25519 -N "$pass" -f "$T/sshkey"
    # in the foreground (-D) as our own child, so it is reaped
    ssh-agent -D -a "$T/agent.sock" >/dev/null 2>&1 & agent=$!
    CLEANUP_PIDS="$CLEANUP_PIDS $agent"
    export SSH_AUTH_SOCK=$T/agent.sock
    for _ in $(seq 1 600); do [ -S "$SSH_AUTH_SOCK" ] && break; sleep 0.1; done
    SSH_ASKPASS=$T/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$pass \
        ssh-add "$T/sshkey" </dev/null >"$T/out" 2>&1; RC=$?
    expect_out 0 "Identity added" "ssh's askpass mechanism gets \$DELEGATE_TICKET through delegatectl-askpass"
    kill "$agent"; wait "$agent" 2>/dev/null
fi

# ---- bash completion (with stand-ins for bash-completion's helpers) -------
comp() {
    bash -c '
        _init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
                             cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
        _filedir() { COMPREPLY=(FILES); }
        . conf/delegatectl.bash-completion
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
        _delegatectl
        echo "${COMPREPLY[*]}"' comp "$@"
}
check "completion: verbs" test "$(comp delegatectl re)" = "revoke"
check "completion: revoke options" test "$(comp delegatectl revoke --t)" = "--ticket --terminate"
check "completion: watch options" test "$(comp delegatectl watch --c)" = "--config"
check "completion: keygen --type values" test "$(comp delegatectl keygen --type '')" = "ed25519 p256"
check "completion: issue --key completes files" test "$(comp delegatectl issue --key '')" = "FILES"
check "completion: options after other options" \
    test "$(comp delegatectl issue --single-use --ap)" = "--approver"

finish
