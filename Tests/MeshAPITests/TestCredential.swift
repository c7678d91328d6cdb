/// A real self-signed P-256 certificate and its key (test only; generated once with openssl):
/// Secrets are checked where they enter, so a Gateway's credential in a test must parse.
enum TestCredential {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBkjCCATegAwIBAgIUTJ4uYshDquk4i2usX7YvJkd/SikwCgYIKoZIzj0EAwIw
        HTEbMBkGA1UEAwwSdGVzdC0xLmV4YW1wbGUuY29tMCAXDTI2MTIwMzE0MDkxN1oY
        DzIxMjYxMTA5MTQwOTE3WjAdMRswGQYDVQQDDBJ0ZXN0LTEuZXhhbXBsZS5jb20w
        WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQbxZw4sG1OicScR964CxV1xTTI7oMP
        weiDLnEaBI0+1BGec2/LtIAERL8GZWOuEgYkktB+EBPPqv1F3QIVtKipo1MwUTAd
        BgNVHQ4EFgQUj89+l4Psp0lhGoGmMvSgPDiEuL0wHwYDVR0jBBgwFoAUj89+l4Ps
        p0lhGoGmMvSgPDiEuL0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBG
        AiEAo9SPvpiye9YA5Tw3rgPwkOcaibgK2clC6Z6iTwrVbi8CIQCUw20dm3GGfq6a
        Rej+ZkCW4F37saWMJTN2NjrKd5o3Cg==
        -----END CERTIFICATE-----
        """ + "\n"
    static let key = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmUMt5GEiWWTmjONA
        1UJ691xejOD8QBALxbtq4949wLWhRANCAAQbxZw4sG1OicScR964CxV1xTTI7oMP
        weiDLnEaBI0+1BGec2/LtIAERL8GZWOuEgYkktB+EBPPqv1F3QIVtKip
        -----END PRIVATE KEY-----
        """ + "\n"

    /// For a YAML double-quoted scalar.
    static func quoted(_ pem: String) -> String { pem.replacingOccurrences(of: "\n", with: "\\n") }
}
