import Foundation
import Testing

/// `coxswain analyze` as users run it: exit codes, text and JSON output.
@Suite struct AnalyzeCommandTests {
    @Test func samplesAnalyzeClean() throws {
        let result = try CoxswainProcess.run(["analyze", "-f", "config/samples"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("No validation issues found"))
        #expect(result.stderr.contains("skipped"), "kinds Coxswain does not read are skipped with a notice")
    }

    @Test func errorsExitOneAndNameTheFieldPath() throws {
        let directory = try CoxswainProcess.directory(with: [
            "broken.yaml": """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                      weigth: 10
                """,
            "malformed.yaml": "apiVersion: v1\nkind: [unclosed\n",
            "good.yaml": """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: ratings, namespace: default}
                spec:
                  hosts: [ratings]
                  http:
                  - route:
                    - destination: {host: ratings}
                """,
        ])
        let result = try CoxswainProcess.run(["analyze", "-f", directory.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("spec.http[0].route[0].weigth"), "\(result.stdout)")
        #expect(result.stdout.contains("malformed.yaml"), "a file that does not parse is reported")
        // The good file was still analyzed: its missing host is found.
        #expect(result.stdout.contains(#"(VirtualService/default/ratings spec.http[0].route[0].destination.host) Referenced host not found: "ratings""#), "\(result.stdout)")
    }

    @Test func jsonOutputIsMachineReadable() throws {
        let directory = try CoxswainProcess.directory(with: [
            "dr.yaml": """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: typo, namespace: default}
                spec: {host: reveiws}
                """
        ])
        let result = try CoxswainProcess.run(["analyze", "-f", directory.path, "-o", "json"])
        #expect(result.status == 0, "a warning alone does not fail the run")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(entries.first?["code"] as? String == "IST0174")
        #expect(entries.first?["level"] as? String == "warning")
        #expect(entries.first?["object"] as? String == "DestinationRule/default/typo")
        #expect(entries.first?["fieldPath"] as? String == "spec.host")
    }

    @Test func missingPathIsAUsageError() throws {
        let result = try CoxswainProcess.run(["analyze"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("-f PATH"))
    }
}
