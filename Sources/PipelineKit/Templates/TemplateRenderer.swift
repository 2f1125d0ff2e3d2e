import Stencil

/// What a template sees: the parent's result, the source, the event and the run.
///
/// In a template these are `parent` (the previous action's result), `source` (the source's
/// attributes, plus `source_class`), `event` (the event as received) and `run` (`id`,
/// `configuration` and `action`).
public struct TemplateContext: Sendable {
    /// The previous action's result (`.null` for the first action of a chain).
    public var parent: Value
    /// The source that started the run.
    public var source: Source
    /// The event the source came from, or `.null`.
    public var event: Value
    /// The run's id.
    public var run: RunID
    /// The configuration's name.
    public var configuration: String
    /// The action's name.
    public var action: String

    /// Creates a context.
    public init(parent: Value, source: Source, event: Value, run: RunID, configuration: String, action: String) {
        self.parent = parent
        self.source = source
        self.event = event
        self.run = run
        self.configuration = configuration
        self.action = action
    }

    /// The context as Stencil's variables: plain Swift dictionaries, arrays, strings and numbers.
    var variables: [String: Any] {
        var source: [String: Any] = [:]
        for (name, value) in self.source.attributes {
            if let converted = value.templateValue { source[name] = converted }
        }
        source["source_class"] = self.source.sourceClass
        var variables: [String: Any] = [
            "source": source,
            "run": ["id": Int(run.rawValue), "configuration": configuration, "action": action] as [String: Any],
        ]
        variables["parent"] = parent.templateValue
        variables["event"] = event.templateValue
        return variables
    }
}

/// Renders keyword arguments as Stencil templates, with Jinja's filter-call syntax understood.
///
/// Every string inside the kwargs (in maps and lists too) is a template, except the top-level keys an
/// action lists as literal (``Action/literalKeys``). Values that come from an event are data: they are
/// inserted as text and never rendered again, so `{{ }}` inside a pull request title stays as it is.
///
/// Templates are Stencil's (Django-like) syntax. So that configurations written for the pipeline seed
/// (Jinja 2) keep working, filter calls inside `{{ }}` and `{% %}` are translated:
/// `{{ parent.output|indent(4, True) }}` becomes `{{ parent.output|indent:4," ",true }}`, Python's
/// `True`, `False` and `None` become `true`, `false` and `nil`, and `indent` behaves exactly as Jinja 3's
/// (blank lines stay blank, `\r\n` counts as one line break). `upper`, `lower`, `length` and `trim`
/// are there under their Jinja names too.
///
/// ```swift
/// let renderer = TemplateRenderer()
/// let context = TemplateContext(parent: ["output": "E501 line too long\n"], source: source, event: .null,
///                               run: RunID(7), configuration: "lint", action: "comment")
/// let kwargs = try renderer.render(["template": "Flake8 violations:\n\n{{ parent.output|indent(4, True) }}"],
///                                  literalKeys: [], context: context)
/// // kwargs["template"] == "Flake8 violations:\n\n    E501 line too long\n"
/// ```
public struct TemplateRenderer: Sendable {
    private let box: EnvironmentBox

    /// A renderer with Stencil's filters and the Jinja-compatible ones.
    public init() {
        box = EnvironmentBox()
    }

    /// `kwargs` with every string rendered, except the top-level keys in `literalKeys`.
    ///
    /// Throws ``PipelineError/Code/invalidConfiguration`` with the field (`kwargs.template`,
    /// `kwargs.env.NAME`, `kwargs.items[2]`) when a template does not parse or fails to render.
    public func render(_ kwargs: [String: Value], literalKeys: Set<String>,
                       context: TemplateContext) throws(PipelineError) -> [String: Value] {
        var variables: [String: Any]?
        var rendered = kwargs
        for (key, value) in kwargs where !literalKeys.contains(key) && value.containsTemplate {
            let scope = variables ?? context.variables
            variables = scope
            rendered[key] = try render(value, variables: scope, field: "kwargs." + key)
        }
        return rendered
    }

    /// Checks that `template` parses and names only known filters and tags, without rendering it.
    public func validate(_ template: String) throws(PipelineError) {
        try validate(template, field: nil)
    }

    /// Checks every template of `configuration`'s actions and handlers, skipping the literal keys of
    /// the actions registered in `actions`; errors name the field, such as
    /// `actions[0].failure_handler.kwargs.template`.
    public func validate(_ configuration: PipelineConfiguration, actions: ActionRegistry) throws(PipelineError) {
        for (index, spec) in configuration.actions.enumerated() {
            try validate(spec, field: "actions[\(index)]", actions: actions)
        }
    }

    private func validate(_ spec: ActionSpec, field: String, actions: ActionRegistry) throws(PipelineError) {
        let literal = actions.action(named: spec.task)?.literalKeys ?? []
        for (key, value) in spec.kwargs where !literal.contains(key) {
            try validate(value, field: field + ".kwargs." + key)
        }
        if let handler = spec.successHandler {
            try validate(handler.action, field: field + ".success_handler", actions: actions)
        }
        if let handler = spec.failureHandler {
            try validate(handler.action, field: field + ".failure_handler", actions: actions)
        }
    }

    private func validate(_ value: Value, field: String) throws(PipelineError) {
        switch value {
        case .string(let text): try validate(text, field: field)
        case .list(let values):
            for (index, element) in values.enumerated() { try validate(element, field: field + "[\(index)]") }
        case .map(let values):
            for (key, element) in values { try validate(element, field: field + "." + key) }
        default: return
        }
    }

    private func validate(_ template: String, field: String?) throws(PipelineError) {
        guard template.contains("{") else { return }
        do {
            let translated = try JinjaTranslation.translate(template)
            let parsed = Template(templateString: translated, environment: box.environment)
            _ = try TokenParser(tokens: parsed.tokens, environment: box.environment).parse()
        } catch {
            throw Self.error(error, field: field, operation: "check template")
        }
    }

    private func render(_ value: Value, variables: [String: Any], field: String) throws(PipelineError) -> Value {
        switch value {
        case .string(let template):
            guard template.contains("{") else { return value }
            do {
                let translated = try JinjaTranslation.translate(template)
                return .string(try box.environment.renderTemplate(string: translated, context: variables))
            } catch {
                throw Self.error(error, field: field, operation: "render template")
            }
        case .list(let values):
            var rendered: [Value] = []
            rendered.reserveCapacity(values.count)
            for (index, element) in values.enumerated() {
                rendered.append(try render(element, variables: variables, field: field + "[\(index)]"))
            }
            return .list(rendered)
        case .map(let values):
            var rendered: [String: Value] = [:]
            for (key, element) in values {
                rendered[key] = try render(element, variables: variables, field: field + "." + key)
            }
            return .map(rendered)
        default:
            return value
        }
    }

    private static func error(_ error: any Error, field: String?, operation: String) -> PipelineError {
        let reason: String
        if let syntax = error as? TemplateSyntaxError {
            reason = syntax.reason
        } else if let translation = error as? JinjaTranslation.Failure {
            reason = translation.reason
        } else {
            reason = "\(error)"
        }
        return PipelineError(.invalidConfiguration, "the template is invalid: \(reason)", operation: operation, field: field)
    }
}

/// Stencil's environment, shared by every render.
///
/// `@unchecked Sendable`: the environment and its extensions are built once in `init` and only read
/// afterwards (rendering creates its own template, parser and context objects), so sharing it across
/// threads is safe.
private final class EnvironmentBox: @unchecked Sendable {
    let environment: Environment

    init() {
        let jinja = Extension()
        jinja.registerFilter("indent", filter: JinjaTranslation.indentFilter)
        jinja.registerFilter("upper") { value in JinjaTranslation.text(value).uppercased() }
        jinja.registerFilter("lower") { value in JinjaTranslation.text(value).lowercased() }
        jinja.registerFilter("trim") { value in
            let text = JinjaTranslation.text(value)
            guard let first = text.firstIndex(where: { !$0.isWhitespace }),
                  let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
            return String(text[first...last])
        }
        jinja.registerFilter("length") { value in
            switch value {
            case let text as String: return text.count
            case let list as [Any]: return list.count
            case let map as [String: Any]: return map.count
            default: return 0
            }
        }
        environment = Environment(extensions: [jinja])
    }
}

extension Value {
    /// Whether the value holds a string that may be a template (one with a `{`).
    var containsTemplate: Bool {
        switch self {
        case .string(let text): return text.contains("{")
        case .list(let values): return values.contains { $0.containsTemplate }
        case .map(let values): return values.values.contains { $0.containsTemplate }
        default: return false
        }
    }

    /// The value as Stencil reads it; `nil` for null (a missing key renders as nothing).
    var templateValue: Any? {
        switch self {
        case .null: return nil
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .list(let values): return values.map { $0.templateValue as Any }
        case .map(let values):
            var map: [String: Any] = [:]
            for (key, value) in values {
                if let converted = value.templateValue { map[key] = converted }
            }
            return map
        }
    }
}
