import ForgeKit
import PlatformSupport

/// A JSON text checked against RFC 8259 and indexed in one pass, so that a webhook decoder can read the few
/// fields it needs without building a value for every field of a large payload.
///
/// The index is a flat list of nodes in document order: one per value and one per object member name (the
/// name's node comes right before its value's). A container's node records where its last descendant ends,
/// so a reader skips a whole subtree in one step. Strings are checked (escapes, UTF-8) but stay bytes until a
/// reader asks for one; only then are escapes resolved. Nothing else is allocated per value.
///
/// Readers (``JSONObjectReader``) report a missing or mistyped field by its path (`commits[0].author.name`),
/// worked out from the index only when there is an error.
final class JSONDocument {
    enum Kind: UInt8 {
        case object, array, string, number, `true`, `false`, null
    }

    struct Node {
        var kind: Kind
        /// Whether a string holds a backslash escape.
        var escaped: Bool
        /// For strings, the first byte after the opening quote; for others, the first byte of the value.
        var start: UInt32
        /// For strings, the closing quote; for numbers and literals, one past the last byte; for containers,
        /// the number of elements (arrays) or members (objects).
        var end: UInt32
        /// The index of the first node after this value and all it contains.
        var next: UInt32
    }

    struct SyntaxError: Error {
        var message: String
        var offset: Int
    }

    let bytes: [UInt8]
    private(set) var nodes: [Node]

    /// Indexes `bytes`, which must hold exactly one JSON value (surrounded by optional white space).
    init(_ bytes: [UInt8], maximumDepth: Int = 256) throws(SyntaxError) {
        self.bytes = bytes
        guard bytes.count < Int(UInt32.max) else { throw SyntaxError(message: "the text is larger than 4 GiB", offset: 0) }
        var nodes: [Node] = []
        nodes.reserveCapacity(bytes.count / 16 + 8)
        let result: Result<Void, SyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer, maximumDepth: maximumDepth)
            do throws(SyntaxError) {
                try parser.document(into: &nodes)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        self.nodes = nodes
    }

    // MARK: - Reading nodes

    /// The node index of the value of member `key` of the object at `object`, or nil. When a name occurs
    /// twice, the last one counts.
    func member(_ key: StaticString, of object: Int) -> Int? {
        let node = nodes[object]
        guard node.kind == .object, node.end > 0 else { return nil }
        let keyLength = key.utf8CodeUnitCount
        var found: Int?
        var index = object + 1
        let stop = Int(node.next)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while index < stop {
                let name = nodes[index]
                let value = index + 1
                if Int(name.end - name.start) == keyLength, !name.escaped,
                   memcmp(base + Int(name.start), key.utf8Start, keyLength) == 0 {
                    found = value
                } else if name.escaped, let text = try? string(at: index), text == key.description {
                    found = value
                }
                index = Int(nodes[value].next)
            }
        }
        return found
    }

    /// The element node indices of the array at `array`.
    func elements(of array: Int) -> [Int] {
        let node = nodes[array]
        var result: [Int] = []
        result.reserveCapacity(Int(node.end))
        var index = array + 1
        while index < Int(node.next) {
            result.append(index)
            index = Int(nodes[index].next)
        }
        return result
    }

    /// The string at node `index` with its escapes resolved. The scan has checked the document's UTF-8
    /// and `unescape` refuses lone surrogates, so decoding never has anything to repair.
    func string(at index: Int) throws(SyntaxError) -> String {
        let node = nodes[index]
        return try bytes.withUnsafeBufferPointer { buffer throws(SyntaxError) -> String in
            let slice = UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.end)])
            // `String(decoding:as:)` on a buffer is specialised; `String(validating:as:)` is generic in
            // the standard library and looks up type metadata on every call.
            if !node.escaped { return String(decoding: slice, as: UTF8.self) }
            return String(decoding: try Self.unescape(slice, offset: Int(node.start)), as: UTF8.self)
        }
    }

    /// The number at node `index` if it is an integer that fits an `Int` (`42`, or `42.0`, `4.2e1`).
    func integer(at index: Int) -> Int? {
        let node = nodes[index]
        let text = bytes[Int(node.start)..<Int(node.end)]
        if let value = Int(String(decoding: text, as: UTF8.self)) { return value }
        guard let double = Double(String(decoding: text, as: UTF8.self)), double.rounded() == double,
              let value = Int(exactly: double) else { return nil }
        return value
    }

    /// How `index` is reached from the document's root: `pull_request.head`, `commits[2]`, or `""` for the root.
    func path(to index: Int) -> String {
        var text = ""
        var current = 0
        while current != index {
            let node = nodes[current]
            var child = current + 1
            var position = 0
            var step = ""
            while child < Int(node.next) {
                var value = child
                if node.kind == .object {
                    value = child + 1
                    step = (try? string(at: child)) ?? "?"
                } else {
                    step = "[\(position)]"
                }
                if index >= value && index < Int(nodes[value].next) { break }
                child = Int(nodes[value].next)
                position += 1
            }
            guard child < Int(node.next) else { return text }
            text += node.kind == .object ? (text.isEmpty ? step : "." + step) : step
            current = node.kind == .object ? child + 1 : child
        }
        return text
    }

    // MARK: - Escapes

    private static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) throws(SyntaxError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            let escape = bytes[index]  // the scanner checked that an escape is complete
            index += 1
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                do {
                    try JSONUnicodeEscape.decode(bytes, at: &index, into: &out)
                } catch .unpairedSurrogate {
                    throw SyntaxError(message: "an unpaired UTF-16 surrogate", offset: offset + index)
                } catch {
                    // The scanner has checked every escape's four digits.
                    throw SyntaxError(message: "a \\u escape needs four hex digits", offset: offset + index)
                }
            default: out.append(escape)  // " \ /
            }
        }
        return out
    }

    // MARK: - Scanning

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let maximumDepth: Int
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        func fail(_ message: String) -> SyntaxError {
            SyntaxError(message: message, offset: index)
        }

        mutating func document(into nodes: inout [Node]) throws(SyntaxError) {
            // RFC 8259 lets a parser ignore a byte order mark.
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
            skipSpace()
            try value(depth: 0, into: &nodes)
            skipSpace()
            guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
        }

        @inline(__always)
        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int, into nodes: inout [Node]) throws(SyntaxError) {
            guard index < bytes.count else { throw fail("unexpected end of the text") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
                let me = nodes.count
                nodes.append(Node(kind: .object, escaped: false, start: UInt32(index), end: 0, next: 0))
                index += 1
                skipSpace()
                var count: UInt32 = 0
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                } else {
                    while true {
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                        try string(into: &nodes)
                        skipSpace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
                        index += 1
                        skipSpace()
                        try value(depth: depth + 1, into: &nodes)
                        count += 1
                        skipSpace()
                        guard index < bytes.count else { throw fail("unexpected end of the text in an object") }
                        if bytes[index] == UInt8(ascii: ",") {
                            index += 1
                            skipSpace()
                            continue
                        }
                        guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object") }
                        index += 1
                        break
                    }
                }
                nodes[me].end = count
                nodes[me].next = UInt32(nodes.count)
            case UInt8(ascii: "["):
                guard depth < maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
                let me = nodes.count
                nodes.append(Node(kind: .array, escaped: false, start: UInt32(index), end: 0, next: 0))
                index += 1
                skipSpace()
                var count: UInt32 = 0
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                } else {
                    while true {
                        try value(depth: depth + 1, into: &nodes)
                        count += 1
                        skipSpace()
                        guard index < bytes.count else { throw fail("unexpected end of the text in an array") }
                        if bytes[index] == UInt8(ascii: ",") {
                            index += 1
                            skipSpace()
                            continue
                        }
                        guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array") }
                        index += 1
                        break
                    }
                }
                nodes[me].end = count
                nodes[me].next = UInt32(nodes.count)
            case UInt8(ascii: "\""):
                try string(into: &nodes)
            case UInt8(ascii: "t"):
                try literal("true", .true, into: &nodes)
            case UInt8(ascii: "f"):
                try literal("false", .false, into: &nodes)
            case UInt8(ascii: "n"):
                try literal("null", .null, into: &nodes)
            default:
                try number(into: &nodes)
            }
        }

        mutating func literal(_ text: StaticString, _ kind: Kind, into nodes: inout [Node]) throws(SyntaxError) {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count, memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else {
                throw fail("unexpected character")
            }
            nodes.append(Node(kind: kind, escaped: false, start: UInt32(index), end: UInt32(index + count), next: UInt32(nodes.count + 1)))
            index += count
        }

        @inline(__always)
        func isDigit(_ offset: Int) -> Bool {
            offset < bytes.count && bytes[offset] &- UInt8(ascii: "0") < 10
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number(into nodes: inout [Node]) throws(SyntaxError) {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("unexpected character") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if isDigit(index) { throw fail("a number with a leading zero") }
            } else {
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard isDigit(index) else { throw fail("a number without digits after '.'") }
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard isDigit(index) else { throw fail("a number without digits in its exponent") }
                while isDigit(index) { index += 1 }
            }
            nodes.append(Node(kind: .number, escaped: false, start: UInt32(start), end: UInt32(index), next: UInt32(nodes.count + 1)))
        }

        /// A string: control characters must be escaped, escapes must be complete, the text must be UTF-8.
        /// Surrogate pairs in `\u` escapes are checked when the string is read.
        mutating func string(into nodes: inout [Node]) throws(SyntaxError) {
            index += 1
            let start = index
            var escaped = false
            while index < bytes.count {
                // Eight plain bytes at a time (no quote, backslash, control character or non-ASCII byte).
                while index + 8 <= bytes.count, Self.isPlain(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                }
                guard index < bytes.count else { break }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    nodes.append(Node(kind: .string, escaped: escaped, start: UInt32(start), end: UInt32(index), next: UInt32(nodes.count + 1)))
                    index += 1
                    return
                }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                    guard index < bytes.count else { break }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        for _ in 0..<4 {
                            guard index < bytes.count, Hex.value(bytes[index]) != nil else {
                                throw fail("a \\u escape needs four hex digits")
                            }
                            index += 1
                        }
                    default:
                        throw fail("an unknown escape '\\\(Character(Unicode.Scalar(bytes[index])))'")
                    }
                    continue
                }
                if byte < 0x80 {
                    guard byte >= 0x20 else { throw fail("an unescaped control character in a string") }
                    index += 1
                } else {
                    try utf8Sequence()
                }
            }
            throw fail("unexpected end of the text in a string")
        }

        /// Whether none of the eight bytes in `word` ends or escapes a string, is a control character or
        /// starts a multi-byte UTF-8 sequence (the zero-byte test of "Bit Twiddling Hacks", which is exact
        /// about whether any byte matches).
        @inline(__always)
        static func isPlain(_ word: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func hasZero(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
            let quote = hasZero(word ^ (ones &* 0x22))
            let backslash = hasZero(word ^ (ones &* 0x5C))
            let control = hasZero(word & (ones &* 0xE0))
            return (quote | backslash | control | (word & highs)) == 0
        }

        /// Steps over one multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
        /// above U+10FFFF).
        mutating func utf8Sequence() throws(SyntaxError) {
            let lead = bytes[index]
            let count: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 2
            case 0xE0: count = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 3
            case 0xED: count = 3; high = 0x9F
            case 0xF0: count = 4; low = 0x90
            case 0xF1...0xF3: count = 4
            case 0xF4: count = 4; high = 0x8F
            default: throw fail("invalid UTF-8 in a string")
            }
            guard index + count <= bytes.count, (low...high).contains(bytes[index + 1]) else { throw fail("invalid UTF-8 in a string") }
            for offset in 2..<count where bytes[index + offset] & 0xC0 != 0x80 {
                throw fail("invalid UTF-8 in a string")
            }
            index += count
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
