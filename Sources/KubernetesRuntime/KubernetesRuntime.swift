// Module KubernetesRuntime. See Package.swift for where it sits in the pipeline.
public enum KubernetesRuntimeModule {
    public static let name = "KubernetesRuntime"
}
