import Testing
import MeshAPI

@Test func meshAPILinks() {
    #expect(MeshAPIModule.name == "MeshAPI")
}
