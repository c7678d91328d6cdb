import MeshAPI

/// Merging a root VirtualService rule's matches with a delegate rule's, as Istio does:
/// every (root, delegate) pair that does not contradict itself becomes one match, the
/// delegate's fields kept where set and the root's filling in the rest. A delegate match
/// that asks for something the root excludes (a path outside the root's prefix, another
/// header value…) is dropped, because no request could satisfy both.
enum DelegateMatch {
    /// The merged matches; `[]`-free: nil means no match of the delegate rule survives and
    /// the rule must be dropped. An empty list on both sides stays "match everything".
    static func merge(root: [HTTPMatchRequest]?, delegate: [HTTPMatchRequest]?) -> [HTTPMatchRequest]? {
        let roots = root ?? []
        let children = delegate ?? []
        if roots.isEmpty { return delegate ?? [] }
        if children.isEmpty { return roots }
        let merged = roots.flatMap { parent in
            children.compactMap { child in conflicts(parent, child) ? nil : merge(parent, child) }
        }
        return merged.isEmpty ? nil : merged
    }

    static func merge(_ parent: HTTPMatchRequest, _ child: HTTPMatchRequest) -> HTTPMatchRequest {
        var merged = child
        switch (parent.name, child.name) {
        case (let root?, let leaf?): merged.name = "\(root)-\(leaf)"
        case (let root?, nil): merged.name = root
        default: break
        }
        merged.uri = child.uri ?? parent.uri
        merged.scheme = child.scheme ?? parent.scheme
        merged.method = child.method ?? parent.method
        merged.authority = child.authority ?? parent.authority
        merged.headers = union(parent.headers, child.headers)
        merged.withoutHeaders = union(parent.withoutHeaders, child.withoutHeaders)
        merged.queryParams = union(parent.queryParams, child.queryParams)
        merged.sourceLabels = union(parent.sourceLabels, child.sourceLabels)
        merged.port = child.port ?? parent.port
        merged.sourceNamespace = child.sourceNamespace ?? parent.sourceNamespace
        merged.ignoreUriCase = child.ignoreUriCase ?? parent.ignoreUriCase
        merged.gateways = (child.gateways?.isEmpty == false) ? child.gateways : parent.gateways
        return merged
    }

    static func union<Value>(_ a: [String: Value]?, _ b: [String: Value]?) -> [String: Value]? {
        guard let a else { return b }
        guard let b else { return a }
        return a.merging(b) { _, new in new }
    }

    /// Whether no request can satisfy both matches.
    static func conflicts(_ root: HTTPMatchRequest, _ leaf: HTTPMatchRequest) -> Bool {
        if let parent = root.uri?.kind, let child = leaf.uri?.kind, !uriWithin(child, parent) { return true }
        for (a, b) in [(root.scheme, leaf.scheme), (root.method, leaf.method), (root.authority, leaf.authority)] {
            if let a, let b, a != b { return true }
        }
        for (a, b) in [(root.headers, leaf.headers), (root.withoutHeaders, leaf.withoutHeaders), (root.queryParams, leaf.queryParams)] {
            if let a, let b, a.contains(where: { key, value in b[key].map { $0 != value } ?? false }) { return true }
        }
        if let a = root.sourceLabels, let b = leaf.sourceLabels, a.contains(where: { key, value in b[key].map { $0 != value } ?? false }) { return true }
        if let a = root.port, let b = leaf.port, a != b { return true }
        if let a = root.sourceNamespace, let b = leaf.sourceNamespace, a != b { return true }
        if let a = root.ignoreUriCase, let b = leaf.ignoreUriCase, a != b { return true }
        return false
    }

    /// A delegate's path must lie inside the root's: within its prefix, or the same exact
    /// path. A regex on either side cannot be compared and counts as a conflict, as in Istio.
    static func uriWithin(_ child: StringMatch.Kind, _ parent: StringMatch.Kind) -> Bool {
        switch (parent, child) {
        case (.prefix(let root), .prefix(let leaf)), (.prefix(let root), .exact(let leaf)): return leaf.hasPrefix(root)
        case (.exact(let root), .exact(let leaf)): return root == leaf
        default: return false
        }
    }
}
