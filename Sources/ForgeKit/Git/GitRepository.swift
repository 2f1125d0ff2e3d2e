import CGit2
import Dispatch
import PlatformSupport
public import Logging
import Synchronization

/// The libgit2 repository handle and the object store that goes with it.
///
/// Owned by one ``GitRepository``; touched only on that repository's serial queue (which is what makes
/// the unchecked `Sendable` sound), freed once when the repository goes away.
final class RepositoryHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let objects: ObjectStore
    let gitDirectory: String
    let workingDirectory: String?

    init(pointer: OpaquePointer, operation: String) throws(ForgeError) {
        self.pointer = pointer
        let gitDir = git_repository_path(pointer).map { String(cString: $0) } ?? ""
        self.gitDirectory = gitDir
        self.workingDirectory = git_repository_workdir(pointer).map { String(cString: $0) }
        var odb: OpaquePointer?
        let result = git_repository_odb(&odb, pointer)
        guard result >= 0, let odb else {
            let error = Libgit2.error(result, operation: operation, path: gitDir)
            git_repository_free(pointer)
            throw error
        }
        self.objects = ObjectStore(odb: odb, path: gitDir)
    }

    deinit { git_repository_free(pointer) }
}

/// A flag a cancelled task sets and long-running libgit2 callbacks read.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func cancel() { value.store(true, ordering: .relaxed) }
    var isCancelled: Bool { value.load(ordering: .relaxed) }
}

/// A git repository on disk, read and written through libgit2 in this process.
///
/// `GitRepository` is `Sendable`: share it between tasks freely. Its libgit2 handle is private and
/// used by one thread at a time — every operation runs on the repository's own serial queue, off
/// Swift's cooperative thread pool, so that blocking disk and network work never starves other tasks.
///
/// For one operation, call the async convenience methods:
///
/// ```swift
/// let repository = try await GitRepository.open(at: "/srv/git/app.git")
/// let changes = try await repository.changes(from: "v1.0", to: "v1.1")
/// ```
///
/// For many operations in a row, open a ``GitSession`` with ``withSession(_:)`` and call its
/// synchronous methods: they run back to back on the repository's queue, with no hop in between.
///
/// ## Topics
/// ### Opening and creating
/// - ``open(at:logger:)``
/// - ``create(at:bare:initialBranch:logger:)``
/// - ``clone(from:to:options:logger:)``
/// ### Working with the repository
/// - ``withSession(_:)``
public final class GitRepository: Sendable {
    /// The repository's git directory (`.git`, or the bare repository itself), with a trailing slash.
    public let gitDirectory: String
    /// The working directory, or `nil` for a bare repository.
    public let workingDirectory: String?
    /// The logger operations report to.
    public let logger: Logger

    let handle: RepositoryHandle
    let queue: BlockingQueue

    /// Whether the repository has no working directory.
    public var isBare: Bool { workingDirectory == nil }

    init(handle: RepositoryHandle, logger: Logger) {
        self.handle = handle
        self.gitDirectory = handle.gitDirectory
        self.workingDirectory = handle.workingDirectory
        self.logger = logger
        self.queue = .serial(label: "forgekit.git.repository")
    }

    /// The queue static operations (open, create, clone) run on before a repository queue exists.
    static let setupQueue = BlockingQueue.concurrent(label: "forgekit.git.setup")

    /// The logger operations use when none is given: label `forgekit.git`.
    public static let defaultLogger = Logger(label: "forgekit.git")

    /// Opens the repository at `path`: a working directory, its `.git` directory, or a bare repository.
    ///
    /// Does not search parent directories. Throws ``ForgeError/Code/notFound`` when there is no
    /// repository at `path`.
    public static func open(at path: String, logger: Logger = GitRepository.defaultLogger) async throws -> GitRepository {
        try await runBlocking(on: setupQueue) { _ throws(ForgeError) in
            try openSync(at: path, logger: logger)
        }
    }

    /// Opens the repository at `path` on the calling thread; see ``open(at:logger:)``.
    ///
    /// For command-line tools and other synchronous code, which then work in ``withSessionBlocking(_:)``.
    /// Async code should call ``open(at:logger:)``, which keeps the blocking disk work off the cooperative pool.
    public static func openBlocking(at path: String, logger: Logger = GitRepository.defaultLogger) throws(ForgeError) -> GitRepository {
        try openSync(at: path, logger: logger)
    }

    static func openSync(at path: String, logger: Logger) throws(ForgeError) -> GitRepository {
        try Libgit2.ensureInitialized(operation: "open")
        var pointer: OpaquePointer?
        let result = git_repository_open_ext(&pointer, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        guard result >= 0, let pointer else {
            if result == GIT_ENOTFOUND.rawValue {
                throw ForgeError(.notFound, "no git repository at \(path)", operation: "open", path: path,
                                 libgit2: .init(errorClass: git_error_last()?.pointee.klass ?? 0, errorCode: result))
            }
            throw Libgit2.error(result, operation: "open", path: path)
        }
        return GitRepository(handle: try RepositoryHandle(pointer: pointer, operation: "open"), logger: logger)
    }

    /// Creates a new, empty repository at `path` (creating the directory if needed).
    ///
    /// - Parameters:
    ///   - bare: create a bare repository (no working directory), as servers keep them.
    ///   - initialBranch: the branch `HEAD` names until the first commit.
    public static func create(at path: String, bare: Bool, initialBranch: String = "main",
                              logger: Logger = GitRepository.defaultLogger) async throws -> GitRepository {
        try await runBlocking(on: setupQueue) { _ throws(ForgeError) in
            try Libgit2.ensureInitialized(operation: "create")
            guard !initialBranch.isEmpty, git_reference_is_valid_name("refs/heads/" + initialBranch) != 0 else {
                throw ForgeError(.invalidArgument, "'\(initialBranch)' is not a valid branch name", operation: "create", path: path)
            }
            var options = git_repository_init_options()
            git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION))
            options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | (bare ? GIT_REPOSITORY_INIT_BARE.rawValue : 0)
            var pointer: OpaquePointer?
            let result = initialBranch.withCString { branch in
                options.initial_head = branch
                return git_repository_init_ext(&pointer, path, &options)
            }
            guard result >= 0, let pointer else { throw Libgit2.error(result, operation: "create", path: path) }
            return GitRepository(handle: try RepositoryHandle(pointer: pointer, operation: "create"), logger: logger)
        }
    }

    /// Runs `body` with a ``GitSession`` on the repository's queue and returns its result.
    ///
    /// The session is valid only inside `body`: do not keep it or pass it elsewhere (a session used
    /// after `body` returns throws ``ForgeError/Code/misuse``). Cancelling the calling task makes
    /// long operations in the session (clone, fetch, archive, checkout, walks) stop with
    /// ``ForgeError/Code/cancelled``.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (GitSession) throws -> T) async throws -> T {
        let handle = self.handle
        let logger = self.logger
        return try await Self.runBlocking(on: queue) { flag throws in
            let session = GitSession(handle: handle, cancellation: flag, logger: logger)
            defer { session.invalidate() }
            return try body(session)
        }
    }

    /// Runs `body` with a ``GitSession`` and returns its result, blocking the calling thread until the
    /// repository is free; see ``withSession(_:)``.
    ///
    /// Meant for command-line tools and other synchronous programs: no thread is started and no task
    /// is created, so a short command pays nothing for concurrency. Do not call it from async code (it
    /// would block a thread of the cooperative pool) or from inside another session of the same
    /// repository, which throws ``ForgeError/Code/misuse`` rather than deadlock.
    public func withSessionBlocking<T>(_ body: (GitSession) throws -> T) throws -> T {
        if queue.isCurrent {
            throw ForgeError(.misuse, "a blocking session was started inside a session of the same repository",
                             operation: "session", path: gitDirectory)
        }
        let handle = self.handle
        let logger = self.logger
        return try queue.sync { () throws -> T in
            let session = GitSession(handle: handle, cancellation: CancellationFlag(), logger: logger)
            defer { session.invalidate() }
            return try body(session)
        }
    }

    /// Runs blocking work on `queue`, off the cooperative pool, passing it a flag that task cancellation sets.
    static func runBlocking<T: Sendable>(
        on queue: BlockingQueue,
        _ work: @escaping @Sendable (CancellationFlag) throws -> T
    ) async throws -> T {
        let flag = CancellationFlag()
        return try await queue.run(onCancel: { flag.cancel() }) { () throws -> T in
            if flag.isCancelled {
                throw ForgeError(.cancelled, "the task was cancelled", operation: "git")
            }
            return try work(flag)
        }
    }
}

/// Synchronous access to a repository, for the duration of a ``GitRepository/withSession(_:)`` closure.
///
/// Every method runs at once on the calling thread, which is the repository's queue. Values it
/// returns are `Sendable` snapshots and may leave the closure; the session itself may not.
public final class GitSession {
    let handle: RepositoryHandle
    let cancellation: CancellationFlag
    /// The logger of the repository.
    public let logger: Logger
    private var valid = true

    init(handle: RepositoryHandle, cancellation: CancellationFlag, logger: Logger) {
        self.handle = handle
        self.cancellation = cancellation
        self.logger = logger
    }

    func invalidate() { valid = false }

    /// The repository's git directory.
    public var gitDirectory: String { handle.gitDirectory }

    /// The working directory, or `nil` for a bare repository.
    public var workingDirectory: String? { handle.workingDirectory }

    /// The libgit2 handle, after checking that the session is still in use.
    func repository(_ operation: @autoclosure () -> String) throws(ForgeError) -> OpaquePointer {
        guard valid else {
            throw ForgeError(.misuse, "a GitSession was used after its withSession closure returned", operation: operation())
        }
        return handle.pointer
    }

    var objects: ObjectStore { handle.objects }
    var path: String { handle.gitDirectory }

    func checkCancelled(_ operation: @autoclosure () -> String) throws(ForgeError) {
        if cancellation.isCancelled {
            throw ForgeError(.cancelled, "the task was cancelled", operation: operation(), path: path)
        }
    }
}
