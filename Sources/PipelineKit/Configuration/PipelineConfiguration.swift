/// One stored configuration, in the pipeline seed's schema: which source it listens to and the
/// actions it runs, in order, when a source matches.
///
/// ```json
/// {"name": "flake8_pull_request",
///  "source": {"source_class": "pull_request", "criteria": {"repo": "DT2/dt"}},
///  "actions": [{"name": "flake8diff", "task": "shell", "kwargs": {"command": "flake8"},
///               "failure_handler": {"name": "notify", "task": "pull_request_comment",
///                                   "kwargs": {"template": "{{ parent.output }}"}}}]}
/// ```
public struct PipelineConfiguration: Sendable, Hashable {
    /// The configuration's unique name.
    public var name: String
    /// The source type it listens to, by friendly name (`push`, `pull_request`, …).
    public var sourceClass: String
    /// Criteria by attribute name; all must match.
    public var criteria: [String: Criterion]
    /// The chain: each action gets its predecessor's result as `parent`.
    public var actions: [ActionSpec]
    /// Runs in the same group supersede each other: a newer pending run cancels an older pending
    /// one. `nil` means every run stands alone.
    public var concurrencyGroup: String?

    /// Creates a configuration.
    public init(name: String, sourceClass: String, criteria: [String: Criterion] = [:], actions: [ActionSpec],
                concurrencyGroup: String? = nil) {
        self.name = name
        self.sourceClass = sourceClass
        self.criteria = criteria
        self.actions = actions
        self.concurrencyGroup = concurrencyGroup
    }

    /// The `pull_request` actions a configuration without an `action` criterion runs on: a new pull
    /// request, a new head, a reopened one — GitHub Actions' default. Closing, merging, editing,
    /// reviews and comments run only configurations that name them, so that a pipeline commenting on
    /// its own pull request does not start itself again.
    public static let defaultPullRequestActions: Set<String> = ["opened", "synchronize", "synchronized", "reopened"]

    /// Whether `source` is of this configuration's class and every criterion matches its attribute
    /// (a missing attribute never matches; a list attribute matches when any element does). A
    /// `pull_request` source whose action is not in ``defaultPullRequestActions`` matches only a
    /// configuration with an `action` criterion.
    public func matches(_ source: Source) -> Bool {
        guard source.sourceClass == sourceClass else { return false }
        if sourceClass == "pull_request", criteria["action"] == nil, let action = source.attributes["action"]?.text,
           !Self.defaultPullRequestActions.contains(action) {
            return false
        }
        for (attribute, criterion) in criteria {
            guard let value = source.attributes[attribute], criterion.matches(any: value.matchableTexts) else {
                return false
            }
        }
        return true
    }
}

/// One action of a chain, with its optional handlers (themselves actions).
public struct ActionSpec: Sendable, Hashable {
    /// The action's name within its configuration (shown in runs and logs).
    public var name: String
    /// The registered task that runs it (`shell`, `noop`, …).
    public var task: String
    /// Keyword arguments; strings are Stencil templates rendered just before the action runs.
    public var kwargs: [String: Value]
    /// Runs after the action when its result is truthy.
    public var successHandler: Handler?
    /// Runs after the action when its result is falsy.
    public var failureHandler: Handler?
    /// How many more times to try the action after it throws (a task failure); 0 by default.
    public var retries: Int
    /// The longest the action may run, in seconds; `nil` uses the executor's default.
    public var timeout: Double?

    /// A handler: an action that runs on its parent's result. Boxed, since a handler may have handlers.
    public struct Handler: Sendable, Hashable {
        private let box: [ActionSpec]
        /// The handler's action.
        public var action: ActionSpec { box[0] }
        /// Wraps an action as a handler.
        public init(_ action: ActionSpec) { box = [action] }
    }

    /// Creates an action.
    public init(name: String, task: String, kwargs: [String: Value] = [:], successHandler: ActionSpec? = nil,
                failureHandler: ActionSpec? = nil, retries: Int = 0, timeout: Double? = nil) {
        self.name = name
        self.task = task
        self.kwargs = kwargs
        self.successHandler = successHandler.map(Handler.init)
        self.failureHandler = failureHandler.map(Handler.init)
        self.retries = retries
        self.timeout = timeout
    }
}
