// Module KubernetesTestServer. See Package.swift for where it sits in the pipeline.
public enum KubernetesTestServerModule {
    public static let name = "KubernetesTestServer"
}
