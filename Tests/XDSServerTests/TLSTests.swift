import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
@testable import XDSServer

/// xDS over TLS, and mutual TLS with a client CA, with certificates made by openssl.
@Suite struct TLSTests {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
    static func certificates() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=coxswain-test-ca 2>/dev/null
            for who in server client; do
              openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $who.key -out $who.csr -subj /CN=$who 2>/dev/null
            done
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext
            printf 'extendedKeyUsage=clientAuth\\n' > client.ext
            for who in server client; do
              openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt -days 1 -extfile $who.ext 2>/dev/null
            done
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl failed")
        return directory
    }

    static func client(_ directory: URL, port: Int, withCertificate: Bool) throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port),
            transportSecurity: .tls { config in
                config.trustRoots = .certificates([.file(path: directory.appendingPathComponent("ca.crt").path, format: .pem)])
                if withCertificate {
                    config.certificateChain = [.file(path: directory.appendingPathComponent("client.crt").path, format: .pem)]
                    config.privateKey = .file(path: directory.appendingPathComponent("client.key").path, format: .pem)
                }
            })
    }

    /// Subscribes to clusters and returns the first response (or throws the RPC's error).
    static func fetchClusters(_ transport: HTTP2ClientTransport.Posix) async throws -> DiscoveryResponse? {
        try await withGRPCClient(transport: transport) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            return try await ads.streamAggregatedResources(request: StreamingClientRequest { writer in
                try await writer.write(.subscribe(TypeURL.cluster))
                try await Task.sleep(for: .seconds(30))
            }) { response in
                for try await message in response.messages { return message }
                return nil
            }
        }
    }

    @Test(.timeLimit(.minutes(2))) func mutualTLSServesClientsWithACertificateAndRefusesOthers() async throws {
        let directory = try Self.certificates()
        let mesh = TestMesh()
        await mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|9080||reviews.default.svc.cluster.local")])
        let generator = TestGenerator(mesh: mesh)
        let service = AggregatedDiscoveryService(generator: generator, cache: SnapshotCache(generator: generator), registry: ProxyRegistry())
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = XDSGRPCServer(
            host: "127.0.0.1", port: 0,
            tls: .init(certificateChainPath: directory.appendingPathComponent("server.crt").path,
                       privateKeyPath: directory.appendingPathComponent("server.key").path,
                       clientCAPath: directory.appendingPathComponent("ca.crt").path),
            service: service, onListening: { portSink.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())

            let response = try await Self.fetchClusters(try Self.client(directory, port: port, withCertificate: true))
            #expect(response?.names == ["outbound|9080||reviews.default.svc.cluster.local"])

            await #expect(throws: (any Error).self, "a client without a certificate is refused") {
                _ = try await Self.fetchClusters(try Self.client(directory, port: port, withCertificate: false))
            }
            group.cancelAll()
        }
    }
}
