/// The error PipelineKit throws: a code, a message and the operation that failed.
public struct PipelineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// A configuration or criterion is malformed.
        case invalidConfiguration = "invalid configuration"
        /// An event or webhook body is malformed or lacks a required field.
        case invalidEvent = "invalid event"
        /// A webhook's signature or token is missing or wrong.
        case unauthenticated
        /// A webhook delivery was already received (same delivery id).
        case duplicate
        /// A body or value is larger than allowed.
        case tooLarge = "too large"
        /// A task, source type or other registered name is unknown.
        case unknownName = "unknown name"
        /// A run, action or configuration does not exist.
        case notFound = "not found"
        /// The store failed to read or write.
        case store
        /// The work was cancelled.
        case cancelled
        /// The work ran out of time.
        case timeout
        /// A process, file or network operation failed.
        case io
        /// An action failed to run (a task failure, as opposed to a falsy result).
        case actionFailed = "action failed"
        /// Commands cannot run in the sandbox here (no bubblewrap, namespaces refused), or a command
        /// went past one of its limits.
        case sandbox
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

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String,
                file: String? = nil, line: Int? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
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
}

