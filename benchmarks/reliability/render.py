"""Writes docs/reliability.md from the figures soak.sh collected ("key<TAB>value" lines)."""
import sys

figures = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        key, _, value = line.rstrip("\n").partition("\t")
        if key:
            figures[key] = value


def fig(key):
    return figures.get(key, "(not measured: the test did not report it; see the soak log)")


SOAK = "SPINDLE_SOAK=1 dotnet test tests/Spindle.Tests -c Release --filter"

print(f"""# Reliability

What Spindle's process executor promises under faults, as figures. Every figure below comes from one run of

```bash
bash benchmarks/reliability/soak.sh
```

which runs the reliability test category (`tests/Spindle.Tests/Reliability/`, `[Trait("Category", "Reliability")]`)
at the issue's full sizes (`SPINDLE_SOAK=1`), measures Python's pools under the same faults
(`benchmarks/reliability/python_pools.py`, standard library only), and rewrites this page. The same tests run in CI
(`dotnet test`) at smaller sizes. Each item also names the command that reruns just that item at full size.

Run: {fig("run.date")}, commit {fig("run.commit")}, {fig("run.cores")} cores, shared machine with load average
{fig("run.load_before")} before and {fig("run.load_after")} after (1, 5, 15 min); {fig("run.seconds")} s in all;
tests: {fig("run.tests")}. Correctness figures (counts, exactly-once, zero leftovers) do not depend on load; the
times do, and are only indicative on a busy machine.

## Side by side with Python ({fig("python.version")})

| fault | Python | Spindle |
|---|---|---|
| one worker SIGKILLed while 40 tasks run | `ProcessPoolExecutor`: {fig("python.pool_executor_kill")} (`BrokenProcessPool`) | a kill fails at most the one task it interrupted (item 1, retries off), and none with retries on |
| one worker SIGKILLed during `map` | `multiprocessing.Pool.map`: {fig("python.mp_pool_kill")} | the map completes, every result exactly once (item 1) |
| parent SIGKILLed | {fig("python.parent_killed")} | no worker, task child or socket file left 3 s later (item 2) |

## 1. Chaos map: a random worker SIGKILLed every 200 ms

3 workers, tasks of about 1 ms of CPU each, a random ready worker SIGKILLed every 200 ms for the whole run.

| | retries on (`Retries = 1000`, `MapUnordered`) | retries off (`Submit` each task) |
|---|---|---|
| tasks | {fig("chaos.retries_on.tasks")} | {fig("chaos.retries_off.tasks")} |
| results present exactly once and correct | {fig("chaos.retries_on.exactly_once")} (wrong: {fig("chaos.retries_on.wrong")}) | {fig("chaos.retries_off.correct")} correct |
| failures | 0 | {fig("chaos.retries_off.crashed")}, every one a `WorkerCrashedException` with signal 9 |
| kills | {fig("chaos.retries_on.kills")} | {fig("chaos.retries_off.kills")} |
| retries | {fig("chaos.retries_on.retried")} | — |
| time | {fig("chaos.retries_on.seconds")} s | {fig("chaos.retries_off.seconds")} s |

A Map sends items in batches, so a kill re-runs the batch its worker was running (the "items" figure). Reproduce:
`{SOAK} "FullyQualifiedName~ChaosTests"`.

## 2. Dying parent

A parent (the dummy app, 2 workers, each task having started a `sleep` child) in a session of its own is SIGKILLed
at a random moment: while its workers boot and connect, during a map, or during a graceful shutdown.

| | |
|---|---|
| parents killed | {fig("parent.kills")} |
| processes of theirs alive at the kills (workers, task children, janitors) | {fig("parent.processes_at_kill")} |
| processes and socket directories left 3 s later | 0 and 0 (asserted for every kill) |
| slowest cleanup | {fig("parent.slowest_cleanup_ms")} ms |

Reproduce: `{SOAK} "FullyQualifiedName~DyingParentTests"`.

## 3. Runaway work

Tasks that loop forever with a 200 ms timeout, each followed by 5 normal tasks, on 2 workers.

| | |
|---|---|
| runaways killed (`TaskTimeoutException`) | {fig("runaway.killed")} |
| normal tasks | {fig("runaway.normal")} |

Reproduce: `{SOAK} "FullyQualifiedName~RunawayTests"`.

## 4. Leaks

A parent (the dummy app, so the figures are its own) maps a task that leaks 64 KB per item on 2 workers with
`MemoryLimitBytes` = 128 MB.

| | |
|---|---|
| tasks | {fig("leak.tasks")} |
| workers recycled at the memory limit | {fig("leak.recycles")} |
| parent RSS (MB), ten samples from 10% to 100% of the tasks | {fig("leak.rss_mb")} |
| parent threads (10% → end) | {fig("leak.threads")} |
| parent open descriptors (10% → end) | {fig("leak.descriptors")} |

The resident memory rises in the first part of the run and then settles: the C allocator keeps the stacks of
exited threads (two per recycled worker) and freed heap for reuse. Threads and descriptors, which leaked one
thread and about five descriptors per recycled worker before this suite found it, no longer grow with recycles
(the few extra descriptors at the end belong to a worker being replaced at that moment). Reproduce:
`{SOAK} "FullyQualifiedName~LeakTests"`.

## 5. Protocol abuse

FsCheck generates scripts a fake worker follows after receiving two tasks: valid results, errors and cancellations,
garbled payloads and error records, frames of the wrong type, replays of earlier frames, random bytes, truncated
frames, and headers announcing oversized or negative lengths; failures shrink to the shortest script. The fake
worker is the test process itself (the executor's worker command is a shell script that hands over its token), so
the parent's allocations can be counted with `GC.GetTotalAllocatedBytes` (frame cap 1 MB; oversized headers
announce 16 MB to 2 GB). A second property sends clients without the token: random bytes, hellos with random
tokens, oversized and negative headers, other frame types, and a replay of a real worker's hello.

| | |
|---|---|
| fuzzed cases (two tasks each) | {fig("protocol.cases")} |
| how the tasks ended | {fig("protocol.outcomes")} |
| most the parent allocated in one case | {fig("protocol.max_allocated_mb")} MB (cap 1 MB; includes starting the next fake worker) |
| clients without the token refused | {fig("protocol.intruders_refused")} |

Every task ended with its result, the worker's own error, a cancellation, or a clear error (`WorkerCrashedException`
naming the protocol violation, or an `InvalidOperationException` saying the result could not be read); none hung,
the parent never crashed, and the executor served a normal task afterwards. Reproduce:
`{SOAK} "FullyQualifiedName~ProtocolAbuseTests"`.

Found and fixed by this fuzzer (regression tests in `tests/Spindle.Tests/Issues/MalformedReplyTests.cs`): a reply
for the running task that was malformed after its task id (an unknown frame type, a bad partial-results length, a
garbled error record) left the task waiting forever, and garbled partial results of a Map batch threw on the
parent's reader thread, which ended the parent.

## 6. `spindle run` abuse

Measured by its own soak, `bash benchmarks/reliability/run-abuse-soak.sh`: see [spindle run abuse](#spindle-run-abuse) below.

## 7. Security

| | |
|---|---|
| socket directory | {fig("security.socket_directory")} |
| a process without the token | refused: a separate process claiming to be the live worker with a wrong token is disconnected without a word and counted (`SecurityTests.AnotherProcess_WithoutTheToken_CannotConnect`) |
| type names on the wire | {fig("security.type_names")} |

Arguments and results are read by MessagePack's contractless resolver as the types of the method's signature;
an error crosses as type name, message and stack text (`RemoteTaskException.RemoteType`). Reproduce:
`{SOAK} "FullyQualifiedName~SecurityTests"`.
""")
