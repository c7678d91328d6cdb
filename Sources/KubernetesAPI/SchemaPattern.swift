import Foundation

/// A schema's `pattern`, compiled once. kube-apiserver matches patterns with Go's RE2 as a search
/// (not anchored unless the pattern anchors itself); ICU regular expressions agree with RE2 on the
/// syntax CRDs use (classes, groups, alternation, anchors, counted repetition).
struct SchemaPattern: Sendable {
    let expression: NSRegularExpression

    init?(_ pattern: String) {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return nil }
        self.expression = expression
    }

    func matches(_ string: String) -> Bool {
        expression.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }
}
