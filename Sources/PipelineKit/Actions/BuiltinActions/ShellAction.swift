/// `shell`: runs a command with `/bin/sh -c` in the run's workspace, after acquiring the source's
/// files when it has any (in `directory/src`; a source without files runs in the empty workspace).
///
/// kwargs: `command` (the script; never rendered as a template), and optionally `env` (a map of extra
/// variables, rendered: they are data) and `timeout` (seconds). The script runs in the workspace's
/// ``Sandbox``, as its unprivileged user, with the run's network policy; a configuration cannot choose
/// another user (a `user` kwarg is refused).
///
/// Nothing from the source or the event is ever part of the script. The command reads them from its
/// environment: `SOURCE_<ATTRIBUTE>` for each attribute (`SOURCE_REPO`, `SOURCE_BRANCH`,
/// `SOURCE_BASE_BRANCH`; lists one element per line, maps as JSON), `SOURCE_CLASS`,
/// `PIPELINE_RUN_ID`, `PIPELINE_CONFIGURATION`, `PIPELINE_ACTION`, `PIPELINE_ATTEMPT` (1 for the
/// first run of this action, more when it runs again after a crash or a retry) and `PARENT_OUTPUT` (the parent's
/// `output`, when it has one; values over 100,000 bytes are cut). These win over `env`, which wins
/// over the workspace's ``Workspace/environment``. Quote them in the script as any shell variable:
/// `git log "$SOURCE_BRANCH"`.
///
/// The result is `{"ok": exit status == 0, "output": stdout and stderr in the order written,
/// "exit_code": status, "truncated": whether the output's start was dropped}`; it is truthy when the
/// command exited with 0.
///
/// Applications register fixed commands as presets, which ignore `kwargs.command`:
///
/// ```swift
/// registry.register("flake8_diff", ShellAction(command: "flake8-diff \"origin/$SOURCE_BASE_BRANCH\""))
/// ```
public struct ShellAction: Action {
    /// The fixed script of a preset; `nil` takes `kwargs.command`.
    public let command: String?

    /// A shell action; with `command`, a preset that always runs it.
    public init(command: String? = nil) {
        self.command = command
    }

    /// `command` is never rendered: the script reaches the shell exactly as configured.
    public var literalKeys: Set<String> { ["command"] }

    /// Runs the script and returns its result.
    public func run(_ context: ActionContext) async throws -> Value {
        let script = try command ?? context.string("command")
        let workspace = context.workspace
        let directory = context.source.checkout == nil ? try workspace.prepare() : try await workspace.files()
        var environment = try context.textMap("env")
        environment.merge(Self.variables(for: context)) { _, fixed in fixed }
        guard context.kwargs["user"] == nil else {
            throw PipelineError(.invalidConfiguration, "'user' is not supported: commands run as the sandbox's unprivileged user",
                                operation: "run shell", field: "kwargs.user")
        }
        let timeout = try context.seconds("timeout")
        let result = try await workspace.run(
            Command(["/bin/sh", "-c", script], environment: environment, workingDirectory: directory, timeout: timeout),
            output: context.output)
        return .map(["ok": .bool(result.succeeded), "output": .string(result.output),
                     "exit_code": .int(Int(result.exitCode)), "truncated": .bool(result.truncated)])
    }

    /// The variables that describe the run to the command: the source's attributes, the run and the
    /// parent's output.
    static func variables(for context: ActionContext) -> [String: String] {
        var variables: [String: String] = [:]
        for (name, value) in context.source.attributes {
            guard let text = environmentText(value) else { continue }
            variables["SOURCE_" + environmentName(name)] = bounded(text, keepingEnd: false)
        }
        variables["SOURCE_CLASS"] = context.source.sourceClass
        variables["PIPELINE_RUN_ID"] = context.run.description
        variables["PIPELINE_CONFIGURATION"] = context.configuration
        variables["PIPELINE_ACTION"] = context.actionName
        variables["PIPELINE_ATTEMPT"] = String(context.attempt)
        if let output = context.parent["output"].flatMap(environmentText) {
            variables["PARENT_OUTPUT"] = bounded(output, keepingEnd: true)
        }
        return variables
    }

    /// `name` upper-cased, with anything but letters, digits and `_` replaced by `_`.
    static func environmentName(_ name: String) -> String {
        String(name.uppercased().unicodeScalars.map { scalar in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) ? Character(scalar) : "_"
        })
    }

    /// A value as an environment variable's text: lists one element per line, maps as JSON, null as nothing.
    static func environmentText(_ value: Value) -> String? {
        switch value {
        case .null: return nil
        case .list(let values): return values.map { $0.text ?? $0.jsonText }.joined(separator: "\n")
        case .map: return value.jsonText
        default: return value.text
        }
    }

    /// Linux refuses a single variable longer than 128 KiB, so longer values keep their first (or
    /// last) 100,000 bytes.
    static func bounded(_ text: String, keepingEnd: Bool) -> String {
        let limit = 100_000
        let bytes = Array(text.utf8)
        guard bytes.count > limit else { return text }
        if keepingEnd {
            var start = bytes.count - limit
            while start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
            return String(decoding: bytes[start...], as: UTF8.self)
        }
        var end = limit
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
