/// A Debian version relation, as in `foo (>= 1.2)`.
public enum VersionRelation: String, Sendable, Hashable, CaseIterable {
    case lessThan = "<<"
    case lessOrEqual = "<="
    case equal = "="
    case greaterOrEqual = ">="
    case greaterThan = ">>"
}

/// One term of a build profile formula: `nocheck` or `!nocheck`.
public struct ProfileTerm: Sendable, Hashable {
    /// The profile's name.
    public var name: String
    /// Whether the term is `!name`.
    public var negated: Bool

    /// Creates a term.
    public init(name: String, negated: Bool) {
        self.name = name
        self.negated = negated
    }
}

/// One alternative of a dependency clause: `name[:qualifier] [(relation version)] [[arch …]] [<profile …>…]`.
public struct DependencyAlternative: Sendable, Hashable, CustomStringConvertible {
    /// The package name.
    public var name: String
    /// The architecture qualifier after `:` (`any`, `native`, or an architecture), if any.
    public var qualifier: String?
    /// The version constraint, if any.
    public var version: (relation: VersionRelation, version: String)? {
        get { relation.map { ($0, versionText ?? "") } }
        set { relation = newValue?.relation; versionText = newValue?.version }
    }
    private var relation: VersionRelation?
    private var versionText: String?
    /// The architecture restriction list (`[amd64 !i386]`), as written.
    public var architectures: [String]
    /// The build profile restriction: OR of groups, each group an AND of terms. Empty: no restriction.
    public var profiles: [[ProfileTerm]]

    /// Creates an alternative.
    public init(name: String, qualifier: String? = nil, version: (relation: VersionRelation, version: String)? = nil,
                architectures: [String] = [], profiles: [[ProfileTerm]] = []) {
        self.name = name
        self.qualifier = qualifier
        self.relation = version?.relation
        self.versionText = version?.version
        self.architectures = architectures
        self.profiles = profiles
    }

    /// `name:qualifier (op version)`, without restrictions.
    public var description: String {
        var text = name
        if let qualifier { text += ":" + qualifier }
        if let version { text += " (\(version.relation.rawValue) \(version.version))" }
        return text
    }

    /// Whether the alternative applies when building for `architecture` with `activeProfiles`
    /// (Debian policy 7.1 and the build profile spec): an architecture list whose first entry is
    /// positive keeps it when any entry matches, a negated list when none does; the profile formula
    /// is an OR of AND-groups.
    public func applies(to architecture: DebianArchitecture, profiles activeProfiles: Set<String>) -> Bool {
        if let first = architectures.first {
            if first.hasPrefix("!") {
                if architectures.contains(where: { architecture.matches(String($0.dropFirst())) }) { return false }
            } else if !architectures.contains(where: { architecture.matches($0) }) {
                return false
            }
        }
        if !profiles.isEmpty {
            let satisfied = profiles.contains { group in
                group.allSatisfy { term in activeProfiles.contains(term.name) != term.negated }
            }
            if !satisfied { return false }
        }
        return true
    }
}

/// A dependency clause: alternatives separated by `|`, one of which must hold.
public struct DependencyClause: Sendable, Hashable, CustomStringConvertible {
    /// The alternatives, in order.
    public var alternatives: [DependencyAlternative]

    /// Creates a clause.
    public init(_ alternatives: [DependencyAlternative]) { self.alternatives = alternatives }

    public var description: String { alternatives.map(\.description).joined(separator: " | ") }
}

/// Parses Debian relationship fields (Build-Depends and friends, Depends, Conflicts, …).
public enum DependencyParser {
    /// Parses a relationship field into clauses; empty clauses (a trailing comma) are skipped.
    ///
    /// - Throws: ``RebuildError`` `.invalidDependency` naming the clause that does not parse.
    public static func parse(_ text: String, field: String = "dependency") throws(RebuildError) -> [DependencyClause] {
        var clauses: [DependencyClause] = []
        for rawClause in split(text, on: UInt8(ascii: ",")) {
            let clause = rawClause.trimmingCharactersSpace()
            if clause.isEmpty { continue }
            var alternatives: [DependencyAlternative] = []
            for rawAlternative in split(clause, on: UInt8(ascii: "|")) {
                alternatives.append(try parseAlternative(rawAlternative, field: field, clause: clause))
            }
            clauses.append(DependencyClause(alternatives))
        }
        return clauses
    }

    /// Splits on `separator` outside parentheses, brackets and angle brackets (a `<` or `>` inside
    /// parentheses is a version relation, not a profile bracket).
    private static func split(_ text: String, on separator: UInt8) -> [Substring] {
        var parts: [Substring] = []
        var parentheses = 0, brackets = 0, angles = 0
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = bytes.startIndex
        // Bytes, not Characters: every separator is ASCII, and this runs over every relationship field.
        while index < bytes.endIndex {
            switch bytes[index] {
            case UInt8(ascii: "("): parentheses += 1
            case UInt8(ascii: ")"): parentheses = max(0, parentheses - 1)
            case UInt8(ascii: "["): brackets += 1
            case UInt8(ascii: "]"): brackets = max(0, brackets - 1)
            case UInt8(ascii: "<") where parentheses == 0: angles += 1
            case UInt8(ascii: ">") where parentheses == 0: angles = max(0, angles - 1)
            case separator where parentheses == 0 && brackets == 0 && angles == 0:
                parts.append(text[start..<index])
                start = bytes.index(after: index)
            default:
                break
            }
            index = bytes.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    private static func parseAlternative(_ raw: Substring, field: String, clause: String) throws(RebuildError) -> DependencyAlternative {
        func fail(_ message: String) -> RebuildError {
            RebuildError(.invalidDependency, "\(field): '\(clause)': \(message)", operation: "parse dependency")
        }
        var rest = Substring(raw.trimmingCharactersSpace())
        // Name and qualifier: up to whitespace or one of ( [ <
        var nameEnd = rest.utf8.startIndex
        while nameEnd < rest.utf8.endIndex, !Self.nameEnds.contains(rest.utf8[nameEnd]) { nameEnd = rest.utf8.index(after: nameEnd) }
        let fullName = rest[..<nameEnd]
        rest = rest[nameEnd...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard !fullName.isEmpty else { throw fail("a package name is missing") }
        var name = String(fullName), qualifier: String?
        if let colon = fullName.firstIndex(of: ":") {
            name = String(fullName[..<colon])
            qualifier = String(fullName[fullName.index(after: colon)...])
            guard let qualifier, !qualifier.isEmpty, qualifier.utf8.allSatisfy(isNameByte) else { throw fail("a bad architecture qualifier") }
        }
        guard let first = name.utf8.first, isAlphanumeric(first), name.utf8.allSatisfy(isNameByte) else {
            throw fail("'\(name)' is not a package name")
        }
        var alternative = DependencyAlternative(name: name, qualifier: qualifier)
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw fail("an unclosed '('") }
            var inside = rest[rest.index(after: rest.startIndex)..<close].trimmingCharactersSpace()[...]
            rest = rest[rest.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
            var operatorText = ""
            while let character = inside.first, "<>=".contains(character) {
                operatorText.append(character)
                inside = inside.dropFirst()
            }
            let relation: VersionRelation
            switch operatorText {
            case "<<": relation = .lessThan
            case "<=", "<": relation = .lessOrEqual   // a lone '<' is the obsolete spelling of '<='
            case "=": relation = .equal
            case ">=", ">": relation = .greaterOrEqual
            case ">>": relation = .greaterThan
            default: throw fail("'\(operatorText)' is not a version relation")
            }
            let version = inside.trimmingCharactersSpace()
            guard !version.isEmpty, !version.contains(where: { $0 == " " || $0 == "\t" }) else { throw fail("a bad version '\(version)'") }
            if let problem = DebianVersion.problem(String(version)) { throw fail("a bad version '\(version)': \(problem)") }
            alternative.version = (relation, version)
        }
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { throw fail("an unclosed '['") }
            let list = rest[rest.index(after: rest.startIndex)..<close].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            guard !list.isEmpty else { throw fail("an empty architecture list") }
            let negated = list.filter { $0.hasPrefix("!") }.count
            guard negated == 0 || negated == list.count else { throw fail("an architecture list mixes negated and plain entries") }
            alternative.architectures = list
            rest = rest[rest.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
        }
        while rest.first == "<" {
            guard let close = rest.firstIndex(of: ">") else { throw fail("an unclosed '<'") }
            let terms = rest[rest.index(after: rest.startIndex)..<close].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard !terms.isEmpty else { throw fail("an empty build profile group") }
            alternative.profiles.append(terms.map { term in
                term.hasPrefix("!") ? ProfileTerm(name: String(term.dropFirst()), negated: true) : ProfileTerm(name: String(term), negated: false)
            })
            rest = rest[rest.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
        }
        guard rest.isEmpty else { throw fail("unexpected '\(rest)'") }
        return alternative
    }

    private static let nameEnds: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "("),
                                               UInt8(ascii: "["), UInt8(ascii: "<")]

    /// ASCII letters, digits, `+`, `-`, `.` and `_` (checked on bytes: this runs for every name of every index).
    private static func isNameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmingCharactersSpace() -> String {
        var start = startIndex, end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" || self[start] == "\n" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" || self[index(before: end)] == "\n" { end = index(before: end) }
        return String(self[start..<end])
    }
}

/// A Debian architecture with its dpkg tuple parts, for matching restriction lists such as
/// `[linux-any]` or `[any-amd64]`.
public struct DebianArchitecture: Sendable, Hashable, CustomStringConvertible {
    /// The name, such as `amd64`.
    public let name: String
    /// The kernel part of its tuple (`linux`, `kfreebsd`, `hurd`).
    public let os: String
    /// The CPU part of its tuple (`amd64`, `arm64`, `arm`, `i386`, …).
    public let cpu: String
    /// The ABI part of its tuple (`base`, or `x32`, …) — dpkg's four-part tuples.
    public let abi: String
    /// The libc part (`gnu`, `gnueabihf` → `eabihf`, …).
    public let libc: String

    /// The architectures Debian releases (and a few ports), with their tuples from dpkg's tupletable.
    static let known: [String: (abi: String, libc: String, os: String, cpu: String)] = [
        "amd64": ("base", "gnu", "linux", "amd64"), "arm64": ("base", "gnu", "linux", "arm64"),
        "armel": ("eabi", "gnu", "linux", "arm"), "armhf": ("eabihf", "gnu", "linux", "arm"),
        "i386": ("base", "gnu", "linux", "i386"), "mips64el": ("abi64", "gnu", "linux", "mips64el"),
        "mipsel": ("base", "gnu", "linux", "mipsel"), "ppc64el": ("base", "gnu", "linux", "ppc64el"),
        "s390x": ("base", "gnu", "linux", "s390x"), "riscv64": ("base", "gnu", "linux", "riscv64"),
        "loong64": ("base", "gnu", "linux", "loong64"), "x32": ("x32", "gnu", "linux", "amd64"),
        "ppc64": ("base", "gnu", "linux", "ppc64"), "powerpc": ("base", "gnu", "linux", "powerpc"),
        "sparc64": ("base", "gnu", "linux", "sparc64"), "alpha": ("base", "gnu", "linux", "alpha"),
        "hppa": ("base", "gnu", "linux", "hppa"), "m68k": ("base", "gnu", "linux", "m68k"), "sh4": ("base", "gnu", "linux", "sh4"),
        "hurd-i386": ("base", "gnu", "hurd", "i386"), "hurd-amd64": ("base", "gnu", "hurd", "amd64"),
        "kfreebsd-amd64": ("base", "gnu", "kfreebsd", "amd64"), "kfreebsd-i386": ("base", "gnu", "kfreebsd", "i386"),
    ]

    /// An architecture by name.
    ///
    /// - Throws: ``RebuildError`` `.unknownArchitecture` for a name not in dpkg's table.
    public init(_ name: String) throws(RebuildError) {
        guard let tuple = Self.known[name] else {
            throw RebuildError(.unknownArchitecture, "'\(name)' is not a known Debian architecture (known: \(Self.known.keys.sorted().joined(separator: ", ")))",
                               operation: "choose architecture")
        }
        self.name = name
        (abi, libc, os, cpu) = tuple
    }

    public var description: String { name }

    /// Whether `pattern` — an architecture name, `any`, `all`, or a dpkg wildcard (`linux-any`,
    /// `any-amd64`, `gnu-any-any`, `any-any-linux-any` …) — matches this architecture.
    public func matches(_ pattern: String) -> Bool {
        if pattern == name || pattern == "any" || pattern == "all" { return true }
        guard pattern.contains("any") else { return false }
        let parts = pattern.split(separator: "-").map(String.init)
        switch parts.count {
        case 2: return Self.match(parts, [os, cpu])
        case 3: return Self.match(parts, [libc, os, cpu])
        case 4: return Self.match(parts, [abi, libc, os, cpu])
        default: return false
        }
    }

    private static func match(_ pattern: [String], _ tuple: [String]) -> Bool {
        zip(pattern, tuple).allSatisfy { $0 == "any" || $0 == $1 }
    }
}
