#!/usr/bin/env python3
"""The operator end to end: the test API server, two `coxswain run` replicas with leader election,
the real kubectl, real gRPC backends and grpcio's xDS client.

Usage: operator_e2e.py COXSWAIN_BINARY REPOSITORY WORK_DIR

Steps (one line each on stdout; exit 0 when all pass, 1 on the first failure, 2 without grpcio):
  1. `kubectl apply -f crds/` and the samples: every VirtualService, DestinationRule and Gateway shows
     Accepted, ResolvedRefs and Programmed True (for its generation) within 5 s; `kubectl wait` agrees.
  2. a canary in namespace `canary`: 90/10 seen by the xDS client (within 3 points over 2,000 RPCs),
     then `kubectl apply` of 50/50 and of 0/100, each followed within 2 s, with no failed RPC;
  3. an invalid VirtualService (a regex RE2 rejects; the schema cannot say so) gets Accepted=False with
     the field path, and traffic for the canary host keeps flowing unchanged;
  4. a route to a subset no DestinationRule defines: ResolvedRefs=False; adding the subset flips it to
     True, with no failed RPC on the other routes meanwhile;
  5. status writes stop: after convergence nothing is rewritten (resourceVersions stay put);
  6. API server faults (dropped watches, a forced 410 Gone, 500s) while the canary moves to 30/70:
     status and xDS converge afterwards;
  7. SIGKILL of the leader: the other replica holds the lease within 17 s and writes status; the xDS
     client, connected to the survivor, never sees a failed RPC;
  8. SIGTERM of the (new) leader releases the lease at once.
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import grpc  # noqa: F401
except ImportError:
    print("grpcio is not installed: pip install -r hack/requirements-test.txt", file=sys.stderr)
    sys.exit(2)
from xds_canary import Backend, Client, fail, free_port, wait_ready  # noqa: E402

TARGET = "xds:///reviews.canary.svc.cluster.local:9080"
MESH_KINDS = "virtualservices.networking.istio.io,destinationrules.networking.istio.io,gateways.networking.istio.io"


class Cluster:
    def __init__(self, binary, repository, work):
        self.binary, self.repository, self.work = binary, repository, work
        self.kubeconfig = os.path.join(work, "kubeconfig")
        self.http_port = free_port()
        self.log = open(os.path.join(work, "apiserver.log"), "w")
        self.process = subprocess.Popen([binary, "dev-apiserver", "--port", "0", "--http-port", str(self.http_port),
                                         "--kubeconfig-out", self.kubeconfig], stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.kubeconfig):
            if time.time() > deadline or self.process.poll() is not None:
                fail("the test API server did not start")
            time.sleep(0.05)

    def kubectl(self, *args, stdin=None, check=True, timeout=60):
        result = subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig] + list(args), input=stdin,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            fail(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
        return result

    def apply(self, text):
        return self.kubectl("apply", "-f", "-", stdin=text)

    def get(self, kinds, namespace=None):
        scope = ["-n", namespace] if namespace else ["-A"]
        return json.loads(self.kubectl("get", kinds, *scope, "-o", "json").stdout)["items"]

    def fault(self, name, **query):
        url = f"http://127.0.0.1:{self.http_port}/_fault/{name}"
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5).read()

    def lease_holder(self):
        result = self.kubectl("get", "lease", "coxswain-leader", "-n", "default", "-o", "jsonpath={.spec.holderIdentity}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Replica:
    def __init__(self, cluster, name):
        self.name, self.xds_port, self.admin_port = name, free_port(), free_port()
        self.log_path = os.path.join(cluster.work, f"coxswain-{name}.log")
        log = open(self.log_path, "w")
        self.process = subprocess.Popen([cluster.binary, "run", "--kubeconfig", cluster.kubeconfig, "--identity", name,
                                         "--lease-namespace", "default", "--xds-port", str(self.xds_port),
                                         "--admin-port", str(self.admin_port), "--listen-address", "127.0.0.1",
                                         "--debounce-quiet", "50", "--debounce-max", "500"], stdout=log, stderr=log)

    def wait_ready(self):
        wait_ready(self.admin_port, self.process, self.log_path)

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def canary_mesh(ports, v1, v2, extra_subsets=(), extra_rules=""):
    docs = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: canary}\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: canary}\n"
            "spec:\n  selector: {app: reviews}\n  ports: [{name: grpc, port: 9080}]\n"]
    for version, port in ports.items():
        docs.append(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: reviews-{version}, namespace: canary, "
                    f"labels: {{app: reviews, version: {version}}}}}\nspec:\n  containers: [{{name: app, image: reviews}}]\n")
        docs.append(f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: reviews-{version}, namespace: canary, labels: {{kubernetes.io/service-name: reviews}}}}
addressType: IPv4
ports: [{{name: grpc, port: {port}}}]
endpoints:
- addresses: [127.0.0.1]
  conditions: {{ready: true}}
  targetRef: {{kind: Pod, name: reviews-{version}, namespace: canary}}
""")
    subsets = "\n".join(f"  - {{name: {v}, labels: {{version: {v}}}}}" for v in ["v1", "v2", *extra_subsets])
    docs.append(f"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews, namespace: canary}}\n"
                f"spec:\n  host: reviews\n  subsets:\n{subsets}\n")
    docs.append(split(v1, v2, extra_rules))
    return "---\n".join(docs)


def split(v1, v2, extra_rules=""):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: canary}}
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


class Sender(Client):
    """grpcio's xDS client, also sending in the background and remembering every result, so no failure goes unseen."""

    def __init__(self):
        super().__init__(TARGET)
        self.results, self.failures, self.lock = [], [], threading.Lock()
        self.stop_event, self.thread = threading.Event(), None

    def start(self):
        def run():
            while not self.stop_event.is_set():
                version, error = self.one()
                with self.lock:
                    self.results.append((time.time(), version))
                    if error is not None:
                        self.failures.append(f"{error.code().name}: {error.details()}")
                time.sleep(0.002)
        self.stop_event.clear()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join()

    def share_since(self, since, version, last=200):
        with self.lock:
            window = [v for t, v in self.results if t >= since and v][-last:]
        return (window.count(version) * 100 / len(window) if len(window) >= last else None), len(window)

    def wait_for_share(self, since, version, expected, tolerance, limit):
        while time.time() - since < limit + 5:
            share, _ = self.share_since(since, version)
            if share is not None and abs(share - expected) <= tolerance:
                return time.time() - since
            time.sleep(0.02)
        return None


def conditions(item):
    return {c["type"]: c for c in (item.get("status") or {}).get("conditions", [])}


def converged(items, required=("Accepted", "ResolvedRefs", "Programmed")):
    pending = []
    for item in items:
        found = conditions(item)
        generation = item["metadata"].get("generation")
        for kind in required:
            c = found.get(kind)
            if not c or c["status"] != "True" or c.get("observedGeneration") != generation:
                pending.append(f"{item['kind']}/{item['metadata']['namespace']}/{item['metadata']['name']} {kind}="
                               f"{c['status'] if c else 'missing'} {c.get('message', '') if c else ''}")
    return pending


def wait_until(what, predicate, limit, interval=0.1):
    started = time.time()
    last = None
    while time.time() - started < limit:
        last = predicate()
        if last is True or last == []:
            return time.time() - started
        time.sleep(interval)
    fail(f"{what} not within {limit} s: {last}")


def condition_of(cluster, kind, namespace, name, ctype):
    items = [i for i in cluster.get(kind, namespace) if i["metadata"]["name"] == name]
    return (conditions(items[0]).get(ctype), items[0]) if items else (None, None)


def main():
    binary, repository, work = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    cluster = Cluster(binary, repository, work)
    backends = {v: Backend(v) for v in ("v1", "v2", "v3")}
    ports = {v: b.port for v, b in backends.items()}
    replicas = []
    try:
        cluster.kubectl("apply", "-f", os.path.join(repository, "crds"))
        cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=30s")
        a = Replica(cluster, "replica-a")
        replicas.append(a)
        a.wait_ready()
        wait_until("replica-a leading", lambda: cluster.lease_holder() == "replica-a", 20)
        b = Replica(cluster, "replica-b")
        replicas.append(b)
        b.wait_ready()

        # 1. CRDs and samples, then every object Accepted, ResolvedRefs, Programmed.
        applied_at = time.time()
        cluster.kubectl("apply", "-k", os.path.join(repository, "config", "samples"))
        cluster.apply(canary_mesh(ports, 90, 10))
        took = wait_until("every sample Accepted/ResolvedRefs/Programmed", lambda: converged(cluster.get(MESH_KINDS)), 5 + (time.time() - applied_at))
        took = time.time() - applied_at
        waited = cluster.kubectl("wait", "--for=condition=Programmed", MESH_KINDS, "--all", "-A", "--timeout=5s", check=False)
        items = cluster.get(MESH_KINDS)
        table = cluster.kubectl("get", "virtualservices", "-n", "canary").stdout
        if "ACCEPTED" not in table or "PROGRAMMED" not in table or table.splitlines()[1].split()[-3:-1] != ["True", "True"]:
            fail(f"kubectl get does not show the Accepted and Programmed columns:\n{table}")
        print(f"step 1: {len(items)} objects Accepted/ResolvedRefs/Programmed {took:.2f}s after kubectl apply; "
              f"e.g. {conditions(items[0])['Programmed']['message']!r}; kubectl wait: {waited.returncode}", flush=True)
        if took > 5 or waited.returncode != 0:
            fail(f"not converged within 5 s ({took:.2f}s) or kubectl wait failed: {waited.stderr}")

        # 2. The canary, through replica-b (the follower).
        bootstrap = {
            "xds_servers": [{"server_uri": f"127.0.0.1:{b.xds_port}", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
            "node": {"id": "sidecar~127.0.0.1~client.canary~canary.svc.cluster.local", "metadata": {"GENERATOR": "grpc", "NAMESPACE": "canary"}},
        }
        os.environ["GRPC_XDS_BOOTSTRAP_CONFIG"] = json.dumps(bootstrap)
        sender = Sender()
        warm = sender.many(20)
        if warm["failed"]:
            fail(f"warm-up RPCs failed: {warm['errors']}")
        result = sender.many(2000)
        share = result.get("v1", 0) / 20
        if result["failed"] or abs(share - 90) > 3:
            fail(f"90/10 measured {share:.1f}% v1, {result['failed']} failed: {result['errors']}")
        sender.start()
        changed = time.time()
        cluster.apply(split(50, 50))
        fifty = sender.wait_for_share(changed, "v1", 50, 10, 2)
        changed = time.time()
        cluster.apply(split(0, 100))
        hundred = sender.wait_for_share(changed, "v2", 100, 0, 2)
        print(f"step 2: 90/10 gave {share:.1f}% v1 over 2,000 RPCs; 50/50 followed in {fifty}s, 0/100 in {hundred}s; "
              f"failed RPCs: {len(sender.failures)}", flush=True)
        if fifty is None or fifty > 2 or hundred is None or hundred > 2 or sender.failures:
            fail(f"the canary did not follow within 2 s without failures: {sender.failures[:3]}")

        # 3. An invalid VirtualService for another host.
        cluster.apply("""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: canary}
spec:
  hosts: [ratings.canary.svc.cluster.local]
  http:
  - match: [{uri: {regex: "(unclosed"}}]
    route: [{destination: {host: reviews}}]
""")
        def broken_rejected():
            c, _ = condition_of(cluster, "virtualservices.networking.istio.io", "canary", "broken", "Accepted")
            return True if c and c["status"] == "False" else c
        wait_until("Accepted=False on the invalid VirtualService", broken_rejected, 5)
        accepted, _ = condition_of(cluster, "virtualservices.networking.istio.io", "canary", "broken", "Accepted")
        share, _ = sender.share_since(time.time() - 1, "v2", last=50)
        print(f"step 3: invalid VirtualService: Accepted=False {accepted['reason']}: {accepted['message'][:100]!r}; "
              f"canary still {share}% v2, failed RPCs: {len(sender.failures)}", flush=True)
        if "spec.http[0].match[0].uri.regex" not in accepted["message"] or share != 100 or sender.failures:
            fail("the invalid object's error lacks its field path, or other traffic was disturbed")

        # 4. A subset that does not exist, then its DestinationRule.
        v3_rule = "  - name: v3\n    match: [{headers: {end-user: {exact: v3-tester}}}]\n    route: [{destination: {host: reviews, subset: v3}}]\n"
        cluster.apply(split(0, 100, v3_rule))
        def resolved(expected):
            def check():
                c, item = condition_of(cluster, "virtualservices.networking.istio.io", "canary", "reviews", "ResolvedRefs")
                ok = c and c["status"] == expected and c.get("observedGeneration") == item["metadata"]["generation"]
                return True if ok else c
            return check
        wait_until("ResolvedRefs=False for the missing subset", resolved("False"), 5)
        missing, _ = condition_of(cluster, "virtualservices.networking.istio.io", "canary", "reviews", "ResolvedRefs")
        cluster.apply(canary_mesh(ports, 0, 100, extra_subsets=("v3",), extra_rules=v3_rule))
        flipped = wait_until("ResolvedRefs=True after the subset was added", resolved("True"), 5)
        v3 = sender.many(5, metadata=(("end-user", "v3-tester"),))
        print(f"step 4: missing subset: ResolvedRefs=False ({missing['message'][:80]!r}); True {flipped:.2f}s after the "
              f"DestinationRule; v3-tester -> {v3}; failed RPCs: {len(sender.failures)}", flush=True)
        if sender.failures or v3.get("v3", 0) != 5:
            fail(f"failures while the subset was added: {sender.failures[:3]}")

        # 5. No status write loop.
        def observed():
            return [i["metadata"]["name"] for i in cluster.get(MESH_KINDS)
                    if (i.get("status") or {}).get("observedGeneration") != i["metadata"]["generation"]]
        wait_until("every object's status for its generation", observed, 5)
        time.sleep(1.5)
        def snapshot():
            return {(i["kind"], i["metadata"]["namespace"], i["metadata"]["name"]): (i["metadata"]["resourceVersion"], json.dumps(i.get("status"), sort_keys=True))
                    for i in cluster.get(MESH_KINDS)}
        before = snapshot()
        time.sleep(3)
        after = snapshot()
        # A rewrite is a loop when the resourceVersion moved but the status says the same thing.
        rewritten = [k for k in before if after.get(k, before[k])[0] != before[k][0] and after[k][1] == before[k][1]]
        refreshed = [k for k in before if after.get(k, before[k])[1] != before[k][1]]
        print(f"step 5: {len(before)} objects; rewritten unchanged in 3 s of quiet: {len(rewritten)} (refreshed proxy counts: {len(refreshed)})", flush=True)
        if rewritten:
            fail(f"status rewritten without a change: {rewritten}")

        # 6. API server faults while the canary moves to 30/70.
        cluster.fault("drop-watches")
        cluster.fault("gone", count=3)
        cluster.fault("fail", count=5, status=500, userAgent="coxswain")
        changed = time.time()
        cluster.apply(split(30, 70, v3_rule))
        moved = sender.wait_for_share(changed, "v1", 30, 10, 10)
        def status_current():
            c, item = condition_of(cluster, "virtualservices.networking.istio.io", "canary", "reviews", "Programmed")
            return True if c and c["status"] == "True" and c["observedGeneration"] == item["metadata"]["generation"] else c
        programmed = wait_until("Programmed for the new generation after faults", status_current, 15)
        print(f"step 6: after dropped watches, 410s and 500s: 30/70 served after {moved}s, Programmed after {programmed:.2f}s", flush=True)
        if moved is None:
            fail("xDS did not converge after the API server faults")

        # 7. SIGKILL the leader.
        if cluster.lease_holder() != "replica-a":
            fail(f"expected replica-a to lead, the lease says {cluster.lease_holder()!r}")
        killed = time.time()
        a.stop(signal.SIGKILL)
        wait_until("replica-b holding the lease", lambda: cluster.lease_holder() == "replica-b", 25, interval=0.2)
        acquired = cluster.kubectl("get", "lease", "coxswain-leader", "-n", "default", "-o", "jsonpath={.spec.acquireTime}").stdout.strip()
        takeover = datetime.datetime.fromisoformat(acquired.replace("Z", "+00:00")).timestamp() - killed
        cluster.apply(split(60, 40, v3_rule))
        written = wait_until("status written by the new leader", status_current, 10)
        print(f"step 7: leader killed; replica-b leads after {takeover:.2f}s and wrote status {written:.2f}s after the next change; "
              f"failed RPCs at the client: {len(sender.failures)}", flush=True)
        if takeover > 17 or sender.failures:
            fail(f"takeover took {takeover:.2f}s or the client saw failures: {sender.failures[:3]}")
        sender.stop()

        # 8. SIGTERM the leader: the lease is released at once.
        stopped = time.time()
        b.process.send_signal(signal.SIGTERM)
        released = wait_until("the lease released", lambda: cluster.lease_holder() == "", 5, interval=0.05)
        b.stop()
        exited = time.time() - stopped
        print(f"step 8: SIGTERM: lease released {released:.2f}s later; replica-b exited with {b.process.returncode} after {exited:.2f}s", flush=True)
        if b.process.returncode != 0 or exited > 10:
            fail(f"replica-b did not exit cleanly within 10 s: status {b.process.returncode} after {exited:.2f}s")
        print("all steps passed", flush=True)
    finally:
        for replica in replicas:
            replica.stop(signal.SIGKILL)
        cluster.close()
        for backend in backends.values():
            backend.server.stop(0)


if __name__ == "__main__":
    main()
