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
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// A runbook or other configuration is malformed.
        case invalidConfiguration = "invalid configuration"
        /// A request is malformed (for example a body that cannot become a process argument).
        case invalidRequest = "invalid request"
        /// A signature or token is missing or wrong.
        case unauthenticated
        /// The caller is not allowed (outside the allowed networks).
        case forbidden
        /// A runbook or other named thing does not exist (or its name is not a safe name).
        case notFound = "not found"
        /// A body or value is larger than allowed.
        case tooLarge = "too large"
        /// The work was cancelled.
        case cancelled
        /// The work ran out of time.
        case timeout
        /// A process, file or network operation failed.
        case io
        /// The work is no longer held by the caller (a runner whose deployment was cancelled, finished
        /// or given to another runner), or a state change is not allowed.
        case conflict
        /// The store failed.
        case store
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The operation that failed.
    public let operation: String

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// `operation failed: message`.
    public var description: String { "\(operation) failed: \(message)" }
}
