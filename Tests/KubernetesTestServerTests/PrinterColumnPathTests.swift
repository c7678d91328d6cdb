import Foundation
import KubernetesAPI
import Testing
@testable import KubernetesTestServer

/// The JSONPath subset of CRD printer columns, as `kubectl get` shows them.
@Suite struct PrinterColumnPathTests {
    static let object: JSONValue = [
        "metadata": ["name": "reviews"],
        "spec": ["hosts": ["reviews", "reviews.default"]],
        "status": ["conditions": [
            ["type": "Accepted", "status": "True"],
            ["type": "Programmed", "status": "False"],
        ]],
    ]

    @Test func filtersIndexesAndPlainPaths() {
        #expect(PrinterColumnPath.evaluate(#".status.conditions[?(@.type=="Programmed")].status"#, in: Self.object) == ["False"])
        #expect(PrinterColumnPath.evaluate(".status.conditions[?(@.type=='Accepted')].status", in: Self.object) == ["True"])
        #expect(PrinterColumnPath.evaluate(#".status.conditions[?(@.type!="Accepted")].type"#, in: Self.object) == ["Programmed"])
        #expect(PrinterColumnPath.evaluate(".status.conditions[1].type", in: Self.object) == ["Programmed"])
        #expect(PrinterColumnPath.evaluate(".status.conditions[*].type", in: Self.object) == ["Accepted", "Programmed"])
        #expect(PrinterColumnPath.evaluate(".spec.hosts", in: Self.object) == [["reviews", "reviews.default"]])
        #expect(PrinterColumnPath.evaluate(".metadata.name", in: Self.object) == ["reviews"])
        #expect(PrinterColumnPath.evaluate(#".status.conditions[?(@.type=="Missing")].status"#, in: Self.object).isEmpty)
        #expect(PrinterColumnPath.evaluate(".status.conditions[7]", in: Self.object).isEmpty)
        #expect(PrinterColumnPath.evaluate(".nothing.here", in: Self.object).isEmpty)
    }

    @Test func cellsShowTheConditionStatus() {
        let column = PrinterColumn(name: "Accepted", type: "string", jsonPath: #".status.conditions[?(@.type=="Accepted")].status"#, description: "", priority: 0)
        #expect(TableRenderer.cell(column, object: Self.object, now: .now) == "True")
    }
}
