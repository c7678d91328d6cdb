import CoxswainTestSupport

/// The shared test certificate and key, as a Gateway's credential in a YAML test input: Secrets
/// are checked where they enter, so the credential must parse.
enum TestCredential {
    static let certificate = TestCredentials.pairs[0].certificate + "\n"
    static let key = TestCredentials.pairs[0].key + "\n"

    /// For a YAML double-quoted scalar.
    static func quoted(_ pem: String) -> String { pem.replacingOccurrences(of: "\n", with: "\\n") }
}
