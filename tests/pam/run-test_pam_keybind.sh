#!/bin/sh
# pam_wrapper environment: see pam-env.sh
exec "$(dirname "$0")/pam-env.sh" "$@"
