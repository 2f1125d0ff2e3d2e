/// A typed event source: what a configuration matches and an action works on (the pipeline seed's
/// "source"). A push, a tag, a pull request, a schedule tick, a manual trigger, or a type of your own.
///
/// Sources are values, stored with their run, so that a run can be resumed after a crash.
public struct Source: Sendable, Hashable, Codable {
    /// The source type's friendly name, such as `push` or `pull_request`.
    public var sourceClass: String
    /// The attributes criteria and templates see (`repo`, `branch`, `base_branch`, `author`,
    /// `changed_paths`, …).
    public var attributes: [String: Value]
    /// Where the source's files come from, when it has any: a workspace is filled from here for the
    /// actions that need files.
    public var checkout: Checkout?

    /// A repository and the commit to check out.
    public struct Checkout: Sendable, Hashable, Codable {
        /// The version control system a checkout's repository uses.
        public enum System: String, Sendable, Hashable, Codable {
            /// Git (the default).
            case git
            /// Mercurial: ``Workspace/files()`` clones it with `hg`, on this machine only.
            case hg
        }

        /// The repository's clone URL or path.
        public var repositoryURL: String
        /// The full commit id (a Mercurial changeset's 40-hex node).
        public var commit: String
        /// Git or Mercurial.
        public var system: System
        /// Creates a checkout.
        public init(repositoryURL: String, commit: String, system: System = .git) {
            self.repositoryURL = repositoryURL
            self.commit = commit
            self.system = system
        }

        enum CodingKeys: String, CodingKey {
            case repositoryURL, commit, system
        }

        /// Decodes a checkout; one stored without a system is Git's.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            repositoryURL = try container.decode(String.self, forKey: .repositoryURL)
            commit = try container.decode(String.self, forKey: .commit)
            system = try container.decodeIfPresent(System.self, forKey: .system) ?? .git
        }
    }

    /// Creates a source.
    public init(sourceClass: String, attributes: [String: Value], checkout: Checkout? = nil) {
        self.sourceClass = sourceClass
        self.attributes = attributes
        self.checkout = checkout
    }
}

/// The source types a pipeline knows, by friendly name, with the attributes each provides.
///
/// Configurations are checked against it when they load: an unknown `source_class`, or a criterion
/// on an attribute the source type never has, is a configuration error rather than a silent
/// never-match.
public struct SourceRegistry: Sendable {
    /// A registered source type.
    public struct SourceType: Sendable, Hashable {
        /// The friendly name configurations use.
        public var name: String
        /// The attributes its sources carry.
        public var attributes: Set<String>
        /// Creates a source type.
        public init(name: String, attributes: Set<String>) {
            self.name = name
            self.attributes = attributes
        }
    }

    private var types: [String: SourceType] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in types: `push`, `tag`, `pull_request`, `schedule`, `poll` and `manual`.
    public static var standard: SourceRegistry {
        var registry = SourceRegistry()
        let repository: Set<String> = ["provider", "repo", "clone_url", "html_url", "author", "commit"]
        registry.register(SourceType(name: "push", attributes: repository.union(
            ["branch", "ref", "before", "after", "pusher", "changed_paths", "created", "deleted"])))
        registry.register(SourceType(name: "tag", attributes: repository.union(
            ["tag", "ref", "before", "after", "pusher", "created", "deleted"])))
        registry.register(SourceType(name: "pull_request", attributes: repository.union(
            ["action", "number", "title", "branch", "base_branch", "head_repo", "head_clone_url", "base_commit",
             "state", "merged", "html_url", "changed_paths", "sender", "review_state", "review_body", "comment_body", "fork"])))
        registry.register(SourceType(name: "schedule", attributes: ["schedule", "cron", "time", "repo", "branch", "commit", "clone_url"]))
        registry.register(SourceType(name: "poll", attributes: repository.union(["branch", "ref", "before", "after"])))
        registry.register(SourceType(name: "manual", attributes: repository.union(["branch", "ref", "user", "parameters"])))
        return registry
    }

    /// Adds or replaces a source type.
    public mutating func register(_ type: SourceType) {
        types[type.name] = type
    }

    /// The type registered under `name`.
    public func type(named name: String) -> SourceType? { types[name] }

    /// Every registered name, sorted.
    public var names: [String] { types.keys.sorted() }
}
