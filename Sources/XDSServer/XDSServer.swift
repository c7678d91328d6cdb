// Module XDSServer. See Package.swift for where it sits in the pipeline.
public enum XDSServerModule {
    public static let name = "XDSServer"
}
