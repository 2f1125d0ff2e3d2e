extension WebhookDelivery {
    /// The delivery as a pipeline source: `push`, `tag` or `pull_request`, with the standard
    /// attributes (``SourceRegistry/standard``) and a checkout of the pushed (or pull request head)
    /// commit. `nil` for pings and unsupported events, and for deleted branches and tags (there is
    /// nothing to check out).
    public var source: Source? {
        switch event {
        case .push(let push):
            guard !push.deleted else { return nil }
            var attributes = pushedAttributes(repository: push.repository, ref: push.ref, before: push.before, after: push.after,
                                              pusher: push.pusher, headCommitAuthor: push.headCommitAuthor,
                                              created: push.created, deleted: push.deleted)
            attributes["branch"] = .string(push.branch)
            attributes["changed_paths"] = .list(push.changedPaths.map(Value.string))
            return Source(sourceClass: "push", attributes: attributes,
                          checkout: Source.Checkout(repositoryURL: push.repository.cloneURL, commit: push.after))
        case .tag(let tag):
            guard !tag.deleted else { return nil }
            var attributes = pushedAttributes(repository: tag.repository, ref: tag.ref, before: tag.before, after: tag.after,
                                              pusher: tag.pusher, headCommitAuthor: tag.headCommitAuthor,
                                              created: tag.created, deleted: tag.deleted)
            attributes["tag"] = .string(tag.tag)
            return Source(sourceClass: "tag", attributes: attributes,
                          checkout: Source.Checkout(repositoryURL: tag.repository.cloneURL, commit: tag.after))
        case .pullRequest(let pull):
            let base = pull.base.repository
            let head = pull.head.repository ?? base
            var attributes: [String: Value] = [
                "provider": .string(provider.rawValue), "action": .string(pull.action.name), "number": .int(pull.number),
                "title": .string(pull.title), "author": .string(pull.author), "state": .string(pull.state),
                "merged": .bool(pull.merged), "html_url": .string(pull.htmlURL), "branch": .string(pull.head.branch),
                "base_branch": .string(pull.base.branch),
            ]
            if let base {
                attributes["repo"] = .string(base.fullName)
                attributes["clone_url"] = .string(base.cloneURL)
            }
            if let head {
                attributes["head_repo"] = .string(head.fullName)
                attributes["head_clone_url"] = .string(head.cloneURL)
            }
            if let sha = pull.head.sha { attributes["commit"] = .string(sha) }
            if let sha = pull.base.sha { attributes["base_commit"] = .string(sha) }
            var checkout: Source.Checkout?
            if let head, let sha = pull.head.sha {
                checkout = Source.Checkout(repositoryURL: head.cloneURL, commit: sha)
            }
            return Source(sourceClass: "pull_request", attributes: attributes, checkout: checkout)
        case .ping, .unsupported:
            return nil
        }
    }

    /// The attributes a branch push and a tag push share.
    private func pushedAttributes(repository: WebhookRepository, ref: String, before: String, after: String, pusher: WebhookPusher,
                                  headCommitAuthor: CommitAuthor?, created: Bool, deleted: Bool) -> [String: Value] {
        [
            "provider": .string(provider.rawValue), "repo": .string(repository.fullName),
            "clone_url": .string(repository.cloneURL), "html_url": .string(repository.htmlURL),
            "author": .string(headCommitAuthor?.username ?? headCommitAuthor?.name ?? pusher.name),
            "commit": .string(after), "ref": .string(ref), "before": .string(before), "after": .string(after),
            "pusher": .string(pusher.login ?? pusher.name), "created": .bool(created), "deleted": .bool(deleted),
        ]
    }
}
