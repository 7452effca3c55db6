# Sourced by tests/valgrind/test_*.sh: the verdict on one valgrind run.
#
# vg_verdict RC LOG ERR: 0 when valgrind and the program exited 0 (RC) and
# valgrind's own summaries in LOG say so: no error, nothing definitely or
# indirectly lost.  Otherwise prints "not ok 3" with the relevant lines of
# LOG and of the program's stderr (ERR) as TAP comments, and returns 1.
vg_summary_ok() {   # LOG
    grep -qE '^==[0-9]+== ERROR SUMMARY: 0 errors from 0 contexts' "$1" || return 1
    grep -qE '^==[0-9]+== All heap blocks were freed' "$1" && return 0
    grep -qE '^==[0-9]+== +definitely lost: 0 bytes in 0 blocks' "$1" &&
        grep -qE '^==[0-9]+== +indirectly lost: 0 bytes in 0 blocks' "$1"
}

vg_verdict() {      # RC LOG ERR
    [ "$1" -eq 0 ] && vg_summary_ok "$2" && return 0
    echo "not ok 3 - valgrind: exit $1, errors or definite/indirect leaks:"
    grep -E '^==[0-9]+== (ERROR SUMMARY|.*lost:|Invalid|Conditional|.*definitely|.*indirectly)' \
        "$2" | head -40 | sed 's/^/# /'
    grep -v '^==' "$3" | head -10 | sed 's/^/# /'
    return 1
}
