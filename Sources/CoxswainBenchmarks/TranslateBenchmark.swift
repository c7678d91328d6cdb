import ArgumentParser
import KubernetesAPI
import MeshAPI
import Translator
#if canImport(Glibc)
import Glibc
#endif

/// `coxswain-bench translate`: a synthetic mesh of N services — each with 3 subsets, a
/// DestinationRule, a VirtualService splitting 3 ways and 3 endpoints — translated for one
/// sidecar, one gateway and one proxyless gRPC client. Reports CPU time per proxy and the
/// process's peak memory, for each N.
struct TranslateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Time translating a synthetic mesh of N services for each kind of proxy."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Mesh sizes (services).")
    var services: [Int] = [100, 1_000, 10_000]

    @Option(name: .long, help: "Timed runs per size and proxy; the best is reported.")
    var runs: Int = 3

    func run() throws {
        var previous: (services: Int, seconds: Double)?
        for count in services {
            let snapshot = Self.mesh(services: count)
            let indexStart = processCPUSeconds()
            _ = MeshIndex(snapshot)
            let indexSeconds = processCPUSeconds() - indexStart
            var line = "N=\(count): index \(format(indexSeconds))"
            var sidecarSeconds = 0.0
            for kind in ProxyIdentity.Kind.allCases {
                let proxy = ProxyIdentity(kind: kind, namespace: "default", labels: kind == .gateway ? ["istio": "ingressgateway"] : [:])
                var best = Double.infinity
                var clusters = 0
                for _ in 0..<max(1, runs) {
                    // Every timed run starts without memoized clusters and endpoints, as the first proxy of a change does.
                    let unshared = MeshIndex(snapshot, memo: TranslationMemo())
                    let start = processCPUSeconds()
                    let resources = Translator.translate(unshared, proxy: proxy)
                    best = min(best, processCPUSeconds() - start)
                    clusters = resources.clusters.count
                }
                if kind == .sidecar { sidecarSeconds = best }
                line += ", \(kind.rawValue) \(format(best)) (\(clusters) clusters)"
            }
            line += ", peak RSS \(peakResidentMegabytes()) MB"
            if let previous {
                line += String(format: ", sidecar time ×%.1f for ×%d services", sidecarSeconds / max(previous.seconds, 1e-9), count / max(previous.services, 1))
            }
            print(line)
            previous = (count, sidecarSeconds)
        }
    }

    func format(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int(seconds * 1000)) ms" : String(format: "%.2f s", seconds)
    }

    /// Services spread over 10 namespaces, each with pods v1–v3 and their endpoints.
    static func mesh(services: Int) -> MeshSnapshot {
        var objects: [MeshObject] = []
        objects.reserveCapacity(services * 9)
        for index in 0..<services {
            let name = "svc-\(index)"
            let namespace = "ns-\(index % 10)"
            var service = Service(metadata: ObjectMeta(name: name, namespace: namespace))
            var spec = ServiceSpec()
            spec.selector = ["app": name]
            spec.clusterIP = "10.96.\(index / 250).\(index % 250)"
            spec.ports = [ServicePort(name: "http", port: 8080)]
            service.spec = spec
            objects.append(.service(service))

            var slice = EndpointSlice(metadata: ObjectMeta(name: "\(name)-abc", namespace: namespace, labels: [EndpointSlice.serviceNameLabel: name]))
            slice.ports = [EndpointPort(name: "http", port: 8080)]
            var endpoints: [EndpointSlice.Endpoint] = []
            for version in 1...3 {
                let ip = "10.\(1 + version).\(index / 250).\(index % 250)"
                var pod = Pod(metadata: ObjectMeta(name: "\(name)-v\(version)", namespace: namespace, labels: ["app": name, "version": "v\(version)"]))
                pod.status = Pod.PodStatus(podIP: ip)
                objects.append(.pod(pod))
                var endpoint = EndpointSlice.Endpoint(addresses: [ip])
                endpoint.targetRef = ObjectReference(kind: "Pod", namespace: namespace, name: pod.metadata.name)
                endpoints.append(endpoint)
            }
            slice.endpoints = endpoints
            objects.append(.endpointSlice(slice))

            var rule = DestinationRule(metadata: ObjectMeta(name: name, namespace: namespace))
            rule.spec.host = name
            rule.spec.subsets = (1...3).map { Subset(name: "v\($0)", labels: ["version": "v\($0)"]) }
            objects.append(.destinationRule(rule))

            var virtualService = VirtualService(metadata: ObjectMeta(name: name, namespace: namespace))
            virtualService.spec.hosts = [name]
            var route = HTTPRoute()
            route.route = [(1, 60), (2, 30), (3, 10)].map { version, weight in
                HTTPRouteDestination(destination: Destination(host: name, subset: "v\(version)"), weight: Int32(weight))
            }
            virtualService.spec.http = [route]
            objects.append(.virtualService(virtualService))
        }
        return MeshSnapshot(objects: objects)
    }
}

/// The process's peak resident set, in MB (getrusage reports kilobytes on Linux).
func peakResidentMegabytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss) / 1024
}
