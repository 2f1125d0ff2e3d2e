/// A test of one source attribute, from a configuration's `criteria` (the pipeline seed's matching).
///
/// A criterion is an exact value, a glob (`release/*`), a regular expression, or a list of those
/// (any may match). Attributes with several values, such as changed paths, match when any value does.
public struct Criterion: Sendable, Hashable {
    /// The forms a criterion takes.
    public indirect enum Pattern: Sendable, Hashable {
        /// The value must equal this string.
        case exact(String)
        /// Shell-style glob: `*` matches within one path segment, `**` across segments, `?` one
        /// character other than `/`, `[abc]`/`[a-z]`/`[!a]` a character class.
        case glob(String)
        /// A regular expression that must match the whole value.
        case regex(String)
        /// Any of these must match.
        case anyOf([Pattern])
    }

    /// The pattern.
    public let pattern: Pattern

    /// Creates a criterion, checking that regular expressions compile.
    public init(_ pattern: Pattern) throws(PipelineError) {
        try Self.validate(pattern)
        self.pattern = pattern
    }

    private static func validate(_ pattern: Pattern) throws(PipelineError) {
        switch pattern {
        case .exact, .glob: return
        case .regex(let source):
            do { _ = try Regex(source) } catch {
                throw PipelineError(.invalidConfiguration, "'\(source)' is not a valid regular expression: \(error)", operation: "criterion")
            }
        case .anyOf(let patterns):
            for pattern in patterns { try validate(pattern) }
        }
    }

    /// Whether `value` satisfies the criterion.
    public func matches(_ value: String) -> Bool {
        Self.matches(pattern, value)
    }

    /// Whether any of `values` satisfies the criterion (for list attributes like changed paths).
    public func matches(any values: [String]) -> Bool {
        values.contains { matches($0) }
    }

    private static func matches(_ pattern: Pattern, _ value: String) -> Bool {
        switch pattern {
        case .exact(let expected): return value == expected
        case .glob(let glob): return Glob.match(Array(glob.utf8)[...], Array(value.utf8)[...])
        case .regex(let source):
            guard let regex = try? Regex(source) else { return false }
            return (try? regex.wholeMatch(in: value)) != nil
        case .anyOf(let patterns): return patterns.contains { matches($0, value) }
        }
    }
}

/// Glob matching on UTF-8 bytes.
enum Glob {
    static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        while p < pattern.endIndex {
            let c = pattern[p]
            switch c {
            case UInt8(ascii: "*"):
                let doubled = p + 1 < pattern.endIndex && pattern[p + 1] == UInt8(ascii: "*")
                let rest = pattern[(doubled ? p + 2 : p + 1)...]
                var k = t
                while true {
                    if match(rest, text[k...]) { return true }
                    guard k < text.endIndex, doubled || text[k] != UInt8(ascii: "/") else { return false }
                    k += 1
                }
            case UInt8(ascii: "?"):
                guard t < text.endIndex, text[t] != UInt8(ascii: "/") else { return false }
                p += 1; t += 1
            case UInt8(ascii: "["):
                guard t < text.endIndex, let (matched, next) = matchClass(pattern, p, text[t]) else {
                    // An unterminated class is a literal "[".
                    guard t < text.endIndex, text[t] == c, matchClass(pattern, p, 0) == nil else { return false }
                    p += 1; t += 1
                    continue
                }
                guard matched else { return false }
                p = next; t += 1
            default:
                guard t < text.endIndex, text[t] == c else { return false }
                p += 1; t += 1
            }
        }
        return t == text.endIndex
    }

    /// Matches one byte against the class starting at `start` ("["); returns nil if the class is unterminated.
    private static func matchClass(_ pattern: ArraySlice<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.endIndex, pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^") {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.endIndex {
            let c = pattern[i]
            if c == UInt8(ascii: "]") && !first {
                return (matched != negate && byte != UInt8(ascii: "/"), i + 1)
            }
            first = false
            if i + 2 < pattern.endIndex, pattern[i + 1] == UInt8(ascii: "-"), pattern[i + 2] != UInt8(ascii: "]") {
                if byte >= c && byte <= pattern[i + 2] { matched = true }
                i += 3
            } else {
                if byte == c { matched = true }
                i += 1
            }
        }
        return nil
    }
}
