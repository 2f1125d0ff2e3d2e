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
}

/// A pull request to open: merge `headBranch` into `baseBranch` of one repository.
public struct NewPullRequest: Sendable, Hashable {
    public var title: String
    /// Markdown.
    public var body: String
    public var headBranch: String
    public var baseBranch: String
    /// The branches' commits when it is opened.
    public var headCommit: String
    public var baseCommit: String

    /// Creates a pull request to open.
    public init(title: String, body: String, headBranch: String, baseBranch: String, headCommit: String, baseCommit: String) {
        self.title = title
        self.body = body
        self.headBranch = headBranch
        self.baseBranch = baseBranch
        self.headCommit = headCommit
        self.baseCommit = baseCommit
    }

    /// Refuses an empty or over-long title (255 bytes, no control characters), a body over 64 KiB,
    /// and a head that is its base.
    public func validate() throws(ForgeError) {
        try Self.validate(title: title, body: body)
        guard headBranch != baseBranch else {
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

    /// Creates a stored pull request.
    public init(id: Int64, repositoryID: Int64, number: Int64, title: String, body: String, headBranch: String, baseBranch: String,
                headCommit: String, baseCommit: String, state: PullRequestState, author: ForgeUser?, createdAt: Date, updatedAt: Date,
                mergedAt: Date? = nil, mergeCommit: String? = nil, mergedBy: ForgeUser? = nil) {
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
