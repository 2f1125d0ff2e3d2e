/// GitLab's `Push Hook`, `Tag Push Hook` and `Merge Request Hook` payloads.
///
/// Property names mirror the JSON fields so that decoding errors name the documented field path.
enum GitLabFormat {
    // MARK: Wire types

    struct Project: Decodable {
        let path_with_namespace: String
        let git_http_url: String
        let git_ssh_url: String?
        let web_url: String
        let default_branch: String?
    }

    struct Author: Decodable {
        let name: String
        let email: String?
    }

    struct Commit: Decodable {
        let id: String
        let message: String
        let timestamp: String
        let author: Author
        let added: [String]?
        let modified: [String]?
        let removed: [String]?
    }

    struct Push: Decodable {
        let object_kind: String
        let ref: String
        let before: String
        let after: String
        let user_name: String
        let user_username: String?
        let user_email: String?
        let project: Project
        let commits: [Commit]?
    }

    struct User: Decodable {
        let username: String
    }

    struct LastCommit: Decodable {
        let id: String
    }

    struct Attributes: Decodable {
        let iid: Int
        let title: String
        let state: String
        let action: String?
        let oldrev: String?
        let url: String
        let source_branch: String
        let target_branch: String
        let source: Project?
        let target: Project
        let last_commit: LastCommit
    }

    struct MergeRequestPayload: Decodable {
        let object_kind: String
        let user: User
        let object_attributes: Attributes
    }

    // MARK: Conversion

    static func push(_ push: Push) -> WebhookEvent {
        let commits = (push.commits ?? []).map { commit in
            PushedCommit(
                id: commit.id,
                message: commit.message,
                author: CommitAuthor(name: commit.author.name, email: commit.author.email),
                timestamp: commit.timestamp,
                added: commit.added ?? [],
                modified: commit.modified ?? [],
                removed: commit.removed ?? []
            )
        }
        // GitLab has no head_commit; the listed commit whose id is `after` is the head.
        let head = commits.first { $0.id == push.after }
        return PushParts(
            provider: .gitlab,
            repository: repository(push.project),
            ref: push.ref,
            before: push.before,
            after: push.after,
            created: nil,
            deleted: nil,
            pusher: WebhookPusher(name: push.user_name, login: push.user_username, email: push.user_email),
            headCommitAuthor: head?.author,
            commits: commits
        ).event()
    }

    static func mergeRequest(_ payload: MergeRequestPayload) -> WebhookEvent {
        let attributes = payload.object_attributes
        let action: PullRequestEvent.Action =
            switch attributes.action {
            case "open": .opened
            case "reopen": .reopened
            case "close", "merge": .closed
            case "update" where attributes.oldrev.map { !$0.isEmpty } ?? false: .synchronized
            case let other: .other(other ?? "")
            }
        return .pullRequest(PullRequestEvent(
            provider: .gitlab,
            action: action,
            number: attributes.iid,
            title: attributes.title,
            author: payload.user.username,
            state: attributes.state,
            merged: attributes.action == "merge" || attributes.state == "merged",
            head: PullRequestEvent.Side(
                branch: attributes.source_branch, sha: attributes.last_commit.id, repository: attributes.source.map(repository)
            ),
            base: PullRequestEvent.Side(branch: attributes.target_branch, sha: nil, repository: repository(attributes.target)),
            htmlURL: attributes.url
        ))
    }

    private static func repository(_ project: Project) -> WebhookRepository {
        WebhookRepository(
            fullName: project.path_with_namespace,
            cloneURL: project.git_http_url,
            sshURL: project.git_ssh_url,
            htmlURL: project.web_url,
            defaultBranch: project.default_branch
        )
    }
}
