import Testing
@testable import KubernetesClient

@Test func moduleLinks() {
    #expect(KubernetesClientModule.name == "KubernetesClient")
}
