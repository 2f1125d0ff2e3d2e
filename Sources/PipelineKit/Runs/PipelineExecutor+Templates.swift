extension PipelineExecutor {
    /// The action's kwargs with their templates rendered (but for the keys the action takes literally).
    func renderKwargs(_ spec: ActionSpec, action: any Action, step: ClaimedStep, context: RunContext) throws(PipelineError) -> [String: Value] {
        try renderer.render(spec.kwargs, literalKeys: action.literalKeys, context: TemplateContext(
            parent: step.parent, source: context.source, event: context.event, run: step.key.run,
            configuration: context.configuration.name, action: spec.name))
    }
}
