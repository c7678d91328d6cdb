import Testing
@testable import XDSServer

@Test func moduleLinks() {
    #expect(XDSServerModule.name == "XDSServer")
}
