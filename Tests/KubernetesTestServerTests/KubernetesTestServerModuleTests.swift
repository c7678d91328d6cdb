import Testing
@testable import KubernetesTestServer

@Test func moduleLinks() {
    #expect(KubernetesTestServerModule.name == "KubernetesTestServer")
}
