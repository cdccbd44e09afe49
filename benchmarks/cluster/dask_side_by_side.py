"""The same rows as the Spindle cluster benchmark, on Dask distributed's LocalCluster (2 worker processes, one thread
each) with Debian's python3-distributed. Prints "row value" lines: map/submit tasks/s, cpu1/cpu2 seconds, first
(seconds from creating the cluster to the first result), kill (seconds a killed worker's task took beyond its own 2 s).
    /usr/bin/python3 benchmarks/cluster/dask_side_by_side.py ROW"""
import os
import signal
import sys
import time

from distributed import Client, LocalCluster


def trivial(x):
    return x + 1


def spin(iterations):
    x = iterations
    for _ in range(iterations):
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
    return x & 0xFFFF


def hold(ms):
    time.sleep(ms / 1000)
    return ms


def main(row):
    start = time.time()
    workers = 1 if row == "cpu1" else 2
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        if row == "first":
            client.submit(trivial, 1).result()
            value = time.time() - start
        elif row == "map":
            n = 2_000
            client.gather(client.map(trivial, range(200)))
            t = time.perf_counter()
            client.gather(client.map(trivial, range(1_000_000, 1_000_000 + n)))
            value = n / (time.perf_counter() - t)
        elif row == "submit":
            n = 2_000
            t = time.perf_counter()
            client.gather([client.submit(trivial, i, pure=False) for i in range(n)])
            value = n / (time.perf_counter() - t)
        elif row in ("cpu1", "cpu2"):
            # 16 tasks, each about as long as the Spindle row's (CPython is ~50x slower per round, so fewer rounds).
            client.submit(spin, 10).result()
            t = time.perf_counter()
            client.gather(client.map(spin, [1_500_000] * 16, pure=False))
            value = time.perf_counter() - t
        elif row == "kill":
            pids = client.run(os.getpid)
            futures = [client.submit(hold, 2_000, pure=False, workers=[w], allow_other_workers=True) for w in pids]
            time.sleep(0.5 + 0.3)
            victim = list(pids)[1]
            os.kill(pids[victim], signal.SIGKILL)
            t = time.perf_counter()
            client.gather(futures)
            value = time.perf_counter() - t - 2.0
        else:
            raise SystemExit(f"unknown row {row}")
        print(f"{row} {value:.3f}", flush=True)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main(sys.argv[1])
