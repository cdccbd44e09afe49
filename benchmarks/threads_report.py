"""Writes the "## Thread executor" section of docs/benchmarks.md from the raw results of run-threads.sh.

Usage: python3 benchmarks/threads_report.py <results dir> <load before> <load after> <docs/benchmarks.md>
Standard library only. Every ratio is a ratio of medians taken in the same run.
"""

import datetime
import glob
import json
import os
import platform
import re
import sys

HEADING = "## Thread executor"


def bdn_medians(folder):
    """Median nanoseconds per item and bytes per item of each BenchmarkDotNet method."""
    path = glob.glob(os.path.join(folder, "bdn", "results", "*SubmitOverheadBenchmarks*.json"))[0]
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return {
        b["Method"]: (b["Statistics"]["Median"], b["Memory"]["BytesAllocatedPerOperation"])
        for b in report["Benchmarks"]
        if b.get("Statistics")
    }


def ns(value):
    return f"{value:,.0f} ns"


def per_second(ns_per_item):
    return f"{1e9 / ns_per_item:,.0f}/s"


def secs(value):
    return f"{value:.3f} s"


def met(ok):
    return "yes" if ok else "**no**"


def build_section(folder, load_before, load_after):
    bdn = bdn_medians(folder)
    with open(os.path.join(folder, "harness.json"), encoding="utf-8") as f:
        h = json.load(f)
    with open(os.path.join(folder, "python.json"), encoding="utf-8") as f:
        py = json.load(f)

    pfe, pfe_bytes = bdn["ParallelForEachAsync"]
    task_run, task_run_bytes = bdn["TaskRun"]
    submit, submit_bytes = bdn["Submit"]
    submit_async, submit_async_bytes = bdn["SubmitAsync"]
    map_, map_bytes = bdn["Map"]
    unordered, unordered_bytes = bdn["MapUnordered"]
    tpe = py["tpe.trivial.per_item"] * 1e9
    tpe_map = py["tpe.map.per_item"] * 1e9

    waits = h["waits.spindle.submit"]
    waits_map = h["waits.spindle.map"]
    cpu_submit = h["cpu.serial"] / h["cpu.spindle.submit"]
    cpu_map = h["cpu.serial"] / h["cpu.spindle.map"]
    cpu_parallel_for = h["cpu.serial"] / h["cpu.parallel.for"]
    cpu_python = py["cpu.serial"] / py["cpu.threads"]

    rows = [
        ("Trivial task via `executor.Map` (CPU lane), per item", ns(map_),
         f"`Parallel.ForEachAsync` {ns(pfe)}", f"{map_ / pfe:.2f}x", "≤ 1.25x", met(map_ / pfe <= 1.25)),
        ("Trivial task via `executor.Submit` + `Task.WhenAll` (CPU lane), per item", ns(submit),
         f"`Parallel.ForEachAsync` {ns(pfe)}; `Task.Run` {ns(task_run)}",
         f"{submit / pfe:.2f}x; {submit / task_run:.2f}x", "≤ 1.25x of `Parallel.ForEachAsync`", met(submit / pfe <= 1.25)),
        ("Trivial tasks per second, `executor.Submit` on 2 CPU lane threads", per_second(submit),
         f"Python `ThreadPoolExecutor(2)` {per_second(tpe)}", f"{tpe / submit:.0f}x", "≥ 1,000,000/s",
         met(1e9 / submit >= 1_000_000)),
        ("Trivial tasks per second, `executor.Map`", per_second(map_),
         f"Python `ThreadPoolExecutor(2).map` {per_second(tpe_map)}", f"{tpe_map / map_:.0f}x", "≥ 1,000,000/s",
         met(1e9 / map_ >= 1_000_000)),
        ("10,000 concurrent waits of 100 ms, `executor.Submit` on the I/O lane (concurrency 10,000)", secs(waits),
         f"raw `Task.Delay` + `WhenAll` {secs(h['waits.tasks'])}; Python asyncio {secs(py['asyncio.waits'])}; "
         f"1,000 Python threads {secs(py['threads.waits'])}",
         f"{waits / h['waits.tasks']:.2f}x; {waits / py['asyncio.waits']:.2f}x; —", "≤ 0.2 s", met(waits <= 0.2)),
        ("10,000 concurrent waits of 100 ms, `executor.Map` (MaxInFlight 10,000)", secs(waits_map),
         f"raw `Task.Delay` + `WhenAll` {secs(h['waits.tasks'])}", f"{waits_map / h['waits.tasks']:.2f}x",
         "≤ 0.2 s", met(waits_map <= 0.2)),
        (f"CPU batch, 40 tasks of {h['cpu.task'] * 1000:.0f} ms, speedup over serial, `executor.Submit`, 2 CPU lane threads",
         f"{cpu_submit:.2f}x ({secs(h['cpu.spindle.submit'])} vs {secs(h['cpu.serial'])})",
         f"`Parallel.For` (2) {cpu_parallel_for:.2f}x; Python threads {cpu_python:.2f}x",
         f"{cpu_submit / cpu_parallel_for:.2f}x of `Parallel.For`", "≥ 1.9x", met(cpu_submit >= 1.9)),
        ("CPU batch speedup over serial, `executor.Map`", f"{cpu_map:.2f}x ({secs(h['cpu.spindle.map'])})",
         f"`Parallel.For` (2) {cpu_parallel_for:.2f}x", f"{cpu_map / cpu_parallel_for:.2f}x of `Parallel.For`",
         "≥ 1.9x", met(cpu_map >= 1.9)),
    ]

    lines = [
        HEADING,
        "",
        "Reproduce with `bash benchmarks/run-threads.sh` (about 3 minutes; it rewrites this section).",
        f"Last run {datetime.date.today().isoformat()} on {os.cpu_count()} cores, {platform.system()}; "
        f"load average (1, 5, 15 min) {load_before} before and {load_after} after. The machine is shared: with a "
        "load near or above 2 the CPU-batch speedups and nanosecond figures are pessimistic.",
        "",
        "| figure | Spindle | baseline(s) | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [
        "",
        "How each figure is taken:",
        "- Per-item figures: BenchmarkDotNet (1 launch, 3 warm-ups, 9 iterations, medians) over 10,000 items per "
        "invocation, `OperationsPerInvoke = 10,000`; trivial work is `x + 1`; the executor has 2 CPU lane threads. "
        f"Allocated per item: `Parallel.ForEachAsync` {pfe_bytes} B, `Task.Run` {task_run_bytes} B, "
        f"`Submit` {submit_bytes} B, `Submit` of async work (I/O lane, {ns(submit_async)}) {submit_async_bytes} B, "
        f"`Map` {map_bytes} B, `MapUnordered` ({ns(unordered)}) {unordered_bytes} B. "
        "Source: `benchmarks/Spindle.Benchmarks/Threads/SubmitOverheadBenchmarks.cs`.",
        "- Waits and the CPU batch: a Stopwatch harness (`benchmarks/Spindle.Benchmarks/Threads/ThreadsHarness.cs`, "
        "run by `dotnet Spindle.Benchmarks.dll harness threads`), one warm-up round and 7 rounds in which every case "
        "runs once, medians. The CPU task counts primes by trial division, its size calibrated to about 50 ms at start.",
        "- Python: `benchmarks/python/threads_side_by_side.py` (standard library, CPython "
        f"{platform.python_version()}), the same shapes, 5 interleaved rounds, medians.",
        "",
        "Reading the table:",
        "- `executor.Map` of sync work is the figure comparable with `Parallel.ForEachAsync` (one call over a source, "
        "no task handed back per item). It runs consecutive items in batches on one CPU lane thread, sized from "
        "measured item times (about 0.1 ms of work per batch; `MapOptions.BatchSize` fixes it), so tiny items do not "
        "each pay for a Task, a queue slot and a wake-up, while slow items still go one by one.",
        "- `executor.Submit` returns a Task per item whose continuations run on the pool, never on a lane thread; "
        "that is dearer than `Task.Run` (which lets `WhenAll` complete inline on the pool thread) and cannot come "
        "near `Parallel.ForEachAsync`, which allocates nothing per item. Its target is the tasks-per-second figure.",
        "- A CPU-batch speedup is only meaningful when the load average is below about 1: compare it with "
        "`Parallel.For` on the same row, which suffers the same contention.",
        "",
    ]
    return "\n".join(lines)


def main():
    folder, load_before, load_after, doc = sys.argv[1:5]
    section = build_section(folder, load_before, load_after)
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    # Replace our section (up to the next "## " heading) or append it; other sections stay as they are.
    pattern = re.compile(r"^## Thread executor\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(doc, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
