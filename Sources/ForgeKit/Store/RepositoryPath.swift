/// The validated name of a hosted repository or repository group: folders and a name joined by `/`,
/// such as `tools/forge` or `forge`.
///
/// A path is what appears in clone URLs (`http://HOST:PORT/tools/forge`) and on disk under the
/// repository root, so every rule keeps it safe in both places:
///
/// - 1 to 8 segments, 200 bytes at most in all;
/// - each segment 1 to 100 characters from `A–Z a–z 0–9 . _ -`, not starting with `.` or `-`
///   (which rules out `.`, `..`, hidden folders and option-like names) and not ending with `.git`
///   or `.lock`;
/// - no segment is a name the HTTP surfaces reserve: `-`, `info`, `objects`, `refs`, `hooks`, `HEAD`;
///   and the first segment is none of `api`, `admin`, `_admin`, `static`, `assets`, `login`, `logout`,
///   `settings`, `users`, `user`, `new`, `explore`, `healthz`.
///
/// A clone URL may add `.git` to the name (`/tools/forge.git`); ``init(url:)`` accepts that form.
public struct RepositoryPath: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The path's segments: the groups, then the name.
    public let segments: [String]

    /// The segments joined with `/`.
    public var description: String { segments.joined(separator: "/") }

    /// The last segment.
    public var name: String { segments[segments.count - 1] }

    /// The enclosing group, or nil at the top level.
    public var parent: RepositoryPath? {
        segments.count > 1 ? RepositoryPath(validated: Array(segments.dropLast())) : nil
    }

    /// Each enclosing group, outermost first (`a`, `a/b` for `a/b/c`).
    public var ancestors: [RepositoryPath] {
        (1..<segments.count).map { RepositoryPath(validated: Array(segments.prefix($0))) }
    }

    /// The longest a path may be, in bytes.
    public static let maximumLength = 200
    /// The most segments a path may have.
    public static let maximumDepth = 8
    /// Segment names reserved anywhere in a path.
    public static let reservedSegments: Set<String> = ["-", "info", "objects", "refs", "hooks", "HEAD"]
    /// Names reserved for the first segment (top-level routes of the forge's HTTP surfaces).
    public static let reservedTopLevel: Set<String> = [
        "api", "admin", "_admin", "static", "assets", "login", "logout", "settings", "users", "user", "new",
        "explore", "healthz",
    ]

    /// Validates `text`.
    ///
    /// - Throws: ``ForgeError`` with code `invalidArgument` naming the rule `text` breaks.
    public init(_ text: String) throws(ForgeError) {
        self.segments = try Self.validate(text, allowGitSuffix: false)
    }

    /// Validates a path as a clone URL names it: a trailing `.git` is dropped first.
    public init(url text: String) throws(ForgeError) {
        self.segments = try Self.validate(text, allowGitSuffix: true)
    }

    /// The path of `name` inside this group.
    public func appending(_ name: String) throws(ForgeError) -> RepositoryPath {
        try RepositoryPath(description + "/" + name)
    }

    private init(validated segments: [String]) { self.segments = segments }

    public static func < (lhs: RepositoryPath, rhs: RepositoryPath) -> Bool {
        lhs.segments.lexicographicallyPrecedes(rhs.segments)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self.segments = try Self.validate(text, allowGitSuffix: false)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func validate(_ raw: String, allowGitSuffix: Bool) throws(ForgeError) -> [String] {
        func invalid(_ reason: String) -> ForgeError {
            let shown = raw.utf8.count > 80 ? String(raw.prefix(80)) + "…" : raw
            return ForgeError(.invalidArgument, "'\(shown.debugDescriptionEscaped)' is not a valid repository name: \(reason)",
                              operation: "validate repository name")
        }
        var text = raw
        if allowGitSuffix, text.hasSuffix(".git") { text.removeLast(4) }
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard text.utf8.count <= maximumLength else { throw invalid("it is longer than \(maximumLength) bytes") }
        guard !text.hasPrefix("/") else { throw invalid("it is an absolute path") }
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw invalid("it contains the control character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= maximumDepth else { throw invalid("it has more than \(maximumDepth) levels") }
        for (index, part) in parts.enumerated() {
            if part.isEmpty { throw invalid("it has an empty segment") }
            if part == "." || part == ".." { throw invalid("'\(part)' is not allowed as a segment") }
            guard part.utf8.count <= 100 else { throw invalid("the segment '\(part.prefix(20))…' is longer than 100 characters") }
            guard part.utf8.allSatisfy(isAllowed) else {
                throw invalid("'\(part.debugDescriptionEscaped)' may only use letters, digits, '.', '_' and '-'")
            }
            if part.hasPrefix(".") || part.hasPrefix("-") && part != "-" {
                throw invalid("'\(part)' starts with '\(part.prefix(1))'")
            }
            if part.hasSuffix(".git") || part.hasSuffix(".lock") {
                throw invalid("'\(part)' ends with '\(part.hasSuffix(".git") ? ".git" : ".lock")'")
            }
            if reservedSegments.contains(part) { throw invalid("'\(part)' is a reserved name") }
            if index == 0, reservedTopLevel.contains(part.lowercased()) { throw invalid("'\(part)' is a reserved name") }
        }
        return parts
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

extension String {
    /// The string with control characters and backslashes escaped, for error messages.
    var debugDescriptionEscaped: String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\\" {
                result += scalar == "\\" ? "\\\\" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
