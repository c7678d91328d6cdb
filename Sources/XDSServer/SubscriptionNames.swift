import Synchronization

/// One copy of each distinct set of subscribed names. A sidecar subscribes to a cluster load
/// assignment per cluster, thousands of names, and every proxy of a workload to the same
/// ones: kept per stream, they would be most of the server's memory per proxy.
enum SubscriptionNames {
    /// Beyond this many distinct sets the table starts afresh; streams keep the copies they hold.
    static let limit = 512
    private static let table = Mutex<Set<Set<String>>>([])

    /// An equal set, shared with every stream that subscribed to the same names.
    static func shared(_ names: Set<String>) -> Set<String> {
        guard !names.isEmpty else { return names }
        return table.withLock { table in
            if table.count >= limit, !table.contains(names) { table.removeAll() }
            return table.insert(names).memberAfterInsert
        }
    }
}
