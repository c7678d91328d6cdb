import Foundation
import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// DestinationRule `tls` (SIMPLE, MUTUAL) → an `envoy.transport_sockets.tls` transport
/// socket with an UpstreamTlsContext. Certificates come from files on the proxy or, with
/// `credentialName`, from SDS secrets named as Istio names them.
enum UpstreamTLS {
    /// The proxy image's bundle of public roots (Debian's, as in Istio's proxy image).
    static let systemRootBundle = "/etc/ssl/certs/ca-certificates.crt"

    static func apply(_ settings: ClientTLSSettings?, host: String, to cluster: inout Envoy_Config_Cluster_V3_Cluster) {
        guard let settings, let mode = settings.mode, mode == .simple || mode == .mutual else {
            // DISABLE needs nothing; ISTIO_MUTUAL needs Istio's mesh CA, which Coxswain does not run.
            return
        }
        var context = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        context.sni = settings.sni ?? host
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        var validates = false
        if let credential = settings.credentialName, !credential.isEmpty {
            if mode == .mutual { common.tlsCertificateSdsSecretConfigs = [SecretNaming.sdsConfig(name: SecretNaming.certificate(credential))] }
            common.validationContextSdsSecretConfig = SecretNaming.sdsConfig(name: SecretNaming.caCertificate(credential))
        } else {
            if mode == .mutual, let certificate = settings.clientCertificate, let key = settings.privateKey {
                var pair = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
                pair.certificateChain = .file(certificate)
                pair.privateKey = .file(key)
                common.tlsCertificates = [pair]
            }
            if let ca = settings.caCertificates, !ca.isEmpty, settings.insecureSkipVerify != true {
                validation.trustedCa = .file(ca)
                validates = true
            }
            if let crl = settings.caCrl, !crl.isEmpty {
                validation.crl = .file(crl)
                validates = true
            }
        }
        let sans = settings.subjectAltNames ?? []
        if !sans.isEmpty, settings.insecureSkipVerify != true {
            validation.matchTypedSubjectAltNames = sans.flatMap { san in
                [Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher.SanType.dns, .uri].map { type in
                    var matcher = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
                    matcher.sanType = type
                    matcher.matcher.exact = san
                    return matcher
                }
            }
            validates = true
            // Envoy refuses SAN checks without roots to chain to ("SAN-based verification of peer
            // certificates without trusted CA is insecure and not allowed"): with no CA given, the
            // names are checked against the system's roots, as Istio (1.21+) verifies by default.
            if common.validationContextSdsSecretConfig.name.isEmpty, !validation.hasTrustedCa {
                validation.trustedCa = .file(systemRootBundle)
            }
        }
        if validates, common.validationContextSdsSecretConfig.name.isEmpty {
            common.validationContext = validation
        }
        context.commonTlsContext = common
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = EnvoyExtensionName.tlsTransportSocket
        socket.typedConfig = (try? Google_Protobuf_Any(packing: context)) ?? Google_Protobuf_Any()
        cluster.transportSocket = socket
    }
}

extension Envoy_Config_Core_V3_DataSource {
    static func file(_ path: String) -> Self {
        var source = Self()
        source.filename = path
        return source
    }

    static func inline(_ bytes: Data) -> Self {
        var source = Self()
        source.inlineBytes = bytes
        return source
    }
}

/// SDS secret names as Istio's SDS server names them, so gateway bootstraps and tooling agree.
public enum SecretNaming {
    /// `kubernetes://<credentialName>`: certificate chain and private key.
    public static func certificate(_ credential: String) -> String { "kubernetes://\(credential)" }
    /// `kubernetes://<credentialName>-cacert`: the CA bundle that validates peers.
    public static func caCertificate(_ credential: String) -> String { "kubernetes://\(credential)-cacert" }

    static func sdsConfig(name: String) -> Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig {
        var config = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
        config.name = name
        config.sdsConfig = ClusterTranslator.adsConfigSource
        return config
    }
}
