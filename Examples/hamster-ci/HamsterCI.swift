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
        try actions.registerShellTasks(tasks)
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

    func executorOptions(workerID: String?, concurrency: Int, lease: Duration = .seconds(30),
                         pollInterval: Duration = .seconds(1)) throws -> PipelineExecutor.Options {
        .init(workerID: workerID, concurrency: concurrency, lease: lease, pollInterval: pollInterval, workspaceRoot: workspaceRoot,
              maskedValues: maskedValues, sandbox: try sandbox(), runSettings: PipelineExecutor.RunSettings.hostNetwork(for: networkHost), outbound: try outbound())
    }
}

/// Where runs are stored: `--db FILE` or `--database URL|FILE`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database of runs (created if missing).")
    var db: String = "hamster-ci.sqlite"

    @Option(name: .long, help: "Where runs are stored: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME], or a SQLite file (default: --db).")
    var database: String?

    var location: String { database ?? db }
    /// The folder of the SQLite file, where mirrors are kept.
    var folder: String { (db as NSString).deletingLastPathComponent.isEmpty ? "." : (db as NSString).deletingLastPathComponent }
}

/// How a process works through runs: `--workers`, `--worker-id`, `--lease`.
struct WorkerOptions: ParsableArguments {
    @Option(name: .long, help: "How many actions run at once.")
    var workers: Int = 4

    @Option(name: .long, help: "This worker's name in the database: unique per process, stable across its restarts (a restart resumes its work at once).")
    var workerID: String?

    @Option(name: .long, help: "Seconds a claimed action is held without renewal before another worker may take it.")
    var lease: Int = 30

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
    }
}

struct Serve: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(abstract: "Receive webhooks, run pipelines, serve the JSON API.")

    @Option(name: .long, help: "A directory of configurations (*.json, *.yml, *.yaml), or one file.")
    var config: String

    @OptionGroup var store: StoreOptions

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

    @OptionGroup var worker: WorkerOptions

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

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard pollInterval >= 1 else { throw ValidationError("--poll-interval must be at least 1 second") }
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
        let configurations = try ConfigurationLoader(tasks: actions.names).load(path: config)
        let store = try await RunStores.open(self.store.location, logger: logger)
        let reader = pipelineFiles
            ? RepositoryConfigurationReader(loader: ConfigurationLoader(tasks: actions.names),
                                            mirrorDirectory: self.store.folder + "/mirrors",
                                            allowLocalRepositories: allowFileURLs, outbound: try actionOptions.outbound())
            : nil
        let dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex(configurations), configurationStore: store,
                                            repositoryConfigurations: reader, logger: logger)
        try await dispatcher.reloadStoredConfigurations()
        let service = try PipelineHTTPService(dispatcher: dispatcher, options: .init(
            webhookSecrets: [.github: secret, .gitlab: secret, .gitea: secret], allowFileURLs: allowFileURLs, apiToken: token,
            configurationLoader: ConfigurationLoader(tasks: actions.names)), logger: logger)
        let router = Router()
        MetricsEndpoint.addRoutes(to: router, options: metrics, credentials: MetricsEndpoint.apiToken(token))
        service.addRoutes(to: router)
        router.get("/healthz") { _, _ in "ok\n" }
        let executor = PipelineExecutor(store: store, actions: actions, options: try actionOptions.executorOptions(
            workerID: worker.workerID ?? "hamster-ci@\(ProcessInfo.processInfo.hostName)", concurrency: worker.workers,
            lease: .seconds(worker.lease)), logger: logger)
        let count = configurations.count
        let application = connections.application(router, name: "hamster-ci", host: host, port: port, logger: logger) {
            "hamster-ci listening on http://\(host):\($0) with \(count) configuration(s)"
        }
        let triggers = try schedules.map { text throws(PipelineError) in try ScheduledTrigger(parsing: text) }
        let scheduler = triggers.isEmpty ? nil : try Scheduler(triggers: triggers, logger: logger)
        let polled = try polls.map { text throws(PipelineError) in try PolledRepository(parsing: text, allowLocal: allowFileURLs) }
        let poller = polled.isEmpty ? nil : try RepositoryPoller(
            repositories: polled, directory: self.store.folder + "/poll-mirrors",
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

    @OptionGroup var store: StoreOptions

    @OptionGroup var worker: WorkerOptions

    @Option(name: .long, help: "Milliseconds between looks for work queued by other processes.")
    var pollMilliseconds: Int = 200

    @OptionGroup var actionOptions: ActionOptions

    func validate() throws {
        guard pollMilliseconds >= 1 else { throw ValidationError("--poll-milliseconds must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "hamster-ci")
        logger.logLevel = .info
        let store = try await RunStores.open(self.store.location, logger: logger)
        var options = try actionOptions.executorOptions(workerID: worker.workerID, concurrency: worker.workers, lease: .seconds(worker.lease),
                                                        pollInterval: .milliseconds(pollMilliseconds))
        // A database that is restarting is waited for: the executor starts again when it is back.
        options.restartAfterStoreFailure = .milliseconds(500)
        let executor = PipelineExecutor(store: store, actions: try actionOptions.registry(), options: options, logger: logger)
        let place = (store as? PostgresRunStore).map { "\($0.location)" } ?? self.store.location
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
        let configurations = try ConfigurationLoader(tasks: actions.names).load(path: config)
        guard let bytes = FileManager.default.contents(atPath: event).map(Array.init) else {
            throw ValidationError("cannot read the event file \(event)")
        }
        guard let webhookProvider = WebhookProvider(rawValue: provider) else { throw ValidationError("--provider must be github, gitlab or gitea") }
        let (source, value) = try LocalRun.source(fromEvent: bytes, provider: webhookProvider, kind: kind)
        let reports = try await LocalRun.run(source: source, event: value, configurations: configurations, actions: actions,
                                             options: try actionOptions.executorOptions(workerID: "hamster-ci-run", concurrency: 4),
                                             database: db, logger: logger)
        guard !reports.isEmpty else {
            print("no configuration matches this \(source.sourceClass) event")
            throw ExitCode(1)
        }
        if json {
            print(Value.list(reports.map(\.jsonValue)).jsonText)
        } else {
            print(reports.map(\.text).joined(), terminator: "")
        }
        if reports.contains(where: { $0.detail.run.status != .succeeded }) { throw ExitCode(1) }
    }
}
