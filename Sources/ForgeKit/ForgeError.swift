/// The error every ForgeKit operation throws.
///
/// A `ForgeError` says what kind of failure happened (``code``), in words a person can act on
/// (``message``), which operation failed (``operation``) and on what (``path``). Failures that come
/// from libgit2 also carry libgit2's own error class and code (``libgit2``).
///
/// Match on ``code`` rather than on the message:
///
/// ```swift
/// do {
///     _ = try session.resolve("no-such-branch")
/// } catch let error as ForgeError where error.code == .notFound {
///     // …
/// }
/// ```
public struct ForgeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String, Hashable, Sendable {
            case notFound = "not found"
            case ambiguous
            case invalidArgument = "invalid argument"
            case corrupt
            case io = "I/O"
            case conflict
            case cancelled
            case authentication
            case network
            case unsupported
            case misuse
            case git
            case forbidden
            case store
            case busy
        }

        let value: Value

        private init(_ value: Value) { self.value = value }

        /// A repository, reference, revision, object or path does not exist.
        public static let notFound = Code(.notFound)
        /// A short name or abbreviated object id matches more than one thing.
        public static let ambiguous = Code(.ambiguous)
        /// An argument is malformed (a revision expression, a path, an option).
        public static let invalidArgument = Code(.invalidArgument)
        /// Repository data is damaged: an object does not inflate or parse.
        public static let corrupt = Code(.corrupt)
        /// Reading or writing a file or descriptor failed.
        public static let io = Code(.io)
        /// The operation found a conflict (a merge, a non-fast-forward update, a locked file).
        public static let conflict = Code(.conflict)
        /// The operation was cancelled by its caller.
        public static let cancelled = Code(.cancelled)
        /// A remote refused the credentials, or none were available.
        public static let authentication = Code(.authentication)
        /// A remote could not be reached or spoke the protocol wrongly.
        public static let network = Code(.network)
        /// The repository or request uses something ForgeKit does not support.
        public static let unsupported = Code(.unsupported)
        /// An API was used against its contract (a session used after its closure returned).
        public static let misuse = Code(.misuse)
        /// Any other failure reported by libgit2.
        public static let git = Code(.git)
        /// The caller is known but lacks the permission the operation needs.
        public static let forbidden = Code(.forbidden)
        /// The metadata database failed (it could not be opened, read or written).
        public static let store = Code(.store)
        /// Too much of this work waits already (password checks under a flood): try again shortly.
        public static let busy = Code(.busy)

        public var description: String { value.rawValue }
    }

    /// libgit2's classification of a failure, as `git_error_last()` and the return code gave it.
    public struct Libgit2Detail: Hashable, Sendable {
        /// The `git_error_t` class (for example 2 for `GIT_ERROR_OS`, 6 for `GIT_ERROR_REFERENCE`).
        public let errorClass: Int32
        /// The negative `git_error_code` the call returned (for example -3 for `GIT_ENOTFOUND`).
        public let errorCode: Int32
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The operation that failed, such as `"open"`, `"resolve"` or `"archive"`.
    public let operation: String
    /// The repository or file the operation worked on, when there is one.
    public let path: String?
    /// libgit2's error class and code, when libgit2 reported the failure.
    public let libgit2: Libgit2Detail?
    /// The error underneath (a store's, a decoder's), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, operation: String, path: String? = nil, libgit2: Libgit2Detail? = nil,
                underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.path = path
        self.libgit2 = libgit2
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(operation) failed"
        if let path { text += " (\(path))" }
        text += ": \(message)"
        return text
    }

    /// The same error with the path filled in, unless it already has one.
    func at(_ path: String?) -> ForgeError {
        guard self.path == nil, let path else { return self }
        return ForgeError(code, message, operation: operation, path: path, libgit2: libgit2, underlying: underlying)
    }

    /// Equal when everything but ``underlying`` is (errors underneath are rarely comparable).
    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.message == b.message && a.operation == b.operation && a.path == b.path && a.libgit2 == b.libgit2
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(operation)
        hasher.combine(path)
    }
}
