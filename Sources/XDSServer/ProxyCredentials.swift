import GRPCCore
import GRPCNIOTransportHTTP2
import X509

/// A workload identity in Istio's SPIFFE form, `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`,
/// as it appears in a client certificate's URI subject alternative name.
public struct WorkloadIdentity: Sendable, Hashable, CustomStringConvertible {
    public var trustDomain: String
    public var namespace: String
    public var serviceAccount: String

    public init(trustDomain: String, namespace: String, serviceAccount: String) {
        self.trustDomain = trustDomain
        self.namespace = namespace
        self.serviceAccount = serviceAccount
    }

    /// Parses `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`; nil for anything else.
    public init?(spiffeURI: String) {
        guard spiffeURI.hasPrefix("spiffe://") else { return nil }
        let parts = spiffeURI.dropFirst("spiffe://".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty, parts[1] == "ns", !parts[2].isEmpty, parts[3] == "sa", !parts[4].isEmpty else { return nil }
        self.init(trustDomain: parts[0], namespace: parts[2], serviceAccount: parts[4])
    }

    /// The first SPIFFE identity among a certificate's URI SANs.
    public init?(certificate: Certificate) {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return nil }
        for name in names {
            if case .uniformResourceIdentifier(let uri) = name, let identity = WorkloadIdentity(spiffeURI: uri) {
                self = identity
                return
            }
        }
        return nil
    }

    public var description: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)" }
}

/// What a stream's client proved about itself, which decides whether it may be sent private keys.
public enum ProxyCredentials: Sendable, Hashable {
    /// Nothing, but the port is explicitly configured to serve private keys anyway (insecure).
    case unrestricted
    /// Nothing, for the reason given: no private keys.
    case unauthenticated(String)
    /// A verified identity.
    case workload(WorkloadIdentity)
}

/// How a port authenticates its clients.
public enum ClientAuthentication: Sendable, Hashable {
    /// No authentication (plaintext, or TLS without a client CA). With `servePrivateKeys` every
    /// client gets the private keys of the Gateways it claims: anyone who can reach the port can
    /// read them, as on istiod's plaintext 15010.
    case none(servePrivateKeys: Bool, reason: String)
    /// TLS with a client CA: the SPIFFE identity of the certificate the client presented, which
    /// the TLS handshake verified.
    case clientCertificate

    /// The credentials of one stream.
    func credentials(_ context: ServerContext) -> ProxyCredentials {
        switch self {
        case .none(let servePrivateKeys, let reason):
            return servePrivateKeys ? .unrestricted : .unauthenticated(reason)
        case .clientCertificate:
            guard let certificate = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate else {
                return .unauthenticated("no client certificate")
            }
            guard let identity = WorkloadIdentity(certificate: certificate) else {
                return .unauthenticated("the client certificate has no spiffe://<trust domain>/ns/<namespace>/sa/<service account> URI")
            }
            return .workload(identity)
        }
    }
}
