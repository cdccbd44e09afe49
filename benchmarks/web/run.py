"""Drives the web benchmark: starts each server on 127.0.0.1, measures, stops it, and prints a Markdown report.

Called by run.sh (which builds the apps and installs wrk and hey); see docs/benchmarks.md, section Web server.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start(command, env_extra, port):
    env = dict(os.environ, **env_extra)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_ready(f"http://127.0.0.1:{port}/light", process)
    return process


def stop(process):
    # SIGTERM: the host drains and stops its workers; the whole session is killed afterwards in case it did not.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def hey(url, seconds, rate, connections):
    """Light requests at a fixed total rate: `connections` workers of rate/connections requests per second each."""
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(connections), "-q", str(rate / connections), "-t", "10", url],
        capture_output=True, text=True, check=False).stdout

    def secs(pattern):
        m = re.search(pattern, out)
        return float(m.group(1)) * 1000 if m else float("nan")

    ok = sum(int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out) if code == "200")
    bad = sum(int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out) if code != "200")
    errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s+Get", out, re.M))
    return {
        "p50": secs(r"50% in ([\d.]+) secs"),
        "p99": secs(r"99% in ([\d.]+) secs"),
        "max": secs(r"Slowest:\s+([\d.]+) secs"),
        "ok": ok,
        "failed": bad + errors,
        "expected": int(seconds * rate),
    }


def wrk(url, seconds, connections, threads=2, latency=False):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    if latency:
        command.append("--latency")
    out = subprocess.run(command + [url], capture_output=True, text=True, check=False).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "errors": (sum(int(x) for x in errors.groups()) if errors else 0) + (int(non2xx.group(1)) if non2xx else 0),
        "p50": pct(50),
        "p99": pct(99),
    }


def peak_rss_mb(pid):
    """The peak resident memory of the server process and of its descendants' current sizes."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024
    except (OSError, AttributeError):
        return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", required=True)
    parser.add_argument("--bare", required=True)
    parser.add_argument("--light-seconds", type=int, default=6)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--heavy-connections", type=int, default=8)
    parser.add_argument("--wait-connections", type=int, default=10000)
    parser.add_argument("--wait-seconds", type=int, default=10)
    parser.add_argument("--python", default="python3")
    parser.add_argument("--iterations", type=int, default=6_500_000)
    parser.add_argument("--python-iterations", type=int, default=50_000)
    args = parser.parse_args()

    base_env = {"Logging__LogLevel__Default": "Warning", "Spindle__Workers": "2", "Sample__HeavyIterations": str(args.iterations)}
    modes = [
        ("inline (request thread)", {"Sample__HeavyMode": "Inline"}),
        ("Task.Run", {"Sample__HeavyMode": "TaskRun"}),
        ("Spindle CPU lane", {"Sample__HeavyMode": "Spindle", "Spindle__Technique": "Threads"}),
        ("Spindle processes", {"Sample__HeavyMode": "Spindle", "Spindle__Technique": "Processes"}),
        ("Spindle processes, nice 10", {"Sample__HeavyMode": "Spindle", "Spindle__Technique": "Processes", "Spindle__WorkerNice": "10"}),
    ]
    rows = []
    one_core = None
    for name, env in modes:
        port = free_port()
        server = start([args.sample], dict(base_env, Urls=f"http://127.0.0.1:{port}", **env), port)
        try:
            url = f"http://127.0.0.1:{port}"
            wrk(url + "/heavy", 2, 2)  # warm-up: JIT, workers, pools
            idle = hey(url + "/light", args.light_seconds, args.rate, 4)
            if one_core is None:
                one_core = wrk(url + "/heavy", 4, 1, threads=1)["rps"]
            heavy = subprocess.Popen(["wrk", "-t1", f"-c{args.heavy_connections}", f"-d{args.light_seconds + 3}s", "--timeout", "10s", url + "/heavy"],
                                     stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)  # heavy load at its steady state before light requests are measured
            loaded = hey(url + "/light", args.light_seconds, args.rate, 4)
            heavy_out = heavy.communicate()[0]
            m = re.search(r"Requests/sec:\s+([\d.]+)", heavy_out)
            rows.append((name, idle, loaded, float(m.group(1)) if m else 0.0))
            print(f"{name}: idle {idle}, loaded {loaded}, heavy {rows[-1][3]:.1f}/s", file=sys.stderr, flush=True)
        finally:
            stop(server)

    # Python's standard library, the same shape: threads for requests, a process pool for heavy work.
    py_row = None
    if args.python:
        port = free_port()
        server = subprocess.Popen([args.python, os.path.join(HERE, "py_server.py"), str(port), "2", str(args.python_iterations)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(f"http://127.0.0.1:{port}/light", server)
            url = f"http://127.0.0.1:{port}"
            wrk(url + "/heavy", 2, 2)
            idle = hey(url + "/light", args.light_seconds, args.rate, 4)
            py_one_core = wrk(url + "/heavy", 4, 1, threads=1)["rps"]
            heavy = subprocess.Popen(["wrk", "-t1", f"-c{args.heavy_connections}", f"-d{args.light_seconds + 3}s", "--timeout", "10s", url + "/heavy"],
                                     stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)
            loaded = hey(url + "/light", args.light_seconds, args.rate, 4)
            heavy_out = heavy.communicate()[0]
            m = re.search(r"Requests/sec:\s+([\d.]+)", heavy_out)
            py_row = ("Python ThreadingHTTPServer + ProcessPoolExecutor", idle, loaded, float(m.group(1)) if m else 0.0, py_one_core)
            print(f"python: idle {idle}, loaded {loaded}, heavy {py_row[3]:.1f}/s, one core {py_one_core:.1f}/s", file=sys.stderr, flush=True)
        finally:
            stop(server)

    # 10,000 connections on /wait: the sample against a bare Kestrel doing the same Task.Delay.
    waits = []
    for name, command, env in [
        ("bare Kestrel", [args.bare], {}),
        ("Spindle.Web sample", [args.sample], dict(base_env, Spindle__Technique="Threads")),
    ]:
        port = free_port()
        server = start(command, dict(env, Urls=f"http://127.0.0.1:{port}"), port)
        try:
            url = f"http://127.0.0.1:{port}/wait"
            wrk(url, 2, 200)
            result = wrk(url, args.wait_seconds, args.wait_connections, threads=2, latency=True)
            result["rss"] = peak_rss_mb(server.pid)
            waits.append((name, result))
            print(f"{name}: {result}", file=sys.stderr, flush=True)
        finally:
            stop(server)

    f = lambda x: f"{x:.1f}"
    print(f"Heavy work of one core (inline, one connection): {one_core:.1f} requests/s.\n")
    print("| /heavy runs on | light p50 idle | light p99 idle | light p50 loaded | light p99 loaded | light max loaded | p99 loaded / idle | light served / failed | heavy req/s | heavy / one core |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, idle, loaded, heavy_rps in rows:
        print(f"| {name} | {f(idle['p50'])} ms | {f(idle['p99'])} ms | {f(loaded['p50'])} ms | {f(loaded['p99'])} ms | {f(loaded['max'])} ms | "
              f"{loaded['p99'] / idle['p99']:.2f}x | {loaded['ok']} of {loaded['expected']} / {loaded['failed']} | {f(heavy_rps)} | {heavy_rps / one_core:.2f}x |")
    if py_row:
        name, idle, loaded, heavy_rps, py_one = py_row
        print(f"| {name} | {f(idle['p50'])} ms | {f(idle['p99'])} ms | {f(loaded['p50'])} ms | {f(loaded['p99'])} ms | {f(loaded['max'])} ms | "
              f"{loaded['p99'] / idle['p99']:.2f}x | {loaded['ok']} of {loaded['expected']} / {loaded['failed']} | {f(heavy_rps)} | {heavy_rps / py_one:.2f}x (of Python's one core, {py_one:.1f}/s) |")
    print()
    print(f"| {args.wait_connections:,} connections on /wait (100 ms) | p50 | p99 | requests/s | errors | server peak RSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in waits:
        print(f"| {name} | {f(r['p50'])} ms | {f(r['p99'])} ms | {f(r['rps'])} | {r['errors']} | {f(r['rss'])} MB |")
    if len(waits) == 2:
        print(f"\np99 of the sample / bare Kestrel: {waits[1][1]['p99'] / waits[0][1]['p99']:.2f}x")


if __name__ == "__main__":
    main()
