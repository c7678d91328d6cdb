import Testing
@testable import EnvoyAPI

@Test func moduleLinks() {
    #expect(EnvoyAPIModule.name == "EnvoyAPI")
}
