#!/bin/bash
# No include or call cycle inside common/config/ (issue 18 item 17): the
# compiled reader depends on the config value, never on the text loader, and
# no two units call each other.  Calls from the symbols each object file of
# the build defines and uses (nm), includes from the #include lines.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
command -v nm >/dev/null || { echo "not ok 1 - nm (binutils) missing"; exit 1; }
command -v python3 >/dev/null || { echo "not ok 1 - python3 missing"; exit 1; }
python3 - "$B" <<'PY'
import glob, os, re, subprocess, sys
b = sys.argv[1]
objs = sorted(glob.glob(f"{b}/obj/common/config/*.o"))
n = 0
def check(desc, ok, detail=""):
    global n, failed
    n += 1
    print(("ok" if ok else "not ok"), n, "-", desc)
    if not ok:
        print("#", detail)
        failed = True
failed = False
check("object files of common/config/ built", len(objs) >= 10, f"found {len(objs)} in {b}")
defs, uses = {}, {}
for o in objs:
    unit = os.path.basename(o)[:-2]
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRB":
            defs[parts[2]] = unit
        elif len(parts) == 2 and parts[0] == "U":
            uses.setdefault(unit, set()).add(parts[1])
calls = {u: {defs[s] for s in syms if s in defs and defs[s] != u} for u, syms in uses.items()}
incs = {}
for f in sorted(glob.glob("common/config/*.[ch]")):
    name = os.path.basename(f)
    for m in re.finditer(r'#include "config/([^"]+)"', open(f).read()):
        if m.group(1) != name:
            incs.setdefault(name, set()).add(m.group(1))
def cycle(graph):
    state, stack = {}, []
    def dfs(v):
        state[v] = 1; stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if state.get(w) is None:
                c = dfs(w)
                if c: return c
        state[v] = 2; stack.pop()
        return None
    for v in sorted(graph):
        if state.get(v) is None:
            c = dfs(v)
            if c: return c
    return None
c = cycle(calls)
check("no call cycle between the units of common/config/", c is None, " -> ".join(c or []))
c = cycle(incs)
check("no include cycle in common/config/", c is None, " -> ".join(c or []))
loader = {u for u in calls if u.startswith("config") and u not in ("config_lookup", "config_revoked", "config_fields")}
for reader in ("compiled_read", "compiled_format"):
    bad = sorted(calls.get(reader, set()) & loader)
    check(f"{reader}.c calls nothing of the text loader", reader in calls and not bad, ", ".join(bad) or "not built")
value = {"config_lookup", "config_revoked", "config_fields"}
for v in sorted(value):
    bad = sorted(calls.get(v, set()) - value)
    check(f"{v}.c (the value) calls only the value", not bad, ", ".join(bad))
print(f"1..{n}")
sys.exit(1 if failed else 0)
PY
