import Foundation
public import Logging
import Synchronization

extension RepositoryStore {
    /// The commits a push brought to a reference (oldest first, at most ``GitHubPushPayload/maximumCommits``),
    /// with their changed paths, and whether the update was forced (not a fast-forward). A new branch lists
    /// what no other branch has, as GitHub does; a deletion lists nothing. Failures are logged and give an empty list.
    ///
    /// Computed once per push: the webhook dispatcher and the pipeline trigger both ask for the same
    /// update, and the second (or a concurrent) caller gets the first walk's result.
    public func pushedCommits(_ repository: RepositoryRecord, update: ReferenceUpdate, logger: Logger? = nil) async -> ([PayloadCommit], Bool) {
        guard !update.isDeletion else { return ([], false) }
        let key = PushedCommitsCache.Key(repository: repository.id, reference: update.name, old: update.old.hex, new: update.new.hex)
        let walk = pushedCommitsCache.task(for: key) {
            await self.walkPushedCommits(repository, update: update, logger: logger)
        }
        return await walk.value
    }

    private func walkPushedCommits(_ repository: RepositoryRecord, update: ReferenceUpdate, logger: Logger?) async -> ([PayloadCommit], Bool) {
        let directory = self.directory(for: repository.path)
        do {
            switch repository.kind {
            case .git:
                let git = try await GitRepository.open(at: directory)
                return try await git.withSession { session in
                    var revisions = [update.new.hex]
                    var forced = false
                    if update.isCreation {
                        // A new branch lists what no other branch has, as GitHub does.
                        for reference in try session.branches() where reference.name != update.name {
                            revisions.append("^" + reference.target.hex)
                        }
                    } else {
                        revisions.append("^" + update.old.hex)
                        forced = !(try session.isAncestor(update.old, of: update.new))
                    }
                    let log = try session.log(LogOptions(revisions, limit: GitHubPushPayload.maximumCommits))
                    let entries = try log.reversed().map { commit in
                        let changes = try session.changes(in: commit.id)
                        return PayloadCommit(
                            id: commit.id.hex, message: Self.trimmed(commit.message),
                            timestamp: Date(timeIntervalSince1970: TimeInterval(commit.author.time)),
                            timeZoneOffsetMinutes: commit.author.timeZoneOffsetMinutes, authorName: commit.author.name,
                            authorEmail: commit.author.email,
                            added: changes.filter { $0.kind == .added }.map(\.path),
                            removed: changes.filter { $0.kind == .deleted }.map(\.path),
                            modified: changes.filter { $0.kind != .added && $0.kind != .deleted }.map(\.path))
                    }
                    return (entries, forced)
                }
            case .hg:
                return try await MercurialRepository.withRepository(at: directory) { hg -> ([PayloadCommit], Bool) in
                    let revset = update.isCreation ? "ancestors(\(update.new.hex))" : "only(\(update.new.hex), \(update.old.hex))"
                    let log = try await hg.log(.expression(revset), limit: GitHubPushPayload.maximumCommits)
                    var entries: [PayloadCommit] = []
                    for changeset in log.reversed() {
                        let changes = try await hg.changedFiles(changeset.node)
                        let user = changeset.user
                        let name = user.split(separator: "<").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? user
                        let email = user.split(separator: "<").dropFirst().first.map { String($0.prefix { $0 != ">" }) } ?? ""
                        entries.append(PayloadCommit(
                            id: changeset.node, message: Self.trimmed(changeset.message), timestamp: changeset.date,
                            timeZoneOffsetMinutes: changeset.timeZoneOffsetSeconds / 60, authorName: name, authorEmail: email,
                            added: changes.filter { $0.kind == .added }.map(\.path), removed: changes.filter { $0.kind == .removed }.map(\.path),
                            modified: changes.filter { $0.kind == .modified }.map(\.path)))
                    }
                    let forced = update.isCreation ? false : try await hg.log(.expression("\(update.old.hex) and ancestors(\(update.new.hex))")).isEmpty
                    return (entries, forced)
                }
            }
        } catch {
            logger?.warning("cannot list a push's commits", metadata: ["repository": "\(repository.path)", "error": "\(error)"])
            return ([], false)
        }
    }

    /// A message without its trailing newlines, as GitHub's payloads carry it.
    private static func trimmed(_ message: String) -> String {
        var text = Substring(message)
        while text.last == "\n" || text.last == "\r\n" { text = text.dropLast() }
        return String(text)
    }
}

/// The pushed commits of the last few updates, by update: one walk serves every consumer of a push.
final class PushedCommitsCache: Sendable {
    struct Key: Hashable {
        var repository: Int64
        var reference: String
        var old: String
        var new: String
    }

    private let entries = Mutex<(tasks: [Key: Task<([PayloadCommit], Bool), Never>], order: [Key])>(([:], []))
    private let capacity = 64

    /// The walk for `key`: the one already started, or `walk` started now.
    func task(for key: Key, _ walk: @escaping @Sendable () async -> ([PayloadCommit], Bool)) -> Task<([PayloadCommit], Bool), Never> {
        entries.withLock { entries in
            if let task = entries.tasks[key] { return task }
            let task = Task { await walk() }
            entries.tasks[key] = task
            entries.order.append(key)
            if entries.order.count > capacity {
                entries.tasks.removeValue(forKey: entries.order.removeFirst())
            }
            return task
        }
    }
}
