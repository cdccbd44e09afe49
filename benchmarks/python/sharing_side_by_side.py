"""Python's multiprocessing on issue 23's figures (standard library and Debian's python3-numpy).

Prints JSON of medians in seconds (items per second for the queue, nanoseconds for the lock): 512 MiB of doubles
summed by 2 pool processes, through multiprocessing.shared_memory (each task attaches the block by name, as the
documentation shows) and pickled (each half sent to its process); multiprocessing.Queue items per second between
two processes; multiprocessing.Lock acquire/release pairs contended by two processes. Linux's default start
method (fork) is used, so the pool's processes share the parent's resource tracker.
"""
import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from multiprocessing import shared_memory

import numpy as np

ELEMENTS = 512 * 1024 * 1024 // 8
QUEUE_ITEMS = 200_000
LOCK_PAIRS = 200_000


def shm_sum(args):
    name, start, stop = args
    block = shared_memory.SharedMemory(name=name)
    try:
        view = np.ndarray((ELEMENTS,), dtype=np.float64, buffer=block.buf)
        total = float(view[start:stop].sum())
        del view
        return total
    finally:
        block.close()


def plain_sum(part):
    return float(part.sum())


def produce(queue, items):
    for i in range(items):
        queue.put(i)
    queue.put(None)


def consume(queue, done):
    count = 0
    while queue.get() is not None:
        count += 1
    done.value = count


def contend(lock, cell, started, seconds, index):
    with started.get_lock():
        started.value += 1
    while started.value < 2:
        pass
    t = time.perf_counter()
    for _ in range(LOCK_PAIRS):
        lock.acquire()
        cell.value += 1
        lock.release()
    seconds[index] = time.perf_counter() - t


def queue_round():
    queue = mp.Queue(maxsize=4096)
    done = mp.RawValue("q", 0)
    t = time.perf_counter()
    workers = [mp.Process(target=produce, args=(queue, QUEUE_ITEMS)), mp.Process(target=consume, args=(queue, done))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t
    assert done.value == QUEUE_ITEMS, done.value
    return QUEUE_ITEMS / elapsed


def lock_round():
    lock = mp.Lock()
    cell = mp.RawValue("q", 0)
    started = mp.Value("i", 0)
    seconds = mp.RawArray("d", 2)
    workers = [mp.Process(target=contend, args=(lock, cell, started, seconds, i)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert cell.value == 2 * LOCK_PAIRS, cell.value
    return max(seconds) / (2 * LOCK_PAIRS) * 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = {}

    def add(name, value):
        times.setdefault(name, []).append(value)
        print(f"{name:<28} {value:14.6f}", file=sys.stderr)

    block = shared_memory.SharedMemory(create=True, size=ELEMENTS * 8)
    try:
        array = np.ndarray((ELEMENTS,), dtype=np.float64, buffer=block.buf)
        array[:] = np.arange(ELEMENTS) % 1000
        expected = float(array.sum())
        half = ELEMENTS // 2
        with mp.Pool(2) as pool:
            pool.map(plain_sum, [np.zeros(1), np.zeros(1)])
            for round in range(args.repeats):
                t = time.perf_counter()
                total = sum(pool.map(shm_sum, [(block.name, 0, half), (block.name, half, ELEMENTS)], chunksize=1))
                add("sum.shm", time.perf_counter() - t)
                assert abs(total - expected) <= abs(expected) * 1e-9, (total, expected)
                add("queue.items_per_s", queue_round())
                add("lock.pair_ns", lock_round())
                # Pickling 512 MiB takes seconds: at most 2 rounds.
                if round < 2:
                    t = time.perf_counter()
                    total = sum(pool.map(plain_sum, [array[:half], array[half:]], chunksize=1))
                    add("sum.pickled", time.perf_counter() - t)
                    assert abs(total - expected) <= abs(expected) * 1e-9, (total, expected)
        del array
    finally:
        block.close()
        block.unlink()

    json.dump({k: statistics.median(v) for k, v in times.items()}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
