#!/bin/sh
# test_feed_config writes the feed revocation files at their fixed path
# (/var/lib/delegate/.feed-revocations, read by the config loader of every
# process, so by design not movable by an environment variable): it runs in
# a private mount namespace with a tmpfs on /var/lib, which vanishes with it.
[ $# -ge 1 ] || { echo "usage: $0 TEST_BINARY" >&2; exit 2; }
exec unshare --mount --propagation private -- \
    sh -c 'mount -t tmpfs -o mode=0755,size=64m dlg-unit-varlib /var/lib && exec "$@"' _ "$@"
