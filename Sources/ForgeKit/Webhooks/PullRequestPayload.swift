import Foundation

/// GitHub's `pull_request` webhook body (which Gitea and Forgejo follow) for a pull request event:
/// `action`, `number`, `pull_request` (title, body, state, merged, user, head and base with their
/// branch, commit and repository), `repository` and `sender`. Comments go as `issue_comment`
/// (`action: created`) and reviews as `pull_request_review` (`action: submitted`).
public enum GitHubPullRequestPayload {
    /// The event name (`X-GitHub-Event`) and body of `event` on `pull`.
    public static func encode(_ event: PullEvent, pull: PullRequest, repository: RepositoryRecord, sender: ForgeUser?, review: PullReview? = nil,
                              comment: PullComment? = nil, baseURL: String) -> (event: String, body: [UInt8]) {
        let web = baseURL + "/" + repository.path.description
        let repo: [String: Any] = [
            "id": repository.id, "name": repository.path.name, "full_name": repository.path.description, "private": repository.isPrivate,
            "html_url": web, "clone_url": web + ".git", "url": baseURL + "/api/v1/repos/" + repository.path.description,
        ]
        func user(_ user: ForgeUser?) -> [String: Any] {
            guard let user else { return ["id": 0, "login": "forge", "username": "forge"] }
            return ["id": user.id, "login": user.name, "username": user.name]
        }
        let html = web + "/-/pull/\(pull.number)"
        let pullRequest: [String: Any] = [
            "id": pull.id, "number": pull.number, "title": pull.title, "body": pull.body,
            "state": pull.state == .open ? "open" : "closed", "merged": pull.state == .merged, "html_url": html,
            "merge_commit_sha": pull.mergeCommit ?? NSNull(), "user": user(pull.author),
            "head": ["label": pull.headBranch, "ref": pull.headBranch, "sha": pull.headCommit, "repo": repo],
            "base": ["label": pull.baseBranch, "ref": pull.baseBranch, "sha": pull.baseCommit, "repo": repo],
            "created_at": ISO8601DateFormatter().string(from: pull.createdAt), "updated_at": ISO8601DateFormatter().string(from: pull.updatedAt),
        ]
        var body: [String: Any] = ["number": pull.number, "pull_request": pullRequest, "repository": repo, "sender": user(sender)]
        let name: String
        let iso = ISO8601DateFormatter()
        switch event.action {
        case "commented":
            name = "issue_comment"
            body["action"] = "created"
            body["issue"] = ["number": pull.number, "title": pull.title, "html_url": html, "pull_request": ["html_url": html]]
            if let comment {
                body["comment"] = ["id": comment.id, "body": comment.body, "user": user(comment.author), "html_url": html + "#comment-\(comment.id)",
                                   "created_at": iso.string(from: comment.createdAt)]
            }
        case "reviewed":
            name = "pull_request_review"
            body["action"] = "submitted"
            if let review {
                body["review"] = ["id": review.id, "body": review.body, "user": user(review.author), "state": review.state.webhookName,
                                  "commit_id": review.commit, "html_url": html + "#review-\(review.id)",
                                  "submitted_at": iso.string(from: review.createdAt)]
            }
        case "merged":
            // GitHub's way of saying it: closed, with `pull_request.merged` true.
            name = "pull_request"
            body["action"] = "closed"
        default:
            name = "pull_request"
            body["action"] = event.action
        }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return (name, Array(data))
    }
}
