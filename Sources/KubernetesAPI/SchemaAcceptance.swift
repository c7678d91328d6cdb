extension StructuralSchema {
    /// The yes/no form of ``check(_:at:into:)``: rule for rule the same decisions, without paths or
    /// messages, stopping at the first failure. Junctors (`oneOf`, `anyOf`, `not`) evaluate their
    /// branches with it, which keeps validation linear in practice: a failing branch costs no strings.
    func satisfies(_ value: JSONValue) -> Bool {
        if case .null = value {
            return nullable || (type == nil && !intOrString)
        }
        if intOrString {
            switch value {
            case .string, .integer: break
            case .double(let number) where number.rounded() == number: break
            default: return false
            }
        }
        if let type, !Self.value(value, hasType: type) { return false }
        if let enumValues, !enumValues.contains(where: { Self.sameValue($0, value) }) { return false }
        switch value {
        case .string(let string):
            guard stringSatisfies(string) else { return false }
        case .integer(let number):
            guard numberSatisfies(Double(number)) else { return false }
        case .double(let number):
            guard numberSatisfies(number) else { return false }
        case .array(let elements):
            guard arraySatisfies(elements) else { return false }
        case .object(let members):
            guard objectSatisfies(members) else { return false }
        case .null, .bool:
            break
        }
        return junctorsSatisfied(value)
    }

    private func stringSatisfies(_ string: String) -> Bool {
        if minLength != nil || maxLength != nil {
            let length = string.unicodeScalars.count
            if let maxLength, length > maxLength { return false }
            if let minLength, length < minLength { return false }
        }
        if pattern != nil, let compiledPattern, !compiledPattern.matches(string) { return false }
        if let format, !StringFormat.accepts(string, format: format) { return false }
        return true
    }

    private func numberSatisfies(_ number: Double) -> Bool {
        if let maximum, exclusiveMaximum ? number >= maximum : number > maximum { return false }
        if let minimum, exclusiveMinimum ? number <= minimum : number < minimum { return false }
        if let multipleOf, multipleOf > 0 {
            let quotient = number / multipleOf
            if quotient.rounded() != quotient { return false }
        }
        return true
    }

    private func arraySatisfies(_ elements: [JSONValue]) -> Bool {
        if let maxItems, elements.count > maxItems { return false }
        if let minItems, elements.count < minItems { return false }
        if let items, !elements.allSatisfy({ items.satisfies($0) }) { return false }
        switch listType {
        case "set":
            return Set(elements.map(\.compactJSON)).count == elements.count
        case "map" where !listMapKeys.isEmpty:
            var seen = Set<String>()
            for case .object(let members) in elements {
                var key: [String: JSONValue] = [:]
                for name in listMapKeys { key[name] = members[name] ?? .null }
                if !seen.insert(JSONValue.object(key).compactJSON).inserted { return false }
            }
            return true
        default:
            return true
        }
    }

    private func objectSatisfies(_ members: [String: JSONValue]) -> Bool {
        if let maxProperties, members.count > maxProperties { return false }
        if let minProperties, members.count < minProperties { return false }
        for name in required where members[name] == nil { return false }
        if embeddedResource {
            for name in ["apiVersion", "kind"] where (members[name]?.stringValue ?? "").isEmpty { return false }
        }
        for (name, declared) in orderedProperties {
            if let member = members[name], !declared.satisfies(member) { return false }
        }
        if case .schema(let values) = additionalProperties {
            for (name, member) in members where properties[name] == nil && !values.satisfies(member) { return false }
        }
        return true
    }

    private func junctorsSatisfied(_ value: JSONValue) -> Bool {
        if !allOf.allSatisfy({ $0.satisfies(value) }) { return false }
        if !anyOf.isEmpty, !anyOf.contains(where: { $0.satisfies(value) }) { return false }
        if !oneOf.isEmpty, oneOf.count(where: { $0.satisfies(value) }) != 1 { return false }
        if let not, not.satisfies(value) { return false }
        return true
    }
}
