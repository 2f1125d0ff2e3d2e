/// HTTP header fields with case-insensitive names, as a webhook receiver hands them over.
///
/// Names are compared without regard to ASCII case (`X-GitHub-Event` and `x-github-event` are the same
/// field). A field given more than once keeps its values in order, joined by `", "` when read, as HTTP
/// combines repeated fields; a signature header that arrives twice therefore never verifies.
///
/// ```swift
/// let headers: HTTPHeaderFields = ["X-GitHub-Event": "push", "Content-Type": "application/json"]
/// headers["x-github-event"]  // "push"
/// ```
public struct HTTPHeaderFields: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// Values by lowercased name.
    private var fields: [String: [String]] = [:]

    /// Creates an empty set of fields.
    public init() {}

    /// Creates fields from name–value pairs, in order; repeated names keep every value.
    public init(_ pairs: some Sequence<(String, String)>) {
        for (name, value) in pairs { add(value, for: name) }
    }

    /// Creates fields from a dictionary literal.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The value of the field called `name` (any case), or nil if it is absent.
    public subscript(name: String) -> String? {
        guard let values = fields[Self.key(name)] else { return nil }
        return values.joined(separator: ", ")
    }

    /// Adds a value for `name`, after any values it already has.
    public mutating func add(_ value: String, for name: String) {
        fields[Self.key(name), default: []].append(value)
    }

    /// Replaces all values of `name` with `value`, or removes the field when `value` is nil.
    public mutating func set(_ value: String?, for name: String) {
        fields[Self.key(name)] = value.map { [$0] }
    }

    /// The first present field among `names`, with its value (for headers with several spellings).
    func first(of names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let value = self[name] { return (name, value) }
        }
        return nil
    }

    private static func key(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
