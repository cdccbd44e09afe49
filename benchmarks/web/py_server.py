"""The web benchmark's Python baseline: ThreadingHTTPServer, /light, /wait (sleep 100 ms), /heavy on a ProcessPoolExecutor.

Standard library only. /heavy runs the same hash loop as the .NET sample, with fewer iterations so that it takes
about as long (~20 ms) in CPython: what is compared is the light requests' latency while heavy ones keep the cores busy.
"""
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MASK = (1 << 64) - 1


def heavy(iterations):
    h = 1469598103934665603
    for i in range(iterations):
        h ^= i
        h = (h * 1099511628211) & MASK
        h ^= h >> 29
    return h


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately: without this, Nagle's algorithm and the client's delayed ACK add 40 ms.
    disable_nagle_algorithm = True
    pool = None
    iterations = 0

    def do_GET(self):
        if self.path == "/light":
            body = b"ok"
        elif self.path == "/wait":
            time.sleep(0.1)
            body = b"waited"
        elif self.path == "/heavy":
            body = format(Handler.pool.submit(heavy, Handler.iterations).result(), "016x").encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1])
    workers = int(sys.argv[2])
    Handler.iterations = int(sys.argv[3])
    Handler.pool = ProcessPoolExecutor(workers)
    list(Handler.pool.map(heavy, [1] * workers))  # start the workers before the first request
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    try:
        server.serve_forever()
    finally:
        Handler.pool.shutdown(cancel_futures=True)


if __name__ == "__main__":
    main()
