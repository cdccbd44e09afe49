"""Python's process pools on the process executor's figures (issue 3), standard library only.

Prints JSON of medians: submit of trivial tasks with chunksize 1 (ProcessPoolExecutor), Pool.map of 1,000,000
trivial items with a hand-tuned chunksize, 40 CPU tasks of ~50 ms on 2 processes against serial, the time from
creating a 2-process spawn pool to its first result, and an idle worker's resident memory.
"""
import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import statistics
import sys
import time


# The same work as the thread benchmarks, so the figures compare like with like (and pickle by module name).
from threads_side_by_side import count_primes, trivial  # noqa: E402


def calibrate(ms):
    n = 2000
    while True:
        t = time.perf_counter()
        count_primes(n)
        took = (time.perf_counter() - t) * 1000
        if took >= ms / 4:
            return int(n * (ms / took) ** (1 / 1.5))
        n *= 2


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    limit = calibrate(50)
    figures = {k: [] for k in ["submit_20k", "map_1m", "cpu.serial", "cpu.processes", "first_result", "idle_rss_mb"]}
    spawn = mp.get_context("spawn")
    for round_ in range(-1, args.repeats):
        t = time.perf_counter()
        with spawn.Pool(2) as pool:
            pool.apply(trivial, (0,))
            first = time.perf_counter() - t
            time.sleep(0.2)
            idle = statistics.mean(rss_mb(p.pid) for p in spawn.active_children())

        with cf.ProcessPoolExecutor(2, mp_context=spawn) as ex:
            list(ex.map(trivial, range(8)))
            t = time.perf_counter()
            futures = [ex.submit(trivial, i) for i in range(20_000)]
            for f in futures:
                f.result()
            submit = time.perf_counter() - t

        with spawn.Pool(2) as pool:
            pool.map(trivial, range(100))
            t = time.perf_counter()
            pool.map(trivial, range(1_000_000), chunksize=10_000)
            map_1m = time.perf_counter() - t

            t = time.perf_counter()
            for _ in range(40):
                count_primes(limit)
            serial = time.perf_counter() - t
            t = time.perf_counter()
            pool.map(count_primes, [limit] * 40, chunksize=1)
            parallel = time.perf_counter() - t

        if round_ < 0:
            continue
        for k, v in [("submit_20k", submit), ("map_1m", map_1m), ("cpu.serial", serial), ("cpu.processes", parallel),
                     ("first_result", first), ("idle_rss_mb", idle)]:
            figures[k].append(v)
            print(f"{k:<16} {v:.4f}", file=sys.stderr)

    print(json.dumps({k: statistics.median(v) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
