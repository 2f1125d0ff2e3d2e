public import ForgeKit
import Foundation
public import Logging
import Synchronization
import PlatformSupport

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
/// let result = try await workspace.run(.shell("flake8 ."), output: output)   // in the sandbox
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
    /// Where commands run (``run(_:output:)``).
    public let sandbox: Sandbox
    /// The network commands reach; nil takes the sandbox's ``Sandbox/network``.
    public let network: Sandbox.Network?
    /// The policy ``files()`` fetches a remote source's repository under, when the location came from
    /// users (a webhook's payload); nil for a location the operator configured.
    public let outbound: OutboundPolicy?
    let logger: Logger

    private let acquisition = Mutex<Task<Result<String, PipelineError>, Never>?>(nil)
    private let prepared = Atomic<Bool>(false)
    let sandboxState = Mutex(SandboxState())

    /// The sandbox user leased for this workspace's commands, and the folders handed to it.
    struct SandboxState {
        var user: SandboxUser?
        var handedOver: Set<String> = []
    }

    /// A workspace at `directory` (not created until it is used), whose commands run in `sandbox`.
    public init(directory: String, source: Source, environment: [String: String] = [:],
                masker: SecretMasker = SecretMasker(), logger: Logger = Logger(label: "forgeworks.pipeline.workspace"),
                credentials: Credentials = .none, sandbox: Sandbox = Sandbox(), network: Sandbox.Network? = nil,
                outbound: OutboundPolicy? = .standard) {
        self.directory = directory
        self.source = source
        self.environment = environment
        self.masker = masker
        self.logger = logger
        self.credentials = credentials
        self.sandbox = sandbox
        self.network = network
        self.outbound = outbound
    }

    /// Removes the directory and everything in it, and gives back the workspace's sandbox user.
    public func remove() {
        // Most workspaces of short actions are never made: one lstat, not FileManager's error path, tells.
        var status = stat()
        if prepared.load(ordering: .acquiring) || lstat(directory, &status) == 0 || errno != ENOENT {
            try? FileManager.default.removeItem(atPath: directory)
        }
        sandboxState.withLock { state in
            state.user?.release()
            state.user = nil
            state.handedOver = []
        }
    }

    /// Creates the directory (mode 0700, parents as needed) unless it exists, and returns its path.
    ///
    /// An existing path must be a directory owned by this process's user, not a symbolic link, so
    /// that a directory planted by someone else is never used. Once prepared, the directory is not
    /// checked again (a command run as another user owns it then).
    @discardableResult
    public func prepare() throws(PipelineError) -> String {
        if prepared.load(ordering: .acquiring) { return directory }
        var status = stat()
        if lstat(directory, &status) != 0 {
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
        }
        // Whether just made or already there (or made by someone else in between), check what it is.
        guard lstat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else {
            throw PipelineError(.io, "\(directory) exists and is not a directory of this user", operation: "prepare workspace")
        }
        prepared.store(true, ordering: .releasing)
        return directory
    }

    /// The directory holding the source's files, `directory/src`, acquired on the first call.
    ///
    /// The repository of ``Source/checkout`` is cloned with ForgeKit, bare, into
    /// `directory/repository.git` (copying a local repository's files, never hard-linking them: the
    /// workspace's sandboxed commands may change what is in it); then `directory/src` is cloned from it (locally, objects hard-linked
    /// where the file system allows) as a git working copy whose `HEAD` is a branch at the checkout's
    /// commit, with a clean `git status`. That branch is the
    /// source's `branch` attribute when it points at the commit, else the remote's default branch when
    /// it does, else a new `forgeworks-checkout`; every branch of the remote is there as `origin/NAME`.
    /// A commit on no branch (a pull request from a fork) is fetched from `refs/pull/*/head` or
    /// `refs/merge-requests/*/head`.
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
        if checkout.system == .hg { return await acquireMercurial(checkout) }
        let remote = RemoteLocation(checkout.repositoryURL)
        let shown = masker.mask(remote.display)
        let operation = "acquire files"
        let root: String
        do {
            root = try prepare()
        } catch {
            return .failure(error)
        }
        let mirror = root + "/repository.git", target = root + "/src"
        let proxy: String?
        do {
            proxy = try await outbound?.repositoryProxy(for: checkout.repositoryURL, operation: operation)
        } catch {
            return .failure(error)
        }
        do {
            try await BlockingQueue.shared.run { () throws in
                for path in [mirror, target] where FileManager.default.fileExists(atPath: path) {
                    try FileManager.default.removeItem(atPath: path)
                }
            }
            let credentials = remote.credentials ?? self.credentials
            let repository = try await GitRepository.clone(from: remote.location, to: mirror,
                                                           options: CloneOptions(bare: true, credentials: credentials, hardLinks: false, proxy: proxy),
                                                           logger: logger)
            let commit = checkout.commit, preferred = source.attributes["branch"]?.text
            let branch = try await repository.withSession { session in
                try Self.branch(at: commit, preferring: preferred, in: session, credentials: credentials, proxy: proxy)
            }
            _ = try await GitRepository.clone(from: mirror, to: target, options: CloneOptions(branch: branch), logger: logger)
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

    /// A Mercurial checkout: a local repository cloned into `directory/src` with hg (the pull
    /// protocol: nothing hard-linked), its working copy at the commit.
    private func acquireMercurial(_ checkout: Source.Checkout) async -> Result<String, PipelineError> {
        let operation = "acquire files"
        guard RepositoryConfigurationReader.isLocal(checkout.repositoryURL) else {
            return .failure(PipelineError(.invalidEvent, "Mercurial repositories are checked out from this machine only", operation: operation))
        }
        let root: String
        do {
            root = try prepare()
        } catch {
            return .failure(error)
        }
        let target = root + "/src"
        let source = checkout.repositoryURL.hasPrefix("file://") ? String(checkout.repositoryURL.dropFirst(7)) : checkout.repositoryURL
        do {
            if FileManager.default.fileExists(atPath: target) {
                try await BlockingQueue.shared.run { () throws in try FileManager.default.removeItem(atPath: target) }
            }
            try await MercurialRepository.clone(from: source, to: target, node: checkout.commit)
            logger.debug("acquired files", metadata: ["from": "\(source)", "commit": "\(checkout.commit)"])
            return .success(target)
        } catch let error as ForgeError {
            return .failure(PipelineError(.io, "cannot clone the Mercurial repository at \(checkout.commit): \(error.message)", operation: operation))
        } catch {
            return .failure(PipelineError(.io, "cannot clone the Mercurial repository: \(error)", operation: operation))
        }
    }

    /// A branch of the bare clone that points at `commitID`: `preferred`, the default branch, or a new
    /// `forgeworks-checkout`. Pull and merge request heads are fetched when the commit is on no branch.
    private static func branch(at commitID: String, preferring preferred: String?, in session: GitSession,
                               credentials: Credentials, proxy: String?) throws(ForgeError) -> String {
        let commit: ObjectID
        if let found = try? session.resolveCommit(commitID) {
            commit = found
        } else {
            try session.fetch(from: "origin", refspecs: ["+refs/pull/*/head:refs/pull/*/head",
                                                         "+refs/merge-requests/*/head:refs/merge-requests/*/head"],
                              options: FetchOptions(credentials: credentials, proxy: proxy))
            commit = try session.resolveCommit(commitID)
        }
        // A bare clone keeps the remote's branches as origin/NAME; make them branches of the clone, so
        // that src, cloned from it, has every one of them as origin/NAME.
        let remotes = "refs/remotes/origin/"
        for reference in try session.references(prefix: remotes) where reference.name != remotes + "HEAD" {
            try session.updateReference("refs/heads/" + reference.name.dropFirst(remotes.count), to: reference.target)
        }
        if let preferred, let tip = try? session.resolveCommit("refs/heads/" + preferred), tip == commit {
            return preferred
        }
        if case .branch(let name, let tip)? = try? session.head(), tip == commit {
            return name
        }
        try session.updateReference("refs/heads/forgeworks-checkout", to: commit)
        return "forgeworks-checkout"
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
