import Testing
@testable import MeshAPI

@Test func moduleLinks() {
    #expect(MeshAPIModule.name == "MeshAPI")
}
