#!/bin/sh
# Same environment as the PAM tests (pam_wrapper, private mount namespace
# with tmpfs on /run and /var/lib): see tests/pam/pam-env.sh.
exec "$(dirname "$0")/../pam/pam-env.sh" "$@"
