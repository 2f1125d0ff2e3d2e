/// What a webhook delivery announced, decoded into provider-neutral values.
public enum WebhookEvent: Sendable, Hashable, Codable {
    /// Commits pushed to a branch (or a branch created or deleted).
    case push(BranchPushEvent)
    /// A tag pushed, created or deleted.
    case tag(TagEvent)
    /// A pull request (GitLab: merge request) opened, updated, reopened, closed or otherwise changed.
    case pullRequest(PullRequestEvent)
    /// The provider checking that the hook works (GitHub's `ping`).
    case ping
    /// An event type nobody decodes, named by the provider's event header (for example GitHub `issues`
    /// or GitLab `Note Hook`). A receiver acknowledges it (202) and logs it; its body is not parsed.
    case unsupported(kind: String)
}

/// One decoded webhook request: who sent it, its delivery id, its event header and the event.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// The provider whose format the request was decoded as.
    public var provider: WebhookProvider
    /// The provider's id for this delivery (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`,
    /// `X-Forgejo-Delivery`/`X-Gitea-Delivery`); when the header is absent, the lowercase hex SHA-256
    /// digest of the raw body, so that a redelivered identical body still counts as a duplicate.
    public var id: String
    /// The event header's value as sent (`push`, `pull_request`, `Push Hook`, `Merge Request Hook`, …).
    public var kind: String
    /// The decoded event.
    public var event: WebhookEvent

    /// Creates a delivery.
    public init(provider: WebhookProvider, id: String, kind: String, event: WebhookEvent) {
        self.provider = provider
        self.id = id
        self.kind = kind
        self.event = event
    }
}

/// A repository as a webhook describes it.
public struct WebhookRepository: Sendable, Hashable, Codable {
    /// `owner/name` (GitLab: the project's `path_with_namespace`, which may have several namespace levels).
    public var fullName: String
    /// The HTTP(S) clone URL.
    public var cloneURL: String
    /// The SSH clone URL, if the provider sent one.
    public var sshURL: String?
    /// The repository's web page.
    public var htmlURL: String
    /// The default branch, if the provider sent it.
    public var defaultBranch: String?

    /// Creates a repository description.
    public init(fullName: String, cloneURL: String, sshURL: String? = nil, htmlURL: String, defaultBranch: String? = nil) {
        self.fullName = fullName
        self.cloneURL = cloneURL
        self.sshURL = sshURL
        self.htmlURL = htmlURL
        self.defaultBranch = defaultBranch
    }
}

/// The person who pushed.
public struct WebhookPusher: Sendable, Hashable, Codable {
    /// A display name (GitHub sends the login here; Gitea the full name, or the login when that is empty).
    public var name: String
    /// The account's login, when the provider identifies it.
    public var login: String?
    /// The e-mail address, when the provider sends one.
    public var email: String?

    /// Creates a pusher.
    public init(name: String, login: String? = nil, email: String? = nil) {
        self.name = name
        self.login = login
        self.email = email
    }
}

/// A commit's author as a webhook reports it.
public struct CommitAuthor: Sendable, Hashable, Codable {
    /// The author's name from the commit.
    public var name: String
    /// The author's e-mail address from the commit, when the provider sends it.
    public var email: String?
    /// The forge account matched to that address, when the provider reports one (GitHub, Gitea).
    public var username: String?

    /// Creates an author.
    public init(name: String, email: String?, username: String? = nil) {
        self.name = name
        self.email = email
        self.username = username
    }
}

/// A pushed commit as a webhook lists it.
public struct PushedCommit: Sendable, Hashable, Codable {
    /// The commit id (full hex).
    public var id: String
    /// The commit message.
    public var message: String
    /// The commit's author.
    public var author: CommitAuthor
    /// The author date as the provider formats it (ISO 8601 with offset, e.g. `2024-05-01T12:00:00+02:00`).
    public var timestamp: String
    /// Paths the commit added.
    public var added: [String]
    /// Paths the commit modified.
    public var modified: [String]
    /// Paths the commit removed.
    public var removed: [String]

    /// Creates a commit.
    public init(
        id: String, message: String, author: CommitAuthor, timestamp: String,
        added: [String] = [], modified: [String] = [], removed: [String] = []
    ) {
        self.id = id
        self.message = message
        self.author = author
        self.timestamp = timestamp
        self.added = added
        self.modified = modified
        self.removed = removed
    }
}

/// Commits pushed to a branch.
///
/// Providers list a bounded number of commits (GitHub up to 2048, GitLab 20 by default), so
/// ``changedPaths`` can be incomplete for large pushes; it is a hint, not a diff.
public struct BranchPushEvent: Sendable, Hashable, Codable {
    /// Who sent the webhook.
    public var provider: WebhookProvider
    /// The repository pushed to.
    public var repository: WebhookRepository
    /// The full ref, `refs/heads/<branch>`.
    public var ref: String
    /// The branch name (`ref` without `refs/heads/`).
    public var branch: String
    /// The ref's commit before the push (all zeros when the branch was created).
    public var before: String
    /// The ref's commit after the push (all zeros when the branch was deleted).
    public var after: String
    /// Whether the push created the branch.
    public var created: Bool
    /// Whether the push deleted the branch.
    public var deleted: Bool
    /// Who pushed.
    public var pusher: WebhookPusher
    /// The author of the new head commit, when the provider describes it.
    public var headCommitAuthor: CommitAuthor?
    /// The pushed commits, as the provider lists them.
    public var commits: [PushedCommit]

    /// Creates a push event.
    public init(
        provider: WebhookProvider, repository: WebhookRepository, ref: String, branch: String,
        before: String, after: String, created: Bool, deleted: Bool, pusher: WebhookPusher,
        headCommitAuthor: CommitAuthor?, commits: [PushedCommit]
    ) {
        self.provider = provider
        self.repository = repository
        self.ref = ref
        self.branch = branch
        self.before = before
        self.after = after
        self.created = created
        self.deleted = deleted
        self.pusher = pusher
        self.headCommitAuthor = headCommitAuthor
        self.commits = commits
    }

    /// The sorted, unique union of the paths the listed commits added, modified or removed.
    public var changedPaths: [String] { PushedCommit.changedPaths(commits) }
}

/// A tag pushed, created or deleted.
public struct TagEvent: Sendable, Hashable, Codable {
    /// Who sent the webhook.
    public var provider: WebhookProvider
    /// The repository.
    public var repository: WebhookRepository
    /// The full ref, `refs/tags/<tag>`.
    public var ref: String
    /// The tag name (`ref` without `refs/tags/`).
    public var tag: String
    /// The tag's previous target (all zeros when the tag was created).
    public var before: String
    /// The tag's new target (all zeros when the tag was deleted). For an annotated tag this is the tag
    /// object's id on GitHub and Gitea; GitLab's `checkout_sha` (the commit) is not used here.
    public var after: String
    /// Whether the push created the tag.
    public var created: Bool
    /// Whether the push deleted the tag.
    public var deleted: Bool
    /// Who pushed.
    public var pusher: WebhookPusher
    /// The author of the tagged head commit, when the provider describes it.
    public var headCommitAuthor: CommitAuthor?
    /// The commits the provider lists with the tag push (often empty).
    public var commits: [PushedCommit]

    /// Creates a tag event.
    public init(
        provider: WebhookProvider, repository: WebhookRepository, ref: String, tag: String,
        before: String, after: String, created: Bool, deleted: Bool, pusher: WebhookPusher,
        headCommitAuthor: CommitAuthor?, commits: [PushedCommit]
    ) {
        self.provider = provider
        self.repository = repository
        self.ref = ref
        self.tag = tag
        self.before = before
        self.after = after
        self.created = created
        self.deleted = deleted
        self.pusher = pusher
        self.headCommitAuthor = headCommitAuthor
        self.commits = commits
    }

    /// The sorted, unique union of the paths the listed commits added, modified or removed.
    public var changedPaths: [String] { PushedCommit.changedPaths(commits) }
}

extension PushedCommit {
    static func changedPaths(_ commits: [PushedCommit]) -> [String] {
        var paths = Set<String>()
        for commit in commits {
            paths.formUnion(commit.added)
            paths.formUnion(commit.modified)
            paths.formUnion(commit.removed)
        }
        return paths.sorted()
    }
}

/// A pull request (GitLab: merge request) changed.
public struct PullRequestEvent: Sendable, Hashable, Codable {
    /// What happened, normalised across providers.
    public enum Action: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Opened (GitHub/Gitea `opened`, GitLab `open`).
        case opened
        /// New commits on the head branch (GitHub `synchronize`, Gitea `synchronized`, GitLab `update`
        /// with `oldrev`).
        case synchronized
        /// Reopened (GitHub/Gitea `reopened`, GitLab `reopen`).
        case reopened
        /// Closed, merged or not (GitHub/Gitea `closed`, GitLab `close` and `merge`); see
        /// ``PullRequestEvent/merged``.
        case closed
        /// Any other action, as the provider spelled it (GitHub `edited`, `labeled`; GitLab `update`
        /// without new commits, `approved`; Gitea `label_updated`); empty if the provider sent none.
        case other(String)

        /// Creates an action from its ``name``; names other than the four normalised ones are ``other(_:)``.
        public init(name: String) {
            switch name {
            case "opened": self = .opened
            case "synchronized": self = .synchronized
            case "reopened": self = .reopened
            case "closed": self = .closed
            default: self = .other(name)
            }
        }

        /// `opened`, `synchronized`, `reopened`, `closed`, or the provider's own word.
        public var name: String {
            switch self {
            case .opened: "opened"
            case .synchronized: "synchronized"
            case .reopened: "reopened"
            case .closed: "closed"
            case .other(let name): name
            }
        }

        /// The action's ``name``.
        public var description: String { name }

        /// Decodes the action from its ``name``.
        public init(from decoder: any Decoder) throws {
            self.init(name: try decoder.singleValueContainer().decode(String.self))
        }

        /// Encodes the action as its ``name``.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }
    }

    /// One side of a pull request: a branch at a commit in a repository.
    public struct Side: Sendable, Hashable, Codable {
        /// The branch name (short, without `refs/heads/`).
        public var branch: String
        /// The branch's commit. Always present for the head; for the base it is nil on GitLab, which
        /// does not send the target branch's commit.
        public var sha: String?
        /// The repository holding the branch (the head may be a fork); nil when the provider sent none,
        /// as GitHub does for a head whose fork was deleted.
        public var repository: WebhookRepository?

        /// Creates a side.
        public init(branch: String, sha: String?, repository: WebhookRepository?) {
            self.branch = branch
            self.sha = sha
            self.repository = repository
        }
    }

    /// Who sent the webhook.
    public var provider: WebhookProvider
    /// What happened.
    public var action: Action
    /// The pull request's number in its repository (GitLab: the merge request's `iid`).
    public var number: Int
    /// The title.
    public var title: String
    /// The login of the pull request's author. GitLab sends only the author's numeric id, so for GitLab
    /// this is the login of the user who triggered the event (the author when it is opened).
    public var author: String
    /// The provider's state word (`open`/`closed` on GitHub and Gitea; `opened`, `closed`, `merged`,
    /// `locked` on GitLab).
    public var state: String
    /// Whether the pull request has been merged.
    public var merged: Bool
    /// The branch with the changes.
    public var head: Side
    /// The branch the changes go into.
    public var base: Side
    /// The pull request's web page.
    public var htmlURL: String

    /// Creates a pull request event.
    public init(
        provider: WebhookProvider, action: Action, number: Int, title: String, author: String,
        state: String, merged: Bool, head: Side, base: Side, htmlURL: String
    ) {
        self.provider = provider
        self.action = action
        self.number = number
        self.title = title
        self.author = author
        self.state = state
        self.merged = merged
        self.head = head
        self.base = base
        self.htmlURL = htmlURL
    }

    /// Whether the head lives in another repository than the base (a fork), when both are known.
    public var isFromFork: Bool {
        guard let head = head.repository, let base = base.repository else { return false }
        return head.fullName != base.fullName
    }
}
