// Module EnvoyAPI. See Package.swift for where it sits in the pipeline.
public enum EnvoyAPIModule {
    public static let name = "EnvoyAPI"
}
