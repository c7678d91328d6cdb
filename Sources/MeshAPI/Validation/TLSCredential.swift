import Foundation
import X509

/// Whether a Secret's certificate chain and key are something Envoy can load: Envoy rejects the
/// whole SDS update (and the listener waiting on it stays unready) when the PEM does not parse
/// or the key does not belong to the certificate. Checked with swift-certificates, so a bad
/// credential is a finding on the Secret and on the Gateway server naming it, and is not served.
public enum TLSCredential {
    /// One problem, at the Secret's field path (`data["tls.crt"]`).
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var fieldPath: String
        public var message: String
        public var description: String { "\(fieldPath): \(message)" }
    }

    /// The keys Istio reads, in its order: kubernetes.io/tls names, then the generic ones.
    public static let certificateKeys = [Secret.certificateKey, "cert"]
    public static let privateKeyKeys = [Secret.privateKeyKey, "key"]
    public static let caKeys = [Secret.caCertificateKey, "cacert"]

    /// The first of `keys` the Secret holds, with its decoded bytes (nil bytes: not valid base64).
    public static func entry(_ secret: Secret, _ keys: [String]) -> (path: String, bytes: Data?)? {
        for key in keys {
            if let encoded = secret.data?[key] { return ("data"[key: key], Data(base64Encoded: encoded)) }
            if let plain = secret.stringData?[key] { return ("stringData"[key: key], Data(plain.utf8)) }
        }
        return nil
    }

    /// Every problem with the certificate, key and CA a Secret holds (absent entries are not problems here).
    public static func problems(in secret: Secret) -> [Problem] {
        var problems: [Problem] = []
        var certificate: Certificate?
        if let (path, bytes) = entry(secret, certificateKeys), let bytes {
            switch certificates(bytes) {
            case .success(let chain): certificate = chain.first
            case .failure(let message): problems.append(Problem(fieldPath: path, message: message))
            }
        }
        if let (path, bytes) = entry(secret, privateKeyKeys), let bytes {
            switch privateKey(bytes) {
            case .success(let key):
                if let certificate, key.publicKey != certificate.publicKey {
                    problems.append(Problem(fieldPath: path, message: "the private key does not match the certificate's public key"))
                }
            case .failure(let message): problems.append(Problem(fieldPath: path, message: message))
            }
        }
        if let (path, bytes) = entry(secret, caKeys), let bytes, case .failure(let message) = certificates(bytes) {
            problems.append(Problem(fieldPath: path, message: message))
        }
        return problems
    }

    /// Why `bytes` is not a PEM certificate chain Envoy can load; nil when it is.
    public static func certificateChainProblem(_ bytes: Data) -> String? {
        if case .failure(let message) = certificates(bytes) { return message }
        return nil
    }

    enum Parsed<Value> {
        case success(Value)
        case failure(String)
    }

    /// Each `CERTIFICATE` block of a PEM bundle, parsed; at least one.
    static func certificates(_ bytes: Data) -> Parsed<[Certificate]> {
        guard let text = String(data: bytes, encoding: .utf8) else { return .failure("not PEM: the data is not UTF-8 text") }
        let blocks = pemBlocks(text)
        guard !blocks.isEmpty else { return .failure("not PEM: no -----BEGIN CERTIFICATE----- block") }
        var chain: [Certificate] = []
        for (position, block) in blocks.enumerated() {
            guard block.label == "CERTIFICATE" else {
                return .failure("PEM block \(position + 1) is \(block.label), not CERTIFICATE")
            }
            do {
                chain.append(try Certificate(pemEncoded: block.text))
            } catch {
                return .failure("PEM block \(position + 1) is not an X.509 certificate: \(error)")
            }
        }
        return .success(chain)
    }

    /// The one private key block (PKCS#8, PKCS#1 RSA or SEC1 EC).
    static func privateKey(_ bytes: Data) -> Parsed<Certificate.PrivateKey> {
        guard let text = String(data: bytes, encoding: .utf8) else { return .failure("not PEM: the data is not UTF-8 text") }
        guard let block = pemBlocks(text).first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            return .failure("not PEM: no -----BEGIN PRIVATE KEY----- block")
        }
        do {
            return .success(try Certificate.PrivateKey(pemEncoded: block.text))
        } catch {
            return .failure("not a private key Envoy can load: \(error)")
        }
    }

    /// `-----BEGIN X-----` … `-----END X-----` blocks, with their label.
    static func pemBlocks(_ text: String) -> [(label: String, text: String)] {
        var blocks: [(label: String, text: String)] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { break }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END \(label)-----") else {
                blocks.append((label, String(rest[begin.lowerBound...])))
                break
            }
            blocks.append((label, String(rest[begin.lowerBound..<end.upperBound])))
            rest = rest[end.upperBound...]
        }
        return blocks
    }
}
