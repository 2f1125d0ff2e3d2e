public import PipelineKit

extension Source {
    /// A `push` source with the attributes the standard webhooks give.
    public static func testPush(repo: String = "octo/app", branch: String = "main", commit: String = String(repeating: "a", count: 40),
                                author: String = "octocat", changedPaths: [String] = [], cloneURL: String? = nil) -> Source {
        Source(sourceClass: "push", attributes: [
            "provider": "github", "repo": .string(repo), "branch": .string(branch), "ref": .string("refs/heads/" + branch),
            "commit": .string(commit), "after": .string(commit), "author": .string(author), "pusher": .string(author),
            "changed_paths": .list(changedPaths.map(Value.string)), "clone_url": .string(cloneURL ?? "https://example.invalid/\(repo).git"),
        ], checkout: cloneURL.map { Checkout(repositoryURL: $0, commit: commit) })
    }

    /// A `pull_request` source (action `opened` by default).
    public static func testPullRequest(repo: String = "octo/app", number: Int = 1, action: String = "opened",
                                       branch: String = "feature", baseBranch: String = "main",
                                       commit: String = String(repeating: "b", count: 40),
                                       baseCommit: String = String(repeating: "a", count: 40),
                                       author: String = "octocat", cloneURL: String? = nil) -> Source {
        Source(sourceClass: "pull_request", attributes: [
            "provider": "github", "repo": .string(repo), "number": .int(number), "action": .string(action),
            "branch": .string(branch), "base_branch": .string(baseBranch), "commit": .string(commit),
            "base_commit": .string(baseCommit), "author": .string(author), "title": "A change",
            "clone_url": .string(cloneURL ?? "https://example.invalid/\(repo).git"),
        ], checkout: cloneURL.map { Checkout(repositoryURL: $0, commit: commit) })
    }

    /// A `manual` source.
    public static func testManual(repo: String = "octo/app", user: String = "admin", parameters: [String: Value] = [:]) -> Source {
        Source(sourceClass: "manual", attributes: ["repo": .string(repo), "user": .string(user), "parameters": .map(parameters)])
    }
}
