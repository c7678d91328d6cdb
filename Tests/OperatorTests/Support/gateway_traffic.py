"""Real requests through a real Envoy gateway, run inside its network namespace (nsenter -n).

Starts a backend on BACKEND_IP:BACKEND_PORT (an address of the namespace's loopback) that answers
every request with the path it received, and WebSocket upgrades with 101 and an echo; then sends
raw HTTP/1.1 to the gateway listener on 127.0.0.1:GATEWAY_PORT and checks istiod's
connection-manager defaults:
  - a request for `HOST:<any port>` is routed (gateway domains `[host, host:*]`);
  - `/x/../exact` is normalized to `/exact` before routing and on the way to the backend;
  - `Upgrade: websocket` is switched (101) and frames flow both ways;
  - the backend is told the attempt number (`x-envoy-attempt-count`).
Prints one line per check; exits 1 when any failed.
Usage: gateway_traffic.py GATEWAY_PORT HOST BACKEND_IP BACKEND_PORT
"""
import socket
import subprocess
import sys
import threading
import time

gateway_port, host, backend_ip, backend_port = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "addr", "add", f"{backend_ip}/32", "dev", "lo"], check=False)


def serve(connection):
    with connection:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1]
        headers = {l.split(b":", 1)[0].strip().lower(): l.split(b":", 1)[1].strip() for l in lines[1:] if b":" in l}
        if headers.get(b"upgrade", b"").lower() == b"websocket":
            connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while True:
                data = connection.recv(4096)
                if not data:
                    return
                connection.sendall(data)
        attempt = headers.get(b"x-envoy-attempt-count", b"none")
        connection.sendall(b"HTTP/1.1 200 OK\r\nx-seen-attempt-count: %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                           % (attempt, len(path), path))


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((backend_ip, backend_port))
listener.listen(16)
threading.Thread(target=lambda: [threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start() for _ in iter(int, 1)],
                 daemon=True).start()


def exchange(request, keep_open=False):
    deadline = time.monotonic() + 10
    while True:
        try:
            connection = socket.create_connection(("127.0.0.1", gateway_port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    connection.sendall(request)
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = connection.recv(4096)
        if not chunk:
            break
        response += chunk
    if keep_open:
        return connection, response
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            break
        response += chunk
    connection.close()
    return response


def get(path, authority):
    return exchange(f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode())


failures = []


def check(name, ok, detail):
    print(("ok " if ok else "FAILED ") + name + ("" if ok else f": {detail!r}"), flush=True)
    if not ok:
        failures.append(name)


# The listener may still be warming just after the ACK: wait for the first 200.
deadline = time.monotonic() + 10
while True:
    baseline = get("/exact", host)
    if baseline.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
        break
    time.sleep(0.1)
check("baseline /exact", baseline.startswith(b"HTTP/1.1 200") and baseline.endswith(b"/exact"), baseline[:300])
check("upstream sees x-envoy-attempt-count", b"x-seen-attempt-count: 1\r\n" in baseline, baseline[:300])
other_port = get("/exact", f"{host}:31380")
check("Host with another port is routed", other_port.startswith(b"HTTP/1.1 200"), other_port[:300])
dotted = get("/x/../exact", host)
check("dot segments normalized before routing and upstream", dotted.startswith(b"HTTP/1.1 200") and dotted.endswith(b"/exact"), dotted[:300])
connection, switched = exchange(f"GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode(), keep_open=True)
check("WebSocket upgrade switched", switched.startswith(b"HTTP/1.1 101"), switched[:300])
if switched.startswith(b"HTTP/1.1 101"):
    connection.sendall(b"\x81\x04ping")
    echoed = connection.recv(4096)
    check("WebSocket bytes flow both ways", echoed == b"\x81\x04ping", echoed)
connection.close()
sys.exit(1 if failures else 0)
