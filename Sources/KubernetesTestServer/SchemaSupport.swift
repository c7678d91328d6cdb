import KubernetesAPI

/// Connects a CRD version's `openAPIV3Schema` (as `StructuralSchema`) to the store's
/// `ObjectSchemaChecker` seam: pruning, defaulting and validation with kube-apiserver's wording.
enum SchemaSupport {
    static let builder: SchemaBuilder = { json in
        guard let schema = try? StructuralSchema(json) else { return nil }
        return StructuralSchemaChecker(schema: schema)
    }
}

struct StructuralSchemaChecker: ObjectSchemaChecker {
    let schema: StructuralSchema

    func applyDefaults(_ object: JSONValue) -> JSONValue {
        schema.applyDefaults(object)
    }

    func prune(_ object: JSONValue) -> (pruned: JSONValue, unknownFields: [String]) {
        let (pruned, removed) = schema.prune(object)
        return (pruned, removed)
    }

    func validate(_ object: JSONValue) -> [StatusCause] {
        schema.validate(object).map { violation in
            var message = violation.kind.rawValue
            if let badValue = violation.badValue { message += ": \(badValue)" }
            if !violation.detail.isEmpty { message += ": \(violation.detail)" }
            return StatusCause(reason: Self.reason(violation.kind), message: message, field: violation.field)
        }
    }

    /// metav1.CauseType names for field.ErrorType.
    static func reason(_ kind: SchemaViolation.Kind) -> String {
        switch kind {
        case .invalid: return "FieldValueInvalid"
        case .required: return "FieldValueRequired"
        case .notSupported: return "FieldValueNotSupported"
        case .duplicate: return "FieldValueDuplicate"
        case .tooLong: return "FieldValueTooLong"
        case .tooMany: return "FieldValueTooMany"
        }
    }
}
