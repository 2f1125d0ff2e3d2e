/// The error RebuildKit throws: a code, a message, the operation, and for index files the file and line.
public struct RebuildError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// An index file is malformed or truncated.
        case invalidIndex = "invalid index"
        /// A dependency field does not parse.
        case invalidDependency = "invalid dependency"
        /// An architecture this library does not know.
        case unknownArchitecture = "unknown architecture"
        /// A file cannot be read.
        case io
        /// libsolv failed.
        case solver
        /// The store failed.
        case store
        /// A collection, package or build that does not exist.
        case notFound = "not found"
        /// A build backend failed to submit, poll or cancel.
        case backend
        /// A collection file is invalid.
        case invalidConfiguration = "invalid configuration"
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

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String, file: String? = nil, line: Int? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.file = file
        self.line = line
    }

    /// `operation failed: file:line: message`.
    public var description: String {
        var place = ""
        if let file { place = line.map { "\(file):\($0): " } ?? "\(file): " }
        return "\(operation) failed: \(place)\(message)"
    }
}
