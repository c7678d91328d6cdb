import EnvoyAPI
import Foundation
import Testing
@testable import XDSServer

@Suite struct SubscriptionTests {
    static func list(_ names: [String], version: Int = 1) -> ResourceList {
        ResourceList(names.map { TestResources.cluster($0, connectTimeout: Int64(version)) })
    }

    @Test func equalNameSetsShareOneSubscription() {
        let first = Subscription.shared(["a", "b"], source: RequestedNames(["a", "b"]))
        let second = Subscription.shared(["b", "a"], source: RequestedNames(["b", "a"]))
        #expect(first === second)
        #expect(first.source?.decoded() == ["a", "b"], "the first list it was taken from")
        #expect(Subscription.shared(["c"], source: RequestedNames(["c", "*"])).source == nil, "a list with a wildcard is never taken as a repeat")
    }

    /// A selection is remembered per list version: the next version of a list is selected anew.
    @Test func selectionsFollowTheListTheyAreMadeFrom() {
        let subscription = Subscription.shared(["x", "y"])
        let both = Self.list(["x", "y"])
        #expect(subscription.select(from: both).whole?.version == both.version)
        let grown = Self.list(["x", "y", "z"])
        let partial = subscription.select(from: grown)
        #expect(partial.whole == nil)
        #expect(partial.resources.map(\.name) == ["x", "y"])
        let changed = Self.list(["x", "y", "z"], version: 2)
        #expect(subscription.select(from: changed).resources.map(\.version) == changed.sorted.prefix(2).map(\.version))
    }
}

@Suite struct ResourceListTests {
    /// A list with a few resources replaced or added equals the list built from all of them: same
    /// order, lookups and version.
    @Test func replacingEqualsBuildingAfresh() {
        let list = SubscriptionTests.list(["b", "d", "f"])
        let replaced = list.replacing([TestResources.cluster("d", connectTimeout: 2), TestResources.cluster("a", connectTimeout: 1),
                                       TestResources.cluster("e", connectTimeout: 1), TestResources.cluster("g", connectTimeout: 1)])
        let fresh = ResourceList([TestResources.cluster("a", connectTimeout: 1), TestResources.cluster("b", connectTimeout: 1),
                                  TestResources.cluster("d", connectTimeout: 2), TestResources.cluster("e", connectTimeout: 1),
                                  TestResources.cluster("f", connectTimeout: 1), TestResources.cluster("g", connectTimeout: 1)])
        #expect(replaced.sorted.map(\.name) == ["a", "b", "d", "e", "f", "g"])
        #expect(replaced.sorted == fresh.sorted)
        #expect(replaced.version == fresh.version)
        #expect(replaced == fresh)
        #expect(replaced.version != list.version)
        #expect(list.sorted.map(\.name) == ["b", "d", "f"], "the original is untouched")
        #expect(list.replacing([]) == list)
        let back = replaced.replacing([TestResources.cluster("d", connectTimeout: 1)])
        #expect(back.version != replaced.version && back.version == ResourceList(back.sorted).version, "a version replaced back is counted once")
        let swapped = ResourceList([TestResources.cluster("b", connectTimeout: 2), TestResources.cluster("d", connectTimeout: 1),
                                    TestResources.cluster("f", connectTimeout: 1)])
        #expect(swapped.version != list.version && swapped.version != SubscriptionTests.list(["b", "d", "f"], version: 2).version)
    }
}
