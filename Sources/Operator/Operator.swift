// Module Operator. See Package.swift for where it sits in the pipeline.
public enum OperatorModule {
    public static let name = "Operator"
}
