"""Real traffic through a real Envoy sidecar, as in a pod: run inside the sidecar's network
namespace (nsenter -n) while Envoy runs there as uid 1337.

Sets up what istio-iptables would (the outbound half): every TCP connection a process other than
uid 1337 opens, except to 127.0.0.1, is redirected to Envoy's 15001 (virtualOutbound). Backends
listen on the addresses of the mesh's endpoints and on an address the mesh does not know, all on
this namespace's loopback; the cluster IP range is routed to loopback so clients can dial it.
Checks:
  - a request by service name to the cluster IP reaches the service's endpoint;
  - a request on a mesh HTTP port to an address outside the mesh passes through (allow_any);
  - a TCP connection to an unknown address and port passes through (PassthroughCluster).
Prints one line per check; exits 1 when any failed.
Usage: sidecar_traffic.py CLUSTER_IP PORT HOST ENDPOINT_IP OUTSIDE_IP
       sidecar_traffic.py balance CLUSTER_IP PORT ENDPOINT_IP...
  balance: sends 40 HTTP/1.1 requests on one kept-alive connection to an unnamed (sniffed) port
  and checks that every endpoint answered some (Istio balances sniffed HTTP per request).
"""
import socket
import subprocess
import sys
import threading
import time

balance = sys.argv[1] == "balance"
if balance:
    cluster_ip, port, endpoints = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    host, endpoint_ip, outside_ip = "", endpoints[0], None
else:
    cluster_ip, port, host, endpoint_ip, outside_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    endpoints = [endpoint_ip]


def sh(*command, check=True):
    subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


sh("ip", "link", "set", "lo", "up")
for address in endpoints + ([outside_ip] if outside_ip else []):
    sh("ip", "addr", "add", f"{address}/32", "dev", "lo", check=False)
sh("ip", "route", "add", f"{cluster_ip}/32", "dev", "lo", check=False)
for rule in (["-m", "owner", "--uid-owner", "1337", "-j", "RETURN"],
             ["-d", "127.0.0.1/32", "-j", "RETURN"],
             ["-j", "REDIRECT", "--to-ports", "15001"]):
    sh("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", *rule)


def keep_alive_backend(address, port):
    """HTTP/1.1 with keep-alive: answers every request on a connection with its own address."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)

    def serve(connection):
        with connection:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    pending += chunk
                _, pending = pending.split(b"\r\n\r\n", 1)
                body = address.encode()
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))

    def accept():
        while True:
            threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def balanced():
    for address in endpoints:
        keep_alive_backend(address, port)
    deadline = time.monotonic() + 10
    while True:
        try:
            connection = socket.create_connection((cluster_ip, port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    answered = {}
    buffer = b""
    for _ in range(40):
        connection.sendall(f"GET / HTTP/1.1\r\nHost: {cluster_ip}:{port}\r\n\r\n".encode())
        while b"\r\n\r\n" not in buffer:
            chunk = connection.recv(4096)
            if not chunk:
                raise SystemExit(f"FAILED the connection closed; answered={answered}")
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
        while len(buffer) < length:
            buffer += connection.recv(4096)
        body, buffer = buffer[:length], buffer[length:]
        answered[body.decode()] = answered.get(body.decode(), 0) + 1
    connection.close()
    print(("ok" if set(answered) == set(endpoints) else "FAILED") + f" one connection, requests spread over endpoints: {answered}", flush=True)
    sys.exit(0 if set(answered) == set(endpoints) else 1)


if balance:
    balanced()


def backend(address, port, name):
    """HTTP: answers `name path`; anything else not starting like HTTP is echoed."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)

    def serve(connection):
        with connection:
            data = connection.recv(4096)
            if data.startswith(b"GET "):
                while b"\r\n\r\n" not in data:
                    more = connection.recv(4096)
                    if not more:
                        return
                    data += more
                body = name.encode() + b" " + data.split(b" ")[1]
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
            else:
                connection.sendall(name.encode() + b" echo " + data)

    def accept():
        while True:
            threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


backend(endpoint_ip, port, "endpoint")
backend(outside_ip, port, "outside")
backend(outside_ip, 7777, "outside-tcp")


def exchange(address, port, data):
    connection = socket.create_connection((address, port), timeout=5)
    connection.sendall(data)
    response = b""
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            break
        response += chunk
        if not data.startswith(b"GET "):
            break
    connection.close()
    return response


def get(address, authority):
    return exchange(address, port, f"GET /where HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode())


failures = []


def check(name, ok, detail):
    print(("ok " if ok else "FAILED ") + name + ("" if ok else f": {detail!r}"), flush=True)
    if not ok:
        failures.append(name)


# Listeners and routes may still be warming just after the ACK: wait for the first answer.
deadline = time.monotonic() + 10
while True:
    try:
        by_name = get(cluster_ip, host)
    except OSError as error:
        by_name = repr(error).encode()
    if by_name.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
        break
    time.sleep(0.2)
check("service name to its endpoint", by_name.startswith(b"HTTP/1.1 200") and by_name.endswith(b"endpoint /where"), by_name[:300])
outside = get(outside_ip, "outside.example")
check("unknown host on a mesh port passes through", outside.startswith(b"HTTP/1.1 200") and outside.endswith(b"outside /where"), outside[:300])
try:
    tcp = exchange(outside_ip, 7777, b"hello")
except OSError as error:
    tcp = repr(error).encode()
check("unknown address and port pass through", tcp == b"outside-tcp echo hello", tcp[:300])
sys.exit(1 if failures else 0)
