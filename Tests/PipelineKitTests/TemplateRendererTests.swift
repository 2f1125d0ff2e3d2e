import PipelineKit
import Testing

@Suite("Templates: Stencil with Jinja's filter calls")
struct TemplateRendererTests {
    let renderer = TemplateRenderer()
    let source = Source(sourceClass: "pull_request", attributes: [
        "repo": "DT2/dt", "number": 42, "branch": "feature/x", "title": "Fix {{ run.id }} and {% now %}",
        "changed_paths": ["a.py", "b.py"], "merged": false,
    ])

    func context(parent: Value = .null, event: Value = .null) -> TemplateContext {
        TemplateContext(parent: parent, source: source, event: event, run: RunID(7), configuration: "flake8_pull_request",
                        action: "notify_error")
    }

    func render(_ template: String, parent: Value = .null, event: Value = .null) throws -> String {
        let rendered = try renderer.render(["t": .string(template)], literalKeys: [], context: context(parent: parent, event: event))
        return try #require(rendered["t"]?.text)
    }

    /// Expected strings below are what Jinja2 3.1.6 renders for the same template and values
    /// (`jinja2.Template(template).render(...)`).
    @Test("the seed's failure comment renders exactly as Jinja 3 renders it")
    func seedTemplate() throws {
        let output = "a.py:1:1: F401 'os' imported but unused\n\nb.py:2:80: E501 line too long\n  \nend\n"
        let rendered = try render("Flake8 violations:\n\n{{ parent.output|indent(4, True) }}", parent: ["output": .string(output), "ok": false])
        #expect(rendered == "Flake8 violations:\n\n    a.py:1:1: F401 'os' imported but unused\n\n    b.py:2:80: E501 line too long\n      \n    end\n")
    }

    @Test("indent's Jinja forms: width only, keywords, blank lines, a string width, line breaks, empty text")
    func indentForms() throws {
        let parent: Value = ["s1": "x\r\ny\n\nz", "s2": "a\nb", "s3": "a\n\nb\r\nc\rd\n", "s4": "a\n\nb", "s5": "a\n\nb\n", "s6": ""]
        #expect(try render("{{ parent.s1|indent(3) }}", parent: parent) == "x\n   y\n\n   z")
        #expect(try render("{{ parent.s2 | indent(width=2, first=True) }}", parent: parent) == "  a\n  b")
        #expect(try render("{{ parent.s3|indent(2, True, True) }}", parent: parent) == "  a\n  \n  b\n  c\n  d\n  ")
        #expect(try render("{{ parent.s4|indent(first=True, width='> ') }}", parent: parent) == "> a\n\n> b")
        #expect(try render("{{ parent.s5|indent }}", parent: parent) == "a\n\n    b\n")
        #expect(try render("{{ parent.s6|indent(4, True) }}", parent: parent) == "    ")
        // Stencil's own argument form goes through the same filter.
        #expect(try render("{{ parent.s2|indent:2,\"-\",true }}", parent: parent) == "--a\n--b")
    }

    @Test("source attributes, source_class, run, event and Jinja's other spellings are available")
    func variables() throws {
        let event: Value = ["pull_request": ["user": ["login": "mona"]]]
        #expect(try render("{{ source.repo }}#{{ source.number }} {{ source.source_class }} on {{ source.branch|upper }}", event: event)
                == "DT2/dt#42 pull_request on FEATURE/X")
        #expect(try render("{{ run.id }}/{{ run.configuration }}/{{ run.action }} by {{ event.pull_request.user.login }}", event: event)
                == "7/flake8_pull_request/notify_error by mona")
        #expect(try render("{{ source.changed_paths|join(\", \") }} ({{ source.changed_paths|length }})") == "a.py, b.py (2)")
        #expect(try render("{% if parent.missing == None %}none{% endif %}|{{ parent.missing|default(\"-\") }}") == "none|-")
        #expect(try render("{% if source.merged == False %}open{% else %}merged{% endif %}") == "open")
    }

    @Test("values from the event are data: braces in them are printed, not rendered")
    func eventValuesAreNotTemplates() throws {
        let event: Value = ["comment": "{{ run.id }} {% for x in source.changed_paths %}{{ x }}{% endfor %}"]
        #expect(try render("said: {{ event.comment }}", event: event) == "said: {{ run.id }} {% for x in source.changed_paths %}{{ x }}{% endfor %}")
        #expect(try render("{{ source.title }}") == "Fix {{ run.id }} and {% now %}")
    }

    @Test("strings inside maps and lists render; literal keys, keys and other values do not")
    func nestedAndLiteral() throws {
        let kwargs: [String: Value] = [
            "command": "echo {{ source.repo }}",
            "env": ["REPO": "{{ source.repo }}", "PLAIN": "no braces", "N": 3],
            "items": ["{{ source.number }}", ["deep": "{{ run.id }}"], true, .null],
            "count": 5,
        ]
        let rendered = try renderer.render(kwargs, literalKeys: ["command"], context: context())
        #expect(rendered == [
            "command": "echo {{ source.repo }}",
            "env": ["REPO": "DT2/dt", "PLAIN": "no braces", "N": 3],
            "items": ["42", ["deep": "7"], true, .null],
            "count": 5,
        ])
    }

    @Test("a template that does not parse, or names an unknown filter, is an invalid configuration naming the field")
    func errors() throws {
        let unknown = #expect(throws: PipelineError.self) {
            try renderer.render(["template": "{{ parent.output|indnt(4) }}"], literalKeys: [], context: context())
        }
        #expect(unknown?.code == .invalidConfiguration)
        #expect(unknown?.field == "kwargs.template")
        #expect(unknown?.message.contains("indnt") == true)

        let unclosed = #expect(throws: PipelineError.self) {
            try renderer.render(["env": ["GREETING": "{% if source.repo %}hi"]], literalKeys: [], context: context())
        }
        #expect(unclosed?.code == .invalidConfiguration)
        #expect(unclosed?.field == "kwargs.env.GREETING")

        let call = #expect(throws: PipelineError.self) { try renderer.validate("{{ x|indent(4, True }}") }
        #expect(call?.code == .invalidConfiguration)
        let keyword = #expect(throws: PipelineError.self) { try renderer.validate("{{ x|join(sep=\", \") }}") }
        #expect(keyword?.message.contains("keyword") == true)
        try renderer.validate("Flake8 violations:\n\n{{ parent.output|indent(4, True) }}")
    }

    @Test("validating a configuration checks every handler's templates and skips literal keys")
    func validateConfiguration() throws {
        let actions = ActionRegistry.standard()
        let good = PipelineConfiguration(name: "lint", sourceClass: "pull_request", actions: [
            ActionSpec(name: "flake8", task: "shell", kwargs: ["command": "echo '{{ not|a_filter }}'"],
                       failureHandler: ActionSpec(name: "notify", task: "pull_request_comment",
                                                  kwargs: ["template": "{{ parent.output|indent(4, True) }}"])),
        ])
        try renderer.validate(good, actions: actions)

        var bad = good
        bad.actions[0].failureHandler = .init(ActionSpec(name: "notify", task: "pull_request_comment",
                                                         kwargs: ["template": "{{ parent.output|indnt(4) }}"]))
        let error = #expect(throws: PipelineError.self) { try renderer.validate(bad, actions: actions) }
        #expect(error?.field == "actions[0].failure_handler.kwargs.template")
    }
}
