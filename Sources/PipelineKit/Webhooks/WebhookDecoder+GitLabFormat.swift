/// GitLab's `Push Hook`, `Tag Push Hook` and `Merge Request Hook` payloads.
///
/// Property names mirror the documented JSON fields; each type reads its fields from a ``JSONObjectReader``,
/// whose errors name the field's path.
enum GitLabFormat {
    // MARK: Wire types

    struct Project {
        let path_with_namespace: String
        let git_http_url: String
        let git_ssh_url: String?
        let web_url: String
        let default_branch: String?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            path_with_namespace = try json.string("path_with_namespace")
            git_http_url = try json.string("git_http_url")
            git_ssh_url = try json.optionalString("git_ssh_url")
            web_url = try json.string("web_url")
            default_branch = try json.optionalString("default_branch")
        }
    }

    struct Author {
        let name: String
        let email: String?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            name = try json.string("name")
            email = try json.optionalString("email")
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
        let object_kind: String
        let ref: String
        let before: String
        let after: String
        let user_name: String
        let user_username: String?
        let user_email: String?
        let project: Project
        let commits: [Commit]?

        init(_ json: JSONObjectReader) throws(PipelineError) {
            object_kind = try json.string("object_kind")
            ref = try json.string("ref")
            before = try json.string("before")
            after = try json.string("after")
            user_name = try json.string("user_name")
            user_username = try json.optionalString("user_username")
            user_email = try json.optionalString("user_email")
            project = try Project(json.object("project"))
            if let commits = try json.optionalObjects("commits") {
                var list: [Commit] = []
                list.reserveCapacity(commits.count)
                for commit in commits { list.append(try Commit(commit)) }
                self.commits = list
            } else {
                commits = nil
            }
        }
    }

    struct User {
        let username: String

        init(_ json: JSONObjectReader) throws(PipelineError) {
            username = try json.string("username")
        }
    }

    struct LastCommit {
        let id: String

        init(_ json: JSONObjectReader) throws(PipelineError) {
            id = try json.string("id")
        }
    }

    struct Attributes {
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

        init(_ json: JSONObjectReader) throws(PipelineError) {
            iid = try json.integer("iid")
            title = try json.string("title")
            state = try json.string("state")
            action = try json.optionalString("action")
            oldrev = try json.optionalString("oldrev")
            url = try json.string("url")
            source_branch = try json.string("source_branch")
            target_branch = try json.string("target_branch")
            if let source = try json.optionalObject("source") { self.source = try Project(source) } else { source = nil }
            target = try Project(json.object("target"))
            last_commit = try LastCommit(json.object("last_commit"))
        }
    }

    struct MergeRequestPayload {
        let object_kind: String
        let user: User
        let object_attributes: Attributes

        init(_ json: JSONObjectReader) throws(PipelineError) {
            object_kind = try json.string("object_kind")
            user = try User(json.object("user"))
            object_attributes = try Attributes(json.object("object_attributes"))
        }
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
