import Testing
@testable import Translator

@Suite struct ClusterNamingTests {
    @Test func outboundNamesRoundTrip() throws {
        let withSubset = try #require(ClusterName.parse("outbound|9080|v1|reviews.default.svc.cluster.local"))
        #expect(withSubset.port == 9080 && withSubset.subset == "v1" && withSubset.host == "reviews.default.svc.cluster.local")
        let serviceWide = try #require(ClusterName.parse(ClusterName.outbound(port: 80, host: "a.b.svc.cluster.local")))
        #expect(serviceWide.port == 80 && serviceWide.subset == nil && serviceWide.host == "a.b.svc.cluster.local")
    }

    @Test(arguments: ["inbound|9080||reviews.default.svc.cluster.local", "outbound|x|v1|reviews", "outbound||v1|reviews",
                      "outbound|80|v1", "outbound|80|v1|reviews|extra", "outbound", "outbound|", "BlackHoleCluster", ""])
    func otherNamesAreNotOutboundClusters(_ name: String) {
        #expect(ClusterName.parse(name) == nil)
    }
}
