extension PipelineConfiguration {
    /// The configuration in the pipeline seed's JSON schema, as ``ConfigurationLoader`` reads it
    /// back. Runs keep this copy, so that a run resumed after a restart runs what it started with.
    public var jsonValue: Value {
        var source: [String: Value] = ["source_class": .string(sourceClass)]
        if !criteria.isEmpty {
            source["criteria"] = .map(criteria.mapValues { $0.pattern.jsonValue })
        }
        var members: [String: Value] = [
            "name": .string(name),
            "source": .map(source),
            "actions": .list(actions.map(\.jsonValue)),
        ]
        if let concurrencyGroup { members["concurrency_group"] = .string(concurrencyGroup) }
        return .map(members)
    }
}

extension ActionSpec {
    /// The action in the seed's JSON schema.
    public var jsonValue: Value {
        var members: [String: Value] = ["name": .string(name), "task": .string(task)]
        if !kwargs.isEmpty { members["kwargs"] = .map(kwargs) }
        if let successHandler { members["success_handler"] = successHandler.action.jsonValue }
        if let failureHandler { members["failure_handler"] = failureHandler.action.jsonValue }
        if retries != 0 { members["retries"] = .int(retries) }
        if let timeout { members["timeout"] = .double(timeout) }
        return .map(members)
    }
}

extension Criterion.Pattern {
    /// The pattern in the loader's explicit form (`{"exact": …}`, `{"glob": …}`, `{"regex": …}`, a list).
    public var jsonValue: Value {
        switch self {
        case .exact(let text): return ["exact": .string(text)]
        case .glob(let text): return ["glob": .string(text)]
        case .regex(let text): return ["regex": .string(text)]
        case .anyOf(let patterns): return .list(patterns.map(\.jsonValue))
        }
    }
}

extension Source {
    /// The source as a JSON-shaped value: `source_class`, `attributes`, and `checkout`
    /// (`repository_url`, `commit`, and `system` when it is not `git`) when it has one.
    public var jsonValue: Value {
        var members: [String: Value] = ["source_class": .string(sourceClass), "attributes": .map(attributes)]
        if let checkout {
            var fields: [String: Value] = ["repository_url": .string(checkout.repositoryURL), "commit": .string(checkout.commit)]
            if checkout.system != .git { fields["system"] = .string(checkout.system.rawValue) }
            members["checkout"] = .map(fields)
        }
        return .map(members)
    }

    /// Reads a source written by ``jsonValue``.
    public init(jsonValue value: Value) throws(PipelineError) {
        guard let sourceClass = value["source_class"]?.text else {
            throw PipelineError(.invalidEvent, "a source needs 'source_class'", operation: "read source")
        }
        var attributes: [String: Value] = [:]
        if case .map(let members)? = value["attributes"] { attributes = members }
        var checkout: Checkout?
        if let checkoutValue = value["checkout"], checkoutValue != .null {
            guard let url = checkoutValue["repository_url"]?.text, let commit = checkoutValue["commit"]?.text else {
                throw PipelineError(.invalidEvent, "a checkout needs 'repository_url' and 'commit'", operation: "read source")
            }
            var system = Checkout.System.git
            if let name = checkoutValue["system"]?.text {
                guard let known = Checkout.System(rawValue: name) else {
                    throw PipelineError(.invalidEvent, "a checkout's system is 'git' or 'hg', not '\(name)'", operation: "read source")
                }
                system = known
            }
            checkout = Checkout(repositoryURL: url, commit: commit, system: system)
        }
        self.init(sourceClass: sourceClass, attributes: attributes, checkout: checkout)
    }
}
