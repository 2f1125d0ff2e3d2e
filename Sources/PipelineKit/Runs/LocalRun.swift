import Foundation
public import Logging

/// One event run to its end in this process, with a throwaway (or given) SQLite store: what
/// `hamster-ci run` does, for tools and tests that want a pipeline's outcome without a server.
public enum LocalRun {
    /// A run as it ended, with its steps and its whole log.
    public struct Report: Sendable {
        public var detail: RunDetail
        public var logs: [LogChunk]

        /// The run, its steps and the log as one JSON value (`{…run, "steps": […], "log": "…"}`).
        public var jsonValue: Value {
            guard case .map(var members) = detail.run.jsonValue else { return detail.run.jsonValue }
            members["steps"] = .list(detail.steps.map(\.jsonValue))
            members["log"] = .string(logs.map(\.text).joined())
            return .map(members)
        }

        /// The run as text: a line for the run, one per step, and each step's log indented.
        public var text: String {
            var text = "run \(detail.run.id) \(detail.run.configurationName): \(detail.run.status.rawValue)"
                + (detail.run.reason.map { " (\($0))" } ?? "") + "\n"
            for step in detail.steps {
                let result = step.result.map { " → \($0.jsonText)" } ?? ""
                text += "  \(step.path) \(step.actionName) [\(step.task)] \(step.state.rawValue), attempts \(step.attempts)"
                    + (step.error.map { ": \($0)" } ?? result) + "\n"
                for chunk in logs where chunk.step == step.sequence {
                    for line in chunk.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(chunk.text.hasSuffix("\n") ? 1 : 0) {
                        text += "    | \(line)\n"
                    }
                }
            }
            return text
        }
    }

    /// The source and event of an event file: a source written as JSON (`{"source_class": …,
    /// "attributes": {…}, "checkout": {…}}`), or a webhook body of `provider` (its event header `kind`,
    /// guessed for GitHub bodies: `pull_request` when the body has one, else `push`).
    ///
    /// - Throws: ``PipelineError`` `invalidEvent` when the body is not JSON or not a webhook the
    ///   decoder reads, or when the webhook starts no pipeline.
    public static func source(fromEvent bytes: [UInt8], provider: WebhookProvider, kind: String? = nil) throws(PipelineError) -> (Source, Value) {
        let value = try bytes.withUnsafeBufferPointer { buffer throws(PipelineError) in try Value(jsonBytes: buffer) }
        if value["source_class"] != nil { return (try Source(jsonValue: value), value) }
        let header = kind ?? (value["pull_request"] != nil ? "pull_request" : "push")
        let headerName = switch provider {
        case .github: "X-GitHub-Event"
        case .gitlab: "X-Gitlab-Event"
        case .gitea: "X-Gitea-Event"
        }
        let delivery = try WebhookDecoder().decode(provider: provider, headers: [headerName: header], body: bytes)
        guard let source = delivery.source else {
            throw PipelineError(.invalidEvent, "the event (\(delivery.kind)) starts no pipeline: it has nothing to build", operation: "run locally")
        }
        return (source, value)
    }

    /// Dispatches `source` to `configurations` and runs what matched until nothing is left, in a SQLite
    /// store at `database` (a temporary one, removed afterwards, when nil); the reports of the runs,
    /// empty when no configuration matched.
    public static func run(source: Source, event: Value, configurations: [PipelineConfiguration], actions: ActionRegistry,
                           options: PipelineExecutor.Options, database: String? = nil, logger: Logger) async throws -> [Report] {
        let path: String
        var temporary: String?
        if let database {
            path = database
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipelinekit-run-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            temporary = directory
            path = directory + "/runs.sqlite"
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        let store = try SQLiteRunStore(path: path, logger: logger)
        let dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex(configurations), logger: logger)
        let dispatch = try await dispatcher.dispatch(source: source, event: event, trigger: "local run")
        guard !dispatch.matched.isEmpty else { return [] }
        try await PipelineExecutor(store: store, actions: actions, options: options, logger: logger).runUntilIdle()
        var reports: [Report] = []
        for record in dispatch.enqueued.runs {
            guard let detail = try await store.run(record.id) else { continue }
            reports.append(Report(detail: detail, logs: try await store.logs(run: record.id, after: 0, limit: 10_000)))
        }
        return reports
    }
}
