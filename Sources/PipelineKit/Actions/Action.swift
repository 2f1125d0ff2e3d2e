public import Logging

/// A task a configuration can name: the unit of work in a chain, registered by a friendly name
/// (`shell`, `noop`, `pull_request_comment`, or your own).
///
/// An action returns a ``Value``; its truthiness picks the success or the failure handler, and it is
/// the `parent` of the next action. Throwing is a *task failure*: it is retried when the action has
/// retries left, and otherwise no handler runs and the run is marked errored.
///
/// ```swift
/// struct Greet: Action {
///     func run(_ context: ActionContext) async throws -> Value {
///         .map(["ok": true, "text": .string("hello \(context.kwargs["name"]?.text ?? "")")])
///     }
/// }
/// var registry = ActionRegistry.standard()
/// registry.register("greet", Greet())
/// ```
///
/// Actions run at least once: after a crash, an action that was running is run again, so make its
/// effects idempotent or tolerate repeats.
public protocol Action: Sendable {
    /// kwargs that are *not* rendered as templates: their text reaches the action exactly as
    /// configured. `shell` lists `command`, so that no value from an event ever becomes shell code.
    var literalKeys: Set<String> { get }

    /// Runs the action.
    func run(_ context: ActionContext) async throws -> Value
}

extension Action {
    /// By default every kwarg is a template.
    public var literalKeys: Set<String> { [] }
}

/// What an action gets to work with: its rendered kwargs, its parent's result, the source, the run
/// and the run's workspace.
public struct ActionContext: Sendable {
    /// The run this action belongs to.
    public var run: RunID
    /// The configuration's name.
    public var configuration: String
    /// The action's name in its configuration.
    public var actionName: String
    /// Where the action sits in its chain.
    public var path: StepPath
    /// 1 on the first attempt, then 2, 3, … (retries and re-runs after a crash).
    public var attempt: Int
    /// The kwargs, templates rendered.
    public var kwargs: [String: Value]
    /// The previous action's result (`.null` for the first action of a chain).
    public var parent: Value
    /// The source that started the run.
    public var source: Source
    /// The event the source came from, as received (a webhook body), or `.null`.
    public var event: Value
    /// The run's workspace: its directory, its files and a way to run commands in it.
    public var workspace: Workspace
    /// Where the action writes what it prints; stored with the run (secrets masked) and shown live.
    public var output: ActionOutput
    /// A logger with the run and action in its metadata.
    public var logger: Logger

    /// Creates a context (the executor does this; tests can too).
    public init(run: RunID, configuration: String, actionName: String, path: StepPath, attempt: Int,
                kwargs: [String: Value], parent: Value, source: Source, event: Value, workspace: Workspace,
                output: ActionOutput, logger: Logger) {
        self.run = run
        self.configuration = configuration
        self.actionName = actionName
        self.path = path
        self.attempt = attempt
        self.kwargs = kwargs
        self.parent = parent
        self.source = source
        self.event = event
        self.workspace = workspace
        self.output = output
        self.logger = logger
    }

    /// The kwarg `key` as text, or an ``PipelineError/Code/invalidConfiguration`` error naming it.
    public func string(_ key: String) throws(PipelineError) -> String {
        guard let value = kwargs[key] else {
            throw PipelineError(.invalidConfiguration, "kwargs.\(key) is required", operation: "run action '\(actionName)'", field: "kwargs.\(key)")
        }
        guard let text = value.text else {
            throw PipelineError(.invalidConfiguration, "kwargs.\(key) must be text", operation: "run action '\(actionName)'", field: "kwargs.\(key)")
        }
        return text
    }
}

/// Receives an action's printed output. Thread-safe; text is masked before it is stored.
public struct ActionOutput: Sendable {
    private let sink: @Sendable (String) -> Void

    /// An output that hands each piece of text to `sink`.
    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// An output that drops everything.
    public static var discarding: ActionOutput { ActionOutput { _ in } }

    /// Appends `text` to the action's log.
    public func write(_ text: String) {
        sink(text)
    }
}

/// The actions a pipeline can run, by friendly name.
public struct ActionRegistry: Sendable {
    private var actions: [String: any Action] = [:]

    /// An empty registry.
    public init() {}

    /// Adds or replaces the action registered as `name`.
    public mutating func register(_ name: String, _ action: any Action) {
        actions[name] = action
    }

    /// The action registered as `name`.
    public func action(named name: String) -> (any Action)? { actions[name] }

    /// Every registered name.
    public var names: Set<String> { Set(actions.keys) }
}
