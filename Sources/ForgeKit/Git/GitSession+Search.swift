/// How much a code search may read, so that a hostile repository (huge trees, huge files) cannot
/// make it unbounded.
public struct CodeSearchLimits: Sendable, Hashable {
    /// Files larger than this are skipped.
    public var largestFile: Int
    /// The most bytes read in all.
    public var totalBytes: Int
    /// The most matching lines returned.
    public var matches: Int
    /// The longest the search may run.
    public var timeLimit: Duration

    /// Creates limits.
    public init(largestFile: Int = 1 << 20, totalBytes: Int = 64 << 20, matches: Int = 200, timeLimit: Duration = .seconds(2)) {
        self.largestFile = largestFile
        self.totalBytes = totalBytes
        self.matches = matches
        self.timeLimit = timeLimit
    }
}

/// A line that contains the searched text.
public struct CodeSearchMatch: Sendable, Hashable {
    /// The file's path.
    public let path: String
    /// The line's number, from 1.
    public let line: Int
    /// The line's text (at most 500 bytes of it).
    public let text: String
}

/// What a code search found, and whether it stopped at a limit before reading everything.
public struct CodeSearchResult: Sendable, Hashable {
    /// The matching lines, by path and then line.
    public let matches: [CodeSearchMatch]
    /// Files searched.
    public let filesSearched: Int
    /// Whether a limit (matches, bytes or time) stopped the search early.
    public let incomplete: Bool
}

extension GitSession {
    /// Lines of the text files at `revision` that contain `query`, ignoring ASCII case; binary files
    /// (a NUL byte) and files over the size limit are skipped.
    public func searchCode(_ query: String, at revision: String, limits: CodeSearchLimits = CodeSearchLimits()) throws(ForgeError) -> CodeSearchResult {
        let needle = Array(query.utf8).map(Self.lowercasedASCII)
        guard !needle.isEmpty else { throw ForgeError(.invalidArgument, "the search text is empty", operation: "search") }
        guard needle.count <= 256 else { throw ForgeError(.invalidArgument, "the search text is longer than 256 bytes", operation: "search") }
        let deadline = ContinuousClock.now + limits.timeLimit
        let entries = try tree(at: revision, recursive: true, includeSizes: true)
        var matches: [CodeSearchMatch] = []
        var read = 0, searched = 0
        var incomplete = false
        for entry in entries where entry.mode == .regular || entry.mode == .executable {
            guard let size = entry.size, size <= limits.largestFile else { continue }
            if read + size > limits.totalBytes || ContinuousClock.now > deadline || matches.count >= limits.matches {
                incomplete = true
                break
            }
            let bytes = try blob(entry.id)
            read += bytes.count
            searched += 1
            if bytes.prefix(8000).contains(0) { continue }
            let lowered = bytes.map(Self.lowercasedASCII)
            guard Self.contains(lowered[...], needle) else { continue }
            var lineNumber = 1, start = 0
            while start <= lowered.count {
                let end = lowered[start...].firstIndex(of: UInt8(ascii: "\n")) ?? lowered.count
                if Self.contains(lowered[start..<end], needle) {
                    let text = String(decoding: bytes[start..<min(end, start + 500)], as: UTF8.self)
                    matches.append(CodeSearchMatch(path: entry.path, line: lineNumber, text: text))
                    if matches.count >= limits.matches { break }
                }
                lineNumber += 1
                start = end + 1
            }
        }
        if matches.count >= limits.matches { incomplete = true }
        return CodeSearchResult(matches: matches, filesSearched: searched, incomplete: incomplete)
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            guard let found = haystack[index...last].firstIndex(of: first) else { return false }
            if haystack[found..<(found + needle.count)].elementsEqual(needle) { return true }
            index = found + 1
        }
        return false
    }
}
