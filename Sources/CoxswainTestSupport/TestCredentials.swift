import Foundation

/// Real self-signed P-256 certificates with their keys (test only; generated once with openssl):
/// credentials are checked where they enter (PEM that parses, a key matching its certificate),
/// so Secrets in tests must hold real ones. Distinct pairs keep tests able to tell which Secret's
/// bytes went where.
public enum TestCredentials {
    public static let pairs: [(certificate: String, key: String)] = [
        (certificate: """
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
            """,
         key: """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmUMt5GEiWWTmjONA
            1UJ691xejOD8QBALxbtq4949wLWhRANCAAQbxZw4sG1OicScR964CxV1xTTI7oMP
            weiDLnEaBI0+1BGec2/LtIAERL8GZWOuEgYkktB+EBPPqv1F3QIVtKip
            -----END PRIVATE KEY-----
            """),
        (certificate: """
            -----BEGIN CERTIFICATE-----
            MIIBkTCCATegAwIBAgIUI6cbAsymZYvF3rcVlbKysyVWWCAwCgYIKoZIzj0EAwIw
            HTEbMBkGA1UEAwwSdGVzdC0yLmV4YW1wbGUuY29tMCAXDTI2MTIwMzE0MDkxN1oY
            DzIxMjYxMTA5MTQwOTE3WjAdMRswGQYDVQQDDBJ0ZXN0LTIuZXhhbXBsZS5jb20w
            WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT+sSr8azZ5bLrfsrPMnfkIHz5dGv1b
            3KUnYB+1HMUL93zjiOTApjs7Xv3l0KZzOSs2VNKLCfJVvw/ij3Nve3tco1MwUTAd
            BgNVHQ4EFgQUxRueWlPHKuGmbk+7RJbItEOOXkEwHwYDVR0jBBgwFoAUxRueWlPH
            KuGmbk+7RJbItEOOXkEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
            AiBj6dkVUUlTovnvgD9HsQgYDUCLD/xo3nbDfDP58xlQiAIhALlbcnhjqLWPqlI6
            jPsqAWIRnaz/l7Momm9tm4+UnbHD
            -----END CERTIFICATE-----
            """,
         key: """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSIVKG8f2wGv9+3fL
            Wi0e2RrCBMz4q6OjARKqNr7Q8ImhRANCAAT+sSr8azZ5bLrfsrPMnfkIHz5dGv1b
            3KUnYB+1HMUL93zjiOTApjs7Xv3l0KZzOSs2VNKLCfJVvw/ij3Nve3tc
            -----END PRIVATE KEY-----
            """),
        (certificate: """
            -----BEGIN CERTIFICATE-----
            MIIBkTCCATegAwIBAgIULmnf17sAjDvgLyd7lZxfy2kToC0wCgYIKoZIzj0EAwIw
            HTEbMBkGA1UEAwwSdGVzdC0zLmV4YW1wbGUuY29tMCAXDTI2MTIwMzE0MDkxN1oY
            DzIxMjYxMTA5MTQwOTE3WjAdMRswGQYDVQQDDBJ0ZXN0LTMuZXhhbXBsZS5jb20w
            WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATTq+zgzWr7FcdjMK/bPxE1Sode8p0h
            usu5gEmSThtoEzDhJFCaVOEys3sgiEfiS7tGEtoL7UqB31BMgKrzr1MAo1MwUTAd
            BgNVHQ4EFgQUWtZCqWdu03aOuUJQj3arzdDkaSEwHwYDVR0jBBgwFoAUWtZCqWdu
            03aOuUJQj3arzdDkaSEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
            AiAzgvnJ9HC2H6m+wGsk84ch9zBYOMcnYQiTzNSigWnM1wIhAOA3zIn/vKmH/gEU
            aZUkwGZYDqdPZrPaYozFnfyfpN8N
            -----END CERTIFICATE-----
            """,
         key: """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgn2BXjidWHBP0PWND
            DMVeAovI4zVIQc/K+dBUfDB5EFOhRANCAATTq+zgzWr7FcdjMK/bPxE1Sode8p0h
            usu5gEmSThtoEzDhJFCaVOEys3sgiEfiS7tGEtoL7UqB31BMgKrzr1MA
            -----END PRIVATE KEY-----
            """),
    ]

    /// The pair a Secret of this name holds (stable per name), and the certificate its `ca.crt` holds.
    public static func credential(for name: String) -> (certificate: String, key: String, ca: String) {
        let position = name.utf8.reduce(0) { $0 + Int($1) } % pairs.count
        return (pairs[position].certificate + "\n", pairs[position].key + "\n", pairs[(position + 1) % pairs.count].certificate + "\n")
    }
}
