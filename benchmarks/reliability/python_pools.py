"""Python's pools under the same faults as Spindle's reliability suite (standard library only).

Prints one line per figure, "key<TAB>value", for benchmarks/reliability/soak.sh:
  1. ProcessPoolExecutor, one worker SIGKILLed while 40 tasks run: how many tasks fail (BrokenProcessPool).
  2. multiprocessing.Pool, one worker SIGKILLed during map(): whether map() returns within 10 s.
  3. A parent SIGKILLed while its ProcessPoolExecutor works: how many of its workers are alive 3 s later.
"""
import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time


def slow_square(x):
    time.sleep(0.05)
    return x * x


def worker_pid(_):
    time.sleep(0.2)
    return os.getpid()


def pool_executor_kill():
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(slow_square, i) for i in range(40)]
        time.sleep(0.2)
        victim = next(iter(pool._processes))
        os.kill(victim, signal.SIGKILL)
        failed = 0
        for f in futures:
            try:
                f.result(timeout=30)
            except Exception:
                failed += 1
    return failed


def mp_pool_kill():
    pool = mp.Pool(2)
    try:
        result = pool.map_async(slow_square, range(40))
        time.sleep(0.2)
        os.kill(pool._pool[0].pid, signal.SIGKILL)
        try:
            result.get(timeout=10)
            return "returned"
        except mp.TimeoutError:
            return "still waiting after 10 s (hung)"
    finally:
        pool.terminate()


CHILD = """
import concurrent.futures as cf, os, sys, time
sys.path.insert(0, {here!r})
from python_pools import worker_pid
if __name__ == "__main__":
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pids = set(pool.map(worker_pid, range(8)))
        print(" ".join(map(str, pids)), flush=True)
        list(pool.map(worker_pid, range(1000)))
"""


def parent_killed():
    here = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(here=here)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in child.stdout.readline().split()]
    child.kill()
    child.wait()
    time.sleep(3)
    alive = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                    alive += 1
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return f"{alive} of {len(pids)}"


if __name__ == "__main__":
    print(f"python.version\t{sys.version.split()[0]}")
    print(f"python.pool_executor_kill\t{pool_executor_kill()} of 40 tasks failed")
    print(f"python.mp_pool_kill\t{mp_pool_kill()}")
    print(f"python.parent_killed\t{parent_killed()} workers alive 3 s later")
