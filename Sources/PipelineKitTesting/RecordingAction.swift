import Foundation
public import PipelineKit
import Synchronization

/// An action that records every call and answers with a result you choose, for testing
/// configurations and chains without side effects.
///
/// ```swift
/// let lint = RecordingAction(result: ["ok": false, "output": "E501 line too long"])
/// var actions = ActionRegistry()
/// actions.register("flake8_diff", lint)
/// // … run a chain …
/// #expect(lint.calls.count == 1)
/// ```
public final class RecordingAction: Action {
    /// One call, as the action saw it.
    public struct Call: Sendable, Hashable {
        /// The run.
        public var run: RunID
        /// The action's name in its configuration.
        public var actionName: String
        /// Where it sat in the chain.
        public var path: StepPath
        /// The attempt number.
        public var attempt: Int
        /// The rendered kwargs.
        public var kwargs: [String: Value]
        /// The parent's result.
        public var parent: Value
        /// The source.
        public var source: Source
    }

    private let calls_ = Mutex<[Call]>([])
    private let respond: @Sendable (ActionContext) async throws -> Value

    /// An action that returns `result` every time.
    public convenience init(result: Value = ["ok": true]) {
        self.init { _ in result }
    }

    /// An action that answers with `respond` (which may throw, to test task failures and retries).
    public init(_ respond: @escaping @Sendable (ActionContext) async throws -> Value) {
        self.respond = respond
    }

    /// The calls so far, in order.
    public var calls: [Call] { calls_.withLock { $0 } }

    public func run(_ context: ActionContext) async throws -> Value {
        calls_.withLock {
            $0.append(Call(run: context.run, actionName: context.actionName, path: context.path, attempt: context.attempt,
                           kwargs: context.kwargs, parent: context.parent, source: context.source))
        }
        return try await respond(context)
    }
}
