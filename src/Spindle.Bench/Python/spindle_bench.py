#!/usr/bin/env python3
"""The Python side of `spindle bench`: the same workloads, on the same inputs, with Python's own techniques.

Standard library only. Run by the bench as `python3 spindle_bench.py PLAN.json OUT.json`; PLAN names one
workload, its inputs, concurrency and repeats (see BenchRunner). Each workload function below mirrors a static
method in src/Spindle.Bench/Workloads/*.cs exactly, so that results can be checked equal item by item.
Progress goes to stdout as "progress TECHNIQUE" lines; figures go to OUT.json.
"""

import asyncio
import concurrent.futures
import gc
import json
import os
import sys
import time
import urllib.parse
import urllib.request

# ----------------------------------------------------------------------------------------------------------
# Workloads (mirrors of CpuWork, AllocWork, FileWork, HttpWork, WaitWork, MixWork)


def count_primes(limit):
    count = 0
    for n in range(2, limit):
        prime = True
        d = 2
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def build_and_sum(count):
    nodes = []
    for i in range(count):
        nodes.append((i, str(i * 7919)))
    total = 0
    for value, text in nodes:
        total += value % 10 + len(text)
    return total


def read_and_sum(path):
    with open(path, "rb") as f:
        return sum(f.read())


# No proxy: the server is on 127.0.0.1, and an http_proxy in the environment must not reroute it.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url):
    with OPENER.open(url, timeout=60) as response:
        return sum(response.read())


def sleep_ms(ms):
    time.sleep(ms / 1000)
    return ms


def mix(item):
    kind = item["kind"]
    if kind == "cpu":
        return count_primes(item["number"])
    if kind == "alloc":
        return build_and_sum(item["number"])
    if kind == "file":
        return read_and_sum(item["text"])
    if kind == "http":
        return http_get(item["text"])
    if kind == "wait":
        return sleep_ms(item["number"])
    raise ValueError(f"The mix item kind {kind!r} is unknown; use cpu, alloc, file, http or wait.")


async def http_get_async(url):
    # The standard library has no async HTTP client; a minimal HTTP/1.1 GET over asyncio streams is what it offers.
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode("ascii"))
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200":
            raise IOError(f"GET {url} answered {status.decode()}")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length is not None else await reader.read()
        return sum(body)
    finally:
        writer.close()


async def run_async(workload, arg):
    """The asyncio shape: waits await, files go to a thread (asyncio has no file I/O), CPU work runs inline."""
    if workload == "http":
        return await http_get_async(arg)
    if workload == "waits":
        await asyncio.sleep(arg / 1000)
        return arg
    if workload == "files":
        return await asyncio.to_thread(read_and_sum, arg)
    if workload == "mix":
        kind = arg["kind"]
        if kind == "http":
            return await http_get_async(arg["text"])
        if kind == "wait":
            await asyncio.sleep(arg["number"] / 1000)
            return arg["number"]
        if kind == "file":
            return await asyncio.to_thread(read_and_sum, arg["text"])
        return mix(arg)
    return SYNC[workload](arg)


SYNC = {
    "cpu": count_primes,
    "alloc": build_and_sum,
    "files": read_and_sum,
    "http": http_get,
    "waits": sleep_ms,
    "mix": mix,
}

# ----------------------------------------------------------------------------------------------------------
# Measuring: CPU time and peak memory of this process and its live children, from /proc as the .NET side does.

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children():
    me = os.getpid()
    if not os.path.isdir("/proc"):
        return []
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == me:
                found.append((int(name), fields))
        except (OSError, IndexError, ValueError):
            pass
    return found


def cpu_seconds():
    t = os.times()
    total = t.user + t.system
    for _, fields in children():
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def reset_peaks():
    for pid in ["self"] + [str(p) for p, _ in children()]:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass


def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_bytes():
    if not os.path.exists("/proc/self/status"):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return hwm("self") + sum(hwm(pid) for pid, _ in children())


# ----------------------------------------------------------------------------------------------------------
# Techniques: each is a context manager-free pair (start once, run many times), like the .NET side.


def run_serial(workload, items, _state):
    fn = SYNC[workload]
    return [fn(item) for item in items]


def run_pool(workload, items, pool):
    return list(pool.map(SYNC[workload], items))


def run_asyncio(workload, items, concurrency):
    async def main():
        gate = asyncio.Semaphore(concurrency)

        async def one(item):
            async with gate:
                return await run_async(workload, item)

        return await asyncio.gather(*(one(item) for item in items))

    return list(asyncio.run(main()))


def techniques(plan):
    cores = plan["cores"]
    concurrency = plan["concurrency"]
    return [
        ("Python serial", "python-serial", lambda: None, run_serial),
        ("Python ThreadPoolExecutor", "python-threads",
         lambda: concurrent.futures.ThreadPoolExecutor(max_workers=concurrency), run_pool),
        ("Python ProcessPoolExecutor", "python-processes",
         lambda: concurrent.futures.ProcessPoolExecutor(max_workers=cores), run_pool),
        ("Python asyncio", "python-asyncio", lambda: concurrency, run_asyncio),
    ]


def main(plan_path, out_path):
    with open(plan_path) as f:
        plan = json.load(f)
    workload = plan["workload"]
    items = plan["items"]
    out = {"python": sys.version.split()[0], "techniques": []}
    for name, family, start, run in techniques(plan):
        entry = {"name": name, "family": family, "runs": [], "results": None, "error": None}
        state = None
        try:
            state = start()
            for _ in range(plan["warmups"]):
                run(workload, items, state)
                print(f"progress {name}", flush=True)
            for _ in range(plan["repeats"]):
                gc.collect()  # each run starts from a collected heap, as on the .NET side
                reset_peaks()
                cpu0 = cpu_seconds()
                t0 = time.perf_counter()
                results = run(workload, items, state)
                wall = time.perf_counter() - t0
                cpu = cpu_seconds() - cpu0
                entry["runs"].append({"wall": wall, "cpu": cpu, "peak": peak_bytes()})
                entry["results"] = results
                print(f"progress {name}", flush=True)
        except Exception as e:  # one failed technique must not hide the others' figures
            entry["error"] = f"{type(e).__name__}: {e}"
        finally:
            if hasattr(state, "shutdown"):
                state.shutdown(wait=True)
        out["techniques"].append(entry)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: spindle_bench.py PLAN.json OUT.json")
    main(sys.argv[1], sys.argv[2])
