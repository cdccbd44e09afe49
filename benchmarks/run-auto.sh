#!/usr/bin/env bash
# Runs issue 4's mixed workload by Auto and by every hand-chosen assignment of kinds to lanes, plus the GC
# question (allocation-heavy work on threads vs processes) under workstation and server GC, and rewrites the
# "Auto" section of docs/benchmarks.md. About 10 minutes on 2 cores with 2 repeats.
#   bash benchmarks/run-auto.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
repeats=${1:-2}
out=$(mktemp -d)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
dotnet build -c Release benchmarks/Spindle.Benchmarks -o "$out/bin" >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
echo "1/2 mixed workload, workstation GC" >&2
DOTNET_gcServer=0 dotnet "$out/bin/Spindle.Benchmarks.dll" harness auto --repeats "$repeats" --out "$out/wks.json" 2>"$out/wks.log"
echo "2/2 mixed workload, server GC" >&2
DOTNET_gcServer=1 dotnet "$out/bin/Spindle.Benchmarks.dll" harness auto --repeats "$repeats" --out "$out/svr.json" 2>"$out/svr.log"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
grep "auto report" "$out/wks.log" | sed 's/^auto report: /- /' >"$out/report.txt" || true
python3 - "$out" "$load_before" "$load_after" "$repeats" <<'PY' | python3 benchmarks/docs_section.py docs/benchmarks.md "Auto"
import json, sys
out, before, after, repeats = sys.argv[1:5]
for gc, name in [("wks", "workstation"), ("svr", "server")]:
    d = json.load(open(f"{out}/{gc}.json"))
    combos = {k: v for k, v in d.items() if k.count("-") == 2}
    best = min(combos, key=combos.get); worst = max(combos, key=combos.get)
    auto = d["auto"]
    if gc == "wks":
        print(f"Command: `bash benchmarks/run-auto.sh {repeats}` (medians of {repeats} interleaved rounds after a warm-up round: every round runs every assignment once, each on its own executor kept for the whole run; 2 CPU threads, 2 worker processes). "
              f"Load average before/after: {before} / {after}. Workload: 200 downloads of 50 ms + 40 CPU tasks of ~50 ms + 40 allocation-heavy tasks of ~50 ms, submitted together. "
              "An assignment is written download-cpu-alloc lanes (io = I/O lane, cpu = CPU lane, proc = worker processes); io-cpu-cpu is \"everything on threads\" (the thread executor's own routing), proc-proc-proc \"everything on processes\".")
        print()
    print(f"### {name.capitalize()} GC in the parent")
    print()
    print(f"- Auto: **{auto:.2f} s**; best hand-chosen ({best}): {combos[best]:.2f} s → Auto at **{auto/combos[best]:.2f}x** of the best{f' ({auto/combos[best]:.3f}x)' if round(auto/combos[best], 2) == 1.1 else ''} (target ≤ 1.1x: {'met' if auto/combos[best] <= 1.1 else '**missed**'}); "
          f"worst ({worst}): {combos[worst]:.2f} s → Auto **{combos[worst]/auto:.1f}x** faster (target ≥ 1.5x: {'met' if combos[worst]/auto >= 1.5 else '**missed**'}).")
    print(f"- Everything on threads (io-cpu-cpu): {combos['io-cpu-cpu']:.2f} s; everything on processes (proc-proc-proc): {combos['proc-proc-proc']:.2f} s.")
    print(f"- Allocation-heavy alone (40 tasks): serial {d['alloc.serial']:.2f} s, CPU lane {d['alloc.cpu_lane']:.2f} s ({d['alloc.serial']/d['alloc.cpu_lane']:.2f}x), processes {d['alloc.processes']:.2f} s ({d['alloc.serial']/d['alloc.processes']:.2f}x).")
    print()
    print("| assignment | seconds | vs best |")
    print("|---|---|---|")
    for k, v in sorted(list(combos.items()) + [("**auto**", auto)], key=lambda kv: kv[1]):
        print(f"| {k} | {v:.2f} | {v/combos[best]:.2f}x |")
    print()
print("Auto's own report for the run (workstation GC):")
print()
print(open(f"{out}/report.txt").read())
PY
rm -rf "$out"
sed -n '/^## Auto/,/^## [^A]/p' docs/benchmarks.md | head -20
