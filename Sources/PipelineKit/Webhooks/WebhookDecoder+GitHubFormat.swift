/// GitHub's push and pull_request payloads, which Gitea and Forgejo follow field for field (except the
/// pusher, and Gitea's `synchronized` for GitHub's `synchronize`).
///
/// Property names mirror the documented JSON fields; each type reads its fields from a ``JSONObjectReader``,
/// whose errors name the field's path.
enum GitHubFormat {
    // MARK: Wire types

    struct Repository {
        let full_name: String
        let clone_url: String
        let ssh_url: String?
        let html_url: String
        let default_branch: String?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            full_name = try json.string("full_name")
            clone_url = try json.string("clone_url")
            ssh_url = try json.optionalString("ssh_url")
            html_url = try json.string("html_url")
            default_branch = try json.optionalString("default_branch")
        }
    }

    /// GitHub sends `name` (the login) and `email`; Gitea sends a user (`login`, `full_name`, `email`,
    /// `username`).
    struct Pusher {
        let name: String?
        let login: String?
        let full_name: String?
        let email: String?
        let username: String?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            name = try json.optionalString("name")
            login = try json.optionalString("login")
            full_name = try json.optionalString("full_name")
            email = try json.optionalString("email")
            username = try json.optionalString("username")
        }
    }

    struct User {
        let login: String

        init(_ json: JSONObjectReader) throws(PipelineError) {
            login = try json.string("login")
        }
    }

    struct Author {
        let name: String
        let email: String?
        let username: String?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            name = try json.string("name")
            email = try json.optionalString("email")
            username = try json.optionalString("username")
        }
    }

    struct Commit {
        let id: String
        let message: String
        let timestamp: String
        let author: Author
        let added: [String]?
        let modified: [String]?
        let removed: [String]?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            id = try json.string("id")
            message = try json.string("message")
            timestamp = try json.string("timestamp")
            author = try Author(json.object("author"))
            added = try json.optionalStrings("added")
            modified = try json.optionalStrings("modified")
            removed = try json.optionalStrings("removed")
        }
    }

    struct Push {
        let ref: String
        let before: String
        let after: String
        let created: Bool?
        let deleted: Bool?
        let repository: Repository
        let pusher: Pusher
        let sender: User?
        let commits: [Commit]?
        let head_commit: Commit?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            ref = try json.string("ref")
            before = try json.string("before")
            after = try json.string("after")
            created = try json.optionalBool("created")
            deleted = try json.optionalBool("deleted")
            repository = try Repository(json.object("repository"))
            pusher = try Pusher(json.object("pusher"))
            if let sender = try json.optionalObject("sender") { self.sender = try User(sender) } else { sender = nil }
            if let commits = try json.optionalObjects("commits") {
                var list: [Commit] = []
                list.reserveCapacity(commits.count)
                for commit in commits { list.append(try Commit(commit)) }
                self.commits = list
            } else {
                commits = nil
            }
            if let head = try json.optionalObject("head_commit") { head_commit = try Commit(head) } else { head_commit = nil }
        }
    }

    struct Side {
        let ref: String
        let sha: String
        let repo: Repository?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            ref = try json.string("ref")
            sha = try json.string("sha")
            if let repo = try json.optionalObject("repo") { self.repo = try Repository(repo) } else { repo = nil }
        }
    }

    struct PullRequest {
        let title: String
        let user: User
        let state: String
        let merged: Bool?
        let html_url: String
        let head: Side
        let base: Side

        init(_ json: JSONObjectReader) throws(PipelineError) {
            title = try json.string("title")
            user = try User(json.object("user"))
            state = try json.string("state")
            merged = try json.optionalBool("merged")
            html_url = try json.string("html_url")
            head = try Side(json.object("head"))
            base = try Side(json.object("base"))
        }
    }

    struct PullRequestPayload {
        let action: String
        let number: Int
        let pull_request: PullRequest

        init(_ json: JSONObjectReader) throws(PipelineError) {
            action = try json.string("action")
            number = try json.integer("number")
            pull_request = try PullRequest(json.object("pull_request"))
        }
    }

    // MARK: Conversion

    static func push(_ provider: WebhookProvider, _ push: Push) throws(PipelineError) -> WebhookEvent {
        let pusher: WebhookPusher
        switch provider {
        case .gitea:
            guard let login = push.pusher.login ?? push.pusher.username else {
                throw WebhookDecoder.error(.invalidEvent, "pusher.login is missing")
            }
            let fullName = push.pusher.full_name ?? ""
            pusher = WebhookPusher(name: fullName.isEmpty ? login : fullName, login: login, email: push.pusher.email)
        default:
            guard let name = push.pusher.name else {
                throw WebhookDecoder.error(.invalidEvent, "pusher.name is missing")
            }
            pusher = WebhookPusher(name: name, login: push.sender?.login ?? name, email: push.pusher.email)
        }
        return PushParts(
            provider: provider,
            repository: repository(push.repository),
            ref: push.ref,
            before: push.before,
            after: push.after,
            created: push.created,
            deleted: push.deleted,
            pusher: pusher,
            headCommitAuthor: push.head_commit.map { author($0.author) },
            commits: (push.commits ?? []).map(commit)
        ).event()
    }

    static func pullRequest(_ provider: WebhookProvider, _ payload: PullRequestPayload) -> WebhookEvent {
        let action: PullRequestEvent.Action =
            switch (provider, payload.action) {
            case (_, "opened"): .opened
            case (.github, "synchronize"), (.gitea, "synchronized"): .synchronized
            case (_, "reopened"): .reopened
            case (_, "closed"): .closed
            case (_, let other): .other(other)
            }
        let request = payload.pull_request
        return .pullRequest(PullRequestEvent(
            provider: provider,
            action: action,
            number: payload.number,
            title: request.title,
            author: request.user.login,
            state: request.state,
            merged: request.merged ?? false,
            head: side(request.head),
            base: side(request.base),
            htmlURL: request.html_url
        ))
    }

    private static func side(_ side: Side) -> PullRequestEvent.Side {
        PullRequestEvent.Side(branch: side.ref, sha: side.sha, repository: side.repo.map(repository))
    }

    private static func repository(_ repository: Repository) -> WebhookRepository {
        WebhookRepository(
            fullName: repository.full_name,
            cloneURL: repository.clone_url,
            sshURL: repository.ssh_url,
            htmlURL: repository.html_url,
            defaultBranch: repository.default_branch
        )
    }

    private static func author(_ author: Author) -> CommitAuthor {
        CommitAuthor(name: author.name, email: author.email, username: author.username.flatMap { $0.isEmpty ? nil : $0 })
    }

    private static func commit(_ commit: Commit) -> PushedCommit {
        PushedCommit(
            id: commit.id,
            message: commit.message,
            author: author(commit.author),
            timestamp: commit.timestamp,
            added: commit.added ?? [],
            modified: commit.modified ?? [],
            removed: commit.removed ?? []
        )
    }
}

/// The provider-neutral parts of a push, before it is told apart as a branch or a tag push.
struct PushParts {
    var provider: WebhookProvider
    var repository: WebhookRepository
    var ref: String
    var before: String
    var after: String
    /// The provider's flag, if it sends one; otherwise derived from an all-zero `before`.
    var created: Bool?
    /// The provider's flag, if it sends one; otherwise derived from an all-zero `after`.
    var deleted: Bool?
    var pusher: WebhookPusher
    var headCommitAuthor: CommitAuthor?
    var commits: [PushedCommit]

    /// A ``TagEvent`` for `refs/tags/*`, otherwise a ``BranchPushEvent``.
    func event() -> WebhookEvent {
        let created = created ?? Self.isZero(before)
        let deleted = deleted ?? Self.isZero(after)
        if let tag = ref.dropPrefix("refs/tags/") {
            return .tag(TagEvent(
                provider: provider, repository: repository, ref: ref, tag: tag, before: before, after: after,
                created: created, deleted: deleted, pusher: pusher, headCommitAuthor: headCommitAuthor, commits: commits
            ))
        }
        return .push(BranchPushEvent(
            provider: provider, repository: repository, ref: ref, branch: ref.dropPrefix("refs/heads/") ?? ref,
            before: before, after: after, created: created, deleted: deleted, pusher: pusher,
            headCommitAuthor: headCommitAuthor, commits: commits
        ))
    }

    /// Whether `id` is the null object id (forty, or for SHA-256 repositories sixty-four, zeros).
    static func isZero(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.allSatisfy { $0 == UInt8(ascii: "0") }
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil if it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
