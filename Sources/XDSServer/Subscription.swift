import Synchronization

/// The names a stream subscribed to for one type, shared by every stream that subscribed to
/// the same (``shared(_:)``): a sidecar subscribes to a cluster load assignment per cluster,
/// thousands of names, and every proxy of a workload to the same ones. It remembers what it
/// selected from the lists it was applied to, so a push to a thousand such proxies selects
/// once, not once per proxy.
final class Subscription: Sendable {
    let names: Set<String>
    /// The request's list these names were first taken from, when it had no wildcard: a stream
    /// that sends it again (every ACK repeats the subscription) has subscribed to `names`,
    /// which comparing the lists' bytes tells without decoding or hashing thousands of names.
    let source: RequestedNames?

    /// A selection per list version: the current one and the one before, which streams still
    /// pushing from the previous snapshot ask for. Kept to two, as each holds its list.
    private let selections = Mutex<[String: Selection]>([:])
    static let remembered = 2

    /// Shared by every stream that selected it, and held by each as what it sent and what its
    /// proxy accepted: a reference, so holding it costs a stream a pointer.
    final class Selection: Sendable {
        let resources: [XDSResource]
        let version: String
        /// The list itself when every one of its resources is subscribed to.
        let whole: ResourceList?
        let encoding: ResourcesEncoding

        init(resources: [XDSResource], version: String, whole: ResourceList?) {
            self.resources = resources
            self.version = version
            self.whole = whole
            encoding = ResourcesEncoding(resources)
        }

        init(whole: ResourceList) {
            resources = whole.sorted
            version = whole.version
            self.whole = whole
            encoding = whole.encoding
        }
    }

    private init(_ names: Set<String>, source: RequestedNames?) {
        self.names = names
        self.source = source
    }

    static let none = Subscription([], source: nil)

    /// The resources of `list` these names subscribe to.
    func select(from list: ResourceList) -> Selection {
        if let known = selections.withLock({ $0[list.version] }) { return known }
        let selection: Selection
        if names.count >= list.sorted.count && list.sorted.allSatisfy({ names.contains($0.name) }) {
            selection = Selection(whole: list)
        } else {
            let chosen = list.sorted.filter { names.contains($0.name) }
            selection = Selection(resources: chosen, version: ResourceVersion.of(chosen), whole: nil)
        }
        selections.withLock { selections in
            if selections.count >= Self.remembered { selections.removeAll() }
            selections[list.version] = selection
        }
        return selection
    }

    /// Beyond this many distinct sets the table starts afresh; streams keep the ones they hold.
    static let limit = 512
    private static let table = Mutex<[Set<String>: Subscription]>([:])

    /// The subscription to exactly `names` (taken from `source`), shared with every stream that
    /// subscribed to them.
    static func shared(_ names: Set<String>, source: RequestedNames? = nil) -> Subscription {
        guard !names.isEmpty else { return none }
        return table.withLock { table in
            if let known = table[names] { return known }
            if table.count >= limit { table.removeAll() }
            let subscription = Subscription(names, source: source?.hasWildcard == true ? nil : source)
            table[names] = subscription
            return subscription
        }
    }
}
