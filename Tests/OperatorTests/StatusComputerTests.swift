import KubernetesAPI
import Testing
@testable import Operator

/// The status an object should carry, from what a pass found and what proxies acknowledged.
@Suite struct StatusComputerTests {
    static let valid = ObjectEvaluation(generation: 3)

    @Test func validResolvedAndAcknowledgedIsTrueThreeTimes() {
        let status = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 12, total: 12), current: nil, now: "2026-11-29T10:00:00Z")
        #expect(status.observedGeneration == 3)
        #expect(status.conditions.map(\.type) == ["Accepted", "ResolvedRefs", "Programmed"])
        #expect(status.conditions.allSatisfy { $0.status == "True" && $0.observedGeneration == 3 && $0.lastTransitionTime == "2026-11-29T10:00:00Z" })
        #expect(status.condition("Programmed")?.message == "12/12 proxies up to date")
        #expect(status.validationMessages == nil)
    }

    @Test func invalidObjectNamesFieldPathsAndIsNotProgrammed() {
        var evaluation = Self.valid
        evaluation.invalid = ["spec.http[0].route[1].weight: must be between 0 and 100", "spec.hosts: required"]
        let status = StatusComputer.desired(evaluation, programmed: .pushed(synced: 1, total: 1), current: nil, now: "t0")
        let accepted = status.condition("Accepted")
        #expect(accepted?.status == "False")
        #expect(accepted?.reason == "Invalid")
        #expect(accepted?.message == "spec.http[0].route[1].weight: must be between 0 and 100; spec.hosts: required")
        #expect(status.condition("Programmed")?.status == "False")
        #expect(status.condition("Programmed")?.reason == "Invalid")
    }

    @Test func unresolvedReferencesSayWhich() {
        var evaluation = Self.valid
        evaluation.unresolved = ["spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: \"reviews+v3\""]
        evaluation.findings = [StatusFinding(code: "IST0101", name: "ReferencedResourceNotFound", level: "ERROR", message: evaluation.unresolved[0])]
        let status = StatusComputer.desired(evaluation, programmed: .pushed(synced: 0, total: 0), current: nil, now: "t0")
        #expect(status.condition("ResolvedRefs")?.status == "False")
        #expect(status.condition("ResolvedRefs")?.reason == "ReferencedResourceNotFound")
        #expect(status.condition("ResolvedRefs")?.message.contains("reviews+v3") == true)
        #expect(status.validationMessages?.first?.type.code == "IST0101")
        #expect(status.validationMessages?.first?.level == "ERROR")
        #expect(status.validationMessages?.first?.documentationUrl == "https://istio.io/latest/docs/reference/config/analysis/ist0101/")
        // Nothing connected is nothing behind: the push is done.
        #expect(status.condition("Programmed")?.status == "True")
        #expect(status.condition("Programmed")?.message == "0/0 proxies up to date")
    }

    @Test func programmedFollowsThePush() {
        let waiting = StatusComputer.desired(Self.valid, programmed: .waitingForPush, current: nil, now: "t0")
        #expect(waiting.condition("Programmed")?.status == "False")
        #expect(waiting.condition("Programmed")?.reason == "Pending")
        let behind = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 2, total: 3), current: nil, now: "t0")
        #expect(behind.condition("Programmed")?.message == "2/3 proxies up to date")
        #expect(behind.condition("Programmed")?.status == "False")
        let rejected = StatusComputer.desired(Self.valid, programmed: .rejected(synced: 2, total: 3, error: "cluster x: unsupported lb"), current: nil, now: "t0")
        #expect(rejected.condition("Programmed")?.reason == "Rejected")
        #expect(rejected.condition("Programmed")?.message == "2/3 proxies up to date; rejected: cluster x: unsupported lb")
    }

    @Test func transitionTimeChangesOnlyWithTheConditionStatus() {
        let first = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 1, total: 1), current: nil, now: "t0")
        // Same statuses later: identical status, so nothing is written.
        let again = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 1, total: 1), current: first, now: "t1")
        #expect(again == first)
        // A new message with the same status keeps the time.
        let more = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 2, total: 2), current: first, now: "t2")
        #expect(more.condition("Programmed")?.lastTransitionTime == "t0")
        #expect(more != first)
        // A status change moves only that condition's time.
        let behind = StatusComputer.desired(Self.valid, programmed: .pushed(synced: 1, total: 2), current: more, now: "t3")
        #expect(behind.condition("Programmed")?.lastTransitionTime == "t3")
        #expect(behind.condition("Accepted")?.lastTransitionTime == "t0")
    }

    @Test func statusRoundTripsThroughJSONAsTheServerHoldsIt() throws {
        var evaluation = Self.valid
        evaluation.findings = [StatusFinding(code: "IST0131", name: "VirtualServiceIneffectiveMatch", level: "INFO", message: "spec.http[1]: never reached")]
        let status = StatusComputer.desired(evaluation, programmed: .pushed(synced: 1, total: 1), current: nil, now: "2026-11-29T10:00:00Z")
        let json = try status.json
        #expect(json["observedGeneration"] == .integer(3))
        #expect(ObjectStatus(json: json) == status)
        // Istio writes observedGeneration as a string; conditions from others may lack fields.
        let istio: JSONValue = .object(["observedGeneration": .string("7"), "conditions": .array([.object(["type": .string("Reconciled")])])])
        #expect(ObjectStatus(json: istio)?.observedGeneration == 7)
        #expect(ObjectStatus(json: istio)?.conditions.first?.status == "Unknown")
        #expect(ObjectStatus(json: nil) == nil)
    }

    @Test func longMessagesAreCut() {
        var evaluation = Self.valid
        evaluation.invalid = Array(repeating: String(repeating: "x", count: 500), count: 20)
        let status = StatusComputer.desired(evaluation, programmed: .waitingForPush, current: nil, now: "t0")
        #expect(status.condition("Accepted")!.message.utf8.count <= StatusComputer.messageLimit)
        #expect(status.condition("Accepted")!.message.hasSuffix("..."))
    }
}
