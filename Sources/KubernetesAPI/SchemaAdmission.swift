/// What kube-apiserver makes of a custom resource written to it, schema-wise: the object as it
/// would be stored, the unknown fields it dropped, and why it must be refused (if it must).
public struct SchemaAdmission: Sendable {
    /// The object pruned of unknown fields and defaulted.
    public var object: JSONValue
    /// Paths of the unknown fields pruning removed (`spec.foo`); kube-apiserver turns these into
    /// warnings, or into errors with `fieldValidation=Strict`.
    public var unknownFields: [String]
    /// Schema violations of the pruned, defaulted object; non-empty means 422 Unprocessable Entity.
    public var violations: [SchemaViolation]

    public var isAccepted: Bool { violations.isEmpty }
}

extension StructuralSchema {
    /// Runs the schema steps of a create or update in kube-apiserver's order: prune unknown
    /// fields, apply defaults, then validate. CEL rules are not evaluated (see ``validations``).
    public func admit(_ object: JSONValue) -> SchemaAdmission {
        let (pruned, unknownFields) = prune(object)
        let defaulted = applyDefaults(pruned)
        return SchemaAdmission(object: defaulted, unknownFields: unknownFields, violations: validate(defaulted))
    }
}
