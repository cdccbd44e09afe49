#!/usr/bin/env bash
# spindle run abuse soak (issue 8, item 6): the full sizes of tests/Spindle.Tests/Reliability/RunAbuseTests.cs.
# Runs the real CLI on 100,000 jobs, 2 GiB of output per mode, 1 MB input lines, jobs that never exit, ignore
# SIGTERM or leave grandchildren; measures time, jobs/s and peak RSS; then runs the xunit abuse tests with
# SPINDLE_SOAK=1; and (re)writes the "## spindle run abuse" section of docs/reliability.md.
#   bash benchmarks/reliability/run-abuse-soak.sh        (about 5-10 minutes; needs ~3 GB free RAM and /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/Spindle.Cli -c Release -v q -nologo >/dev/null
cli="$PWD/src/Spindle.Cli/bin/Release/net10.0/Spindle.Cli.dll"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=()
load_before=$(uptime | sed 's/.*load average: //')

# measure NAME EXPECTED_EXIT JOBS CMD...: runs CMD under /usr/bin/time, stdout counted by wc -c.
measure() {
    local name=$1 expect=$2 jobs=$3; shift 3
    local status=0
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || status=$?
    local secs rss bytes
    read -r secs rss < <(tail -1 "$work/time")
    bytes=$(cat "$work/out")
    local rate="-"
    if [ "$jobs" -gt 1 ]; then rate=$(python3 -c "print(f'{$jobs/max($secs,0.001):,.0f}')"); fi
    local ok="yes"; [ "$status" -eq "$expect" ] || ok="NO (exit $status, expected $expect)"
    rows+=("| $name | $jobs | ${secs} s | $rate | $((rss / 1024)) MB | $bytes | $ok |")
    echo "$name: exit $status (expected $expect), ${secs} s, peak RSS $((rss / 1024)) MB, stdout $bytes bytes" >&2
}

leftovers() { { pgrep -f "sleep 1037" || true; } | wc -l; }

spindle() { dotnet "$cli" run "$@"; }
export -f spindle; export cli

seq 100000 >"$work/ids"
measure "100,000 \`true\` jobs, -j8" 0 100000 bash -c 'spindle -j8 true <"$0" | wc -c' "$work/ids"
measure "100,000 jobs, every 97th fails (1,030 failures)" 101 100000 bash -c 'spindle -j8 "exit \$(( {} % 97 == 0 ))" <"$0" | wc -c; exit ${PIPESTATUS[0]}' "$work/ids"
gib=$((2 << 30))
line="yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c $gib # {}"
for mode in "" --line-buffer --ungroup --keep-order; do
    measure "one job printing 2 GiB ${mode:---group}" 0 1 bash -c 'spindle -j1 $0 "$1" ::: x | wc -c' "${mode:---group}" "$line"
done
measure "8 jobs printing 256 MiB each at once, grouped" 0 8 bash -c 'spindle -j8 "head -c 268435456 /dev/zero # {}" ::: 1 2 3 4 5 6 7 8 | wc -c'
python3 -c "print('\n'.join(c * 1_000_000 for c in 'abcdefghij'))" >"$work/mb"
measure "10 input lines of 1 MB (each over Linux's 128 KiB argument limit)" 10 10 bash -c 'spindle -j2 "printf %s {} | wc -c" <"$0" | wc -c; exit ${PIPESTATUS[0]}' "$work/mb"
measure "200 jobs that never exit, --timeout 1, -j50" 101 200 bash -c 'seq 200 | spindle -j50 --timeout 1 "sleep 1037 # {}" 2>/dev/null | wc -c; exit ${PIPESTATUS[1]}'
measure "200 jobs ignoring SIGTERM, --timeout 1, -j50" 101 200 bash -c "seq 200 | spindle -j50 --timeout 1 \"trap '' TERM; sleep 1037 & wait # {}\" 2>/dev/null | wc -c; exit \${PIPESTATUS[1]}"
measure "1,000 jobs each leaving 3 grandchildren, --line-buffer -j16" 0 1000 bash -c "seq 1000 | spindle -j16 --line-buffer \"sleep 1037 & (sleep 1037 &); (trap '' TERM; exec sleep 1037) & echo {}\" | wc -c"
left=$(leftovers)

xunit="not run"
if SPINDLE_SOAK=1 dotnet test tests/Spindle.Tests --filter "FullyQualifiedName~RunAbuseTests" >"$work/xunit" 2>&1; then
    xunit=$(grep -E '^(Passed|Failed)!' "$work/xunit" | sed -E 's/ - Spindle.Tests.dll.*//')
else
    xunit="FAILED: $(grep -E '^(Passed|Failed)!' "$work/xunit" | sed -E 's/ - Spindle.Tests.dll.*//')"
fi

[ -f docs/reliability.md ] || printf '# Reliability\n\nHow Spindle behaves under abuse, with the command that reproduces each figure.\n' >docs/reliability.md
{
    echo "Reproduce: \`bash benchmarks/reliability/run-abuse-soak.sh\` (rewrites this section). CI runs the same"
    echo "checks at small sizes: \`dotnet test --filter \"Category=Reliability&FullyQualifiedName~RunAbuseTests\"\`"
    echo "(5,000 jobs, 200 MB per job, about 20 s); \`SPINDLE_SOAK=1\` scales those tests to these sizes."
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; load average before: $load_before, after: $(uptime | sed 's/.*load average: //')."
    echo "Release build of the CLI, \`/usr/bin/time\` around \`dotnet Spindle.Cli.dll run ...\` (time includes ~0.3 s of .NET start-up;"
    echo "peak RSS is the largest process of the command, the runner)."
    echo
    echo "| abuse | jobs | time | jobs/s | peak RSS | stdout bytes | exit status as expected |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "- Processes left behind afterwards (\`pgrep -f 'sleep 1037'\`): **$left**."
    echo "- Abuse tests at soak size (\`SPINDLE_SOAK=1 dotnet test --filter FullyQualifiedName~RunAbuseTests\`): $xunit."
    echo "- Exit status: the number of failed jobs, 101 for more than 100 (GNU parallel's rule); a job killed by --timeout"
    echo "  counts as failed. A 1 MB argument cannot be passed to any program on Linux (128 KiB per argument), so each such"
    echo "  job fails with \"Command line too long\" (exit value 127) and the rest run."
    echo "- Memory: grouped output waits in the job's memfd (kernel memory, like GNU parallel's temp file, but not"
    echo "  evictable without swap) and is copied out in 64 KiB chunks, so the runner's RSS does not grow with a job's"
    echo "  output; the memfd itself holds the whole output until the job's turn to be written. --line-buffer holds only"
    echo "  the current unfinished line of each job (a job printing gigabytes with no newline is held whole)."
    echo "- A job is its whole process group: once its leader exits, whatever it left running gets the termination"
    echo "  sequence (TERM, TERM, TERM, KILL over 375 ms). GNU parallel leaves such processes running; detach a daemon with setsid."
} | python3 benchmarks/docs_section.py docs/reliability.md "spindle run abuse"
echo "wrote the 'spindle run abuse' section of docs/reliability.md" >&2
