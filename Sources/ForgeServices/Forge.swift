public import DeployKit
import DeployKitPostgres
public import ForgeKit
import ForgeKitPostgres
public import ForgeKitServer
import Foundation
public import Logging
public import PipelineKit
import PipelineKitPostgres
public import ServiceLifecycle

/// A whole forge in one process, assembled from the kits, without its UI: repositories and accounts,
/// pushes running pipelines (stored configurations and each commit's `.pipeline.yml`), outbound
/// webhooks, and deployments run by an in-process runner (remote runners can also connect through
/// DeployKit's runner API). ``services`` are its background work; ForgeWeb adds the HTTP side
/// (`addRoutes(to:)`: Git and Mercurial HTTP, the runner API, the web UI and `/api/v1`).
///
/// Everything lives in one data folder, SQLite by default:
///
/// | Path | |
/// |---|---|
/// | `forge.sqlite` | users, tokens, groups, repositories, permissions, webhooks, pull requests, reviews, statuses, sessions |
/// | `repositories/` | the bare repositories, in group folders |
/// | `runs.sqlite`, `workspaces/` | pipeline runs and their workspaces |
/// | `deploy.sqlite`, `deploy-work/` | deployments, and the local runner's folders |
/// | `state/` | the git and hg backends' own files |
///
/// With ``Options/database`` a `postgres://` URL, ``open(_:logger:)`` keeps the three databases'
/// contents in PostgreSQL instead (one schema, the URL's); repositories, workspaces and the
/// backends' files stay in the data folder.
public final class Forge: Sendable {
    /// How the forge is put together.
    public struct Options: Sendable {
        /// The data folder.
        public var dataDirectory: String
        /// The public URL (`http://HOST:PORT`).
        public var publicURL: String
        /// How many pipeline actions run at once.
        public var pipelineWorkers: Int
        /// Whether an in-process runner deploys.
        public var localRunner: Bool
        /// Extra actions for pipelines, besides PipelineKit's standard ones and `deploy`.
        public var extraActions: [String: any Action]
        /// How passwords are hashed (tests use a cheaper cost).
        public var passwordHasher: PasswordHasher
        /// How failed sign-ins are slowed down, per account and per address (``SignInThrottle``).
        public var signInThrottle: SignInThrottle.Policy
        /// Remote runners allowed to connect through DeployKit's runner API (`/api/runner/…`), by name,
        /// with their tokens (16 characters or more); `deploy-runner --server URL --token TOKEN` connects.
        public var remoteRunners: [String: String]
        /// The bearer token of DeployKit's deployment API (`/api/deployments`, `/api/rollbacks`, …);
        /// without one, that API refuses everything (the forge's UI and `/api/v1` are the way in).
        public var deploymentAPIToken: String?
        /// Where pipeline commands and the local runner's deploy scripts run: bubblewrap by default.
        /// A repository's pipelines reach the network its ``RepositoryRecord/pipelineNetwork`` says (a
        /// site admin's setting, `none` by default); a deployment's script, its environment's.
        public var sandbox: Sandbox
        /// Where requests to URLs users supply may go: outbound webhooks and pipelines' `http` actions
        /// reach the public internet and what an admin allowed (`--webhook-allow`).
        public var outbound: OutboundPolicy
        /// Where the metadata, runs and deployments are kept: nil for SQLite files in the data folder,
        /// or a `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` URL (``open(_:logger:)``).
        public var database: String?

        /// Creates options.
        public init(dataDirectory: String, publicURL: String, pipelineWorkers: Int = 4, localRunner: Bool = true,
                    extraActions: [String: any Action] = [:], passwordHasher: PasswordHasher = PasswordHasher(),
                    signInThrottle: SignInThrottle.Policy = .init(),
                    remoteRunners: [String: String] = [:], deploymentAPIToken: String? = nil, sandbox: Sandbox = Sandbox(),
                    outbound: OutboundPolicy = .standard, database: String? = nil) {
            self.database = database
            self.dataDirectory = dataDirectory
            self.publicURL = publicURL
            self.pipelineWorkers = pipelineWorkers
            self.localRunner = localRunner
            self.extraActions = extraActions
            self.passwordHasher = passwordHasher
            self.signInThrottle = signInThrottle
            self.remoteRunners = remoteRunners
            self.deploymentAPIToken = deploymentAPIToken
            self.sandbox = sandbox
            self.outbound = outbound
        }
    }

    /// How the forge is put together.
    public let options: Options
    /// Users, groups, repositories, permissions, pull requests and the rest of the forge's metadata.
    public let store: any ForgeMetadataStore
    /// Accounts and sign-in.
    public let accounts: ForgeAccounts
    /// The repositories.
    public let repositories: RepositoryStore
    /// Pipeline runs.
    public let runs: any RunStore & ConfigurationStore
    /// Matches sources to configurations and queues runs.
    public let dispatcher: PipelineDispatcher
    /// Runs pipeline actions.
    public let executor: PipelineExecutor
    /// Deployments.
    public let deployments: DeploymentController
    /// Outbound webhooks.
    public let webhooks: WebhookDispatcher
    /// Pushes to pipeline runs.
    public let trigger: PushPipelineTrigger
    /// The runs' commit statuses.
    public let statuses: RunStatusReporter
    /// Pull requests to pipeline runs.
    public let pullTrigger: PullRequestTrigger
    /// Reads pipeline configurations with the forge's actions.
    package let configurationLoader: ConfigurationLoader
    package let gitBackend: GitHTTPBackend
    package let hgBackend: MercurialHTTPBackend
    let runner: DeploymentRunner?
    package let logger: Logger

    /// The databases a forge keeps besides its folders.
    public struct Stores: Sendable {
        /// Users, repositories, permissions, pull requests, … (``ForgeMetadataStore``).
        public var metadata: any ForgeMetadataStore
        /// Pipeline runs and stored configurations.
        public var runs: any RunStore & ConfigurationStore
        /// Deployments.
        public var deployments: any DeploymentStore

        /// Stores already opened.
        public init(metadata: any ForgeMetadataStore, runs: any RunStore & ConfigurationStore, deployments: any DeploymentStore) {
            self.metadata = metadata
            self.runs = runs
            self.deployments = deployments
        }

        /// The SQLite files in the data folder `data` (created when missing).
        public static func sqlite(in data: String, logger: Logger) throws -> Stores {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            return Stores(metadata: try SQLiteForgeStore(path: data + "/forge.sqlite", logger: logger),
                          runs: try SQLiteRunStore(path: data + "/runs.sqlite", logger: logger),
                          deployments: try SQLiteDeploymentStore(path: data + "/deploy.sqlite", logger: logger))
        }

        /// The stores at `location`: a `postgres://` URL (all three in its database and schema) or,
        /// for anything else, SQLite files in the data folder `data`.
        public static func open(_ location: String?, data: String, logger: Logger) async throws -> Stores {
            guard let location, !location.isEmpty else { return try sqlite(in: data, logger: logger) }
            let lowered = location.lowercased()
            guard lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") else {
                throw ForgeError(.invalidArgument, "the database must be a postgres:// URL (or none, for SQLite files in the data folder)",
                                 operation: "open the forge's stores")
            }
            return Stores(metadata: try await ForgeMetadataStores.open(location, logger: logger),
                          runs: try await RunStores.open(location, logger: logger),
                          deployments: try await DeploymentStores.open(location, logger: logger))
        }
    }

    /// Opens (creating when needed) the forge in `options.dataDirectory`, with its stores where
    /// ``Options/database`` says: SQLite files in the data folder, or PostgreSQL.
    public static func open(_ options: Options, logger: Logger = Logger(label: "forge")) async throws -> Forge {
        let data = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        return try Forge(options, stores: try await Stores.open(options.database, data: data, logger: logger), logger: logger)
    }

    /// Opens (creating when needed) the forge in `options.dataDirectory`, with SQLite files there.
    public convenience init(_ options: Options, logger: Logger = Logger(label: "forge")) throws {
        let data = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        try self.init(options, stores: try Stores.sqlite(in: data, logger: logger), logger: logger)
    }

    /// Opens the forge in `options.dataDirectory` over `stores`.
    public init(_ options: Options, stores: Stores, logger: Logger = Logger(label: "forge")) throws {
        // Absolute, so that release folders and repository locations handed to runners stay valid.
        let data = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var options = options
        options.dataDirectory = data
        self.options = options
        self.logger = logger
        store = stores.metadata
        accounts = ForgeAccounts(store: store, hasher: options.passwordHasher, throttle: SignInThrottle(policy: options.signInThrottle),
                                 logger: logger)
        repositories = try RepositoryStore(root: data + "/repositories", metadata: store, logger: logger)
        gitBackend = try GitHTTPBackend(root: repositories.root, stateDirectory: data + "/state/git")
        hgBackend = try MercurialHTTPBackend(root: repositories.root, stateDirectory: data + "/state/hg")
        runs = stores.runs
        deployments = DeploymentController(store: stores.deployments, logger: logger)
        let metadata: any ForgeMetadataStore = store
        var actions = ActionRegistry.standard(.init(outbound: options.outbound))
        let bound: DeployAction.ProjectPolicy = { context, requested in try await Self.deployProject(for: context, requested: requested, metadata: metadata) }
        actions.register("deploy", DeployAction(controller: deployments, project: bound))
        // Comments and statuses go to the forge itself, on the run's own repository only.
        actions.register("pull_request_comment", ForgePullRequestCommentAction(metadata: metadata, publicURL: options.publicURL))
        actions.register("commit_status", ForgeCommitStatusAction(metadata: metadata))
        for (name, action) in options.extraActions { actions.register(name, action) }
        configurationLoader = ConfigurationLoader(tasks: actions.names)
        let reader = RepositoryConfigurationReader(loader: configurationLoader, allowLocalRepositories: true)
        dispatcher = PipelineDispatcher(store: runs, configurations: ConfigurationIndex(), configurationStore: runs,
                                        repositoryConfigurations: reader, logger: logger)
        executor = PipelineExecutor(store: runs, actions: actions,
                                    options: .init(workerID: "forge", concurrency: options.pipelineWorkers, workspaceRoot: data + "/workspaces",
                                                   sandbox: options.sandbox,
                                                   runSettings: { source in try await Self.runSettings(for: source, metadata: metadata) },
                                                   outbound: options.outbound),
                                    logger: logger)
        webhooks = WebhookDispatcher(repositories: repositories, options: .init(baseURL: options.publicURL, outbound: options.outbound),
                                     logger: logger)
        trigger = PushPipelineTrigger(repositories: repositories, dispatcher: dispatcher, publicURL: options.publicURL, logger: logger)
        statuses = RunStatusReporter(metadata: store, runs: runs, publicURL: options.publicURL, logger: logger)
        pullTrigger = PullRequestTrigger(repositories: repositories, dispatcher: dispatcher, publicURL: options.publicURL, logger: logger)
        runner = options.localRunner
            ? DeploymentRunner(connection: LocalRunnerConnection(controller: deployments, runner: RunnerRecord(name: "forge-local", projects: [])),
                               options: .init(workDirectory: data + "/deploy-work", sandbox: options.sandbox), logger: logger)
            : nil
    }

    /// A run's network and secrets: those of the repository it runs for (by the source's `repo`). A
    /// source naming no repository of the forge gets no network and no secret; nor does a pull
    /// request from a fork, whose code is the fork author's.
    static func runSettings(for source: Source, metadata: any ForgeMetadataStore) async throws -> PipelineExecutor.RunSettings {
        guard let repository = try await runRepository(of: source, metadata: metadata),
              try await !isForkPullRequest(source, in: repository, metadata: metadata) else {
            return .init(network: Sandbox.Network.none)
        }
        return .init(network: repository.pipelineNetwork == .host ? .host : Sandbox.Network.none,
                     secrets: try await metadata.secretValues(repositoryID: repository.id))
    }

    /// Checks that pipelines and deploy scripts can run in ``Options/sandbox``; call before serving.
    ///
    /// - Throws: ``PipelineError/Code/sandbox`` saying why not.
    public func checkSandbox() async throws(PipelineError) {
        guard options.sandbox.isIsolated else {
            logger.critical("pipelines and deploy scripts run WITHOUT a sandbox, as the forge's own user with its files (--unsafe-no-sandbox): for trusted single-user use only")
            return
        }
        try await options.sandbox.check()
    }

    /// Registers the configured remote runners (``Options/remoteRunners``); call once at start.
    public func registerRemoteRunners() async throws {
        for (name, token) in options.remoteRunners.sorted(by: { $0.key < $1.key }) {
            try await deployments.registerRunner(name: name, projects: [], token: token)
        }
    }

    /// The deploy project of a repository, bound to it by its id (`repo-42`): renames keep it, and no
    /// other repository's name can lead to it.
    public static func deployProject(of repository: RepositoryRecord) -> String {
        "repo-\(repository.id)"
    }

    /// The id of the repository a deploy project is bound to; nil for a project of no repository.
    public static func repositoryID(ofDeployProject name: String) -> Int64? {
        guard name.hasPrefix("repo-"), let id = Int64(name.dropFirst("repo-".count)), id > 0 else { return nil }
        return id
    }

    /// Whether `source` is a pull request from a fork: by its `fork` attribute, or by the stored pull
    /// request it names (either is enough).
    static func isForkPullRequest(_ source: Source, in repository: RepositoryRecord, metadata: any ForgeMetadataStore) async throws -> Bool {
        guard source.sourceClass == "pull_request" else { return false }
        if PullRequestTrigger.isFromFork(source) { return true }
        guard source.attributes["provider"]?.text == "forge", let number = source.attributes["number"]?.text.flatMap({ Int64($0) }) else { return false }
        return try await metadata.pullRequest(repositoryID: repository.id, number: number)?.isFromFork ?? false
    }

    /// The project a pipeline run may deploy: its own repository's, whatever it asked for — a run asking
    /// for another project, one that belongs to no repository of the forge, or one of a pull request
    /// from a fork, deploys nothing.
    static func deployProject(for context: ActionContext, requested: String?, metadata: any ForgeMetadataStore) async throws -> String {
        let operation = "run action 'deploy'"
        guard let repository = try await runRepository(of: context.source, metadata: metadata) else {
            throw PipelineError(.invalidConfiguration, "this run belongs to no repository of the forge, so it deploys nothing", operation: operation)
        }
        if try await isForkPullRequest(context.source, in: repository, metadata: metadata) {
            throw PipelineError(.invalidConfiguration, "a pull request from a fork deploys nothing", operation: operation)
        }
        let own = deployProject(of: repository)
        if let requested, requested != own {
            throw PipelineError(.invalidConfiguration, "a pipeline deploys only its own repository (project '\(own)'), not '\(requested)'",
                                operation: operation, field: "kwargs.project")
        }
        return own
    }

    /// Makes a repository deploy: its deploy project (``deployProject(of:)``) with one branch, one
    /// environment that keeps releases under `releasesPath`, and the script to run.
    public func configureDeployment(of repository: RepositoryRecord, branch: String = "main", mode: DeploymentMode = .auto,
                                    script: String, environment: String = "production", releasesPath: String) async throws {
        try await deployments.store.saveProject(ProjectSettings(
            name: Self.deployProject(of: repository), repositoryURL: repositories.directory(for: repository.path),
            branches: [BranchSettings(name: branch, mode: mode, script: script, environment: environment)],
            environments: [EnvironmentSettings(name: environment, releases: ReleaseSettings(path: releasesPath))]))
    }

    /// The forge's background work as swift-service-lifecycle services — the pipeline executor, the
    /// push trigger (after the stored configurations are loaded), the pull request trigger, webhook
    /// delivery, the runs' commit statuses, the deployment controller's lease expiry and the local runner — for a `ServiceGroup` beside the HTTP server. A
    /// graceful shutdown lets running steps and deployments finish and hands back what was claimed;
    /// the outboxes keep every push that was not dispatched yet.
    public var services: [any Service] {
        var services: [any Service] = [executor, StoredConfigurationsThenTrigger(forge: self), webhooks, deployments, statuses]
        if let runner { services.append(runner) }
        return services
    }

    /// Runs ``services`` until the task is cancelled (for tests and embedders without a service group
    /// of their own).
    public func runBackground() async {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
        }, logger: logger))
        do { try await group.run() } catch { logger.error("background work stopped", metadata: ["error": "\(error)"]) }
    }

    /// Loads the stored pipeline configurations (retrying until the store answers), then runs the
    /// push and pull request triggers: pushes waiting in the outbox and pull requests not dispatched
    /// yet are matched against them.
    private struct StoredConfigurationsThenTrigger: Service {
        let forge: Forge

        func run() async {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await forge.dispatcher.reloadStoredConfigurations()
                        break
                    } catch {
                        forge.logger.error("cannot load stored pipeline configurations; trying again", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            // Pushes and pull requests, both matched against the stored configurations now loaded.
            async let pushes: Void = forge.trigger.run()
            async let pulls: Void = forge.pullTrigger.run()
            _ = await (pushes, pulls)
        }
    }
}
