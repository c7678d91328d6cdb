import KubernetesAPI

extension MeshKind {
    /// The API group this kind belongs to ("" for the core group).
    public var group: String {
        switch self {
        case .virtualService, .destinationRule, .gateway: Self.istioNetworkingGroup
        case .endpointSlice: "discovery.k8s.io"
        case .service, .pod, .secret, .namespace, .node: ""
        }
    }

    /// The versions the kind is read at, the preferred one first.
    public var versions: [String] {
        isIstio ? ["v1", "v1beta1", "v1alpha3"] : ["v1"]
    }

    /// What a document Coxswain does not read probably meant: a known kind spelled with
    /// other case or a typo (at most two edits) in that kind's group, or a known kind at a
    /// version it is not served at. Nil for kinds that are simply not Coxswain's (a
    /// Deployment, or the Gateway API's `gateway.networking.k8s.io` Gateway), which stay notices.
    public static func suggestion(for gvk: GroupVersionKind) -> (field: String, message: String)? {
        let candidates = allCases.filter { kind in
            kind.rawValue == gvk.kind || kind.rawValue.lowercased() == gvk.kind.lowercased()
                || editDistance(kind.rawValue.lowercased(), gvk.kind.lowercased(), limit: 2) <= 2
        }
        for kind in candidates.sorted(by: { rank($0, gvk) < rank($1, gvk) }) {
            let groupMatches = kind.group == gvk.group
                || (!kind.group.isEmpty && editDistance(kind.group, gvk.group.lowercased(), limit: 3) <= 3)
            guard groupMatches else { continue }
            let apiVersion = kind.group.isEmpty ? kind.versions[0] : "\(kind.group)/\(kind.versions[0])"
            if kind.rawValue != gvk.kind {
                let version = kind.group == gvk.group && kind.versions.contains(gvk.version) ? "" : " at apiVersion \(apiVersion)"
                return ("kind", "unknown kind \"\(gvk.kind)\"; did you mean \(kind.rawValue)\(version)?")
            }
            let known = kind.versions.map { kind.group.isEmpty ? $0 : "\(kind.group)/\($0)" }.joined(separator: ", ")
            return ("apiVersion", "\(kind.rawValue) is not read at apiVersion \(gvk.apiVersion) (known: \(known)); did you mean \(apiVersion)?")
        }
        return nil
    }

    /// Exact spelling first, then same letters in other case, then the fewest edits.
    private static func rank(_ kind: MeshKind, _ gvk: GroupVersionKind) -> Int {
        if kind.rawValue == gvk.kind { return 0 }
        if kind.rawValue.lowercased() == gvk.kind.lowercased() { return 1 }
        return 2 + editDistance(kind.rawValue.lowercased(), gvk.kind.lowercased(), limit: 2)
    }

    /// Levenshtein distance, giving up (returning `limit + 1`) once it exceeds `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            if current.min()! > limit { return limit + 1 }
            previous = current
        }
        return previous[b.count]
    }
}
