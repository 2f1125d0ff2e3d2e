public import ForgeKit
import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A run's working directory: created when an action first needs it, filled with the source's
/// files on demand, and removed when the run ends on this worker.
///
/// ```swift
/// let workspace = Workspace(directory: "/var/lib/hamster/runs/42", source: source)
/// defer { workspace.remove() }
/// let checkout = try await workspace.files()          // "/var/lib/hamster/runs/42/src"
/// let result = try await workspace.run(.shell("flake8 ."), output: output)
/// ```
///
/// ## Topics
/// ### Files
/// - ``prepare()``
/// - ``files()``
/// ### Commands
/// - ``run(_:output:)``
public final class Workspace: Sendable {
    /// The directory's path.
    public let directory: String
    /// The source whose files ``files()`` acquires.
    public let source: Source
    /// Variables every command gets (the executor's environment and secrets).
    public let environment: [String: String]
    /// Hides secret values in stored output and results.
    public let masker: SecretMasker
    /// How ``files()`` authenticates to the source's repository. Credentials written into the
    /// repository URL (`https://user:token@host/…`) are used instead when present.
    public let credentials: Credentials
    let logger: Logger

    private let acquisition = Mutex<Task<Result<String, PipelineError>, Never>?>(nil)

    /// A workspace at `directory` (not created until it is used).
    public init(directory: String, source: Source, environment: [String: String] = [:],
                masker: SecretMasker = SecretMasker(), logger: Logger = Logger(label: "forgeworks.pipeline.workspace"),
                credentials: Credentials = .none) {
        self.directory = directory
        self.source = source
        self.environment = environment
        self.masker = masker
        self.logger = logger
        self.credentials = credentials
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates the directory (mode 0700, parents as needed) unless it exists, and returns its path.
    ///
    /// An existing path must be a directory owned by this process's user, not a symbolic link, so
    /// that a directory planted by someone else is never used.
    @discardableResult
    public func prepare() throws(PipelineError) -> String {
        var status = stat()
        if lstat(directory, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else {
                throw PipelineError(.io, "\(directory) exists and is not a directory of this user", operation: "prepare workspace")
            }
            return directory
        }
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != directory {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw PipelineError(.io, "cannot create \(parent): \(error.localizedDescription)", operation: "prepare workspace")
            }
        }
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw PipelineError(.io, "cannot create \(directory): \(String(cString: strerror(errno)))", operation: "prepare workspace")
        }
        return directory
    }

    /// The directory holding the source's files, `directory/src`, acquired on the first call.
    ///
    /// The repository of ``Source/checkout`` is cloned with ForgeKit into `directory/src`, a git
    /// working copy with the clone's history and remote branches (`origin/main`), whose files are the
    /// checkout's commit. When the commit is not the tip of the remote's default branch, `HEAD` is
    /// detached at the commit and the index is not written (run `git reset -q` before a tool that
    /// needs a clean `git status`); commits only reachable from pull or merge request references are
    /// fetched from `refs/pull/*/head` and `refs/merge-requests/*/head`.
    ///
    /// Concurrent callers share one acquisition; later calls return at once. A failed or cancelled
    /// acquisition is forgotten, so that the next call (an action's retry) tries again. Cancelling any
    /// waiting caller cancels the acquisition.
    ///
    /// - Throws: ``PipelineError/Code/invalidEvent`` when the source has no checkout,
    ///   ``PipelineError/Code/io`` when the clone fails (with the URL, credentials masked),
    ///   ``PipelineError/Code/cancelled`` when it is cancelled.
    public func files() async throws(PipelineError) -> String {
        guard let checkout = source.checkout else {
            throw PipelineError(.invalidEvent, "the source has no files", operation: "acquire files")
        }
        let task = acquisition.withLock { current in
            if let current { return current }
            let task = Task { await self.acquire(checkout) }
            current = task
            return task
        }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        if case .failure = result {
            acquisition.withLock { current in
                if current == task { current = nil }
            }
        }
        return try result.get()
    }

    private func acquire(_ checkout: Source.Checkout) async -> Result<String, PipelineError> {
        let remote = RemoteLocation(checkout.repositoryURL)
        let shown = masker.mask(remote.display)
        let operation = "acquire files"
        let target: String
        do {
            target = try prepare() + "/src"
        } catch {
            return .failure(error)
        }
        do {
            try await Self.offPool {
                if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            }
            let credentials = remote.credentials ?? self.credentials
            let repository = try await GitRepository.clone(from: remote.location, to: target,
                                                           options: CloneOptions(credentials: credentials), logger: logger)
            let commitID = checkout.commit
            try await repository.withSession { session in
                try Self.place(commitID, in: session, workingDirectory: repository.workingDirectory,
                               gitDirectory: repository.gitDirectory, credentials: credentials)
            }
            logger.debug("acquired files", metadata: ["from": "\(shown)", "commit": "\(checkout.commit)"])
            return .success(target)
        } catch let error as ForgeError where error.code == .cancelled {
            return .failure(PipelineError(.cancelled, "cloning \(shown) was cancelled", operation: operation))
        } catch let error as ForgeError {
            let message = masker.mask(remote.mask(error.message))
            return .failure(PipelineError(.io, "cannot clone \(shown) at \(checkout.commit): \(message)", operation: operation))
        } catch {
            if Task.isCancelled {
                return .failure(PipelineError(.cancelled, "cloning \(shown) was cancelled", operation: operation))
            }
            let message = masker.mask(remote.mask("\(error)"))
            return .failure(PipelineError(.io, "cannot clone \(shown) at \(checkout.commit): \(message)", operation: operation))
        }
    }

    /// Makes the clone's files those of `commitID`, fetching pull and merge request heads when the
    /// commit is not on a branch; `HEAD` is detached there unless it already points at it.
    private static func place(_ commitID: String, in session: GitSession, workingDirectory: String?, gitDirectory: String,
                              credentials: Credentials) throws {
        var commit = try? session.resolveCommit(commitID)
        if commit == nil {
            try session.fetch(from: "origin", refspecs: ["+refs/pull/*/head:refs/remotes/origin/pull/*",
                                                         "+refs/merge-requests/*/head:refs/remotes/origin/merge-requests/*"],
                              options: FetchOptions(credentials: credentials))
            commit = try session.resolveCommit(commitID)
        }
        guard let commit, try session.head().commit != commit, let workingDirectory else { return }
        let files = FileManager.default
        let root = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        for entry in try files.contentsOfDirectory(atPath: root) where entry != ".git" {
            try files.removeItem(atPath: root + entry)
        }
        try session.checkout(commit.hex, into: root)
        try Data((commit.hex + "\n").utf8).write(to: URL(fileURLWithPath: gitDirectory + "HEAD"))
        try? files.removeItem(atPath: gitDirectory + "index")
    }

    /// Runs blocking file work on a Dispatch thread, off Swift's cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// A repository location with any credentials in its URL split off, so that they reach libgit2 as
/// credentials and never appear in messages.
struct RemoteLocation {
    /// The location without user information.
    let location: String
    /// The location as messages show it: user information replaced by `***`.
    let display: String
    /// The user name and password from an http(s) URL's user information, when it has any.
    let credentials: Credentials?
    private let secret: String?

    init(_ url: String) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), let scheme = url.range(of: "://"),
              let at = url[scheme.upperBound...].prefix(while: { $0 != "/" }).lastIndex(of: "@") else {
            location = url
            display = url
            credentials = nil
            secret = nil
            return
        }
        let userInfo = url[scheme.upperBound..<at]
        let rest = url[url.index(after: at)...]
        location = String(url[..<scheme.upperBound] + rest)
        display = String(url[..<scheme.upperBound]) + "***@" + rest
        let user = userInfo.prefix { $0 != ":" }
        let password = userInfo.dropFirst(user.count + 1)
        credentials = .userPassword(username: String(user).removingPercentEncoding ?? String(user),
                                    password: String(password).removingPercentEncoding ?? String(password))
        // A URL with only a user part usually carries a token there.
        secret = password.isEmpty ? String(user) : String(password)
    }

    /// `text` with the URL's secret replaced by `***`.
    func mask(_ text: String) -> String {
        guard let secret, !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret, with: "***")
    }
}
