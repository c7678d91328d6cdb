#!/usr/bin/env python3
"""Proxyless gRPC against `coxswain run --config-dir`: a real xDS client (grpcio's) doing a canary.

Usage: xds_canary.py COXSWAIN_BINARY WORK_DIR

Starts gRPC backends (v1, v2) on 127.0.0.1, writes a mesh for them into WORK_DIR/config,
starts Coxswain in file mode, then with a client dialing
xds:///reviews.default.svc.cluster.local:9080 checks, step by step:
  1. a 90/10 VirtualService splits 2,000 RPCs 90/10 (within 3 points);
  2. rewritten to 50/50 while the client keeps sending, the split follows within 2 s, with no failed RPC;
  2b. v2's pod moving to another backend (only its cluster's endpoints are pushed) is followed
     with no failed RPC, and so is its moving back;
  3. a header match (end-user: jason) sends every matching RPC to v2;
  4. a fault abort of 50 % fails about half the RPCs with the configured status, and a retry
     policy (retryOn: unavailable) makes every RPC to a backend that fails every other call succeed;
  5. a route to subset v3 that no DestinationRule defines yet fails fast; adding the subset
     makes it work without a "cluster not found" failure on the other routes;
  6. an unparseable edit of the VirtualService file keeps the last good version serving;
  7. config the client rejects (a load balancer gRPC does not implement) shows up as a NACK in
     /debug/syncz while the client keeps working on the version it has;
  8. `coxswain proxy-status` shows the client NACKED, `coxswain proxy-config ID clusters` its clusters.
Prints one line per step and exits 0 when all pass, 1 on the first failure (with why), 2 when
grpcio is missing.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent import futures

try:
    import grpc
except ImportError:
    print("grpcio is not installed: pip install -r hack/requirements-test.txt", file=sys.stderr)
    sys.exit(2)

TARGET = "xds:///reviews.default.svc.cluster.local:9080"
METHOD = "/coxswain.test.Echo/Version"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """A gRPC server answering every method with its version name; a flaky one fails every other call."""

    def __init__(self, version, flaky=False):
        self.version = version
        self.calls = 0
        self.lock = threading.Lock()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))

        def answer(request, context):
            with self.lock:
                self.calls += 1
                fails = flaky and self.calls % 2 == 1
            if fails:
                context.abort(grpc.StatusCode.UNAVAILABLE, "flaky backend: every other call fails")
            return version.encode()

        handler = grpc.method_handlers_generic_handler(
            "coxswain.test.Echo",
            {"Version": grpc.unary_unary_rpc_method_handler(answer, request_deserializer=None, response_serializer=None)},
        )
        self.server.add_generic_rpc_handlers((handler,))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()


def mesh(ports, virtual_service, with_v3=False, load_balancer=None):
    pods, slices = [], []
    for version, port in ports.items():
        pods.append(f"""
apiVersion: v1
kind: Pod
metadata: {{name: reviews-{version}, namespace: default, labels: {{app: reviews, version: {version}}}}}
status: {{podIP: 127.0.0.1}}
""")
        slices.append(f"""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: reviews-{version}, namespace: default, labels: {{kubernetes.io/service-name: reviews}}}}
addressType: IPv4
ports: [{{name: grpc, port: {port}}}]
endpoints:
- addresses: [127.0.0.1]
  conditions: {{ready: true}}
  targetRef: {{kind: Pod, name: reviews-{version}, namespace: default}}
""")
    subsets = "\n".join(f"  - {{name: {v}, labels: {{version: {v}}}}}" for v in (["v1", "v2", "v3", "v4"] if with_v3 else ["v1", "v2", "v4"]))
    service = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: grpc, port: 9080}]
"""
    policy = f"  trafficPolicy: {{loadBalancer: {{simple: {load_balancer}}}}}\n" if load_balancer else ""
    rule = f"""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: reviews, namespace: default}}
spec:
  host: reviews
{policy}  subsets:
{subsets}
"""
    return {"mesh.yaml": "---".join([service, rule] + pods + slices), "virtualservice.yaml": virtual_service}


def split_vs(v1, v2, extra_rules=""):
    return f"""
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: default}}
spec:
  hosts: [reviews]
  http:
{extra_rules}  - name: canary
    route:
    - destination: {{host: reviews, subset: v1}}
      weight: {v1}
    - destination: {{host: reviews, subset: v2}}
      weight: {v2}
"""


def write_atomically(directory, files):
    for name, text in files.items():
        temporary = os.path.join(directory, f".{name}.tmp")
        with open(temporary, "w") as f:
            f.write(text)
        os.replace(temporary, os.path.join(directory, name))


class Client:
    def __init__(self, target=TARGET):
        self.channel = grpc.insecure_channel(target)
        self.call = self.channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)

    def one(self, metadata=None):
        try:
            return self.call(b"", metadata=metadata, timeout=5).decode(), None
        except grpc.RpcError as error:
            return None, error

    def many(self, count, metadata=None):
        results = {"failed": 0, "errors": set()}
        for _ in range(count):
            version, error = self.one(metadata)
            if error is not None:
                results["failed"] += 1
                results["errors"].add(f"{error.code().name}: {error.details()}")
            else:
                results[version] = results.get(version, 0) + 1
        return results


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def wait_ready(admin_port, process, log_path):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            fail(f"coxswain exited with {process.returncode}:\n{open(log_path).read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.1)
    fail("coxswain never became ready")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    config = os.path.join(work, "config")
    os.makedirs(config, exist_ok=True)
    backends = {v: Backend(v) for v in ("v1", "v2", "v3")}
    backends["v4"] = Backend("v4", flaky=True)
    ports = {v: b.port for v, b in backends.items()}
    write_atomically(config, mesh(ports, split_vs(90, 10)))

    xds_port, admin_port = free_port(), free_port()
    log_path = os.path.join(work, "coxswain.log")
    log = open(log_path, "w")
    process = subprocess.Popen([binary, "run", "--config-dir", config, "--xds-port", str(xds_port),
                                "--admin-port", str(admin_port), "--listen-address", "127.0.0.1",
                                "--debounce-quiet", "50", "--debounce-max", "500"], stdout=log, stderr=log)
    try:
        wait_ready(admin_port, process, log_path)
        bootstrap = {
            "xds_servers": [{"server_uri": f"127.0.0.1:{xds_port}", "channel_creds": [{"type": "insecure"}],
                             "server_features": ["xds_v3"]}],
            "node": {"id": "sidecar~127.0.0.1~client.default~default.svc.cluster.local",
                     "metadata": {"GENERATOR": "grpc", "NAMESPACE": "default"}},
        }
        os.environ["GRPC_XDS_BOOTSTRAP_CONFIG"] = json.dumps(bootstrap)
        client = Client()

        # 1. 90/10.
        warm = client.many(20)
        if warm["failed"]:
            fail(f"warm-up RPCs failed: {warm['errors']}")
        result = client.many(2000)
        if result["failed"]:
            fail(f"{result['failed']} RPCs failed at 90/10: {result['errors']}")
        share = result.get("v1", 0) / 2000 * 100
        print(f"step 1: 90/10 gave v1={result.get('v1', 0)} v2={result.get('v2', 0)} ({share:.1f}% v1)", flush=True)
        if abs(share - 90) > 3:
            fail(f"90/10 split measured {share:.1f}% v1")

        # 2. 50/50 while sending.
        changed_at = time.time()
        write_atomically(config, {"virtualservice.yaml": split_vs(50, 50)})
        window, followed_after, failures = [], None, 0
        while time.time() - changed_at < 6:
            version, error = client.one()
            if error is not None:
                failures += 1
                continue
            window = (window + [version])[-200:]
            if len(window) == 200 and followed_after is None:
                v1 = window.count("v1") / 2
                if 40 <= v1 <= 60:
                    followed_after = time.time() - changed_at
                    break
        if failures:
            fail(f"{failures} RPCs failed while switching to 50/50")
        if followed_after is None or followed_after > 2.5:
            fail(f"the 50/50 split was not followed within 2 s (took {followed_after})")
        # 2,000 RPCs: one standard deviation of a fair split is 1.1 points, so 4 points is 3.6 of them.
        result = client.many(2000)
        share = result.get("v1", 0) / 20
        print(f"step 2: 50/50 followed within {followed_after:.2f}s (last 200 RPCs); then v1={share:.1f}%", flush=True)
        if result["failed"] or abs(share - 50) > 4:
            fail(f"after 50/50: {result}")

        # 2b. v2's pod moves to another backend (an endpoints-only change, pushed to the client as
        # the one cluster's endpoints): traffic follows without a failed RPC, and follows it back.
        for moved, gone, arrived in ((dict(ports, v2=ports["v3"]), "v2", "v3"), (ports, "v3", "v2")):
            write_atomically(config, {"mesh.yaml": mesh(moved, "")["mesh.yaml"]})
            deadline, failures = time.time() + 5, 0
            while time.time() < deadline:
                probe = client.many(50)
                failures += probe["failed"]
                if probe.get(arrived, 0) and not probe.get(gone, 0):
                    break
            result = client.many(400)
            share = result.get(arrived, 0) / 4
            print(f"step 2b: v2's endpoint moved ({gone} -> {arrived}): {result}", flush=True)
            if failures or result["failed"] or result.get(gone, 0) or abs(share - 50) > 10:
                fail(f"after moving v2's endpoint ({gone} -> {arrived}): {failures} failed while moving; then {result}")

        # 3. Header match.
        jason_rule = """  - name: jason
    match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
"""
        write_atomically(config, {"virtualservice.yaml": split_vs(100, 0, jason_rule)})
        deadline = time.time() + 5
        while time.time() < deadline and client.many(10).get("v2", 0):
            time.sleep(0.05)
        jason = client.many(300, metadata=(("end-user", "jason"),))
        others = client.many(300)
        print(f"step 3: end-user=jason -> {jason}, others -> {others}", flush=True)
        if jason.get("v2", 0) != 300 or others.get("v1", 0) != 300:
            fail("the header match did not route 100% of matching RPCs to v2 (and the rest to v1)")

        # 4. Fault abort of 50 %.
        fault_vs = split_vs(100, 0).replace("  - name: canary\n", "  - name: canary\n    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}\n    retries: {attempts: 0}\n")
        write_atomically(config, {"virtualservice.yaml": fault_vs})
        time.sleep(1.5)
        faults = client.many(1000)
        failed = faults["failed"] / 10
        print(f"step 4: fault abort 50% -> {failed:.1f}% failed {sorted(faults['errors'])[:1]}", flush=True)
        if abs(failed - 50) > 6:
            fail(f"fault abort of 50% failed {failed:.1f}% of RPCs")
        if not all(e.startswith("UNAVAILABLE") for e in faults["errors"]):
            fail(f"fault abort gave other statuses: {faults['errors']}")

        # 4b. Retries: the flaky v4 fails every other call; retryOn: unavailable hides it, attempts: 0 does not.
        def flaky_vs(retries):
            return split_vs(100, 0).replace("  - name: canary\n", "  - name: flaky\n    match: [{headers: {end-user: {exact: flaky}}}]\n"
                                           f"    route: [{{destination: {{host: reviews, subset: v4}}}}]\n    retries: {retries}\n  - name: canary\n")
        flaky = (("end-user", "flaky"),)
        write_atomically(config, {"virtualservice.yaml": flaky_vs("{attempts: 0}")})
        deadline = time.time() + 5
        while time.time() < deadline and client.many(4, metadata=flaky).get("v4", 0) == 0:
            time.sleep(0.05)
        without = client.many(200, metadata=flaky)
        write_atomically(config, {"virtualservice.yaml": flaky_vs("{attempts: 3, retryOn: unavailable}")})
        time.sleep(1.5)
        retried = client.many(200, metadata=flaky)
        print(f"step 4b: flaky backend without retries {without['failed']}/200 failed; with retries {retried['failed']}/200 failed", flush=True)
        if without["failed"] < 60:
            fail(f"the flaky backend did not fail without retries: {without}")
        if retried["failed"] or retried.get("v4", 0) != 200:
            fail(f"the retry policy was not honoured: {retried}")

        # 5. Make before break: a subset that does not exist yet, then its DestinationRule.
        v3_rule = """  - name: v3
    match: [{headers: {end-user: {exact: v3-tester}}}]
    route: [{destination: {host: reviews, subset: v3}}]
"""
        write_atomically(config, {"virtualservice.yaml": split_vs(100, 0, v3_rule)})
        time.sleep(1.5)
        others = client.many(200)
        v3_before = client.many(5, metadata=(("end-user", "v3-tester"),))
        if others["failed"]:
            fail(f"other routes failed while subset v3 is undefined: {others['errors']}")
        if v3_before.get("v3", 0):
            fail("subset v3 served traffic before any DestinationRule defined it")
        write_atomically(config, mesh(ports, split_vs(100, 0, v3_rule), with_v3=True))
        deadline, v3_after = time.time() + 5, {}
        stop = threading.Event()
        background = {"failed": 0, "errors": set()}

        def keep_sending():
            while not stop.is_set():
                version, error = client.one()
                if error is not None:
                    background["failed"] += 1
                    background["errors"].add(f"{error.code().name}: {error.details()}")

        sender = threading.Thread(target=keep_sending)
        sender.start()
        while time.time() < deadline:
            v3_after = client.many(5, metadata=(("end-user", "v3-tester"),))
            if v3_after.get("v3", 0) == 5:
                break
            time.sleep(0.05)
        stop.set()
        sender.join()
        print(f"step 5: before the subset existed v3-tester got {v3_before['errors'] or v3_before}; after: {v3_after}; "
              f"other RPCs meanwhile failed {background['failed']} times", flush=True)
        if v3_after.get("v3", 0) != 5:
            fail("after the DestinationRule defined v3, its route did not reach v3")
        if background["failed"] or any("not found" in e.lower() for e in v3_before["errors"]):
            fail(f"cluster-not-found or other failures: {background['errors'] | v3_before['errors']}")

        # 6. A bad edit keeps the last good config.
        write_atomically(config, {"virtualservice.yaml": split_vs(0, 100).replace("weight:", "weigth:")})
        time.sleep(1.5)
        result = client.many(200)
        print(f"step 6: after an unparseable edit: {result}", flush=True)
        if result["failed"] or result.get("v1", 0) != 200:
            fail("an unparseable edit changed or broke the served config")

        # 7. A NACK: gRPC implements no RANDOM load balancer, so it rejects the clusters.
        write_atomically(config, mesh(ports, split_vs(100, 0), with_v3=True, load_balancer="RANDOM"))
        deadline, nack = time.time() + 10, None
        while time.time() < deadline and nack is None:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/debug/syncz", timeout=2) as response:
                syncz = json.load(response)
            for proxy in syncz:
                if proxy["kind"] == "grpc":
                    nack = (proxy["types"].get("type.googleapis.com/envoy.config.cluster.v3.Cluster") or {}).get("lastNack")
            time.sleep(0.1)
        if nack is None:
            fail(f"no NACK recorded in /debug/syncz: {syncz}")
        result = client.many(200)
        print(f"step 7: NACK recorded ({nack['message'][:90]}...); the client kept working: {result}", flush=True)
        if result["failed"] or result.get("v1", 0) != 200:
            fail("after the NACK the client stopped working on its previous config")

        # 8. The command-line views of the same state.
        admin = ["--admin-address", f"http://127.0.0.1:{admin_port}"]
        client_id = bootstrap["node"]["id"]
        status = subprocess.run([binary, "proxy-status"] + admin, capture_output=True, text=True, timeout=30)
        config = subprocess.run([binary, "proxy-config", client_id, "clusters"] + admin, capture_output=True, text=True, timeout=30)
        line = next((l for l in status.stdout.splitlines() if l.startswith(client_id)), "")
        print(f"step 8: proxy-status: {line!r}; proxy-config clusters: {len(config.stdout)} bytes", flush=True)
        if status.returncode != 0 or "grpc" not in line or "NACKED" not in line or "rejected" not in status.stdout:
            fail(f"proxy-status:\n{status.stdout}{status.stderr}")
        if config.returncode != 0 or "outbound|9080|v1|reviews.default.svc.cluster.local" not in config.stdout:
            fail(f"proxy-config:\n{config.stdout[:2000]}{config.stderr}")
        print("all steps passed", flush=True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        for backend in backends.values():
            backend.server.stop(0)


if __name__ == "__main__":
    main()
