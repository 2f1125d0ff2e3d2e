/// `noop`: does nothing and returns `{"ok": true}`, or `kwargs.result` when given. For chains that
/// only need a handler, and for tests and benchmarks of the executor.
public struct NoopAction: Action {
    private static let ok: Value = .map(["ok": true])

    /// A no-op action.
    public init() {}

    /// Returns `kwargs.result`, or `{"ok": true}`.
    public func run(_ context: ActionContext) async throws -> Value {
        context.kwargs["result"] ?? Self.ok
    }
}
