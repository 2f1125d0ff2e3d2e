/// A value that flows through a pipeline: a source attribute, an action's keyword argument, an
/// action's result. JSON-shaped, so that it is stored, matched and rendered the same way everywhere.
public enum Value: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])

    /// Python's truthiness, as the pipeline seed uses it to pick the success or failure handler:
    /// null, false, 0, an empty string, list or map are false; a map with an `ok` or `success` key
    /// takes that key's truthiness (a command result is truthy when its command succeeded).
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let values): return !values.isEmpty
        case .map(let values):
            if let ok = values["ok"] ?? values["success"] { return ok.isTruthy }
            return !values.isEmpty
        }
    }

    /// The value's text when it is a string, number or boolean.
    public var text: String? {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    /// The strings a criterion tests: the value itself, or each element of a list.
    public var matchableTexts: [String] {
        if case .list(let values) = self { return values.compactMap(\.text) }
        return text.map { [$0] } ?? []
    }

    /// The member `key` of a map, else `nil`.
    public subscript(key: String) -> Value? {
        if case .map(let values) = self { return values[key] }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([Value].self) { self = .list(value) }
        else { self = .map(try container.decode([String: Value].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .map(let value): try container.encode(value)
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
