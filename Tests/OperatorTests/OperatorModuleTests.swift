import Testing
@testable import Operator

@Test func moduleLinks() {
    #expect(OperatorModule.name == "Operator")
}
