extension Value {
    /// The value as compact JSON text, map keys sorted (so equal values give equal text).
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        Self.write(self, to: &out, indent: nil)
        return String(decoding: out, as: UTF8.self)
    }

    /// The value as JSON text for people: two spaces per level, map keys sorted.
    public var prettyJSONText: String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        Self.write(self, to: &out, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses JSON text. Nesting deeper than `maximumDepth` is refused, so untrusted bodies cannot
    /// exhaust the stack.
    public init(jsonText: String, maximumDepth: Int = 256) throws(PipelineError) {
        var text = jsonText
        do {
            self = try text.withUTF8 { bytes in try Value(jsonBytes: bytes, maximumDepth: maximumDepth) }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.invalidEvent, "\(error)", operation: "parse JSON")
        }
    }

    /// Parses JSON bytes (UTF-8), through the same checked, indexed reader the webhook decoders use
    /// (`JSONDocument`): RFC 8259, UTF-8 validated; numbers without a fraction or exponent that fit
    /// an `Int` become `.int`; when a member name occurs twice, the last one counts.
    public init(jsonBytes bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int = 256) throws(PipelineError) {
        do {
            let document = try JSONDocument(Array(bytes), maximumDepth: maximumDepth)
            self = try document.value(at: 0)
        } catch {
            throw PipelineError(.invalidEvent, "\(error.message) at byte \(error.offset)", operation: "parse JSON")
        }
    }

    /// Writes `value`; with `indent` (the current depth), lists and maps span lines.
    private static func write(_ value: Value, to out: inout [UInt8], indent: Int?) {
        func newline(_ depth: Int) {
            guard indent != nil else { return }
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
        }
        let inner = indent.map { $0 + 1 }
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isFinite {
                out.append(contentsOf: String(number).utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let text): writeString(text, to: &out)
        case .list(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                write(element, to: &out, indent: inner)
            }
            if let indent, !values.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .map(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(members[key] ?? .null, to: &out, indent: inner)
            }
            if let indent, !members.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied at once.
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                appendEscape(byte, to: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)]])
        }
    }
}

extension JSONDocument {
    /// The value at node `index` as a ``Value``.
    func value(at index: Int) throws(SyntaxError) -> Value {
        let node = nodes[index]
        switch node.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .string: return .string(try string(at: index))
        case .number: return number(at: index)
        case .array:
            var values: [Value] = []
            values.reserveCapacity(Int(node.end))
            var child = index + 1
            while child < Int(node.next) {
                values.append(try value(at: child))
                child = Int(nodes[child].next)
            }
            return .list(values)
        case .object:
            var members: [String: Value] = Dictionary(minimumCapacity: Int(node.end))
            var name = index + 1
            while name < Int(node.next) {
                let member = name + 1
                members[try string(at: name)] = try value(at: member)
                name = Int(nodes[member].next)
            }
            return .map(members)
        }
    }

    /// The number at node `index`: `.int` when it has no fraction or exponent and fits, else `.double`.
    private func number(at index: Int) -> Value {
        let node = nodes[index]
        let text = bytes[Int(node.start)..<Int(node.end)]
        let integral = !text.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let string = String(decoding: text, as: UTF8.self)
        if integral, let number = Int(string) { return .int(number) }
        // The scanner has checked the number's syntax, which Double accepts.
        return .double(Double(string) ?? .nan)
    }
}
