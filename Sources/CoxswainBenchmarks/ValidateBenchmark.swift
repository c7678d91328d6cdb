import ArgumentParser
import MeshAPI

/// `coxswain-bench validate`: validation of single objects that are large in one dimension (a
/// VirtualService with N hosts, N prefix routes and N SNI hosts), at several sizes, so that cost
/// that grows faster than the object shows as a ratio above the size ratio.
struct ValidateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Time validating one VirtualService with N hosts and N routes, for each N given."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Sizes to time (hosts and routes each).")
    var sizes: [Int] = [2_000, 20_000]

    @Option(name: .long, help: "Timed runs per size; the best is reported.")
    var runs: Int = 3

    func run() throws {
        var previous: (size: Int, seconds: Double)?
        for size in sizes {
            let http = Self.httpVirtualService(size)
            let tls = Self.tlsVirtualService(size)
            var best = (total: Double.infinity, http: 0.0, tls: 0.0)
            var findings = 0
            for _ in 0..<max(1, runs) {
                let start = processCPUSeconds()
                findings = MeshValidator.validate(http).count
                let middle = processCPUSeconds()
                findings += MeshValidator.validate(tls).count
                let end = processCPUSeconds()
                if end - start < best.total { best = (end - start, middle - start, end - middle) }
            }
            let ratio = previous.map { String(format: " (×%.1f the time for ×%.1f the size)", best.total / $0.seconds, Double(size) / Double($0.size)) } ?? ""
            print("\(size) hosts and routes: \(String(format: "%.3f s CPU (HTTP %.3f, TLS %.3f)", best.total, best.http, best.tls)), \(findings) findings\(ratio)")
            previous = (size, best.total)
        }
    }

    /// Distinct exact hosts plus a few wildcards, and routes with prefixes of which some cover later ones.
    static func httpVirtualService(_ size: Int) -> MeshObject {
        var spec = VirtualServiceSpec()
        spec.hosts = (0..<size).map { $0 % 100 == 99 ? "*.w\($0).example.com" : "h\($0).example.com" }
        spec.http = (0..<size).map { index in
            var match = HTTPMatchRequest()
            match.uri = StringMatch(prefix: index % 10 == 0 ? "/p\(index / 10)" : "/p\(index / 10)/q\(index)")
            var route = HTTPRoute()
            route.match = [match]
            route.route = [HTTPRouteDestination(destination: Destination(host: "reviews"))]
            return route
        }
        return .virtualService(VirtualService(metadata: .init(name: "big-http", namespace: "default"), spec: spec))
    }

    /// A TLS route whose N SNI hosts are each checked against the N hosts.
    static func tlsVirtualService(_ size: Int) -> MeshObject {
        var spec = VirtualServiceSpec()
        spec.hosts = (0..<size).map { "t\($0).example.com" }
        var match = TLSMatchAttributes()
        match.sniHosts = (0..<size).map { "t\(size - 1 - $0).example.com" }
        var route = TLSRoute()
        route.match = [match]
        route.route = [RouteDestination(destination: Destination(host: "reviews"))]
        spec.tls = [route]
        return .virtualService(VirtualService(metadata: .init(name: "big-tls", namespace: "default"), spec: spec))
    }
}
