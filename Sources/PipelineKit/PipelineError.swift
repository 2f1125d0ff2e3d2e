/// The error PipelineKit throws: a code, a message and the operation that failed.
public struct PipelineError: Error, Hashable, Sendable, CustomStringConvertible {
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

        /// A configuration or criterion is malformed.
        public static let invalidConfiguration = Code(rawValue: "invalid configuration")
        /// An event or webhook body is malformed or lacks a required field.
        public static let invalidEvent = Code(rawValue: "invalid event")
        /// A webhook's signature or token is missing or wrong.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// A webhook delivery was already received (same delivery id).
        public static let duplicate = Code(rawValue: "duplicate")
        /// A body or value is larger than allowed.
        public static let tooLarge = Code(rawValue: "too large")
        /// A task, source type or other registered name is unknown.
        public static let unknownName = Code(rawValue: "unknown name")
        /// A run, action or configuration does not exist.
        public static let notFound = Code(rawValue: "not found")
        /// The store failed to read or write.
        public static let store = Code(rawValue: "store")
        /// The work was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// The work ran out of time.
        public static let timeout = Code(rawValue: "timeout")
        /// A process, file or network operation failed.
        public static let io = Code(rawValue: "io")
        /// An action failed to run (a task failure, as opposed to a falsy result).
        public static let actionFailed = Code(rawValue: "action failed")
        /// Commands cannot run in the sandbox here (no bubblewrap, namespaces refused), or a command
        /// went past one of its limits.
        public static let sandbox = Code(rawValue: "sandbox")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The operation that failed.
    public let operation: String

    /// The file the error is in (a configuration file), when there is one.
    public var file: String?
    /// The 1-based line in ``file``, when known.
    public var line: Int?
    /// The field the error is about, as a path such as `actions[0].task`.
    public var field: String?

    /// The error underneath (a store's, a file system's, a decoder's), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String,
                file: String? = nil, line: Int? = nil, field: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.underlying = underlying
        self.file = file
        self.line = line
        self.field = field
    }

    /// `file:line: field: message`, with the parts that are known.
    public var description: String {
        var prefix = ""
        if let file { prefix += file + (line.map { ":\($0)" } ?? "") + ": " }
        if let field { prefix += field + ": " }
        return "\(operation) failed: \(prefix)\(message)"
    }

    /// Equal when everything but ``underlying`` is (errors underneath are rarely comparable).
    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.message == b.message && a.operation == b.operation && a.file == b.file && a.line == b.line && a.field == b.field
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(operation)
    }
}
