import Testing
@testable import Translator

@Test func moduleLinks() {
    #expect(TranslatorModule.name == "Translator")
}
