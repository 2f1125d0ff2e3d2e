/// The `NAME=VALUE` forms servers take on their command line for schedules, polled repositories
/// and shell tasks, read once here.
public enum NamedValue {
    /// Splits `text` at its first `=`: a non-empty name and a non-empty value.
    ///
    /// - Throws: ``PipelineError`` `invalidConfiguration` naming `flag` when either is missing.
    public static func split(_ text: String, flag: String) throws(PipelineError) -> (name: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
            throw PipelineError(.invalidConfiguration, "--\(flag) needs NAME=VALUE, got '\(text)'", operation: "read options")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

extension ScheduledTrigger {
    /// A trigger from `NAME=CRON` (`nightly=0 3 * * *`), in UTC.
    public init(parsing text: String) throws(PipelineError) {
        let (name, cron) = try NamedValue.split(text, flag: "schedule")
        self.init(name: name, cron: try CronExpression(cron))
    }
}

extension PolledRepository {
    /// A repository from `NAME=URL`; a local path or `file://` URL only when `allowLocal`.
    public init(parsing text: String, allowLocal: Bool) throws(PipelineError) {
        let (name, url) = try NamedValue.split(text, flag: "poll")
        if !allowLocal && RepositoryConfigurationReader.isLocal(url) {
            throw PipelineError(.invalidConfiguration, "--poll \(name): '\(url)' is a local path; allow file URLs to poll it",
                                operation: "read options")
        }
        self.init(url: url, name: name)
    }
}

extension ActionRegistry {
    /// Registers a ``ShellAction`` for each `NAME=COMMAND` (`--task`).
    public mutating func registerShellTasks(_ specs: [String]) throws(PipelineError) {
        for spec in specs {
            let (name, command) = try NamedValue.split(spec, flag: "task")
            guard !command.allSatisfy({ $0 == " " || $0 == "\t" }) else {
                throw PipelineError(.invalidConfiguration, "--task \(name) has an empty command", operation: "read options")
            }
            register(name, ShellAction(command: command))
        }
    }
}

extension PipelineExecutor.RunSettings {
    /// Run settings giving the host's network to the sources of these repositories (their `repo`
    /// attribute, `OWNER/NAME`) and nothing else to the others; nil for no repository.
    public static func hostNetwork(for repositories: [String]) -> (@Sendable (Source) async throws -> PipelineExecutor.RunSettings)? {
        guard !repositories.isEmpty else { return nil }
        let allowed = Set(repositories)
        return { source in
            guard let repository = source.attributes["repo"]?.text, allowed.contains(repository) else { return .init() }
            return .init(network: .host)
        }
    }
}
