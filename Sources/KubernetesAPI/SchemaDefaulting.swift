extension StructuralSchema {
    /// Fills in `default`s as kube-apiserver does when it reads or writes a custom resource:
    /// top-down, an absent property with a `default` gets it (and the default is then defaulted
    /// further inside); array elements and map values are defaulted with `items` /
    /// `additionalProperties`. A `null` where the schema is not `nullable` is replaced by the
    /// default when there is one and dropped when there is none (kube-apiserver's handling of
    /// non-nullable nulls since 1.20).
    ///
    /// Run it after ``prune(_:)``, as kube-apiserver does, so defaults never land in unknown fields.
    public func applyDefaults(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            for (name, property) in properties {
                switch members[name] {
                case nil:
                    if let defaultValue = property.defaultValue {
                        members[name] = property.applyDefaults(defaultValue)
                    }
                case .null? where !property.nullable:
                    if let defaultValue = property.defaultValue {
                        members[name] = property.applyDefaults(defaultValue)
                    } else {
                        members.removeValue(forKey: name)
                    }
                case let member?:
                    members[name] = property.applyDefaults(member)
                }
            }
            if case .schema(let values) = additionalProperties {
                for (name, member) in members where properties[name] == nil {
                    members[name] = values.applyDefaults(member)
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.map { items.applyDefaults($0) })
        default:
            return value
        }
    }
}
