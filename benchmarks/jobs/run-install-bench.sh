#!/usr/bin/env bash
# The `spindle` tool as installed from a package: packs Spindle.Tool into a local feed, times its installation into a
# fresh tool path (each with an empty package cache, so every install reads the package from the feed), then measures
# start-up to the end of one trivial job through the INSTALLED tool, `spindle run true ::: 1`, side by side with GNU
# parallel's `parallel true ::: 1` in the same hyperfine run, and a command handed to the full CLI (`spindle --version`). Prints a Markdown table for docs/benchmarks.md.
#
#   bash benchmarks/jobs/run-install-bench.sh           # needs hyperfine and parallel (apt-get install -y hyperfine parallel)
#   RUNS=60 INSTALLS=7 bash benchmarks/jobs/run-install-bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-40}
installs=${INSTALLS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. benchmarks/jobs/need-tools.sh
need_tools hyperfine parallel python3

echo "run-install-bench: packing Spindle.Tool into a local feed…" >&2
version=$(dotnet msbuild src/Spindle/Spindle.csproj -getProperty:Version)
dotnet pack src/Spindle.Cli.Native -c Release -o "$work/feed" >/dev/null
dotnet pack src/Spindle.Cli.Native -c Release -r linux-x64 -o "$work/feed" >/dev/null
cat >"$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
CONFIG

echo "run-install-bench: $installs installs into fresh tool paths…" >&2
: >"$work/install-times"
for i in $(seq "$installs"); do
    start=$(date +%s.%N)
    NUGET_PACKAGES="$work/cache$i" dotnet tool install Spindle.Tool --version "$version" --tool-path "$work/tools$i" --configfile "$work/nuget.config" >/dev/null
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >>"$work/install-times"
done
spindle="$work/tools1/spindle"
[ "$("$spindle" run echo ::: ok)" = "ok" ] || { echo "run-install-bench: the installed spindle did not run a job" >&2; exit 1; }
parallel --will-cite true ::: 1 >/dev/null 2>&1 || true # GNU parallel's first run writes its citation notice

echo "run-install-bench: start-up, 3 warm-ups then $runs runs of each command…" >&2
hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$work/startup.json" \
    "$spindle run true ::: 1" "parallel --will-cite true ::: 1" "$spindle --version" >/dev/null

python3 - "$work/startup.json" "$work/install-times" "$version" "$runs" <<'PY'
import json, os, statistics, sys
startup = json.load(open(sys.argv[1]))["results"]
installs = [float(x) for x in open(sys.argv[2]).read().split()]
version, runs = sys.argv[3], sys.argv[4]
spindle, parallel, handed = (statistics.median(r["times"]) * 1000 for r in startup)
load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
print(f"Load average at the time: {load} on {os.cpu_count()} cores (a machine shared with other builds: absolute times inflate, the ratio holds better).")
print()
print("| figure | installed `spindle` | GNU parallel | ratio | target | met |")
print("|---|---|---|---|---|---|")
print(f"| start-up to the end of one trivial job (`run true ::: 1`), median of {runs} | {spindle:.1f} ms | {parallel:.1f} ms | {spindle / parallel:.3f}x parallel ({parallel / spindle:.0f}x faster) | ≤ 30 ms | {'yes' if spindle <= 30 else 'no'} |")
print(f"| `spindle --version`: a command the native front hands by exec to the full CLI (ReadyToRun, JIT runtime), median of {runs} | {handed:.1f} ms | — | — | — | — |")
print(f"| `dotnet tool install Spindle.Tool` {version} from a local feed, fresh tool path and package cache, median of {len(installs)} (min–max) | {statistics.median(installs):.2f} s ({min(installs):.2f}–{max(installs):.2f} s) | — | — | reported | — |")
PY
