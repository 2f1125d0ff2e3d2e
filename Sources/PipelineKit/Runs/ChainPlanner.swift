extension PipelineConfiguration {
    /// The action at `path`: a top-level action, or a handler reached from one.
    public func action(at path: StepPath) -> ActionSpec? {
        guard actions.indices.contains(path.action) else { return nil }
        var spec = actions[path.action]
        for branch in path.handlers {
            switch branch {
            case .success:
                guard let handler = spec.successHandler else { return nil }
                spec = handler.action
            case .failure:
                guard let handler = spec.failureHandler else { return nil }
                spec = handler.action
            }
        }
        return spec
    }

    /// The chain's first step.
    public var firstStep: NextStep? {
        guard let first = actions.first else { return nil }
        return NextStep(path: StepPath(action: 0), actionName: first.name, task: first.task, parent: .null, anchor: nil)
    }

    /// The step that follows the one at `path` when it returned `result`, as the pipeline seed
    /// chains them: the result's truthiness picks the success or failure handler, which gets the
    /// result as its parent (and may have handlers of its own); once a handler chain ends, the next
    /// top-level action runs with the previous *top-level* result as its parent. `nil` when the
    /// chain has ended.
    ///
    /// - Parameters:
    ///   - anchor: for a handler, the result of the top-level action it hangs from.
    public func step(after path: StepPath, result: Value, anchor: Value?) -> NextStep? {
        guard let spec = action(at: path) else { return nil }
        let truthy = result.isTruthy
        let topLevelResult = path.handlers.isEmpty ? result : (anchor ?? .null)
        if let handler = truthy ? spec.successHandler : spec.failureHandler {
            var handlers = path.handlers
            handlers.append(truthy ? .success : .failure)
            return NextStep(path: StepPath(action: path.action, handlers: handlers), actionName: handler.action.name,
                            task: handler.action.task, parent: result, anchor: topLevelResult)
        }
        let index = path.action + 1
        guard actions.indices.contains(index) else { return nil }
        let next = actions[index]
        return NextStep(path: StepPath(action: index), actionName: next.name, task: next.task, parent: topLevelResult, anchor: nil)
    }
}
