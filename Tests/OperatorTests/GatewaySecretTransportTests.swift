import CoxswainTestSupport
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import MeshAPI
import SwiftProtobuf
import Testing
import XDSServer
@testable import Operator

/// Gateway private keys over the wire: the TLS port gives them to a client whose certificate names
/// the gateway Pod's service account in its namespace, and to no one else; the plaintext port
/// gives them to no one unless told to, insecurely.
@Suite(.serialized) struct GatewaySecretTransportTests {
    /// A CA, a server certificate for 127.0.0.1, and client certificates: `ingress` and `attacker`
    /// with SPIFFE URIs for istio-system/ingress and attacker/ingress, `plain` with none.
    static func certificates() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-sds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=coxswain-test-ca 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
            printf 'subjectAltName=URI:spiffe://cluster.local/ns/istio-system/sa/ingress\\nextendedKeyUsage=clientAuth\\n' > ingress.ext
            printf 'subjectAltName=URI:spiffe://cluster.local/ns/attacker/sa/ingress\\nextendedKeyUsage=clientAuth\\n' > attacker.ext
            printf 'extendedKeyUsage=clientAuth\\n' > plain.ext
            for who in server ingress attacker plain; do
              openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $who.key -out $who.csr -subj /CN=$who 2>/dev/null
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

    enum Port {
        case plaintext(servePrivateKeys: Bool)
        case tls(clientCA: Bool)
    }

    /// Runs a server of the given kind over ``GatewaySecretAccessTests/mesh`` while `body` runs.
    static func withServer<T: Sendable>(_ kind: Port, certificates: URL, _ body: (Int, ProxyRegistry) async throws -> T) async throws -> T {
        let generator = MeshResourceGenerator()
        _ = generator.update(GatewaySecretAccessTests.mesh)
        let registry = ProxyRegistry()
        let cache = SnapshotCache(generator: generator)
        let tls: XDSGRPCServer.TLS?
        let authentication: ClientAuthentication
        switch kind {
        case .plaintext(let servePrivateKeys):
            tls = nil
            authentication = .none(servePrivateKeys: servePrivateKeys, reason: "plaintext port: clients are not authenticated")
        case .tls(let clientCA):
            let server = XDSGRPCServer.TLS(certificateChainPath: certificates.appendingPathComponent("server.crt").path,
                                           privateKeyPath: certificates.appendingPathComponent("server.key").path,
                                           clientCAPath: clientCA ? certificates.appendingPathComponent("ca.crt").path : nil)
            tls = server
            authentication = server.clientAuthentication
        }
        let service = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry, authentication: authentication)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = XDSGRPCServer(host: "127.0.0.1", port: 0, tls: tls, service: service, onListening: { portSink.yield($0) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let result = try await body(port, registry)
            group.cancelAll()
            return result
        }
    }

    static func client(port: Int, certificates: URL?, identity: String?) throws -> HTTP2ClientTransport.Posix {
        guard let certificates else {
            return try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        }
        return try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .tls { config in
            config.trustRoots = .certificates([.file(path: certificates.appendingPathComponent("ca.crt").path, format: .pem)])
            if let identity {
                config.certificateChain = [.file(path: certificates.appendingPathComponent("\(identity).crt").path, format: .pem)]
                config.privateKey = .file(path: certificates.appendingPathComponent("\(identity).key").path, format: .pem)
            }
        })
    }

    struct Served: Sendable {
        var listeners: [String]
        var privateKey: Data?
        var withheld: String?
    }

    /// What a gateway claiming `ingress-0` in istio-system is served: its listeners, then, when it
    /// has the HTTPS listener, the key of the secret it names; and what syncz says about it.
    static func fetch(_ transport: HTTP2ClientTransport.Posix, registry: ProxyRegistry) async throws -> Served {
        try await withGRPCClient(transport: transport) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, sender) = AsyncStream.makeStream(of: Envoy_Service_Discovery_V3_DiscoveryRequest.self)
            var listeners = Envoy_Service_Discovery_V3_DiscoveryRequest()
            listeners.typeURL = TypeURL.listener
            listeners.node = GatewaySecretAccessTests.node()
            sender.yield(listeners)
            return try await ads.streamAggregatedResources(request: StreamingClientRequest { writer in
                for await request in requests { try await writer.write(request) }
            }) { response in
                var served = Served(listeners: [])
                for try await message in response.messages {
                    if message.typeURL == TypeURL.listener {
                        served.listeners = try message.resources.map { try Envoy_Config_Listener_V3_Listener(unpackingAny: $0).name }.sorted()
                        served.withheld = await registry.statuses().first?.secretsWithheld
                        guard served.listeners.contains("0.0.0.0_8443") else { break }
                        var secrets = Envoy_Service_Discovery_V3_DiscoveryRequest()
                        secrets.typeURL = TypeURL.secret
                        secrets.resourceNames = ["kubernetes://shop-cert"]
                        sender.yield(secrets)
                    } else if message.typeURL == TypeURL.secret {
                        let secret = try #require(try message.resources.first.map { try Envoy_Extensions_TransportSockets_Tls_V3_Secret(unpackingAny: $0) })
                        served.privateKey = secret.tlsCertificate.privateKey.inlineBytes
                        break
                    }
                }
                sender.finish()
                return served
            }
        }
    }

    @Test(.timeLimit(.minutes(2))) func aClientCertificateForTheGatewaysServiceAccountGetsTheKey() async throws {
        let certificates = try Self.certificates()
        try await Self.withServer(.tls(clientCA: true), certificates: certificates) { port, registry in
            let served = try await Self.fetch(try Self.client(port: port, certificates: certificates, identity: "ingress"), registry: registry)
            #expect(served.listeners == ["0.0.0.0_8443"])
            #expect(served.privateKey == Data(TestCredentials.credential(for: "shop-cert").key.utf8))
            #expect(served.withheld == nil)
        }
    }

    @Test(.timeLimit(.minutes(2))) func aCertificateForAnotherNamespaceIsRefused() async throws {
        let certificates = try Self.certificates()
        try await Self.withServer(.tls(clientCA: true), certificates: certificates) { port, registry in
            let error = await #expect(throws: RPCError.self) {
                _ = try await Self.fetch(try Self.client(port: port, certificates: certificates, identity: "attacker"), registry: registry)
            }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message.contains("ns/attacker/sa/ingress") == true, "\(String(describing: error?.message))")
        }
    }

    @Test(.timeLimit(.minutes(2))) func aCertificateWithoutASPIFFEIdentityGetsNoKey() async throws {
        let certificates = try Self.certificates()
        try await Self.withServer(.tls(clientCA: true), certificates: certificates) { port, registry in
            let served = try await Self.fetch(try Self.client(port: port, certificates: certificates, identity: "plain"), registry: registry)
            #expect(served.listeners.isEmpty)
            #expect(served.privateKey == nil)
            #expect(served.withheld?.contains("no spiffe://") == true, "\(String(describing: served.withheld))")
        }
    }

    @Test(.timeLimit(.minutes(2))) func aTLSPortWithoutAClientCAServesNoKeys() async throws {
        let certificates = try Self.certificates()
        try await Self.withServer(.tls(clientCA: false), certificates: certificates) { port, registry in
            let served = try await Self.fetch(try Self.client(port: port, certificates: certificates, identity: nil), registry: registry)
            #expect(served.listeners.isEmpty)
            #expect(served.withheld?.contains("without a client CA") == true, "\(String(describing: served.withheld))")
        }
    }

    @Test(.timeLimit(.minutes(2))) func thePlaintextPortServesNoKeysByDefault() async throws {
        try await Self.withServer(.plaintext(servePrivateKeys: false), certificates: URL(fileURLWithPath: "/")) { port, registry in
            let served = try await Self.fetch(try Self.client(port: port, certificates: nil, identity: nil), registry: registry)
            #expect(served.listeners.isEmpty)
            #expect(served.privateKey == nil)
            #expect(served.withheld?.contains("plaintext port") == true)
        }
    }

    @Test(.timeLimit(.minutes(2))) func thePlaintextPortServesKeysWhenExplicitlyInsecure() async throws {
        try await Self.withServer(.plaintext(servePrivateKeys: true), certificates: URL(fileURLWithPath: "/")) { port, registry in
            let served = try await Self.fetch(try Self.client(port: port, certificates: nil, identity: nil), registry: registry)
            #expect(served.privateKey == Data(TestCredentials.credential(for: "shop-cert").key.utf8))
        }
    }
}
