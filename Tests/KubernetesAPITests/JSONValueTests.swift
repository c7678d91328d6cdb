import Foundation
import Testing
import KubernetesAPI

@Test func integersAndFloatsSurviveARoundTrip() throws {
    let text = #"{"a":1,"b":1.5,"c":"x","d":[true,null],"e":{"f":9007199254740993}}"#
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    #expect(value["a"] == .integer(1))
    #expect(value["b"] == .double(1.5))
    #expect(value["e"]?["f"]?.integerValue == 9_007_199_254_740_993)
    let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    #expect(again == value)
}

@Test func apiVersionSplitsIntoGroupAndVersion() {
    let vs = GroupVersionKind(apiVersion: "networking.istio.io/v1", kind: "VirtualService")
    #expect(vs.group == "networking.istio.io" && vs.version == "v1")
    let pod = GroupVersionKind(apiVersion: "v1", kind: "Pod")
    #expect(pod.group == "" && pod.apiVersion == "v1")
}
