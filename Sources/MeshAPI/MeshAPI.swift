// Module MeshAPI. See Package.swift for where it sits in the pipeline.
public enum MeshAPIModule {
    public static let name = "MeshAPI"
}
