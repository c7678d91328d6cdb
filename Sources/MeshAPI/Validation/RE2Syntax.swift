/// A syntax check for RE2 regular expressions (what Envoy compiles and Istio accepts).
///
/// It rejects what RE2 lacks — backreferences, lookaround, atomic groups, possessive
/// quantifiers — and malformed input: unbalanced parentheses and brackets, unknown
/// escapes, bad repeat counts (RE2 caps them at 1000), nested repetition, bad ranges.
/// It does not build a program; it only answers "would RE2 parse this?".
public enum RE2Syntax {
    /// Istio's limit on regex length (a stand-in for Envoy's program-size limit).
    public static let maxLength = 1024
    public static let maxRepeat = 1000

    /// nil when `pattern` is valid RE2, otherwise the reason.
    public static func problem(in pattern: String) -> String? {
        var parser = Parser(Array(pattern.unicodeScalars))
        return parser.run()
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var position = 0
        /// Whether the previous item can take a repetition operator.
        var canRepeat = false
        /// Whether the previous item was itself a repetition (to reject `a**`, `a*+`).
        var lastWasRepeat = false
        var depth = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { position >= chars.count }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            position + offset < chars.count ? chars[position + offset] : nil
        }

        mutating func run() -> String? {
            while !atEnd {
                let c = chars[position]
                switch c {
                case "(":
                    if let problem = openGroup() { return problem }
                    canRepeat = false
                    lastWasRepeat = false
                case ")":
                    guard depth > 0 else { return "unexpected ): unbalanced parentheses" }
                    depth -= 1
                    position += 1
                    canRepeat = true
                    lastWasRepeat = false
                case "|":
                    position += 1
                    canRepeat = false
                    lastWasRepeat = false
                case "*", "+", "?":
                    if let problem = repetition(c == "?" ? "?" : String(c)) { return problem }
                case "{":
                    if let count = parseRepeatCount() {
                        if let problem = count { return problem }
                        if let problem = repetition("{}") { return problem }
                    } else {
                        // Not a valid repeat: RE2 treats `{` as a literal.
                        position += 1
                        canRepeat = true
                        lastWasRepeat = false
                    }
                case "[":
                    if let problem = characterClass() { return problem }
                    canRepeat = true
                    lastWasRepeat = false
                case "\\":
                    if let problem = escape(inClass: false) { return problem }
                case "^", "$":
                    position += 1
                    canRepeat = true
                    lastWasRepeat = false
                default:
                    position += 1
                    canRepeat = true
                    lastWasRepeat = false
                }
            }
            if depth > 0 { return "missing closing ): unbalanced parentheses" }
            return nil
        }

        /// Handles a repetition operator at `position` (already validated for `{}`).
        mutating func repetition(_ op: String) -> String? {
            if lastWasRepeat {
                if op == "+" { return "possessive quantifiers are not supported by RE2" }
                if op == "?" {
                    // Lazy modifier `*?`, `{n}?`: fine once.
                    position += 1
                    lastWasRepeat = false
                    canRepeat = false
                    // A further operator after a lazy one is nested repetition.
                    if let next = peek(), next == "*" || next == "+" || next == "?" || (next == "{" && isRepeatAhead()) {
                        return "invalid nested repetition operator"
                    }
                    return nil
                }
                return "invalid nested repetition operator"
            }
            guard canRepeat else { return "missing argument to repetition operator \(op == "{}" ? "{n,m}" : op)" }
            if op != "{}" { position += 1 }
            lastWasRepeat = true
            return nil
        }

        func isRepeatAhead() -> Bool {
            var copy = self
            return copy.parseRepeatCount() != nil
        }

        /// Parses `{n}`, `{n,}` or `{n,m}` at `position`. nil when it is not a repeat
        /// (so `{` is literal); `.some(nil)` when valid; `.some(problem)` when invalid.
        mutating func parseRepeatCount() -> String?? {
            var index = position + 1
            func number() -> Int? {
                var digits = ""
                while index < chars.count, let value = chars[index].properties.numericType, value == .decimal, chars[index].isASCII {
                    digits.unicodeScalars.append(chars[index])
                    index += 1
                }
                return digits.isEmpty ? nil : Int(digits.prefix(9))
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if index < chars.count, chars[index] == "," {
                index += 1
                high = number()
            }
            guard index < chars.count, chars[index] == "}" else { return nil }
            position = index + 1
            if low > RE2Syntax.maxRepeat || (high ?? 0) > RE2Syntax.maxRepeat {
                return .some("bad repetition operator: repeat count exceeds \(RE2Syntax.maxRepeat)")
            }
            if let high, high < low { return .some("bad repetition operator: {\(low),\(high)} has max below min") }
            return .some(nil)
        }

        mutating func openGroup() -> String? {
            position += 1
            depth += 1
            guard peek() == "?" else { return nil }
            position += 1
            guard let next = peek() else { return "missing closing ): unbalanced parentheses" }
            switch next {
            case "=", "!": return "lookahead (?\(next) is not supported by RE2"
            case ">": return "atomic groups (?> are not supported by RE2"
            case "#": return "comments (?# are not supported by RE2"
            case "P", "<":
                if next == "<", let after = peek(1), after == "=" || after == "!" {
                    return "lookbehind (?<\(after) is not supported by RE2"
                }
                if next == "P" {
                    position += 1
                    if peek() == "=" || peek() == ">" { return "named backreferences are not supported by RE2" }
                    guard peek() == "<" else { return "invalid named capture" }
                }
                position += 1
                var name = ""
                while let c = peek(), c != ">" {
                    name.unicodeScalars.append(c)
                    position += 1
                }
                guard peek() == ">" else { return "invalid named capture: missing >" }
                position += 1
                guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0 == "_" || ($0.isASCII && $0.properties.numericType != nil) }) else {
                    return "invalid named capture: \"\(name)\""
                }
                return nil
            default:
                // Flags: (?flags) or (?flags:...), flags from imsU with an optional '-'.
                var sawFlag = false
                var sawMinus = false
                while let c = peek() {
                    switch c {
                    case "i", "m", "s", "U":
                        sawFlag = true
                        position += 1
                    case "-":
                        if sawMinus { return "invalid or unsupported Perl syntax: (?\(c)" }
                        sawMinus = true
                        position += 1
                    case ":":
                        position += 1
                        return nil
                    case ")":
                        guard sawFlag else { return "missing flags in (?)" }
                        position += 1
                        depth -= 1
                        return nil
                    default:
                        return "invalid or unsupported Perl syntax: (?\(c)"
                    }
                }
                return "missing closing ): unbalanced parentheses"
            }
        }

        mutating func characterClass() -> String? {
            let start = position
            position += 1
            if peek() == "^" { position += 1 }
            var first = true
            var previous: Unicode.Scalar?
            while let c = peek() {
                if c == "]" && !first {
                    position += 1
                    return nil
                }
                first = false
                if c == "[" && peek(1) == ":" {
                    // POSIX class [:name:]
                    var end = position + 2
                    while end + 1 < chars.count, !(chars[end] == ":" && chars[end + 1] == "]") { end += 1 }
                    guard end + 1 < chars.count else { return "missing closing ]: unterminated character class" }
                    var name = String(String.UnicodeScalarView(chars[(position + 2)..<end]))
                    if name.hasPrefix("^") { name.removeFirst() }
                    guard Self.posixClasses.contains(name) else { return "invalid character class range: [:\(name):]" }
                    position = end + 2
                    previous = nil
                    continue
                }
                var low: Unicode.Scalar?
                if c == "\\" {
                    let before = position
                    if let problem = escape(inClass: true) { return problem }
                    low = position - before == 2 ? chars[before + 1] : nil
                    if let value = low, Self.classEscapes.contains(value) { low = nil }
                } else {
                    low = c
                    position += 1
                }
                if peek() == "-", let high = peek(1), high != "]", let lowValue = low {
                    position += 1
                    var highValue: Unicode.Scalar? = high
                    if high == "\\" {
                        let before = position
                        if let problem = escape(inClass: true) { return problem }
                        highValue = position - before == 2 ? chars[before + 1] : nil
                    } else {
                        position += 1
                    }
                    if let highValue, highValue.value < lowValue.value {
                        return "invalid character class range: \(lowValue)-\(highValue)"
                    }
                }
                previous = low
            }
            _ = previous
            _ = start
            return "missing closing ]: unterminated character class"
        }

        static let posixClasses: Set<String> = ["alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word", "xdigit"]
        static let classEscapes: Set<Unicode.Scalar> = ["d", "D", "s", "S", "w", "W", "p", "P"]

        /// Handles `\x` at `position`.
        mutating func escape(inClass: Bool) -> String? {
            position += 1
            guard let c = peek() else { return "trailing backslash at end of expression" }
            position += 1
            canRepeat = true
            lastWasRepeat = false
            switch c {
            case "1"..."9":
                // A lone digit is a backreference; RE2 only has octal escapes `\0nn` / `\1nn`.
                if let next = peek(), ("0"..."7").contains(next), c <= "7" {
                    position += 1
                    if let third = peek(), ("0"..."7").contains(third) { position += 1 }
                    return nil
                }
                return "backreferences (\\\(c)) are not supported by RE2"
            case "0":
                var count = 0
                while count < 2, let next = peek(), ("0"..."7").contains(next) { position += 1; count += 1 }
                return nil
            case "a", "f", "t", "n", "r", "v", "d", "D", "s", "S", "w", "W":
                return nil
            case "b", "B", "A", "z":
                if inClass { return "invalid escape sequence \\\(c) in character class" }
                return nil
            case "x":
                if peek() == "{" {
                    var digits = 0
                    position += 1
                    while let h = peek(), h != "}" {
                        guard h.properties.isASCIIHexDigit else { return "invalid escape sequence \\x{...}" }
                        digits += 1
                        position += 1
                    }
                    guard peek() == "}", digits > 0, digits <= 8 else { return "invalid escape sequence \\x{...}" }
                    position += 1
                    return nil
                }
                guard let h1 = peek(), h1.properties.isASCIIHexDigit, let h2 = peek(1), h2.properties.isASCIIHexDigit else {
                    return "invalid escape sequence \\x"
                }
                position += 2
                return nil
            case "p", "P":
                if peek() == "{" {
                    var name = ""
                    position += 1
                    while let n = peek(), n != "}" { name.unicodeScalars.append(n); position += 1 }
                    guard peek() == "}", !name.isEmpty else { return "invalid character class range: \\\(c){" }
                    position += 1
                    if name.hasPrefix("^") { name.removeFirst() }
                    guard name == "Any" || name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0 == "_" }) else {
                        return "invalid Unicode class \\\(c){\(name)}"
                    }
                    return nil
                }
                guard let letter = peek(), letter.properties.isAlphabetic else { return "invalid escape sequence \\\(c)" }
                position += 1
                return nil
            case "Q":
                if inClass { return "invalid escape sequence \\Q in character class" }
                // Literal text up to \E (or the end).
                while !atEnd {
                    if chars[position] == "\\" && peek(1) == "E" { position += 2; return nil }
                    position += 1
                }
                return nil
            case "E":
                return nil
            default:
                if c.isASCII && !(c.properties.isAlphabetic || c.properties.numericType != nil || c == "_") {
                    return nil  // escaped punctuation
                }
                return "invalid escape sequence \\\(c)"
            }
        }
    }
}
