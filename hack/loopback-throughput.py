#!/usr/bin/env python3
"""How long this machine takes to move N megabytes through one loopback TCP connection between
two processes, in 1 MiB writes, with nothing else done to the bytes: no gRPC, no HTTP/2, no
serialization. A lower bound for an xDS push of that many bytes on the same machine.

    hack/loopback-throughput.py --megabytes 492    # what one weight change sends at K = 1,000

`coxswain-bench xds` prints the bytes each change sent ("… KiB" per change line).
"""
import argparse
import os
import socket
import time

CHUNK = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=492, help="megabytes (MiB) to move (default: 492)")
    parser.add_argument("--runs", type=int, default=3, help="runs to report (default: 3)")
    arguments = parser.parse_args()
    total = arguments.megabytes * CHUNK
    for run in range(arguments.runs):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        child = os.fork()
        if child == 0:
            sender = socket.create_connection(("127.0.0.1", port))
            chunk = b"x" * CHUNK
            for _ in range(arguments.megabytes):
                sender.sendall(chunk)
            sender.close()
            os._exit(0)
        connection, _ = listener.accept()
        buffer = bytearray(CHUNK)
        received = 0
        started = time.perf_counter()
        while received < total:
            count = connection.recv_into(buffer)
            if count == 0:
                break
            received += count
        elapsed = time.perf_counter() - started
        os.waitpid(child, 0)
        connection.close()
        listener.close()
        print(f"run {run + 1}: {received / CHUNK:.0f} MiB in {elapsed * 1000:.0f} ms ({received / elapsed / 1e9:.2f} GB/s)")


if __name__ == "__main__":
    main()
