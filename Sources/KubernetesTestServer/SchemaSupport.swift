import KubernetesAPI

/// Connects CRD schemas to the store's `ObjectSchemaChecker` seam.
enum SchemaSupport {
    static let builder: SchemaBuilder? = nil
}
