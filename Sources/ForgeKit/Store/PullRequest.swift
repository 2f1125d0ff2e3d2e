public import Foundation

/// Where a pull request stands.
public enum PullRequestState: String, Sendable, Hashable, Codable, CaseIterable {
    case open, closed, merged
}

/// How a pull request's head goes into its base (Gitea's `Do` names).
public enum MergeStyle: String, Sendable, Hashable, CaseIterable {
    /// A merge commit with the base and the head as parents, even when a fast-forward would do.
    case merge
    /// The base moves to the head; refused unless the base is an ancestor of the head.
    case fastForwardOnly = "fast-forward-only"
    /// One new commit on the base with the merged tree, authored by the pull request's author.
    case squash
    /// Each of the head's commits replayed on the base, in order, keeping its author and message;
    /// the base moves to the last. Refused when the head holds merge commits or a replay conflicts.
    case rebase
}

/// A pull request to open: merge `headBranch` — of the same repository, or of a fork
/// (`headRepositoryID`) — into `baseBranch`.
public struct NewPullRequest: Sendable, Hashable {
    public var title: String
    /// Markdown.
    public var body: String
    public var headBranch: String
    public var baseBranch: String
    /// The branches' commits when it is opened.
    public var headCommit: String
    public var baseCommit: String
    /// The fork the head branch is in; nil for a branch of the base repository.
    public var headRepositoryID: Int64?

    /// Creates a pull request to open.
    public init(title: String, body: String, headBranch: String, baseBranch: String, headCommit: String, baseCommit: String,
                headRepositoryID: Int64? = nil) {
        self.title = title
        self.body = body
        self.headBranch = headBranch
        self.baseBranch = baseBranch
        self.headCommit = headCommit
        self.baseCommit = baseCommit
        self.headRepositoryID = headRepositoryID
    }

    /// Refuses an empty or over-long title (255 bytes, no control characters), a body over 64 KiB,
    /// and a head that is its base.
    public func validate() throws(ForgeError) {
        try Self.validate(title: title, body: body)
        guard headRepositoryID != nil || headBranch != baseBranch else {
            throw ForgeError(.invalidArgument, "'head' and 'base' are the same branch", operation: "open pull request")
        }
        guard CommitStatus.isCommitID(headCommit), CommitStatus.isCommitID(baseCommit) else {
            throw ForgeError(.invalidArgument, "the branches' commits must be full ids", operation: "open pull request")
        }
    }

    /// The title and body rules, for opening and editing.
    public static func validate(title: String, body: String) throws(ForgeError) {
        guard !title.trimmingCharacters(in: .whitespaces).isEmpty, title.utf8.count <= 255,
              !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ForgeError(.invalidArgument, "'title' must have 1 to 255 bytes on one line", operation: "pull request")
        }
        guard body.utf8.count <= 64 << 10 else {
            throw ForgeError(.invalidArgument, "'body' has more than 64 KiB", operation: "pull request")
        }
    }
}

/// A stored pull request, numbered within its repository.
public struct PullRequest: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var repositoryID: Int64
    /// 1, 2, … within the repository.
    public var number: Int64
    public var title: String
    public var body: String
    public var headBranch: String
    public var baseBranch: String
    /// The head's commit when it was last seen (opened, updated or merged).
    public var headCommit: String
    /// The base's commit when it was opened.
    public var baseCommit: String
    public var state: PullRequestState
    public var author: ForgeUser?
    public var createdAt: Date
    public var updatedAt: Date
    public var mergedAt: Date?
    /// The commit the base moved to.
    public var mergeCommit: String?
    public var mergedBy: ForgeUser?
    /// The fork the head branch is in; nil for a branch of the pull request's own repository.
    /// The fork's head is kept in the base repository as ``headReference``.
    public var headRepositoryID: Int64?

    /// Whether the head is a branch of a fork.
    public var isFromFork: Bool { headRepositoryID != nil }

    /// Where the head is found in the base repository: its branch, or for a fork's pull request
    /// `refs/pull/NUMBER/head` (as GitHub and Gitea keep it), which follows the fork's branch.
    public var headReference: String { isFromFork ? "refs/pull/\(number)/head" : "refs/heads/" + headBranch }

    /// Creates a stored pull request.
    public init(id: Int64, repositoryID: Int64, number: Int64, title: String, body: String, headBranch: String, baseBranch: String,
                headCommit: String, baseCommit: String, state: PullRequestState, author: ForgeUser?, createdAt: Date, updatedAt: Date,
                mergedAt: Date? = nil, mergeCommit: String? = nil, mergedBy: ForgeUser? = nil, headRepositoryID: Int64? = nil) {
        self.headRepositoryID = headRepositoryID
        self.id = id
        self.repositoryID = repositoryID
        self.number = number
        self.title = title
        self.body = body
        self.headBranch = headBranch
        self.baseBranch = baseBranch
        self.headCommit = headCommit
        self.baseCommit = baseCommit
        self.state = state
        self.author = author
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.mergedAt = mergedAt
        self.mergeCommit = mergeCommit
        self.mergedBy = mergedBy
    }
}

/// What a review says (Gitea's events: `APPROVED`, `REQUEST_CHANGES`, `COMMENT`).
public enum ReviewState: String, Sendable, Hashable, CaseIterable {
    case approved = "APPROVED"
    case changesRequested = "REQUEST_CHANGES"
    case comment = "COMMENT"

    /// The state as GitHub's webhooks and the pipelines' `review_state` name it: `approved`,
    /// `changes_requested`, `commented`.
    public var webhookName: String {
        switch self {
        case .approved: "approved"
        case .changesRequested: "changes_requested"
        case .comment: "commented"
        }
    }
}

/// A comment on a pull request: on the conversation, or on a line of a file in its diff, kept with
/// the commit it was made on.
public struct PullComment: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var pullID: Int64
    public var author: ForgeUser?
    /// Markdown.
    public var body: String
    /// The file and line (in the file at `commit`) for a comment on the diff; nil on the conversation.
    public var path: String?
    public var line: Int?
    /// The head commit when it was made.
    public var commit: String
    /// The review it belongs to, if any.
    public var reviewID: Int64?
    public var createdAt: Date

    /// Creates a stored comment.
    public init(id: Int64, pullID: Int64, author: ForgeUser?, body: String, path: String?, line: Int?, commit: String, reviewID: Int64?, createdAt: Date) {
        self.id = id
        self.pullID = pullID
        self.author = author
        self.body = body
        self.path = path
        self.line = line
        self.commit = commit
        self.reviewID = reviewID
        self.createdAt = createdAt
    }
}

/// A review of a pull request at a head commit: approved, changes requested, or a comment.
public struct PullReview: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var pullID: Int64
    public var author: ForgeUser?
    public var state: ReviewState
    public var body: String
    /// The head commit it reviewed: an approval of an older head is stale.
    public var commit: String
    public var createdAt: Date

    /// Creates a stored review.
    public init(id: Int64, pullID: Int64, author: ForgeUser?, state: ReviewState, body: String, commit: String, createdAt: Date) {
        self.id = id
        self.pullID = pullID
        self.author = author
        self.state = state
        self.body = body
        self.commit = commit
        self.createdAt = createdAt
    }
}

/// A comment to add: on the conversation, or on `line` of `path` at `commit`.
public struct NewPullComment: Sendable, Hashable {
    public var body: String
    public var path: String?
    public var line: Int?
    public var commit: String

    /// Creates a comment to add.
    public init(body: String, path: String? = nil, line: Int? = nil, commit: String) {
        self.body = body
        self.path = path
        self.line = line
        self.commit = commit
    }

    /// Refuses an empty body or one over 64 KiB, a path without a line (or the reverse), and a line below 1.
    public func validate() throws(ForgeError) {
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.utf8.count <= 64 << 10 else {
            throw ForgeError(.invalidArgument, "'body' must have 1 byte to 64 KiB", operation: "comment")
        }
        guard (path == nil) == (line == nil), (line ?? 1) >= 1, path.map({ !$0.isEmpty && $0.utf8.count <= 4096 }) ?? true else {
            throw ForgeError(.invalidArgument, "a comment on the diff needs a 'path' and a 'line' from 1", operation: "comment")
        }
        guard CommitStatus.isCommitID(commit) else { throw ForgeError(.invalidArgument, "'commit_id' must be a full commit id", operation: "comment") }
    }
}

/// Something that happened to a pull request, in the order it happened: the pull request event
/// outbox that webhooks and pipelines are fed from. Actions: `opened`, `edited`, `closed`,
/// `reopened`, `synchronize` (a new head), `merged` (GitHub's `closed` with `merged: true`),
/// `reviewed` and `commented`.
public struct PullEvent: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var repositoryID: Int64
    public var pullID: Int64
    public var action: String
    /// Who did it; nil for the forge itself (a push moving the head, the pipelines).
    public var actorID: Int64?
    /// What the event is about: the review of a `reviewed` event, the comment of a `commented` one
    /// (their ids); nil otherwise, and for events stored before subjects were recorded.
    public var subjectID: Int64?
    public var createdAt: Date

    /// Creates a stored event.
    public init(id: Int64, repositoryID: Int64, pullID: Int64, action: String, actorID: Int64?, subjectID: Int64? = nil, createdAt: Date) {
        self.id = id
        self.repositoryID = repositoryID
        self.pullID = pullID
        self.action = action
        self.actorID = actorID
        self.subjectID = subjectID
        self.createdAt = createdAt
    }
}

/// The review or comment a pull request event is about, read from the store: what webhooks and
/// pipelines tell about a `reviewed` or `commented` event.
public struct PullEventSubject: Sendable, Hashable {
    /// The review of a `reviewed` event.
    public var review: PullReview?
    /// The comment of a `commented` event.
    public var comment: PullComment?

    /// Reads the subject of `event` (nothing for other actions, or an event without one).
    public static func load(_ event: PullEvent, from store: any ForgeMetadataStore) async throws(ForgeError) -> PullEventSubject {
        guard let id = event.subjectID else { return PullEventSubject() }
        switch event.action {
        case "reviewed": return PullEventSubject(review: try await store.pullReviews(pullID: event.pullID).first { $0.id == id })
        case "commented": return PullEventSubject(comment: try await store.pullComments(pullID: event.pullID).first { $0.id == id })
        default: return PullEventSubject()
        }
    }
}
