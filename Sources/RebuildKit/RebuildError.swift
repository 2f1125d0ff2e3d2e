/// The error RebuildKit throws: a code, a message, the operation, and for index files the file and line.
public struct RebuildError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure: a set that can grow without breaking a `switch` of yours (match the codes
    /// you handle, with a `default`), as ForgeKit's and swift-subprocess's codes are.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as messages and APIs show it.
        public let rawValue: String

        /// A code by its name.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// An index file is malformed or truncated.
        public static let invalidIndex = Code(rawValue: "invalid index")
        /// A dependency field does not parse.
        public static let invalidDependency = Code(rawValue: "invalid dependency")
        /// An architecture this library does not know.
        public static let unknownArchitecture = Code(rawValue: "unknown architecture")
        /// A file cannot be read.
        public static let io = Code(rawValue: "io")
        /// libsolv failed.
        public static let solver = Code(rawValue: "solver")
        /// The store failed.
        public static let store = Code(rawValue: "store")
        /// A collection, package or build that does not exist.
        public static let notFound = Code(rawValue: "not found")
        /// A build backend failed to submit, poll or cancel.
        public static let backend = Code(rawValue: "backend")
        /// A collection file is invalid.
        public static let invalidConfiguration = Code(rawValue: "invalid configuration")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The operation that failed.
    public let operation: String
    /// The file, when one is involved.
    public let file: String?
    /// The 1-based line in ``file``.
    public let line: Int?

    /// The error underneath (a store's, a file system's, a decoder's), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String, file: String? = nil, line: Int? = nil,
                underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// `operation failed: file:line: message`.
    public var description: String {
        var place = ""
        if let file { place = line.map { "\(file):\($0): " } ?? "\(file): " }
        return "\(operation) failed: \(place)\(message)"
    }

    /// Equal when everything but ``underlying`` is (errors underneath are rarely comparable).
    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.message == b.message && a.operation == b.operation && a.file == b.file && a.line == b.line
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(operation)
    }
}
