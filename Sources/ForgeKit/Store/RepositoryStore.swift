import Foundation
public import Logging
import Synchronization

/// Delivers ``ForgeEvent``s to whoever subscribed: the forge's pipeline trigger, outbound webhooks.
///
/// Each subscriber gets every event published after it subscribed, in order, buffered without bound
/// (events are small and rare next to the work they start).
public final class ForgeEventBus: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<ForgeEvent>.Continuation]>([:])

    /// Creates a bus with no subscribers.
    public init() {}

    /// A stream of the events published from now on; it ends when the bus is dropped or the stream's
    /// consumer is cancelled.
    public func subscribe() -> AsyncStream<ForgeEvent> {
        let (stream, continuation) = AsyncStream<ForgeEvent>.makeStream()
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// Delivers `event` to every subscriber.
    public func publish(_ event: ForgeEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    deinit {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }
}

/// The hosted repositories: a root folder of bare Git and Mercurial repositories in group folders,
/// with their metadata in a ``ForgeMetadataStore``, kept in step.
///
/// Creating or forking builds the repository in a hidden folder under the root, records it, and then
/// moves it into place with one rename, so that a failure leaves neither a record without files nor
/// files that a later create would trip over. A deleted repository is first moved aside, then
/// removed. Every change publishes an event on ``events``.
public final class RepositoryStore: Sendable {
    /// The folder of the repositories (`ROOT/team/app` holds repository `team/app`).
    public let root: String
    /// Where the metadata lives.
    public let metadata: any ForgeMetadataStore
    /// Where repository events are published (as they happen; nothing is kept for later).
    public let events: ForgeEventBus
    /// Where pushes are recorded durably, for consumers that must see every one.
    public let outbox: PushOutbox
    private let logger: Logger
    /// One walk of a push's commits for all its consumers.
    let pushedCommitsCache = PushedCommitsCache()
    /// Git repositories kept open between requests (``git(_:)``).
    public let open = OpenRepositories()

    /// The git repository `path`, kept open between calls (see ``OpenRepositories``).
    public func git(_ path: RepositoryPath) async throws -> GitRepository {
        try await open.repository(at: directory(for: path))
    }

    /// Opens the store, creating `root` when needed.
    ///
    /// - Throws: ``ForgeError`` `io` when the root cannot be created.
    public init(root: String, metadata: any ForgeMetadataStore, events: ForgeEventBus = ForgeEventBus(),
                logger: Logger = Logger(label: "forgeworks.forge.repositories")) throws(ForgeError) {
        self.root = (root as NSString).standardizingPath
        self.metadata = metadata
        self.events = events
        self.outbox = PushOutbox(store: metadata)
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        } catch {
            throw ForgeError(.io, "cannot create the repository root: \(error)", operation: "open repository store", path: root)
        }
        // Leftovers of an interrupted create or delete.
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: self.root) {
            for entry in entries where entry.hasPrefix(".incoming-") || entry.hasPrefix(".deleted-") {
                try? FileManager.default.removeItem(atPath: self.root + "/" + entry)
            }
        }
    }

    /// The folder of the repository at `path`.
    public func directory(for path: RepositoryPath) -> String {
        root + "/" + path.description
    }

    /// The repository at `path`, or nil.
    public func repository(_ path: RepositoryPath) async throws(ForgeError) -> RepositoryRecord? {
        try await metadata.repository(path)
    }

    /// Records a push in the ``outbox`` (durably: call it before telling the client the push
    /// succeeded), then publishes it on ``events``.
    public func recordPush(_ push: PushEvent) async throws(ForgeError) {
        _ = try await outbox.record(push)
        events.publish(.push(push))
        logger.info("push", metadata: ["repository": "\(push.repository.path)", "pusher": "\(push.pusher ?? "-")",
                                       "references": "\(push.updates.count)"])
    }

    /// Creates an empty repository (and its groups, when missing).
    ///
    /// - Throws: ``ForgeError`` `conflict` when the path is taken, `io` when git or hg cannot create it.
    public func create(_ path: RepositoryPath, kind: RepositoryKind, isPrivate: Bool = false, description: String = "",
                       owner: ForgeUser? = nil) async throws(ForgeError) -> RepositoryRecord {
        let incoming = incomingDirectory()
        do {
            switch kind {
            case .git:
                _ = try await GitRepository.create(at: incoming, bare: true, initialBranch: "main")
            case .hg:
                try await Self.hg(["init", incoming], operation: "create repository")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: incoming)
            throw error as? ForgeError ?? ForgeError(.io, "\(error)", operation: "create repository", path: path.description)
        }
        let record = try await place(incoming, path: path, operation: "create repository") { () throws(ForgeError) in
            try await metadata.insertRepository(path: path, kind: kind, isPrivate: isPrivate, description: description,
                                                ownerID: owner?.id, forkOf: nil)
        }
        logger.info("created repository", metadata: ["repository": "\(path)", "kind": "\(kind.rawValue)"])
        events.publish(.repositoryCreated(record))
        return record
    }

    /// Forks `source` into `path`: a full copy of its history, owned by `owner`.
    public func fork(_ source: RepositoryPath, to path: RepositoryPath, owner: ForgeUser?, isPrivate: Bool? = nil,
                     description: String? = nil) async throws(ForgeError) -> RepositoryRecord {
        guard let original = try await metadata.repository(source) else {
            throw ForgeError(.notFound, "no repository '\(source)'", operation: "fork repository")
        }
        let incoming = incomingDirectory()
        let from = directory(for: original.path)
        do throws(ForgeError) {
            switch original.kind {
            case .git:
                try await Self.git(["clone", "--bare", "--no-local", "--quiet", from, incoming], operation: "fork repository")
                try await Self.git(["--git-dir", incoming, "remote", "remove", "origin"], operation: "fork repository")
            case .hg:
                try await Self.hg(["clone", "--noupdate", "--quiet", "--pull", from, incoming], operation: "fork repository")
                try? FileManager.default.removeItem(atPath: incoming + "/.hg/hgrc")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: incoming)
            throw error
        }
        let record = try await place(incoming, path: path, operation: "fork repository") { () throws(ForgeError) in
            try await metadata.insertRepository(path: path, kind: original.kind, isPrivate: isPrivate ?? original.isPrivate,
                                                description: description ?? original.description, ownerID: owner?.id,
                                                forkOf: original.id)
        }
        logger.info("forked repository", metadata: ["repository": "\(path)", "from": "\(source)"])
        events.publish(.repositoryCreated(record))
        return record
    }

    /// Moves a repository to a new path (its permissions, hooks and id go with it).
    public func rename(_ path: RepositoryPath, to newPath: RepositoryPath) async throws(ForgeError) -> RepositoryRecord {
        guard let record = try await metadata.repository(path) else {
            throw ForgeError(.notFound, "no repository '\(path)'", operation: "rename repository")
        }
        let from = directory(for: record.path), to = directory(for: newPath)
        let sameFolder = from.lowercased() == to.lowercased() && from != to
        if !sameFolder, FileManager.default.fileExists(atPath: to) {
            throw ForgeError(.conflict, "'\(newPath)' already exists on disk", operation: "rename repository", path: to)
        }
        let renamed = try await metadata.renameRepository(id: record.id, to: newPath)
        do {
            try FileManager.default.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard Foundation.rename(from, to) == 0 else {
                throw ForgeError(.io, "cannot move \(from) to \(to): \(String(cString: strerror(errno)))", operation: "rename repository")
            }
        } catch {
            _ = try? await metadata.renameRepository(id: record.id, to: record.path)
            throw error as? ForgeError ?? ForgeError(.io, "\(error)", operation: "rename repository", path: to)
        }
        open.forget(from)
        open.forget(to)
        logger.info("renamed repository", metadata: ["from": "\(path)", "to": "\(newPath)"])
        return renamed
    }

    /// Deletes a repository: its record, its permissions and its files.
    public func delete(_ path: RepositoryPath) async throws(ForgeError) {
        guard let record = try await metadata.repository(path) else {
            throw ForgeError(.notFound, "no repository '\(path)'", operation: "delete repository")
        }
        try await metadata.deleteRepository(id: record.id)
        open.forget(directory(for: record.path))
        let aside = root + "/.deleted-" + UUID().uuidString
        if Foundation.rename(directory(for: record.path), aside) == 0 {
            try? FileManager.default.removeItem(atPath: aside)
        }
        logger.info("deleted repository", metadata: ["repository": "\(path)"])
        events.publish(.repositoryDeleted(record))
    }

    /// Creates an empty group.
    public func createGroup(_ path: RepositoryPath, description: String = "") async throws(ForgeError) -> RepositoryGroup {
        let group = try await metadata.createGroup(path, description: description)
        try? FileManager.default.createDirectory(atPath: directory(for: path), withIntermediateDirectories: true)
        return group
    }

    /// Deletes an empty group.
    public func deleteGroup(_ path: RepositoryPath) async throws(ForgeError) {
        try await metadata.deleteGroup(path)
        rmdir(directory(for: path))
    }

    // MARK: - Helpers

    private func incomingDirectory() -> String {
        root + "/.incoming-" + UUID().uuidString
    }

    /// Records the repository, then moves the prepared folder into place; undoes the record when the move fails.
    private func place(_ incoming: String, path: RepositoryPath, operation: String,
                       record: () async throws(ForgeError) -> RepositoryRecord) async throws(ForgeError) -> RepositoryRecord {
        let target = directory(for: path)
        let inserted: RepositoryRecord
        do throws(ForgeError) {
            if FileManager.default.fileExists(atPath: target) {
                throw ForgeError(.conflict, "'\(path)' already exists on disk", operation: operation, path: target)
            }
            inserted = try await record()
        } catch {
            try? FileManager.default.removeItem(atPath: incoming)
            throw error
        }
        do {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {}
        open.forget(target)
        guard Foundation.rename(incoming, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: incoming)
            try? await metadata.deleteRepository(id: inserted.id)
            throw ForgeError(.io, "cannot move the new repository into place: \(reason)", operation: operation, path: target)
        }
        return inserted
    }

    static func toolEnvironment() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [
            "PATH": inherited["PATH"] ?? "/usr/bin:/bin",
            "HOME": inherited["HOME"] ?? "/",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "HGPLAIN": "1",
            "HGRCPATH": "",
            "LANG": "C.UTF-8",
        ]
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        return environment
    }

    static func git(_ arguments: [String], operation: String) async throws(ForgeError) {
        try await tool("git", arguments, operation: operation)
    }

    static func hg(_ arguments: [String], operation: String) async throws(ForgeError) {
        try await tool("hg", arguments, operation: operation)
    }

    private static func tool(_ name: String, _ arguments: [String], operation: String) async throws(ForgeError) {
        guard let executable = GitHTTPBackend.findExecutable(name) else {
            throw ForgeError(.notFound, "\(name) is not installed", operation: operation)
        }
        let result = try await ChildProcess.run([executable] + arguments, environment: toolEnvironment(), limit: 1 << 20)
        guard result.status == 0 else {
            throw ForgeError(.io, "\(name) \(arguments.first ?? "") failed (\(result.status)): \(result.error.prefix(1000))", operation: operation)
        }
    }
}
