#!/bin/bash
# The exchange part of `make bench`: delegate-exchange pinned to one core
# (taskset -c 0), native TLS, the JWKS from a real nginx; a client on the
# other core (bench_exchange, libcurl, one kept-alive connection, one request
# at a time) sends BENCH_EXCHANGES fresh GitHub-shaped tokens (mint.py),
# then times as many bare Ed25519 ticket signings (common/'s signer) in the
# same run.  Writes "KEY VALUE" lines to $1; TAP on stdout.
OUTFILE=${1:?usage: run.sh RESULTS}
. "$(dirname "$0")/../../tests/exchange/lib.sh"
N=${BENCH_EXCHANGES:-2000}
[ "${BENCH_QUICK:-0}" = 1 ] && N=200
x_setup
X_WRAP="taskset -c 0" x_write_config
X_WRAP="taskset -c 0" x_start
tok --count "$N" >"$X/tokens" || x_die "minting $N tokens"
PUB=$(job_key)
if taskset -c 1 "$B/bench/bench_exchange" "$URL/v1/ticket" "$X/tokens" "$PUB" "$X/issuer/ci-1.key" \
       "$X/pki/ca.crt" >"$X/bench.out" 2>"$X/bench.err"; then
    ok "bench_exchange: $N exchanges, every one 200"
    cp "$X/bench.out" "$OUTFILE"
    echo "exchange.state_fs $(df --output=fstype "$X" | tail -n 1)" >>"$OUTFILE"
else
    not_ok "bench_exchange: $N exchanges"
    sed 's/^/# /' "$X/bench.err"
fi
