import Foundation

/// Tells, without asking libgit2, which paths no `.gitattributes` line that matters to an archive can
/// match, so that their per-path attribute lookups (about 15 µs each) are skipped.
///
/// It over-approximates on purpose: a line counts when any of its attributes is one an archive
/// applies (`export-ignore`, `text`, `eol`, `crlf`, `ident`, `filter`, the `binary` macro, any
/// macro the root file defines, and `diff` for a zip), and its pattern is matched loosely (`*` also crosses `/`; a
/// pattern it cannot read matches everything). A path it lets through is still decided by libgit2,
/// so the archive is exactly what it was; only paths that certainly match nothing skip the lookup.
struct AttributePrefilter {
    private struct Pattern {
        /// The directory of the `.gitattributes` file, with a trailing `/` (empty for the root).
        var base: [UInt8]
        var glob: [UInt8]
        /// No `/` inside the pattern: it matches the last path component at any depth.
        var basenameOnly: Bool
    }

    private let relevant: Set<String>
    private var macros: Set<String> = []
    private var patterns: [Pattern] = []
    private var matchAll = false

    /// A prefilter for the attributes an archive applies, plus `extraNames` (`diff` for a zip).
    init(extraNames: Set<String> = []) {
        relevant = Set(["export-ignore", "text", "eol", "crlf", "ident", "filter", "binary"]).union(extraNames)
    }

    /// Adds the lines of the `.gitattributes` file found in `directory` (`""` for the root, else
    /// `dir/sub/`).
    mutating func add(file contents: UnsafeRawBufferPointer, directory: [UInt8]) {
        let text = String(decoding: contents, as: UTF8.self)
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" })
        if directory.isEmpty {
            // Macros first, so that a line using one defined further down still counts.
            for line in lines {
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix("[attr]"), let name = trimmed.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first {
                    macros.insert(String(name))
                }
            }
        }
        for rawLine in lines {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, first != "#" else { continue }
            if first == "\"" {
                // A quoted pattern: not worth parsing here; let libgit2 decide every path.
                matchAll = true
                continue
            }
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let pattern = tokens.first else { continue }
            if pattern.hasPrefix("[attr]") { continue }
            let matters = tokens.dropFirst().contains { token in
                var name = Substring(token)
                if name.hasPrefix("-") || name.hasPrefix("!") { name = name.dropFirst() }
                if let equals = name.firstIndex(of: "=") { name = name[..<equals] }
                return relevant.contains(String(name)) || macros.contains(String(name))
            }
            guard matters else { continue }
            var glob = Array(pattern.utf8)
            if glob.first == UInt8(ascii: "!") { continue }  // negative patterns are ignored by git
            while glob.last == UInt8(ascii: "/") { glob.removeLast() }
            var basenameOnly = !glob.contains(UInt8(ascii: "/"))
            if glob.first == UInt8(ascii: "/") {
                glob.removeFirst()
                basenameOnly = false
            }
            patterns.append(Pattern(base: directory, glob: glob, basenameOnly: basenameOnly))
        }
    }

    /// Whether some line that matters could apply to `path` (a file's or a directory's path, without a
    /// trailing slash).
    func mayMatch(_ path: [UInt8]) -> Bool {
        if matchAll { return true }
        for pattern in patterns {
            guard path.count > pattern.base.count, path.starts(with: pattern.base) else { continue }
            var start = pattern.base.count
            if pattern.basenameOnly, let slash = path.lastIndex(of: UInt8(ascii: "/")), slash >= start {
                start = slash + 1
            }
            if Self.match(pattern.glob[...], path[start...]) { return true }
        }
        return false
    }

    /// A loose glob: `*` matches any bytes (slashes too), `?` one byte, `[…]` a class; `\` escapes.
    static func match(_ glob: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var g = glob.startIndex, t = text.startIndex
        var starG: Int?, starT = text.startIndex
        while t < text.endIndex {
            if g < glob.endIndex {
                switch glob[g] {
                case UInt8(ascii: "*"):
                    while g < glob.endIndex, glob[g] == UInt8(ascii: "*") { g += 1 }
                    starG = g
                    starT = t
                    continue
                case UInt8(ascii: "?"):
                    g += 1
                    t += 1
                    continue
                case UInt8(ascii: "["):
                    if let (matched, next) = matchClass(glob, from: g, byte: text[t]) {
                        if matched {
                            g = next
                            t += 1
                            continue
                        }
                    } else if text[t] == UInt8(ascii: "[") {
                        g += 1
                        t += 1
                        continue
                    }
                case UInt8(ascii: "\\") where g + 1 < glob.endIndex:
                    if glob[g + 1] == text[t] {
                        g += 2
                        t += 1
                        continue
                    }
                default:
                    if glob[g] == text[t] {
                        g += 1
                        t += 1
                        continue
                    }
                }
            }
            guard let star = starG else { return false }
            starT += 1
            t = starT
            g = star
        }
        while g < glob.endIndex, glob[g] == UInt8(ascii: "*") { g += 1 }
        return g == glob.endIndex
    }

    /// Matches `byte` against the class starting at `start` (`[`); `nil` when the class never closes.
    private static func matchClass(_ glob: ArraySlice<UInt8>, from start: Int, byte: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negate = false
        if index < glob.endIndex, glob[index] == UInt8(ascii: "!") || glob[index] == UInt8(ascii: "^") {
            negate = true
            index += 1
        }
        var matched = false
        var first = true
        while index < glob.endIndex {
            let c = glob[index]
            if c == UInt8(ascii: "]") && !first { return (matched != negate, index + 1) }
            first = false
            if index + 2 < glob.endIndex, glob[index + 1] == UInt8(ascii: "-"), glob[index + 2] != UInt8(ascii: "]") {
                if c <= byte && byte <= glob[index + 2] { matched = true }
                index += 3
            } else {
                if c == byte { matched = true }
                index += 1
            }
        }
        return nil
    }
}
