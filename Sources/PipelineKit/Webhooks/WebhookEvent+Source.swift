extension WebhookDelivery {
    /// The delivery as a pipeline source: `push`, `tag` or `pull_request`, with the standard
    /// attributes (``SourceRegistry/standard``) and a checkout of the pushed (or pull request head)
    /// commit. `nil` for pings and unsupported events, and for deleted branches and tags (there is
    /// nothing to check out).
    public var source: Source? {
        switch event {
        case .push(let push):
            guard !push.deleted else { return nil }
            return Source(sourceClass: "push", attributes: [
                "provider": .string(provider.rawValue), "repo": .string(push.repository.fullName),
                "clone_url": .string(push.repository.cloneURL), "html_url": .string(push.repository.htmlURL),
                "author": .string(push.headCommitAuthor?.username ?? push.headCommitAuthor?.name ?? push.pusher.name),
                "commit": .string(push.after), "branch": .string(push.branch), "ref": .string(push.ref),
                "before": .string(push.before), "after": .string(push.after), "pusher": .string(push.pusher.login ?? push.pusher.name),
                "changed_paths": .list(push.changedPaths.map(Value.string)), "created": .bool(push.created), "deleted": .bool(push.deleted),
            ], checkout: Source.Checkout(repositoryURL: push.repository.cloneURL, commit: push.after))
        case .tag(let tag):
            guard !tag.deleted else { return nil }
            return Source(sourceClass: "tag", attributes: [
                "provider": .string(provider.rawValue), "repo": .string(tag.repository.fullName),
                "clone_url": .string(tag.repository.cloneURL), "html_url": .string(tag.repository.htmlURL),
                "author": .string(tag.headCommitAuthor?.username ?? tag.headCommitAuthor?.name ?? tag.pusher.name),
                "commit": .string(tag.after), "tag": .string(tag.tag), "ref": .string(tag.ref), "before": .string(tag.before),
                "after": .string(tag.after), "pusher": .string(tag.pusher.login ?? tag.pusher.name),
                "created": .bool(tag.created), "deleted": .bool(tag.deleted),
            ], checkout: Source.Checkout(repositoryURL: tag.repository.cloneURL, commit: tag.after))
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
}
