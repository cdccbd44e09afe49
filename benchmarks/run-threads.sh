#!/usr/bin/env bash
# Measures the thread executor's figures (issue 2) side by side with their baselines and rewrites the
# "## Thread executor" section of docs/benchmarks.md. Takes about 3 minutes on 2 cores.
#   bash benchmarks/run-threads.sh            # measure and write docs/benchmarks.md
#   KEEP=1 bash benchmarks/run-threads.sh     # also keep the raw results in bench-results/threads/
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out=bench-results/threads
rm -rf "$out"
mkdir -p "$out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

dotnet build -c Release benchmarks/Spindle.Benchmarks -o "$out/bin" >"$out/build.log" 2>&1 \
    || { tail -20 "$out/build.log"; exit 1; }
bench() { dotnet "$out/bin/Spindle.Benchmarks.dll" "$@"; }

echo "1/3 submit overhead (BenchmarkDotNet)" >&2
bench --filter '*SubmitOverheadBenchmarks*' --launchCount 1 --warmupCount 3 --iterationCount 9 \
    --exporters json --artifacts "$out/bdn" >"$out/bdn.log" 2>&1 \
    || { tail -40 "$out/bdn.log"; exit 1; }

echo "2/3 waits and CPU batch (Stopwatch harness, 7 interleaved rounds)" >&2
bench harness threads --repeats 7 --out "$out/harness.json" 2>"$out/harness.log"

echo "3/3 Python side by side (5 interleaved rounds)" >&2
python3 benchmarks/python/threads_side_by_side.py --repeats 5 >"$out/python.json" 2>"$out/python.log"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 benchmarks/threads_report.py "$out" "$load_before" "$load_after" docs/benchmarks.md
[ "${KEEP:-0}" = 1 ] || rm -rf "$out"
sed -n '/^## Thread executor/,/^## [^T]/p' docs/benchmarks.md
