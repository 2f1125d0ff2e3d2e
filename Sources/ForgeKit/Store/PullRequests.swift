import Foundation

/// Opening and merging the pull requests of a ``RepositoryStore``'s git repositories.
///
/// A merge is computed in memory (libgit2's merge of the two commits), written as new objects, and
/// moves the base branch with a compare-and-swap: a push that lands on the base meanwhile makes the
/// merge fail with `conflict`, and nothing moves. A merge then is a push like any other: it is
/// recorded in the push outbox, so pipelines and webhooks see it.
public struct PullRequests: Sendable {
    /// The repositories.
    public let repositories: RepositoryStore

    /// Works on `repositories`.
    public init(repositories: RepositoryStore) {
        self.repositories = repositories
    }

    private var store: any ForgeMetadataStore { repositories.metadata }

    private func git(_ repository: RepositoryRecord, operation: String) async throws(ForgeError) -> GitRepository {
        guard repository.kind == .git else {
            throw ForgeError(.unsupported, "pull requests are for git repositories; \(repository.path) is a Mercurial repository", operation: operation)
        }
        do {
            return try await repositories.open.repository(at: repositories.directory(for: repository.path))
        } catch let error as ForgeError {
            throw error
        } catch {
            throw ForgeError(.io, "\(error)", operation: operation)
        }
    }

    /// Runs `body` in a session of the repository, with its errors as ``ForgeError``s.
    private func session<T: Sendable>(_ git: GitRepository, operation: String,
                                      _ body: @escaping @Sendable (GitSession) throws -> T) async throws(ForgeError) -> T {
        do {
            return try await git.withSession(body)
        } catch let error as ForgeError {
            throw error
        } catch {
            throw ForgeError(.io, "\(error)", operation: operation)
        }
    }

    /// Opens a pull request to merge branch `head` into branch `base` of `repository`.
    ///
    /// - Throws: `notFound` naming a missing branch; `invalidArgument` for a bad title or body, a
    ///   head that is its base or has no commits the base lacks; `conflict` when one is open for the
    ///   same branches; `unsupported` for a Mercurial repository.
    public func open(in repository: RepositoryRecord, title: String, body: String, head: String, base: String,
                     author: ForgeUser?) async throws(ForgeError) -> PullRequest {
        let git = try await git(repository, operation: "open pull request")
        let (headCommit, baseCommit) = try await session(git, operation: "open pull request") { session in
            // A branch by its name only: a revision expression (`main~1`) names no branch.
            func tip(_ branch: String, _ field: String) throws -> ObjectID {
                let name = "refs/heads/" + branch
                guard let reference = try? session.reference(named: name), reference.name == name,
                      let commit = try? session.resolveCommit(name) else {
                    throw ForgeError(.notFound, "'\(field)': no branch '\(branch)'", operation: "open pull request")
                }
                return commit
            }
            let tips = (try tip(head, "head"), try tip(base, "base"))
            // As Gitea: a head already in its base brings nothing to review.
            let contained = try tips.0 == tips.1 || session.mergeBases(tips.0, tips.1).contains(tips.0)
            if head != base, contained {
                throw ForgeError(.invalidArgument, "'head': \(head) has no commits that \(base) lacks", operation: "open pull request")
            }
            return tips
        }
        return try await store.createPullRequest(repositoryID: repository.id,
                                                 NewPullRequest(title: title, body: body, headBranch: head, baseBranch: base,
                                                                headCommit: headCommit.hex, baseCommit: baseCommit.hex),
                                                 authorID: author?.id)
    }

    /// Where a pull request's branches are now and how they merge: nil tips for a branch that is gone.
    public struct Heads: Sendable, Hashable {
        public var head: ObjectID?
        public var base: ObjectID?
        public var mergeability: Mergeability?
    }

    /// The branches of `pull` now, and how the head merges into the base (computed in memory, or
    /// taken from `known` when it has the answer for these two tips: it never changes for them).
    public func heads(of pull: PullRequest, in repository: RepositoryRecord,
                      known: (@Sendable (_ base: ObjectID, _ head: ObjectID) -> Mergeability?)? = nil) async throws(ForgeError) -> Heads {
        let git = try await git(repository, operation: "read pull request")
        return try await session(git, operation: "read pull request") { session in
            let head = try? session.resolveCommit("refs/heads/" + pull.headBranch)
            let base = try? session.resolveCommit("refs/heads/" + pull.baseBranch)
            guard let head, let base else { return Heads(head: head, base: base, mergeability: nil) }
            return Heads(head: head, base: base, mergeability: try known?(base, head) ?? session.mergeability(base: base.hex, head: head.hex))
        }
    }

    /// Merges an open pull request in `style` as `user`, and records the base's move in the push
    /// outbox (and the head branch's deletion, with `deleteBranch`).
    ///
    /// - Throws: `conflict` when the pull request is not open, the head is already in the base, the
    ///   merge has conflicts (naming the paths), a fast-forward is asked and the base has moved on,
    ///   or the base moved while merging; `notFound` when a branch is gone.
    public func merge(_ pull: PullRequest, in repository: RepositoryRecord, style: MergeStyle, by user: ForgeUser,
                      message: String? = nil, deleteBranch: Bool = false) async throws(ForgeError) -> PullRequest {
        guard pull.state == .open else { throw ForgeError(.conflict, "pull request #\(pull.number) is \(pull.state.rawValue)", operation: "merge") }
        let git = try await git(repository, operation: "merge")
        if let rule = BranchProtection.rule(for: pull.baseBranch, in: try await store.branchProtections(repositoryID: repository.id)) {
            try await check(pull, against: rule, in: repository)
        }
        let now = Int64(Date().timeIntervalSince1970)
        let merger = Signature(name: user.name, email: user.email.isEmpty ? user.name + "@forge.invalid" : user.email, time: now)
        let author = pull.author.map { Signature(name: $0.name, email: $0.email.isEmpty ? $0.name + "@forge.invalid" : $0.email, time: now) } ?? merger
        let title = "Merge pull request #\(pull.number) from \(pull.headBranch)\n\n\(pull.title)\n"
        let squashTitle = "\(pull.title) (#\(pull.number))\n" + (pull.body.isEmpty ? "" : "\n\(pull.body)\n")
        let chosen = message.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let moved = try await session(git, operation: "merge") { session -> (old: ObjectID, new: ObjectID, head: ObjectID, headDeleted: Bool) in
            let baseReference = "refs/heads/" + pull.baseBranch, headReference = "refs/heads/" + pull.headBranch
            guard let base = try? session.resolveCommit(baseReference) else {
                throw ForgeError(.notFound, "the base branch '\(pull.baseBranch)' is gone", operation: "merge")
            }
            guard let head = try? session.resolveCommit(headReference) else {
                throw ForgeError(.notFound, "the head branch '\(pull.headBranch)' is gone", operation: "merge")
            }
            let bases = try session.mergeBases(base, head)
            if head == base || bases.contains(head) {
                throw ForgeError(.conflict, "nothing to merge: \(pull.headBranch) is already in \(pull.baseBranch)", operation: "merge")
            }
            guard !bases.isEmpty else { throw ForgeError(.conflict, "the branches have no common history", operation: "merge") }
            let target: ObjectID
            switch style {
            case .fastForwardOnly:
                guard bases.contains(base) else {
                    throw ForgeError(.conflict, "\(pull.baseBranch) has moved on: not a fast-forward", operation: "merge")
                }
                target = head
            case .merge:
                let tree = try session.mergedTree(base, head)
                target = try session.writeCommit(tree: tree, parents: [base, head], author: merger, committer: merger, message: chosen ?? title)
            case .squash:
                let tree = try session.mergedTree(base, head)
                target = try session.writeCommit(tree: tree, parents: [base], author: author, committer: merger, message: chosen ?? squashTitle)
            }
            do {
                try session.updateReference(baseReference, to: target, expected: base, message: "merge pull request #\(pull.number)")
            } catch let error as ForgeError where error.code == .conflict {
                throw ForgeError(.conflict, "\(pull.baseBranch) moved while merging; nothing was merged, try again", operation: "merge")
            }
            var headDeleted = false
            if deleteBranch, (try? session.resolveCommit(headReference)) == head {
                try session.deleteReference(headReference)
                headDeleted = true
            }
            return (base, target, head, headDeleted)
        }
        var updates = [ReferenceUpdate(name: "refs/heads/" + pull.baseBranch, old: moved.old, new: moved.new)]
        if moved.headDeleted { updates.append(ReferenceUpdate(name: "refs/heads/" + pull.headBranch, old: moved.head, new: .zero)) }
        try await repositories.recordPush(PushEvent(repository: repository, pusher: user.name, updates: updates, date: Date()))
        // The push trigger may have seen the base take the head first and recorded the merge itself.
        let marked: Result<PullRequest, ForgeError>
        do {
            marked = .success(try await store.markPullRequestMerged(id: pull.id, mergeCommit: moved.new.hex, headCommit: moved.head.hex, mergedByID: user.id))
        } catch {
            marked = .failure(error)
        }
        switch marked {
        case .success(let merged): return merged
        case .failure(let error):
            guard error.code == .conflict, let current = try await store.pullRequest(repositoryID: repository.id, number: pull.number),
                  current.state == .merged else { throw error }
            return current
        }
    }

    /// Marks as merged the open pull requests into `branch` whose head is now part of it — merged by a
    /// push, or merged here when the record of it was interrupted (the base moved, then the process
    /// stopped). Returns them.
    @discardableResult
    public func recordMergedByPush(in repository: RepositoryRecord, branch: String, tip: ObjectID, by pusher: ForgeUser?) async throws(ForgeError) -> [PullRequest] {
        guard repository.kind == .git else { return [] }
        let open = try await store.pullRequests(repositoryID: repository.id, states: [.open], limit: 1000, offset: 0).filter { $0.baseBranch == branch }
        guard !open.isEmpty else { return [] }
        let git = try await git(repository, operation: "record merges")
        let merged = try await session(git, operation: "record merges") { session in
            try open.filter { pull in
                let head = (try? session.resolveCommit("refs/heads/" + pull.headBranch)) ?? ObjectID(hex: pull.headCommit)
                guard let head else { return false }
                return try head == tip || session.mergeBases(head, tip).contains(head)
            }
        }
        var recorded: [PullRequest] = []
        for pull in merged {
            recorded.append(try await store.markPullRequestMerged(id: pull.id, mergeCommit: tip.hex, headCommit: pull.headCommit, mergedByID: pusher?.id))
        }
        return recorded
    }

    // MARK: - Reviews

    /// Reviews `pull` at its head as `user`, with line comments. The author's own approval or
    /// request for changes is refused (`invalidArgument`); so is a review of a merged pull request
    /// (`conflict`). Line comments without a commit are on the head.
    public func review(_ pull: PullRequest, in repository: RepositoryRecord, state: ReviewState, body: String, by user: ForgeUser,
                       comments: [NewPullComment] = []) async throws(ForgeError) -> PullReview {
        guard pull.state != .merged else { throw ForgeError(.conflict, "pull request #\(pull.number) is merged", operation: "review") }
        if state != .comment, pull.author?.id == user.id {
            throw ForgeError(.invalidArgument, "the author of a pull request cannot approve it or request changes", operation: "review")
        }
        if state != .approved, body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, comments.isEmpty {
            throw ForgeError(.invalidArgument, "'body' is required unless the review approves", operation: "review")
        }
        let head = try await heads(of: pull, in: repository).head?.hex ?? pull.headCommit
        return try await store.addPullReview(pullID: pull.id, state: state, body: body, commit: head, authorID: user.id, comments: comments)
    }

    /// Who approves `pull` now: each reviewer's newest approving or change-requesting review counts
    /// (the author's never); with `dismissStale`, only those made on `head`.
    public static func approvers(_ reviews: [PullReview], of pull: PullRequest, head: String, dismissStale: Bool) -> [ForgeUser] {
        var newest: [Int64: PullReview] = [:]
        for review in reviews where review.state != .comment {
            guard let author = review.author, author.id != pull.author?.id else { continue }
            newest[author.id] = review
        }
        return newest.values.filter { $0.state == .approved && (!dismissStale || $0.commit == head) }.compactMap(\.author).sorted { $0.name < $1.name }
    }

    /// The line comments whose line has changed since they were made: outdated against `head`.
    public func outdated(_ comments: [PullComment], head: String, in repository: RepositoryRecord) async throws(ForgeError) -> Set<Int64> {
        let onLines = comments.filter { $0.path != nil && $0.line != nil && $0.commit != head }
        guard !onLines.isEmpty else { return [] }
        let git = try await git(repository, operation: "read comments")
        return try await session(git, operation: "read comments") { session in
            var files: [String: [Substring]?] = [:]
            func lines(_ commit: String, _ path: String) -> [Substring]? {
                let key = commit + "\u{0}" + path
                if let known = files[key] { return known }
                let bytes = try? session.blob(at: commit, path: path, maxSize: 4 << 20)
                let text = bytes.flatMap { String(validating: $0, as: UTF8.self) }
                let split = text.map { $0.split(separator: "\n", omittingEmptySubsequences: false) }
                files[key] = .some(split)
                return split
            }
            var outdated = Set<Int64>()
            for comment in onLines {
                guard let path = comment.path, let line = comment.line else { continue }
                let then = lines(comment.commit, path), now = lines(head, path)
                let before = then.flatMap { line <= $0.count ? $0[line - 1] : nil }, after = now.flatMap { line <= $0.count ? $0[line - 1] : nil }
                if before == nil || before != after { outdated.insert(comment.id) }
            }
            return outdated
        }
    }

    /// Why `pull` may not be merged under `rule` — missing or failing required statuses on its head,
    /// too few approvals, a standing request for changes — as a `conflict` naming it.
    public func check(_ pull: PullRequest, against rule: BranchProtection, in repository: RepositoryRecord) async throws(ForgeError) {
        let head = try await heads(of: pull, in: repository).head?.hex ?? pull.headCommit
        let protected = "\(pull.baseBranch) is protected (\(rule.pattern))"
        if !rule.statusChecks.isEmpty {
            let latest = try await store.latestCommitStatuses(repositoryID: repository.id, commits: [head])[head] ?? []
            if let missing = rule.missingStatuses(latest) { throw ForgeError(.conflict, "\(protected): \(missing)", operation: "merge") }
        }
        let reviews = try await store.pullReviews(pullID: pull.id)
        let approvals = Self.approvers(reviews, of: pull, head: head, dismissStale: rule.dismissStaleApprovals).count
        if approvals < rule.requiredApprovals {
            throw ForgeError(.conflict, "\(protected): it needs \(rule.requiredApprovals) approval\(rule.requiredApprovals == 1 ? "" : "s") by others than its author, it has \(approvals)",
                             operation: "merge")
        }
        if rule.blockOnRejectedReviews {
            var newest: [Int64: PullReview] = [:]
            for review in reviews where review.state != .comment { if let author = review.author { newest[author.id] = review } }
            if let blocking = newest.values.first(where: { $0.state == .changesRequested }) {
                throw ForgeError(.conflict, "\(protected): \(blocking.author?.name ?? "a reviewer") requested changes", operation: "merge")
            }
        }
    }
}
