extension PipelineExecutor {
    func renderKwargs(_ spec: ActionSpec, action: any Action, step: ClaimedStep, context: RunContext) throws -> [String: Value] {
        spec.kwargs // replaced when TemplateRenderer lands
    }
}

/// Placeholder until the template renderer lands.
public struct TemplateRenderer: Sendable { public init() {} }
