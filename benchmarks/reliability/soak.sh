#!/usr/bin/env bash
# The reliability soak: runs the reliability test category at the issue's full sizes (SPINDLE_SOAK=1: 20,000-task
# chaos maps, 20 parent kills, 100 runaway tasks, 100,000 leaking tasks, 600 fuzzed protocol cases), measures
# Python's pools under the same faults, and rewrites docs/reliability.md with the figures and the machine's load.
# Usage: bash benchmarks/reliability/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
figures=$(mktemp)
log=$(mktemp)
trap 'rm -f "$figures" "$log"' EXIT

{
    echo -e "run.date\t$(date -u +%Y-%m-%d)"
    echo -e "run.commit\t$(git rev-parse --short HEAD)"
    echo -e "run.cores\t$(nproc)"
    echo -e "run.load_before\t$(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$figures"

start=$(date +%s)
status=0
SPINDLE_SOAK=1 SPINDLE_RELIABILITY_FIGURES="$figures" \
    dotnet test tests/Spindle.Tests -c Release --filter "Category=Reliability" 2>&1 | tee "$log" || status=$?
echo -e "run.seconds\t$(( $(date +%s) - start ))" >> "$figures"
echo -e "run.load_after\t$(cut -d' ' -f1-3 /proc/loadavg)" >> "$figures"
echo -e "run.tests\t$(grep -E '^(Passed|Failed)!' "$log" | tail -1 | sed -E 's/^(Passed|Failed)! +- +//; s/, Duration.*//; s/ +/ /g')" >> "$figures"

python3 benchmarks/reliability/python_pools.py >> "$figures" || echo -e "python.error\tthe Python comparison failed" >> "$figures"
# The "spindle run abuse" section belongs to run-abuse-soak.sh: carried over as it is.
run_abuse=$(sed -n '/^## spindle run abuse/,$p' docs/reliability.md 2>/dev/null || true)
python3 benchmarks/reliability/render.py "$figures" > docs/reliability.md
if [ -n "$run_abuse" ]; then printf '\n%s\n' "$run_abuse" >> docs/reliability.md; fi
echo "soak: wrote docs/reliability.md (tests exit status $status)"
exit "$status"
