import ArgumentParser
import ExampleSupport
import ForgeKit
import ForgeKitServer
import Foundation
import Hummingbird
import Logging
import PipelineKit
import PipelineKitPostgres
import PipelineKitServer
import ServiceLifecycle

/// hamster-ci: the pipeline seed's system in one process — webhooks in, configurations matched,
/// action chains run durably — built from PipelineKit.
@main
struct HamsterCI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hamster-ci",
        abstract: "Webhook-driven action chains (Hamster CI's pipeline) on PipelineKit.",
        subcommands: [Serve.self, Worker.self, Run.self]
    )
}

/// Options both commands share: which actions exist and how they run.
struct ActionOptions: ParsableArguments {
    @Option(name: .long, help: "The forge API base URL for pull_request_comment (GitHub's, or https://HOST/api/v1 for Gitea).")
    var githubAPI: String = "https://api.github.com"

    @Option(name: .customLong("task"), help: ArgumentHelp(
        "Register a shell task: NAME=COMMAND (repeatable). The seed's flake8_diff is one.", valueName: "name=command"))
    var tasks: [String] = []

    @Option(name: .long, help: "Where run workspaces are made.")
    var workspaceRoot: String = FileManager.default.temporaryDirectory.appendingPathComponent("hamster-ci-workspaces").path

    @Option(name: .long, help: "The network commands reach: none (an empty network namespace) or host.")
    var network: String = "none"

    @Option(name: .customLong("network-host"), help: ArgumentHelp(
        "A repository (a source's repo attribute, OWNER/NAME) whose commands reach the host's network (repeatable).", valueName: "repo"))
    var networkHost: [String] = []

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run commands as this process's user with its files and environment: for trusted single-user use only.")
    var unsafeNoSandbox = false

    @Option(name: .customLong("webhook-allow"), help: ArgumentHelp(
        "A host or network (CIDR) that http actions, clones of payloads' repositories and polls may reach although it is internal (repeatable).",
        valueName: "host|cidr"))
    var webhookAllow: [String] = []

    /// Where requests to URLs from payloads and configurations may go.
    func outbound() throws -> OutboundPolicy {
        do { return try OutboundPolicy(allowing: webhookAllow) } catch { throw ValidationError("--webhook-allow: \(error.message)") }
    }

    /// The seed's one shell task: flake8 on the Python files a pull request changes.
    static let flake8Diff = #"git diff --name-only --diff-filter=ACMR "$SOURCE_BASE_COMMIT" "$SOURCE_COMMIT" -- '*.py' | xargs -r flake8"#

    func registry() throws -> ActionRegistry {
        var actions = ActionRegistry.standard(.init(apiBaseURL: githubAPI, token: ProcessInfo.processInfo.environment["GITHUB_TOKEN"],
                                                    outbound: try outbound()))
        actions.register("flake8_diff", ShellAction(command: Self.flake8Diff))
        for task in tasks {
            let (name, command) = try namedValue(task, flag: "task")
            guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--task \(name) has an empty command")
            }
            actions.register(name, ShellAction(command: command))
        }
        return actions
    }

    var maskedValues: [String] {
        ProcessInfo.processInfo.environment["GITHUB_TOKEN"].map { [$0] } ?? []
    }

    /// Where commands run: bubblewrap with `--network`, or nothing with `--unsafe-no-sandbox`.
    func sandbox() throws -> Sandbox {
        if unsafeNoSandbox { return .unsafeUnconfined() }
        return Sandbox(network: try Sandbox.Network(parsing: network))
    }

    /// The host network for the `--network-host` repositories.
    var runSettings: (@Sendable (Source) async throws -> PipelineExecutor.RunSettings)? {
        guard !networkHost.isEmpty else { return nil }
        let allowed = Set(networkHost)
        return { source in
            guard let repository = source.attributes["repo"]?.text, allowed.contains(repository) else { return .init() }
            return .init(network: .host)
        }
    }

    func executorOptions(workerID: String?, concurrency: Int, lease: Duration = .seconds(30),
                         pollInterval: Duration = .seconds(1)) throws -> PipelineExecutor.Options {
        .init(workerID: workerID, concurrency: concurrency, lease: lease, pollInterval: pollInterval, workspaceRoot: workspaceRoot,
              maskedValues: maskedValues, sandbox: try sandbox(), runSettings: runSettings, outbound: try outbound())
    }
}

/// Splits a `NAME=VALUE` flag value (`--task`, `--schedule`, `--poll`) at its first `=`.
func namedValue(_ text: String, flag: String) throws -> (name: String, value: String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
        throw ValidationError("--\(flag) needs NAME=VALUE, got '\(text)'")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}

/// A run store that also keeps configurations: SQLite or PostgreSQL.
typealias HamsterStore = any RunStore & ConfigurationStore

/// Opens the run store `--database` names: a `postgres://` URL (PostgreSQL, shared by workers on
/// many machines), or else the SQLite file `--db` (or `--database`) names.
func openStore(database: String?, db: String, logger: Logger) async throws -> HamsterStore {
    if let database, database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
        return try await PostgresRunStore(url: database, logger: logger)
    }
    if let database, database.contains("://") {
        throw ValidationError("--database must be a postgres:// URL or a SQLite file path, not '\(database)'")
    }
    return try SQLiteRunStore(path: database ?? db, logger: logger)
}

func loadConfigurations(_ path: String, actions: ActionRegistry) throws -> [PipelineConfiguration] {
    let loader = ConfigurationLoader(tasks: actions.names)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("no such configuration file or directory: \(path)")
    }
    if isDirectory.boolValue { return try loader.load(directory: path) }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("cannot read \(path) as UTF-8 text")
    }
    return try loader.load(text: text, file: path)
}

struct Serve: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(abstract: "Receive webhooks, run pipelines, serve the JSON API.")

    @Option(name: .long, help: "A directory of configurations (*.json, *.yml, *.yaml), or one file.")
    var config: String

    @Option(name: .long, help: "The SQLite database of runs (created if missing).")
    var db: String = "hamster-ci.sqlite"

    @Option(name: .long, help: "Where runs are stored: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME], or a SQLite file (default: --db).")
    var database: String?

    @Option(name: .long, help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .long, help: "The webhook secret (GitHub, Gitea) or token (GitLab); HAMSTER_WEBHOOK_SECRET also works.")
    var webhookSecret: String?

    @Flag(name: .customLong("allow-file-urls"), help: "Accept payloads whose repository is a local path or file:// URL (for local testing only).")
    var allowFileURLs = false

    @Flag(name: .long, help: "Also run the .pipeline.yml of each pushed commit.")
    var pipelineFiles = false

    @Option(name: .long, help: "How many actions run at once.")
    var workers: Int = 4

    @Option(name: .long, help: "This worker's name in the database; a restart under the same name resumes its work at once.")
    var workerID: String?

    @Option(name: .long, help: "Seconds a claimed action is held without renewal before another worker may take it.")
    var lease: Int = 30

    @Option(name: .long, help: "Require this bearer token on /api; HAMSTER_API_TOKEN also works. Required unless --open-api.")
    var apiToken: String?

    @Flag(name: .customLong("open-api"), help: "Serve /api without a token: anyone who reaches the port may use it (loopback only).")
    var openAPI = false

    @Option(name: .customLong("schedule"), help: ArgumentHelp(
        "Start `schedule` runs on a cron schedule, in UTC: NAME=CRON (repeatable), e.g. 'nightly=0 3 * * *'.", valueName: "name=cron"))
    var schedules: [String] = []

    @Option(name: .customLong("poll"), help: ArgumentHelp(
        "Poll a repository's branches and tags and start `poll` runs: NAME=URL (repeatable).", valueName: "name=url"))
    var polls: [String] = []

    @Option(name: .long, help: "Seconds between polls.")
    var pollInterval: Int = 60

    @Flag(name: .customLong("no-worker"), help: "Receive and store only; run no actions (`hamster-ci worker` processes on the same database run them).")
    var noWorker = false

    @OptionGroup var actionOptions: ActionOptions

    /// The folder of the database, where mirrors are kept.
    var dataDirectory: String {
        let folder = (db as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard pollInterval >= 1 else { throw ValidationError("--poll-interval must be at least 1 second") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
    }

    func run() async throws {
        var logger = Logger(label: "hamster-ci")
        logger.logLevel = .info
        let environment = ProcessInfo.processInfo.environment
        guard let secret = webhookSecret ?? environment["HAMSTER_WEBHOOK_SECRET"], !secret.isEmpty else {
            throw ValidationError("--webhook-secret (or HAMSTER_WEBHOOK_SECRET) is required")
        }
        let token = try APIAccess.token(apiToken, variable: "HAMSTER_API_TOKEN", openAPI: openAPI, host: host, port: port,
                                        logger: logger, opened: "the API is open")
        let actions = try actionOptions.registry()
        let configurations = try loadConfigurations(config, actions: actions)
        let store = try await openStore(database: database, db: db, logger: logger)
        let reader = pipelineFiles
            ? RepositoryConfigurationReader(loader: ConfigurationLoader(tasks: actions.names),
                                            mirrorDirectory: dataDirectory + "/mirrors",
                                            allowLocalRepositories: allowFileURLs, outbound: try actionOptions.outbound())
            : nil
        let dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex(configurations), configurationStore: store,
                                            repositoryConfigurations: reader, logger: logger)
        try await dispatcher.reloadStoredConfigurations()
        let service = try PipelineHTTPService(
            dispatcher: dispatcher,
            options: .init(webhookSecrets: [.github: secret, .gitlab: secret, .gitea: secret], allowFileURLs: allowFileURLs,
                           apiToken: token,
                           configurationLoader: ConfigurationLoader(tasks: actions.names)),
            logger: logger)
        let router = Router()
        MetricsEndpoint.addRoutes(to: router, options: metrics, credentials: MetricsEndpoint.apiToken(token))
        service.addRoutes(to: router)
        router.get("/healthz") { _, _ in "ok\n" }
        let executor = PipelineExecutor(
            store: store, actions: actions,
            options: try actionOptions.executorOptions(workerID: workerID ?? "hamster-ci@\(ProcessInfo.processInfo.hostName)",
                                                       concurrency: workers, lease: .seconds(lease)),
            logger: logger)
        let connectionGuard = ConnectionGuard(connections.limits, logger: logger)
        let application = Application(
            router: router, server: connectionGuard.server,
            configuration: connectionGuard.configure(.init(address: .hostname(host, port: port), serverName: "hamster-ci")),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                // Written in one call, unbuffered, so that a supervisor reading the pipe sees it at once.
                FileHandle.standardOutput.write(Data("hamster-ci listening on http://\(host):\(bound) with \(configurations.count) configuration(s)\n".utf8))
            },
            logger: logger)
        let triggers = try schedules.map { text in
            let (name, cron) = try namedValue(text, flag: "schedule")
            return ScheduledTrigger(name: name, cron: try CronExpression(cron))
        }
        let scheduler = triggers.isEmpty ? nil : try Scheduler(triggers: triggers, logger: logger)
        let polled = try polls.map { text in
            let (name, url) = try namedValue(text, flag: "poll")
            if !allowFileURLs && RepositoryConfigurationReader.isLocal(url) {
                throw ValidationError("--poll \(name): '\(url)' is a local path; add --allow-file-urls to poll it")
            }
            return PolledRepository(url: url, name: name)
        }
        let poller = polled.isEmpty ? nil : try RepositoryPoller(
            repositories: polled, directory: dataDirectory + "/poll-mirrors",
            interval: .seconds(pollInterval), outbound: try actionOptions.outbound(), logger: logger)
        var services: [any Service] = [application]
        if !noWorker { services.append(executor) }
        if let scheduler { services.append(scheduler.service(dispatcher: dispatcher)) }
        if let poller { services.append(poller.service(dispatcher: dispatcher)) }
        try await runServices(services, logger: logger)
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the actions of runs stored in a database, beside a `serve --no-worker` (or other workers).")

    @Option(name: .long, help: "The SQLite database of runs.")
    var db: String = "hamster-ci.sqlite"

    @Option(name: .long, help: "Where runs are stored: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME], or a SQLite file (default: --db).")
    var database: String?

    @Option(name: .long, help: "How many actions run at once.")
    var workers: Int = 4

    @Option(name: .long, help: "This worker's name in the database: unique per process, stable across its restarts.")
    var workerID: String?

    @Option(name: .long, help: "Seconds a claimed action is held without renewal before another worker may take it.")
    var lease: Int = 30

    @Option(name: .long, help: "Milliseconds between looks for work queued by other processes.")
    var pollMilliseconds: Int = 200

    @OptionGroup var actionOptions: ActionOptions

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard pollMilliseconds >= 1 else { throw ValidationError("--poll-milliseconds must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "hamster-ci")
        logger.logLevel = .info
        let store = try await openStore(database: database, db: db, logger: logger)
        var options = try actionOptions.executorOptions(workerID: workerID, concurrency: workers, lease: .seconds(lease),
                                                        pollInterval: .milliseconds(pollMilliseconds))
        // A database that is restarting is waited for: the executor starts again when it is back.
        options.restartAfterStoreFailure = .milliseconds(500)
        let executor = PipelineExecutor(store: store, actions: try actionOptions.registry(), options: options, logger: logger)
        let place = (store as? PostgresRunStore).map { "\($0.location)" } ?? (database ?? db)
        FileHandle.standardOutput.write(Data("hamster-ci worker \(executor.options.workerID) on \(place)\n".utf8))
        // SIGTERM or SIGINT: the actions in flight finish and record their outcomes, what was claimed
        // beyond them is handed back, and the worker exits 0.
        try await runServices([executor], logger: logger)
        logger.info("worker stopped")
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one event locally and print the runs.",
        discussion: """
        The event file is a webhook body (--provider and --kind say whose and which; the kind is guessed for GitHub \
        bodies), or a source written as {"source_class": …, "attributes": {…}, "checkout": {"repository_url": …, "commit": …}}. \
        Exits 0 when every run succeeded, 1 otherwise.
        """)

    @Option(name: .long, help: "A configuration file, or a directory of them.")
    var config: String

    @Option(name: .long, help: "The event: a webhook body or a source, as JSON.")
    var event: String

    @Option(name: .long, help: "The webhook's provider: github, gitlab or gitea.")
    var provider: String = "github"

    @Option(name: .long, help: "The webhook's event header (X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event).")
    var kind: String?

    @Option(name: .long, help: "Keep the runs in this SQLite file (default: a temporary one).")
    var db: String?

    @Flag(name: .long, help: "Print the runs as JSON.")
    var json = false

    @OptionGroup var actionOptions: ActionOptions

    func run() async throws {
        var logger = Logger(label: "hamster-ci")
        logger.logLevel = .warning
        let actions = try actionOptions.registry()
        let configurations = try loadConfigurations(config, actions: actions)
        guard let bytes = FileManager.default.contents(atPath: event).map(Array.init) else {
            throw ValidationError("cannot read the event file \(event)")
        }
        let value = try bytes.withUnsafeBufferPointer { buffer throws(PipelineError) in try Value(jsonBytes: buffer) }
        let source: Source
        if value["source_class"] != nil {
            source = try Source(jsonValue: value)
        } else {
            guard let webhookProvider = WebhookProvider(rawValue: provider) else {
                throw ValidationError("--provider must be github, gitlab or gitea")
            }
            let header = kind ?? (value["pull_request"] != nil ? "pull_request" : "push")
            let headerName = switch webhookProvider {
            case .github: "X-GitHub-Event"
            case .gitlab: "X-Gitlab-Event"
            case .gitea: "X-Gitea-Event"
            }
            let delivery = try WebhookDecoder().decode(provider: webhookProvider, headers: [headerName: header], body: bytes)
            guard let decoded = delivery.source else {
                throw ValidationError("the event (\(delivery.kind)) starts no pipeline: it has nothing to build")
            }
            source = decoded
        }
        let path: String
        if let db {
            path = db
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hamster-ci-run-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("runs.sqlite").path
        }
        defer { if db == nil { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) } }
        let store = try SQLiteRunStore(path: path, logger: logger)
        let dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex(configurations), logger: logger)
        let dispatch = try await dispatcher.dispatch(source: source, event: value, trigger: "hamster-ci run")
        guard !dispatch.matched.isEmpty else {
            print("no configuration matches this \(source.sourceClass) event")
            throw ExitCode(1)
        }
        let executor = PipelineExecutor(store: store, actions: actions,
                                        options: try actionOptions.executorOptions(workerID: "hamster-ci-run", concurrency: 4),
                                        logger: logger)
        try await executor.runUntilIdle()
        var allSucceeded = true
        var reports: [Value] = []
        for record in dispatch.enqueued.runs {
            guard let detail = try await store.run(record.id) else { continue }
            allSucceeded = allSucceeded && detail.run.status == .succeeded
            let logs = try await store.logs(run: record.id, after: 0, limit: 10_000)
            if json {
                guard case .map(var members) = detail.run.jsonValue else { continue }
                members["steps"] = .list(detail.steps.map(\.jsonValue))
                members["log"] = .string(logs.map(\.text).joined())
                reports.append(.map(members))
            } else {
                print("run \(detail.run.id) \(detail.run.configurationName): \(detail.run.status.rawValue)"
                      + (detail.run.reason.map { " (\($0))" } ?? ""))
                for step in detail.steps {
                    let result = step.result.map { " → \($0.jsonText)" } ?? ""
                    print("  \(step.path) \(step.actionName) [\(step.task)] \(step.state.rawValue), attempts \(step.attempts)"
                          + (step.error.map { ": \($0)" } ?? result))
                    for chunk in logs where chunk.step == step.sequence {
                        for line in chunk.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(chunk.text.hasSuffix("\n") ? 1 : 0) {
                            print("    | \(line)")
                        }
                    }
                }
            }
        }
        if json { print(Value.list(reports).jsonText) }
        if !allSucceeded { throw ExitCode(1) }
    }
}
