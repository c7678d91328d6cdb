// Module Translator. See Package.swift for where it sits in the pipeline.
public enum TranslatorModule {
    public static let name = "Translator"
}
