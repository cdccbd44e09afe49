#!/usr/bin/env bash
# Measures `spindle run` side by side with `xargs -P` and GNU parallel (when installed) in one run, and rewrites
# the "## spindle run" section of docs/benchmarks.md with medians and ratios.
#
#   bash benchmarks/jobs/run-jobs-bench.sh            # needs hyperfine (apt-get install -y hyperfine); parallel optional
#   RUNS=10 bash benchmarks/jobs/run-jobs-bench.sh    # more runs per figure (default 5; start-up uses 4x as many)
#
# The tool is measured as users run it, published as `bash benchmarks/jobs/publish-tool.sh DIR` lays it out: the
# `spindle` executable (Native AOT; it runs `spindle run` itself) beside the full CLI (ReadyToRun). The start-up row
# is also taken for the full CLI's own `spindle run` (`Spindle.Cli run`), the path `dotnet run` and tests take.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. benchmarks/jobs/need-tools.sh
need_tools hyperfine
have_parallel=0
if command -v parallel >/dev/null; then have_parallel=1; fi

echo "run-jobs-bench: publishing the tool (Native AOT front, ReadyToRun full CLI)…" >&2
bash benchmarks/jobs/publish-tool.sh "$work/tool" >/dev/null
spindle="$work/tool/spindle"
managed="$work/tool/Spindle.Cli"
seq 1000 > "$work/n1000"
seq 200 > "$work/n200"
seq 100 > "$work/n100"

# One hyperfine comparison; $1 = name, the rest = commands (the first is the baseline).
bench() {
    local name=$1 n=$2
    shift 2
    hyperfine -N --style none --warmup 1 --runs "$n" --export-json "$work/$name.json" "$@" >/dev/null
}

# hyperfine -N cannot redirect stdin or stdout, so each command is a small script.
mk() { printf '#!/usr/bin/env bash\n%s\n' "$2" > "$work/$1"; chmod +x "$work/$1"; echo "$work/$1"; }

par=()
echo "run-jobs-bench: 1,000 jobs of true at -j2…" >&2
x1=$(mk x1 "xargs -P2 -n1 true < $work/n1000")
s1=$(mk s1 "$spindle run -j2 true < $work/n1000")
[ $have_parallel = 1 ] && par=("$(mk p1 "parallel -j2 true < $work/n1000")")
bench true1000 "$runs" "$x1" "$s1" "${par[@]}"

par=()
echo "run-jobs-bench: 200 jobs of sleep 0.05 at -j20…" >&2
x2=$(mk x2 "xargs -P20 -I{} sleep 0.05 < $work/n200")
s2=$(mk s2 "$spindle run -j20 'sleep 0.05 # {}' < $work/n200")
[ $have_parallel = 1 ] && par=("$(mk p2 "parallel -j20 'sleep 0.05 # {}' < $work/n200")")
bench sleep200 "$runs" "$x2" "$s2" "${par[@]}"

par=()
echo "run-jobs-bench: start-up to the end of one trivial job…" >&2
[ $have_parallel = 1 ] && par=("parallel true ::: 1")
bench startup $((runs * 4)) "$spindle run true ::: 1" "${par[@]}" "$managed run true ::: 1"

par=()
echo "run-jobs-bench: 100 jobs printing 1,000 lines each at -j10, grouped…" >&2
x4=$(mk x4 "xargs -P10 -I{} seq 1000 < $work/n100 > /dev/null")
s4=$(mk s4 "$spindle run -j10 'seq 1000 # {}' < $work/n100 > /dev/null")
[ $have_parallel = 1 ] && par=("$(mk p4 "parallel -j10 'seq 1000 # {}' < $work/n100 > /dev/null")")
bench output "$runs" "$x4" "$s4" "${par[@]}"
# Correctness of that output: every line whole, every job's 1,000 lines together and in order.
"$spindle" run -j10 'seq 1000 # {}' < "$work/n100" > "$work/grouped.txt"

load=$(uptime | sed 's/.*load average: //')
python3 - "$work" "$have_parallel" "$load" "$root/docs/benchmarks.md" <<'PY'
import json, sys, statistics, re, platform, os
work, have_parallel, load, doc = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]

def med(name, i):
    return json.load(open(f"{work}/{name}.json"))["results"][i]["median"]

def fmt_ms(s): return f"{s*1000:.1f} ms"

lines = open(f"{work}/grouped.txt").read().split("\n")[:-1]
whole = all(re.fullmatch(r"[0-9]+", l) for l in lines)
grouped = len(lines) == 100_000 and all(lines[i] == str(i % 1000 + 1) for i in range(len(lines)))

rows = []
x, s = med("true1000", 0), med("true1000", 1)
p = med("true1000", 2) if have_parallel else None
rows.append(("1,000 jobs of `true`, -j2: per job", f"{x/1000*1000:.2f} ms", f"{s/1000*1000:.2f} ms", f"{p/1000*1000:.2f} ms" if p else "not installed",
             f"{s/x:.2f}x xargs" + (f", {p/s:.1f}x faster than parallel" if p else ""), "≤ 1.3x xargs, ≥ 3x faster than parallel"))
x, s = med("sleep200", 0), med("sleep200", 1)
p = med("sleep200", 2) if have_parallel else None
rows.append(("200 jobs of `sleep 0.05`, -j20 (ideal 0.5 s)", fmt_ms(x), fmt_ms(s), fmt_ms(p) if p else "not installed",
             f"{s/0.5:.2f}x ideal (xargs {x/0.5:.2f}x)" + (f", parallel {p/0.5:.2f}x" if p else ""), "≤ 1.15x ideal"))
s = med("startup", 0)
p = med("startup", 1) if have_parallel else None
m = med("startup", 2 if have_parallel else 1)
rows.append(("start-up to the end of one trivial job", "—", fmt_ms(s), fmt_ms(p) if p else "not installed",
             (f"{s/p:.2f}x parallel" if p else "—"), "≤ 60 ms (parallel: 105 ms on a quiet machine)"))
rows.append(("the same, full CLI's own `run` (ReadyToRun, JIT runtime)", "—", fmt_ms(m), fmt_ms(p) if p else "not installed",
             (f"{m/p:.2f}x parallel" if p else "—"), "—"))
x, s = med("output", 0), med("output", 1)
p = med("output", 2) if have_parallel else None
rows.append(("100 jobs × 1,000 lines, -j10, grouped", fmt_ms(x) + " (not grouped)", fmt_ms(s), fmt_ms(p) if p else "not installed",
             (f"{p/s:.2f}x faster than parallel" if p else "—"), "≥ parallel's speed, no torn or mixed line"))

out = ["## spindle run", "",
       "Reproduce: `bash benchmarks/jobs/run-jobs-bench.sh` (needs `hyperfine`; GNU parallel is measured when installed).",
       "The tool is published as `bash benchmarks/jobs/publish-tool.sh DIR` lays it out: `spindle` (Native AOT) runs `spindle run` itself and hands other commands to the full CLI (ReadyToRun) beside it.",
       f"Medians of hyperfine runs; all tools measured in the same run. Load average at the time: {load} on {os.cpu_count()} cores"
       " (figures taken while other builds ran are inflated; ratios hold better than absolute times).", "",
       "| figure | xargs -P | spindle run | GNU parallel | ratio | target |", "|---|---|---|---|---|---|"]
out += ["| " + " | ".join(r) + " |" for r in rows]
out += ["", f"Grouped output check (100,000 lines written by 10 concurrent jobs): whole lines: {'yes' if whole else 'NO'}; each job's lines together and in order: {'yes' if grouped else 'NO'}.", ""]
section = "\n".join(out)

text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
pattern = re.compile(r"^## spindle run\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(doc, "w").write(text.rstrip("\n") + "\n")
print(section)
PY
