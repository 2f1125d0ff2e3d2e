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
    @discardableResult
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

    /// The commit of branch `branch` in `session`'s repository, by its name only: a revision
    /// expression (`main~1`) names no branch (`notFound` naming `field`).
    private static func tip(_ session: GitSession, _ branch: String, _ field: String) throws(ForgeError) -> ObjectID {
        let name = "refs/heads/" + branch
        guard let reference = try? session.reference(named: name), reference.name == name,
              let commit = try? session.resolveCommit(name) else {
            throw ForgeError(.notFound, "'\(field)': no branch '\(branch)'", operation: "open pull request")
        }
        return commit
    }

    /// Opens a pull request to merge branch `head` into branch `base` of `repository`. With
    /// `headRepository`, a fork of `repository` (or a repository of the same fork network), the head is
    /// that repository's branch: its commits are fetched into the base repository as
    /// `refs/pull/NUMBER/head`, which ``followHead(of:branch:commit:)`` keeps in step. The caller
    /// checks that the author can read the head repository.
    ///
    /// - Throws: `notFound` naming a missing branch; `invalidArgument` for a bad title or body, a
    ///   head that is its base or has no commits the base lacks, or a head repository of another fork
    ///   network; `conflict` when one is open for the same branches; `unsupported` for a Mercurial repository.
    public func open(in repository: RepositoryRecord, title: String, body: String, head: String, headRepository: RepositoryRecord? = nil,
                     base: String, author: ForgeUser?) async throws(ForgeError) -> PullRequest {
        try NewPullRequest.validate(title: title, body: body)
        let fork = headRepository.flatMap { $0.id == repository.id ? nil : $0 }
        let git = try await git(repository, operation: "open pull request")
        // A fork's branch comes in under a name of its own until the pull request has a number.
        var incoming: String?
        if let fork {
            guard try await sameNetwork(repository, fork) else {
                throw ForgeError(.invalidArgument, "'head': \(fork.path) is not a fork of \(repository.path)", operation: "open pull request")
            }
            let forkGit = try await self.git(fork, operation: "open pull request")
            _ = try await session(forkGit, operation: "open pull request") { session in try Self.tip(session, head, "head") }
            let name = "refs/forge/incoming/" + UUID().uuidString.lowercased()
            let from = repositories.directory(for: fork.path)
            try await session(git, operation: "open pull request") { session in
                try session.fetch(from: from, refspecs: ["+refs/heads/\(head):\(name)"])
            }
            incoming = name
        }
        let headReference = incoming
        let tips: (ObjectID, ObjectID)
        let created: Result<PullRequest, ForgeError>
        do {
            tips = try await session(git, operation: "open pull request") { session in
                let tips = (try headReference.map { name throws(ForgeError) in try session.resolveCommit(name) } ?? Self.tip(session, head, "head"),
                            try Self.tip(session, base, "base"))
                // As Gitea: a head already in its base brings nothing to review.
                let contained = try tips.0 == tips.1 || session.mergeBases(tips.0, tips.1).contains(tips.0)
                if fork != nil || head != base, contained {
                    throw ForgeError(.invalidArgument, "'head': \(head) has no commits that \(base) lacks", operation: "open pull request")
                }
                return tips
            }
            created = .success(try await store.createPullRequest(repositoryID: repository.id,
                                                                  NewPullRequest(title: title, body: body, headBranch: head, baseBranch: base,
                                                                                 headCommit: tips.0.hex, baseCommit: tips.1.hex, headRepositoryID: fork?.id),
                                                                  authorID: author?.id))
        } catch {
            created = .failure(error)
        }
        // The fork's head under the pull request's own name; the incoming name goes either way.
        let made = try? created.get()
        if let incoming {
            try await session(git, operation: "open pull request") { session in
                if let made { try session.updateReference(made.headReference, to: ObjectID(hex: made.headCommit) ?? .zero, message: "pull request #\(made.number)") }
                try? session.deleteReference(incoming)
            }
        }
        return try created.get()
    }

    /// Reads a pull request's head as Gitea's API takes it: `BRANCH` of `repository` itself,
    /// `OWNER:BRANCH` (the fork of `repository` that user owns) or `PATH:BRANCH` (a repository of
    /// the same fork network, by path). A head repository `author` cannot read — or, when it is
    /// private, cannot write (its owners decide what of it others see) — does not exist for them:
    /// `notFound`, as for one that does not.
    public func head(_ text: String, of repository: RepositoryRecord, for author: ForgeUser?,
                     address: IPAddress?) async throws(ForgeError) -> (branch: String, repository: RepositoryRecord?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        let owner = String(text[..<colon]), branch = String(text[text.index(after: colon)...])
        let missing = ForgeError(.notFound, "'head': no repository '\(owner)' with a branch '\(branch)' to merge into \(repository.path)",
                                 operation: "open pull request")
        var found: RepositoryRecord?
        if owner.contains("/") {
            guard let path = try? RepositoryPath(owner) else { throw missing }
            found = try await store.repository(path)
        } else if let user = try await store.user(named: owner) {
            found = try await store.repositories().first { $0.forkOf == repository.id && $0.ownerID == user.id }
                ?? (repository.ownerID == user.id ? repository : nil)
        }
        guard let found, let facts = try await store.permissionFacts(repository: found.path, caller: author),
              facts.effectiveLevel(from: address) >= (found.isPrivate && found.id != repository.id ? .write : .read) else { throw missing }
        return (branch, found.id == repository.id ? nil : found)
    }

    /// Whether two repositories are of one fork network: the same repository at the end of their
    /// `forkOf` chains.
    private func sameNetwork(_ one: RepositoryRecord, _ other: RepositoryRecord) async throws(ForgeError) -> Bool {
        func root(_ repository: RepositoryRecord) async throws(ForgeError) -> Int64 {
            var current = repository
            for _ in 0..<64 {
                guard let parent = current.forkOf, let next = try await store.repository(id: parent) else { return current.id }
                current = next
            }
            return current.id
        }
        return try await root(one) == root(other)
    }

    /// Records that `branch` of `repository` moved to `commit`: the open pull requests from it take
    /// it as their head — those in other repositories (from a fork) after their base repository has
    /// fetched it into `refs/pull/NUMBER/head`, so that the head is there before anyone reads it.
    public func followHead(of repository: RepositoryRecord, branch: String, commit: ObjectID) async throws(ForgeError) {
        guard repository.kind == .git else { return }
        let from = repositories.directory(for: repository.path)
        for pull in try await store.openPullRequests(headRepositoryID: repository.id, branch: branch) where pull.isFromFork {
            guard let base = try await store.repository(id: pull.repositoryID), base.kind == .git else { continue }
            let git = try await git(base, operation: "follow a fork's head")
            try await session(git, operation: "follow a fork's head") { session in
                try session.fetch(from: from, refspecs: ["+refs/heads/\(branch):\(pull.headReference)"])
            }
        }
        _ = try await store.recordPullRequestHeads(repositoryID: repository.id, branch: branch, commit: commit.hex)
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
            let head = try? session.resolveCommit(pull.headReference)
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
            let baseReference = "refs/heads/" + pull.baseBranch, headReference = pull.headReference
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
            case .rebase:
                guard !bases.contains(base) else { target = head; break }   // already on the base: a fast-forward
                // The head's commits since the merge base — a line of single-parent commits — oldest first,
                // each replayed on the last.
                var commits: [Commit] = []
                var next = head
                while !bases.contains(next) {
                    let commit = try session.commit(next)
                    guard commit.parentIDs.count == 1, commits.count < 10_000 else {
                        throw ForgeError(.conflict, "\(commit.id.hex.prefix(10)) is a merge commit: a rebase cannot replay it; merge or squash instead",
                                         operation: "merge")
                    }
                    commits.append(commit)
                    next = commit.parentIDs[0]
                }
                var tip = base
                for commit in commits.reversed() {
                    let tree = try session.cherryPickedTree(commit.id, onto: tip)
                    tip = try session.writeCommit(tree: tree, parents: [tip], author: commit.author, committer: merger, message: commit.message)
                }
                target = tip
            }
            do {
                try session.updateReference(baseReference, to: target, expected: base, message: "merge pull request #\(pull.number)")
            } catch let error as ForgeError where error.code == .conflict {
                throw ForgeError(.conflict, "\(pull.baseBranch) moved while merging; nothing was merged, try again", operation: "merge")
            }
            var headDeleted = false
            // A fork's branch is the fork's to delete.
            if deleteBranch, !pull.isFromFork, (try? session.resolveCommit(headReference)) == head {
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
                let head = (try? session.resolveCommit(pull.headReference)) ?? ObjectID(hex: pull.headCommit)
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
