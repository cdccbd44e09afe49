"""Python's own tools on the thread executor's figures, standard library only; prints medians as JSON.

Run: python3 benchmarks/python/threads_side_by_side.py [--repeats N]
Figures (keys of the JSON, medians in seconds unless named otherwise):
  tpe.trivial.per_item   ThreadPoolExecutor (2 workers, as Spindle's CPU lane on 2 cores): submit + wait, per task
  tpe.map.per_item       the same through ThreadPoolExecutor.map
  asyncio.waits          10,000 asyncio.sleep(0.1) gathered
  threads.waits          1,000 threads each sleeping 0.1 s, started and joined
  cpu.serial             40 CPU tasks of about 50 ms, one after another
  cpu.threads            the same 40 tasks on a ThreadPoolExecutor of 2 threads (the GIL serialises them)
  cpu.task               one CPU task
"""

import argparse
import asyncio
import concurrent.futures
import json
import statistics
import sys
import threading
import time

TRIVIAL_TASKS = 50_000
WAITS = 10_000
SLEEPING_THREADS = 1_000
WAIT_SECONDS = 0.1
CPU_TASKS = 40
CPU_TASK_SECONDS = 0.05
WORKERS = 2


def trivial(x):
    return x + 1


def count_primes(limit):
    count = 0
    for n in range(2, limit):
        d = 2
        prime = True
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def calibrate_primes(seconds):
    limit = 2_000
    while True:
        took = statistics.median(timed(lambda: count_primes(limit)) for _ in range(3))
        if took >= seconds / 4:
            # Trial division costs about n^1.5; scale the limit to the target.
            return int(limit * (seconds / took) ** (1 / 1.5))
        limit *= 2


def tpe_submit(pool):
    futures = [pool.submit(trivial, i) for i in range(TRIVIAL_TASKS)]
    for f in futures:
        f.result()


def tpe_map(pool):
    for _ in pool.map(trivial, range(TRIVIAL_TASKS)):
        pass


async def gather_sleeps():
    await asyncio.gather(*(asyncio.sleep(WAIT_SECONDS) for _ in range(WAITS)))


def sleeping_threads():
    threads = [threading.Thread(target=time.sleep, args=(WAIT_SECONDS,)) for _ in range(SLEEPING_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    limit = calibrate_primes(CPU_TASK_SECONDS)
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        cases = {
            "tpe.trivial": lambda: tpe_submit(pool),
            "tpe.map": lambda: tpe_map(pool),
            "asyncio.waits": lambda: asyncio.run(gather_sleeps()),
            "threads.waits": sleeping_threads,
            "cpu.serial": lambda: [count_primes(limit) for _ in range(CPU_TASKS)],
            "cpu.threads": lambda: list(pool.map(count_primes, [limit] * CPU_TASKS)),
        }
        times = {name: [] for name in cases}
        # Round -1 warms up and is not counted; rounds interleave the cases so machine noise hits all alike.
        for round_ in range(-1, repeats):
            for name, run in cases.items():
                took = timed(run)
                if round_ >= 0:
                    times[name].append(took)
                print(f"round {round_:2}  {name:<14} {took * 1000:8.1f} ms", file=sys.stderr)

    medians = {name: statistics.median(values) for name, values in times.items()}
    medians["tpe.trivial.per_item"] = medians.pop("tpe.trivial") / TRIVIAL_TASKS
    medians["tpe.map.per_item"] = medians.pop("tpe.map") / TRIVIAL_TASKS
    medians["cpu.task"] = statistics.median(timed(lambda: count_primes(limit)) for _ in range(5))
    print(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
