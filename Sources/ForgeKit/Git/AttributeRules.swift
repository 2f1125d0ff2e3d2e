/// The `.gitattributes` files of a tree, evaluated for paths the way git evaluates them, without asking
/// libgit2 (whose lookup from a commit costs about 15 µs and several system calls per path).
///
/// What it follows, from gitattributes(5) and git's behaviour:
/// - A file's lines apply to paths below its directory; a deeper file wins over a shallower one, and
///   within a file a later line wins over an earlier one.
/// - A pattern without `/` matches the last path component at any depth; otherwise it is matched
///   against the path relative to the file's directory (a leading `/` only anchors), with `*`, `?` and
///   `[…]` stopping at `/`, and `**` across directories (`**/x`, `x/**`, `x/**/y`).
/// - A trailing `/` makes a pattern match directories only; `!pattern` lines are ignored, as git does.
/// - `attr`, `-attr`, `!attr` (back to unspecified, which also hides lower lines) and `attr=value`.
/// - Macros: `binary` (`-diff -merge -text`) and `[attr]name …` lines of the root file; a macro set on a
///   path sets its attributes too, unless a line with higher precedence decided them.
/// - Lines longer than 2,048 bytes are ignored, as git 2.39.1 and later ignore them.
///
/// A quoted pattern (`"a b" text`) is not read: ``isComplete`` turns false and the caller should ask
/// libgit2 from then on. Only the files given to ``add(file:directory:)`` count: `info/attributes` and
/// global or system files are the caller's to rule out.
struct AttributeRules {
    /// What a path's attribute is.
    enum State: Equatable {
        case unspecified
        case set
        case unset
        case value(String)
    }

    private struct Assignment {
        var attribute: Int
        var state: State
    }

    private struct Rule {
        var pattern: [UInt8]
        /// No `/` in the pattern: it is matched against the last component only.
        var basenameOnly: Bool
        /// The pattern ended with `/`: directories only.
        var directoriesOnly: Bool
        var assignments: [Assignment]
    }

    private struct File {
        /// The directory, with a trailing `/` (empty for the root).
        var directory: [UInt8]
        /// Only lines that assign an attribute of interest, in file order.
        var rules: [Rule]
    }

    private var names: [String: Int] = [:]
    private var macros: [Int: [Assignment]] = [:]
    private var files: [File] = []
    /// The attributes callers ask about.
    private let wanted: [Int]
    /// Attributes whose assignment can change a wanted one: the wanted ones and macros that lead to them.
    private var relevant: Set<Int> = []
    private(set) var isComplete = true

    /// Rules that answer for `attributes` (names such as `export-ignore`, `text`, `diff`).
    init(attributes: [String]) {
        var indices: [Int] = []
        for name in attributes { indices.append(Self.intern(name, in: &names)) }
        wanted = indices
        relevant = Set(indices)
        let binary = Self.intern("binary", in: &names)
        macros[binary] = [("diff", State.unset), ("merge", .unset), ("text", .unset)].map {
            Assignment(attribute: Self.intern($0.0, in: &names), state: $0.1)
        }
        updateRelevantMacros()
    }

    private static func intern(_ name: String, in names: inout [String: Int]) -> Int {
        if let index = names[name] { return index }
        let index = names.count
        names[name] = index
        return index
    }

    /// Adds the `.gitattributes` file found in `directory` (`[]` for the root, else `dir/sub/`). Files
    /// must be added parents first, as a depth-first walk of the tree meets them.
    mutating func add(file contents: UnsafeRawBufferPointer, directory: [UInt8]) {
        var parsed: [(pattern: [UInt8], tokens: [[UInt8]])] = []
        var lineStart = 0
        let count = contents.count
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count, contents[lineEnd] != 0x0a { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            guard lineEnd - lineStart <= 2048 else { continue }
            var tokens: [[UInt8]] = []
            var index = lineStart
            while index < lineEnd {
                while index < lineEnd, Self.isBlank(contents[index]) { index += 1 }
                let tokenStart = index
                while index < lineEnd, !Self.isBlank(contents[index]) { index += 1 }
                if index > tokenStart { tokens.append(Array(contents[tokenStart..<index])) }
            }
            guard let first = tokens.first, first.first != UInt8(ascii: "#") else { continue }
            if first.first == UInt8(ascii: "\"") {
                isComplete = false
                continue
            }
            parsed.append((first, Array(tokens.dropFirst())))
        }
        let macroPrefix = Array("[attr]".utf8)
        // Macros (root file only, as git allows) first, so that relevance covers lines that use them.
        if directory.isEmpty {
            for line in parsed where line.pattern.starts(with: macroPrefix) {
                let name = String(decoding: line.pattern.dropFirst(macroPrefix.count), as: UTF8.self)
                guard Self.isValidName(name[...]), let assignments = parseAssignments(line.tokens) else { continue }
                macros[Self.intern(name, in: &names)] = assignments
            }
            updateRelevantMacros()
        }
        var rules: [Rule] = []
        for line in parsed where !line.pattern.starts(with: macroPrefix) {
            var pattern = line.pattern
            if pattern.first == UInt8(ascii: "!") { continue }  // negative patterns are ignored by git
            guard let assignments = parseAssignments(line.tokens),
                  assignments.contains(where: { relevant.contains($0.attribute) }) else { continue }
            var directoriesOnly = false
            if pattern.count > 1, pattern.last == UInt8(ascii: "/") {
                pattern.removeLast()
                directoriesOnly = true
            }
            var basenameOnly = !pattern.contains(UInt8(ascii: "/"))
            if pattern.first == UInt8(ascii: "/") {
                pattern.removeFirst()
                basenameOnly = false
            }
            rules.append(Rule(pattern: pattern, basenameOnly: basenameOnly, directoriesOnly: directoriesOnly,
                              assignments: assignments))
        }
        if !rules.isEmpty { files.append(File(directory: directory, rules: rules)) }
    }

    /// Parses `attr`, `-attr`, `!attr` and `attr=value`; `nil` when one is not a valid name (git then
    /// drops the whole line).
    private mutating func parseAssignments(_ tokens: [[UInt8]]) -> [Assignment]? {
        var assignments: [Assignment] = []
        for token in tokens {
            let text = String(decoding: token, as: UTF8.self)
            var name = text[...]
            var state = State.set
            if let first = name.first, first == "-" || first == "!" {
                state = first == "-" ? .unset : .unspecified
                name = name.dropFirst()
                if let equals = name.firstIndex(of: "=") { name = name[..<equals] }
            } else if let equals = name.firstIndex(of: "=") {
                state = .value(String(name[name.index(after: equals)...]))
                name = name[..<equals]
            }
            guard Self.isValidName(name) else { return nil }
            assignments.append(Assignment(attribute: Self.intern(String(name), in: &names), state: state))
        }
        return assignments
    }

    /// git's rule: letters, digits, `-`, `.` and `_`, not starting with `-`.
    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
        }
    }

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0a
    }

    /// Macros whose expansion (directly or through other macros) reaches a wanted attribute are relevant.
    private mutating func updateRelevantMacros() {
        var changed = true
        while changed {
            changed = false
            for (macro, assignments) in macros where !relevant.contains(macro) {
                if assignments.contains(where: { relevant.contains($0.attribute) }) {
                    relevant.insert(macro)
                    changed = true
                }
            }
        }
    }

    /// The wanted attributes of `path` (no trailing slash; `isDirectory` for a directory), in the order
    /// given to ``init(attributes:)``.
    func states(of path: [UInt8], isDirectory: Bool = false) -> [State] {
        guard !files.isEmpty else { return Array(repeating: .unspecified, count: wanted.count) }
        // The directory part: only files of that directory and its parents apply.
        var basenameStart = path.count
        while basenameStart > 0, path[basenameStart - 1] != UInt8(ascii: "/") { basenameStart -= 1 }
        var decided: [Int: State] = [:]
        var remaining = wanted.count
        for file in files.reversed() {
            guard file.directory.count <= basenameStart, path.starts(with: file.directory) else { continue }
            for rule in file.rules.reversed() {
                if rule.directoriesOnly && !isDirectory { continue }
                let matched: Bool
                if rule.basenameOnly {
                    matched = Self.wildmatch(rule.pattern[...], path[basenameStart...], pathname: false)
                } else {
                    matched = Self.wildmatch(rule.pattern[...], path[file.directory.count...], pathname: true)
                }
                guard matched else { continue }
                fill(rule.assignments, into: &decided, remaining: &remaining)
                if remaining == 0 { break }
            }
            if remaining == 0 { break }
        }
        return wanted.map { decided[$0] ?? .unspecified }
    }

    /// git's order within a line: last assignment first; an attribute is decided once; a macro that
    /// gets set sets its own attributes where they are still undecided.
    private func fill(_ assignments: [Assignment], into decided: inout [Int: State], remaining: inout Int) {
        for assignment in assignments.reversed() where decided[assignment.attribute] == nil {
            decided[assignment.attribute] = assignment.state
            if wanted.contains(assignment.attribute) { remaining -= 1 }
            if assignment.state == .set, let expansion = macros[assignment.attribute] {
                fill(expansion, into: &decided, remaining: &remaining)
            }
        }
    }

    // MARK: - Pattern matching

    /// Matches `text` against a gitattributes pattern. With `pathname`, `*`, `?` and classes do not
    /// match `/`, and `**` between slashes (or at either end) matches across directories.
    static func wildmatch(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>, pathname: Bool) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        let slash = UInt8(ascii: "/")
        while p < pattern.endIndex {
            let c = pattern[p]
            switch c {
            case UInt8(ascii: "*"):
                var q = p
                while q < pattern.endIndex, pattern[q] == UInt8(ascii: "*") { q += 1 }
                let delimited = (p == pattern.startIndex || pattern[p - 1] == slash) && (q == pattern.endIndex || pattern[q] == slash)
                if pathname && q - p >= 2 && delimited {
                    // `**` as a whole component.
                    if q == pattern.endIndex { return true }
                    // `**/`: zero or more whole directories.
                    if wildmatch(pattern[(q + 1)...], text[t...], pathname: true) { return true }
                    var s = t
                    while s < text.endIndex {
                        if text[s] == slash, wildmatch(pattern[(q + 1)...], text[(s + 1)...], pathname: true) { return true }
                        s += 1
                    }
                    return false
                }
                // One `*` (or several not forming a component): any run, without `/` in pathname mode.
                if q == pattern.endIndex { return !pathname || !text[t...].contains(slash) }
                var s = t
                while true {
                    if wildmatch(pattern[q...], text[s...], pathname: pathname) { return true }
                    if s >= text.endIndex || (pathname && text[s] == slash) { return false }
                    s += 1
                }
            case UInt8(ascii: "?"):
                guard t < text.endIndex, !(pathname && text[t] == slash) else { return false }
                p += 1
                t += 1
            case UInt8(ascii: "["):
                guard t < text.endIndex else { return false }
                guard let (matched, next) = matchClass(pattern, from: p, byte: text[t]) else { return false }
                if !matched || (pathname && text[t] == slash) { return false }
                p = next
                t += 1
            default:
                var literal = c
                if c == UInt8(ascii: "\\") {
                    guard p + 1 < pattern.endIndex else { return false }
                    p += 1
                    literal = pattern[p]
                }
                guard t < text.endIndex, text[t] == literal else { return false }
                p += 1
                t += 1
            }
        }
        return t == text.endIndex
    }

    /// Matches `byte` against the bracket expression at `start` (`[`): `!` or `^` negates, ranges,
    /// `\` escapes, `[:class:]`. Returns whether it matched and where the pattern continues; `nil` when
    /// the expression never closes (git then matches nothing).
    private static func matchClass(_ pattern: ArraySlice<UInt8>, from start: Int, byte: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.endIndex, pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        var previous: UInt8?
        while index < pattern.endIndex {
            var c = pattern[index]
            if c == UInt8(ascii: "]") && !first { return (matched != negated, index + 1) }
            first = false
            if c == UInt8(ascii: "\\") {
                index += 1
                guard index < pattern.endIndex else { return nil }
                c = pattern[index]
                if c == byte { matched = true }
                previous = c
                index += 1
                continue
            }
            if c == UInt8(ascii: "-"), let low = previous, index + 1 < pattern.endIndex, pattern[index + 1] != UInt8(ascii: "]") {
                var high = pattern[index + 1]
                index += 2
                if high == UInt8(ascii: "\\") {
                    guard index < pattern.endIndex else { return nil }
                    high = pattern[index]
                    index += 1
                }
                if low <= byte && byte <= high { matched = true }
                previous = nil
                continue
            }
            if c == UInt8(ascii: "["), index + 1 < pattern.endIndex, pattern[index + 1] == UInt8(ascii: ":") {
                // `[:name:]`
                var end = index + 2
                while end + 1 < pattern.endIndex, !(pattern[end] == UInt8(ascii: ":") && pattern[end + 1] == UInt8(ascii: "]")) { end += 1 }
                guard end + 1 < pattern.endIndex else { return nil }
                let name = String(decoding: pattern[(index + 2)..<end], as: UTF8.self)
                guard let inClass = Self.posixClass(name, byte) else { return nil }
                if inClass { matched = true }
                previous = nil
                index = end + 2
                continue
            }
            if c == byte { matched = true }
            previous = c
            index += 1
        }
        return nil
    }

    /// ASCII membership of `byte` in a POSIX character class; `nil` for an unknown class name.
    private static func posixClass(_ name: String, _ byte: UInt8) -> Bool? {
        let c = byte
        let upper = c >= 0x41 && c <= 0x5a, lower = c >= 0x61 && c <= 0x7a, digit = c >= 0x30 && c <= 0x39
        switch name {
        case "alnum": return upper || lower || digit
        case "alpha": return upper || lower
        case "blank": return c == 0x20 || c == 0x09
        case "cntrl": return c < 0x20 || c == 0x7f
        case "digit": return digit
        case "graph": return c > 0x20 && c < 0x7f
        case "lower": return lower
        case "print": return c >= 0x20 && c < 0x7f
        case "punct": return c > 0x20 && c < 0x7f && !(upper || lower || digit)
        case "space": return c == 0x20 || (c >= 0x09 && c <= 0x0d)
        case "upper": return upper
        case "xdigit": return digit || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        default: return nil
        }
    }
}
