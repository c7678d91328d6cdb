// Module KubernetesClient. See Package.swift for where it sits in the pipeline.
public enum KubernetesClientModule {
    public static let name = "KubernetesClient"
}
