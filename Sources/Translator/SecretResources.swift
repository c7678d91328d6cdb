import EnvoyAPI
import Foundation
import MeshAPI

/// Kubernetes Secrets named by Gateway servers' `credentialName` → SDS `Secret` resources
/// (`kubernetes://<name>` for the certificate and key, `kubernetes://<name>-cacert` for
/// the CA that validates client certificates).
enum SecretTranslator {
    /// Istio reads `tls.crt`/`tls.key`/`ca.crt` (kubernetes.io/tls) or `cert`/`key`/`cacert` (generic).
    static let certificateKeys = [MeshAPI.Secret.certificateKey, "cert"]
    static let privateKeyKeys = [MeshAPI.Secret.privateKeyKey, "key"]
    static let caKeys = [MeshAPI.Secret.caCertificateKey, "cacert"]

    /// Why a credential cannot be served.
    struct Missing: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// The Secret a gateway proxy may read: one in the gateway workload's namespace (as
    /// Istio requires), else one in the Gateway's own namespace.
    static func lookup(_ name: String, namespaces: [String], snapshot: MeshSnapshot) -> MeshAPI.Secret? {
        for namespace in namespaces {
            if let secret = snapshot.secret(namespace: namespace, name: name) { return secret }
        }
        return nil
    }

    static func value(_ secret: MeshAPI.Secret, _ keys: [String]) -> Data? {
        for key in keys {
            if let data = secret.value(forKey: key), !data.isEmpty { return data }
        }
        return nil
    }

    /// The SDS secrets for one server's TLS settings; throws when a Secret or one of its keys
    /// is missing, so the caller can leave the server out rather than have Envoy wait forever.
    static func secrets(for tls: ServerTLSSettings, namespaces: [String], snapshot: MeshSnapshot) throws(Missing) -> [Envoy_Extensions_TransportSockets_Tls_V3_Secret] {
        guard let names = ServerTLSTranslator.sdsNames(tls), let credential = tls.credentialName ?? tls.credentialNames?.first else { return [] }
        guard let secret = lookup(credential, namespaces: namespaces, snapshot: snapshot) else {
            throw Missing(description: "credentialName \(credential): no Secret \(credential) in namespace \(namespaces.joined(separator: " or "))")
        }
        guard let certificate = value(secret, certificateKeys), let key = value(secret, privateKeyKeys) else {
            let undecodable = [TLSCredential.entry(secret, certificateKeys), TLSCredential.entry(secret, privateKeyKeys)]
                .compactMap { $0 }.first { $0.bytes == nil }
            if let undecodable {
                throw Missing(description: "credentialName \(credential): Secret \(undecodable.path) is not valid base64")
            }
            throw Missing(description: "credentialName \(credential): the Secret has no tls.crt and tls.key")
        }
        // Envoy rejects the whole SDS update for PEM that does not parse or a key of another certificate.
        if let problem = TLSCredential.problems(in: secret).first {
            throw Missing(description: "credentialName \(credential): Secret \(problem.fieldPath): \(problem.message)")
        }
        var result: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []
        var serving = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
        serving.name = names.certificate
        serving.tlsCertificate.certificateChain.inlineBytes = certificate
        serving.tlsCertificate.privateKey.inlineBytes = key
        result.append(serving)
        if let caName = names.ca {
            let ca: Data?
            if let separate = tls.caCertCredentialName {
                ca = lookup(separate, namespaces: namespaces, snapshot: snapshot).flatMap { value($0, caKeys) }
            } else {
                ca = value(secret, caKeys) ?? lookup("\(credential)-cacert", namespaces: namespaces, snapshot: snapshot).flatMap { value($0, caKeys) }
            }
            guard let ca else {
                throw Missing(description: "credentialName \(credential): MUTUAL TLS needs a CA (ca.crt in the Secret or a Secret \(credential)-cacert)")
            }
            if let problem = TLSCredential.certificateChainProblem(ca) {
                throw Missing(description: "credentialName \(credential): the CA certificate: \(problem)")
            }
            var validation = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
            validation.name = caName
            validation.validationContext.trustedCa.inlineBytes = ca
            result.append(validation)
        }
        return result
    }
}

/// Which namespaces a gateway proxy's credentials may come from, as istiod's SDS authorization
/// decides it: a proxy that authenticated as a service account gets the Secrets of its own
/// namespace, and only for Gateways that select its own Pod (looked up by the node's pod name,
/// and running as that service account): the labels a node claims are not proof of anything.
enum SecretAuthorization {
    static let marker = SecretAuthorizationFinding.marker

    /// Why a server's private key is not served to this proxy.
    struct Refusal: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    static func namespaces(for proxy: ProxyIdentity, gateway: Gateway, index: MeshIndex) -> Result<[String], Refusal> {
        let gatewayNamespace = MeshSnapshot.key(gateway.metadata).namespace
        switch proxy.secretAccess {
        case .unrestricted:
            return .success([proxy.namespace, gatewayNamespace])
        case .withheld(let reason):
            return .failure(Refusal(description: "\(marker): \(reason)"))
        case .workload(let serviceAccount):
            let pod = "\(proxy.namespace)/\(proxy.podName.prefix(253))"
            guard let found = index.snapshot.pod(namespace: proxy.namespace, name: proxy.podName) else {
                return .failure(Refusal(description: "\(marker): no Pod \(pod) in the mesh to check its identity against"))
            }
            let runsAs = found.spec?.serviceAccountName.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            guard runsAs == serviceAccount else {
                return .failure(Refusal(description: "\(marker): Pod \(pod) runs as service account \(runsAs), the proxy authenticated as \(serviceAccount)"))
            }
            let labels = found.metadata.labels ?? [:]
            guard (gateway.spec.selector ?? [:]).allSatisfy({ labels[$0.key] == $0.value }) else {
                return .failure(Refusal(description: "\(marker): the Gateway's selector does not match the labels of Pod \(pod)"))
            }
            return .success([proxy.namespace])
        }
    }
}

/// The words findings about withheld private keys start with, for whoever reports them.
public enum SecretAuthorizationFinding {
    public static let marker = "private key not served to this proxy"
}
