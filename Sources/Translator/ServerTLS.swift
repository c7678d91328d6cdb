import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// A Gateway server's `tls` (SIMPLE, MUTUAL, OPTIONAL_MUTUAL) → the DownstreamTlsContext its
/// filter chain terminates TLS with. Certificates come either from the `credentialName`
/// Secret over SDS (ADS) or from files on the gateway's disk.
enum ServerTLSTranslator {
    /// Istio's SDS resource names for Kubernetes Secrets.
    static func certificateSecretName(_ credentialName: String) -> String { "kubernetes://\(credentialName)" }
    static func caSecretName(_ credentialName: String) -> String { "kubernetes://\(credentialName)-cacert" }

    /// ALPN for terminated HTTPS servers (HTTP/2 preferred, as Istio offers).
    static let httpALPN = ["h2", "http/1.1"]

    /// Whether the client must present a certificate that the CA validates.
    static func validatesClients(_ tls: ServerTLSSettings) -> Bool {
        tls.mode == .mutual || tls.mode == .optionalMutual
    }

    /// The SDS names a server's context refers to (certificate, then CA when mutual).
    static func sdsNames(_ tls: ServerTLSSettings) -> (certificate: String, ca: String?)? {
        guard let credential = tls.credentialName ?? tls.credentialNames?.first, !credential.isEmpty else { return nil }
        let ca = validatesClients(tls) ? (tls.caCertCredentialName.map(certificateSecretName) ?? caSecretName(credential)) : nil
        return (certificateSecretName(credential), ca)
    }

    static func context(_ tls: ServerTLSSettings, alpn: [String]) -> Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext {
        var context = Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext()
        var common = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext()
        common.alpnProtocols = alpn
        common.tlsParams = parameters(tls)
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        validation.matchTypedSubjectAltNames = subjectAltNameMatchers(tls.subjectAltNames ?? [])
        validation.verifyCertificateSpki = tls.verifyCertificateSpki ?? []
        validation.verifyCertificateHash = tls.verifyCertificateHash ?? []
        if let names = sdsNames(tls) {
            var certificate = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
            certificate.name = names.certificate
            certificate.sdsConfig = ClusterTranslator.adsConfigSource
            common.tlsCertificateSdsSecretConfigs = [certificate]
            if let ca = names.ca {
                var combined = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext.CombinedCertificateValidationContext()
                combined.defaultValidationContext = validation
                combined.validationContextSdsSecretConfig.name = ca
                combined.validationContextSdsSecretConfig.sdsConfig = ClusterTranslator.adsConfigSource
                common.combinedValidationContext = combined
            }
        } else {
            var certificate = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
            certificate.certificateChain.filename = tls.serverCertificate ?? ""
            certificate.privateKey.filename = tls.privateKey ?? ""
            common.tlsCertificates = [certificate]
            if validatesClients(tls), let ca = tls.caCertificates {
                validation.trustedCa.filename = ca
                if let crl = tls.caCrl { validation.crl.filename = crl }
                common.validationContext = validation
            }
        }
        context.commonTlsContext = common
        if validatesClients(tls) {
            context.requireClientCertificate = Google_Protobuf_BoolValue(tls.mode == .mutual)
        }
        return context
    }

    /// min/max protocol version and cipher suites; TLS 1.2 at least unless the server says
    /// otherwise (Istio's default for gateways).
    static func parameters(_ tls: ServerTLSSettings) -> Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters {
        var parameters = Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters()
        parameters.tlsMinimumProtocolVersion = version(tls.minProtocolVersion) ?? .tlsv12
        if let maximum = version(tls.maxProtocolVersion) { parameters.tlsMaximumProtocolVersion = maximum }
        parameters.cipherSuites = tls.cipherSuites ?? []
        return parameters
    }

    static func version(_ version: ServerTLSSettings.TLSProtocol?) -> Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters.TlsProtocol? {
        switch version {
        case .v1_0?: return .tlsv10
        case .v1_1?: return .tlsv11
        case .v1_2?: return .tlsv12
        case .v1_3?: return .tlsv13
        case .auto?, nil: return nil
        }
    }

    /// A SAN may name a DNS name or a URI (SPIFFE ids): accept either, exactly.
    static func subjectAltNameMatchers(_ names: [String]) -> [Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher] {
        names.flatMap { name -> [Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher] in
            [Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher.SanType.dns, .uri].map { type in
                var matcher = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
                matcher.sanType = type
                matcher.matcher.exact = name
                return matcher
            }
        }
    }

    static func transportSocket(_ context: Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext) -> Envoy_Config_Core_V3_TransportSocket {
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = EnvoyExtensionName.tlsTransportSocket
        socket.typedConfig = (try? Google_Protobuf_Any(packing: context)) ?? Google_Protobuf_Any()
        return socket
    }
}
