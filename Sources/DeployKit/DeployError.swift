/// The error DeployKit throws: a code, a message and the operation that failed.
///
/// ```swift
/// do {
///     let results = try await runner.run(request)
/// } catch let error where error.code == .forbidden {
///     // the caller is outside the runbook's allowed networks; nothing ran
/// }
/// ```
public struct DeployError: Error, Hashable, Sendable, CustomStringConvertible {
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

        /// A runbook or other configuration is malformed.
        public static let invalidConfiguration = Code(rawValue: "invalid configuration")
        /// A request is malformed (for example a body that cannot become a process argument).
        public static let invalidRequest = Code(rawValue: "invalid request")
        /// A signature or token is missing or wrong.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The caller is not allowed (outside the allowed networks).
        public static let forbidden = Code(rawValue: "forbidden")
        /// A runbook or other named thing does not exist (or its name is not a safe name).
        public static let notFound = Code(rawValue: "not found")
        /// A body or value is larger than allowed.
        public static let tooLarge = Code(rawValue: "too large")
        /// The work was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// The work ran out of time.
        public static let timeout = Code(rawValue: "timeout")
        /// A process, file or network operation failed.
        public static let io = Code(rawValue: "io")
        /// The work is no longer held by the caller (a runner whose deployment was cancelled, finished
        /// or given to another runner), or a state change is not allowed.
        public static let conflict = Code(rawValue: "conflict")
        /// The store failed.
        public static let store = Code(rawValue: "store")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The operation that failed.
    public let operation: String

    /// The error underneath (a store's, a file system's, a decoder's), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.underlying = underlying
    }

    /// `operation failed: message`.
    public var description: String { "\(operation) failed: \(message)" }

    /// Equal when everything but ``underlying`` is (errors underneath are rarely comparable).
    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.message == b.message && a.operation == b.operation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(operation)
    }
}
