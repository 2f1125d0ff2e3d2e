import CLibSolv
import Foundation

/// One paragraph of a deb822 file (a `Packages` or `Sources` stanza): its fields in order, and the
/// line it starts on.
public struct Deb822Paragraph: Sendable, Hashable {
    /// Field names as written and their values (continuation lines joined with `\n`, the leading
    /// space of each continuation removed; a lone `.` line is an empty line).
    public var fields: [(name: String, value: String)]
    /// The 1-based line of the first field.
    public var line: Int
    /// What is wrong with the stanza though it could be split into fields — a field given twice, a
    /// value that is not UTF-8 — each with its line (`line 12: …`). A package whose stanza has
    /// problems is unparsable.
    public var problems: [String]
    /// Where the stanza's bytes are in the file (from its first field to the end of its last line).
    public var bytes: Range<Int>

    /// Creates a paragraph.
    public init(fields: [(name: String, value: String)], line: Int, problems: [String] = [], bytes: Range<Int> = 0..<0) {
        self.fields = fields
        self.line = line
        self.problems = problems
        self.bytes = bytes
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.line == rhs.line && lhs.problems == rhs.problems && lhs.bytes == rhs.bytes && lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(line)
        hasher.combine(problems)
        for field in fields { hasher.combine(field.name); hasher.combine(field.value) }
    }

    /// A field's value; field names compare without regard to case, as Debian policy says.
    public subscript(name: String) -> String? {
        fields.first { Self.sameFieldName($0.name, name) }?.value
    }

    /// ASCII case-insensitive equality (field names are ASCII).
    static func sameFieldName(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for index in 0..<x.count where x[index] != y[index] {
                    let l = x[index] | 0x20, r = y[index] | 0x20
                    guard l == r, l >= 0x61, l <= 0x7A else { return false }
                }
                return true
            }
        }
    }
}

/// Reads deb822 files: Debian's `Packages`, `Sources` and `Release` indexes, plain or compressed.
public enum Deb822 {
    /// Reads a file, decompressing `.gz`, `.xz`, `.bz2` and `.zst` (by its name) through libsolv's
    /// `solv_xfopen`. A truncated or corrupt compressed file is an error.
    public static func read(_ path: String) throws(RebuildError) -> [UInt8] {
        let operation = "read index"
        guard let file = solv_xfopen(path, "r") else {
            throw RebuildError(.io, "cannot open: \(String(cString: strerror(errno)))", operation: operation, file: path)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 {
                    throw RebuildError(.invalidIndex, "the file is truncated or corrupt (decompression failed after \(bytes.count) bytes)",
                                       operation: operation, file: path)
                }
                break
            }
        }
        return bytes
    }

    /// Splits deb822 text into paragraphs.
    ///
    /// A field given twice in a stanza, or a field whose bytes are not UTF-8, does not stop the
    /// file: it is recorded in the paragraph's ``Deb822Paragraph/problems``.
    ///
    /// - Throws: ``RebuildError`` `.invalidIndex` with the file and line of a line that is neither a
    ///   field (`Name: value`) nor a continuation, or a continuation with no field before it.
    public static func paragraphs(_ bytes: [UInt8], file: String) throws(RebuildError) -> [Deb822Paragraph] {
        var paragraphs: [Deb822Paragraph] = []
        var fields: [(name: String, value: String)] = []
        var fieldLines: [Int] = []
        var problems: [String] = []
        var start = 0
        var startByte = 0
        var lastByte = 0
        var lineNumber = 0
        func finish() {
            paragraphs.append(Deb822Paragraph(fields: fields, line: start, problems: problems, bytes: startByte..<lastByte))
            fields.removeAll(keepingCapacity: true)
            fieldLines.removeAll(keepingCapacity: true)
            problems.removeAll()
        }
        func checkUTF8(_ range: Range<Int>) {
            guard bytes[range].contains(where: { $0 >= 0x80 }) else { return }
            if String(validating: bytes[range], as: UTF8.self) == nil, let name = fields.last?.name {
                problems.append("line \(lineNumber): field '\(name)' is not valid UTF-8")
            }
        }
        var index = 0
        let count = bytes.count
        func fail(_ message: String) -> RebuildError {
            RebuildError(.invalidIndex, message, operation: "parse index", file: file, line: lineNumber)
        }
        while index < count {
            lineNumber += 1
            var end = index
            while end < count, bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > index, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { index = end + 1 }
            // Blank (or whitespace-only) line: end of paragraph.
            var blank = true
            for position in index..<lineEnd where bytes[position] != 0x20 && bytes[position] != 0x09 {
                blank = false
                break
            }
            if blank {
                if !fields.isEmpty { finish() }
                continue
            }
            let first = bytes[index]
            if first == 0x23 { continue }  // a comment line
            lastByte = min(end + 1, count)
            if first == 0x20 || first == 0x09 {
                guard !fields.isEmpty else { throw fail("a continuation line with no field before it") }
                var text = String(decoding: bytes[(index + 1)..<lineEnd], as: UTF8.self)
                checkUTF8((index + 1)..<lineEnd)
                if text == "." { text = "" }
                fields[fields.count - 1].value += "\n" + text
                continue
            }
            guard let colon = bytes[index..<lineEnd].firstIndex(of: 0x3A), colon > index else {
                throw fail("expected 'Field: value', found '\(String(decoding: bytes[index..<min(lineEnd, index + 60)], as: UTF8.self))'")
            }
            let name = String(decoding: bytes[index..<colon], as: UTF8.self)
            guard !name.contains(" ") else { throw fail("a field name contains a space: '\(name)'") }
            var valueStart = colon + 1
            while valueStart < lineEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            var valueEnd = lineEnd
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            if fields.isEmpty {
                start = lineNumber
                startByte = index
            }
            if let earlier = fields.firstIndex(where: { Deb822Paragraph.sameFieldName($0.name, name) }) {
                problems.append("line \(lineNumber): field '\(name)' is given twice (first on line \(fieldLines[earlier]))")
            }
            fields.append((name, String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)))
            fieldLines.append(lineNumber)
            checkUTF8(index..<lineEnd)
        }
        if !fields.isEmpty { finish() }
        return paragraphs
    }
}
