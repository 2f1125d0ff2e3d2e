import ArgumentParser
import DeployKit
import DeployKitPostgres
import DeployKitServer
import ExampleSupport
import ForgeKit
import ForgeKitServer
import Foundation
import Hummingbird
import Logging

/// deploy-server: Polytene's server side on DeployKit — the runner API, the deployment store, and
/// commands to queue, roll back and cancel by hand.
@main
struct DeployServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-server",
        abstract: "Queue deployments and hand them to deploy-runner processes.",
        subcommands: [Serve.self, Deploy.self, Start.self, Rollback.self, Cancel.self, AddRunner.self, Configure.self, Status.self],
        defaultSubcommand: Serve.self
    )
}

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database.")
    var db: String = "deploy.sqlite"

    @Option(name: .long, help: "Where deployments are stored: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME], or a SQLite file (default: --db).")
    var database: String?

    /// The store `--database` names (PostgreSQL, shared by several servers), or the SQLite file.
    func open(logger: Logger = Logger(label: "deploy-server")) async throws -> any DeploymentStore {
        try await DeploymentStores.open(database ?? db, logger: logger)
    }

    func controller(logger: Logger = Logger(label: "deploy-server")) async throws -> DeploymentController {
        DeploymentController(store: try await open(logger: logger), logger: logger)
    }
}

func print(deployment: Deployment) {
    var line = "deployment \(deployment.id): \(deployment.project) \(deployment.branch)"
    if !deployment.commit.isEmpty { line += "@\(deployment.commit.prefix(12))" }
    if case .rollback(let target) = deployment.kind { line += " rollback to \(target ?? "previous")" }
    line += " → \(deployment.environment) \(deployment.state.rawValue)"
    if let reason = deployment.reason { line += " (\(reason))" }
    if let release = deployment.release { line += " release \(release)" }
    print(line)
}

struct Serve: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(abstract: "Serve the runner API and the deployment API (the default).")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port (0 picks a free one).")
    var port: Int = 8090

    @Option(name: .long, help: "A YAML file of projects, applied to the database on start.")
    var config: String?

    @Option(name: .long, help: "NAME=TOKEN: register a runner with this token on start (16+ characters); repeatable.")
    var runner: [String] = []

    @Option(name: .long, help: "Require 'Authorization: Bearer TOKEN' on the non-runner API; DEPLOY_API_TOKEN also works. Required unless --open-api.")
    var apiToken: String?

    @Flag(name: .customLong("open-api"), help: "Serve the non-runner API without a token: anyone who reaches the port may deploy (loopback only).")
    var openAPI = false

    @Option(name: .long, help: "Seconds a runner holds a deployment without a heartbeat.")
    var lease: Int = 30

    @Option(name: .long, help: "Re-queue a lost runner's deployment until it has been tried this many times (1: fail it at once).")
    var attempts: Int = 1

    @Option(name: .long, help: "A Slack-compatible incoming webhook URL to notify; repeatable.")
    var slackWebhook: [String] = []

    @Option(name: .long, help: "A URL that gets JSON notifications; repeatable.")
    var notifyWebhook: [String] = []

    @Option(name: .long, help: "The HMAC-SHA256 secret for --notify-webhook (X-Hub-Signature-256).")
    var notifySecret: String?

    @Option(name: .long, help: "This server's address for people, used in notification links.")
    var publicURL: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
        for entry in runner {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--runner must be NAME=TOKEN, not '\(entry)'")
            }
        }
    }

    func run() async throws {
        var logger = Logger(label: "deploy-server")
        logger.logLevel = .info
        let apiToken = try APIAccess.token(self.apiToken, variable: "DEPLOY_API_TOKEN", openAPI: openAPI, host: host, port: port,
                                           logger: logger, opened: "the deployment API is open")
        let sqlite = try await store.open(logger: logger)
        var notifiers: [any DeploymentNotifier] = slackWebhook.map { SlackNotifier(url: $0) }
        notifiers += notifyWebhook.map { JSONWebhookNotifier(url: $0, secret: notifySecret) }
        let controller = DeploymentController(
            store: sqlite,
            options: .init(lease: .seconds(lease), leaseExpiry: attempts > 1 ? .requeue(maxAttempts: attempts) : .fail, publicURL: publicURL),
            notifiers: notifiers, logger: logger)
        if let config {
            let projects: [ProjectSettings]
            do { projects = try ProjectsFile.load(config) } catch { throw ValidationError(error.description) }
            for project in projects { try await sqlite.saveProject(project) }
            logger.info("projects loaded", metadata: ["file": "\(config)", "projects": "\(projects.map(\.name))"])
        }
        for entry in runner {
            let equals = entry.firstIndex(of: "=")!
            do {
                try await controller.registerRunner(name: String(entry[..<equals]), token: String(entry[entry.index(after: equals)...]))
            } catch {
                throw ValidationError("--runner: \(error.message)")
            }
        }
        let router = Router()
        MetricsEndpoint.addRoutes(to: router, options: metrics, credentials: MetricsEndpoint.apiToken(apiToken))
        router.get("/healthz") { _, _ in "ok\n" }
        DeploymentHTTPService(controller: controller, options: .init(apiToken: apiToken), logger: logger).addRoutes(to: router)
        let host = self.host, port = self.port, db = store.db
        let application = connections.application(router, name: "deploy-server", host: host, port: port, logger: logger) {
            "deploy-server listening on http://\(host):\($0) (\(db))"
        }
        try await runServices([application, controller], logger: logger)
    }
}

struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a deployment by hand (initialized: a runner takes it whatever the branch's mode).")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The project.")
    var project: String

    @Argument(help: "The branch (its settings give the script and the default environment).")
    var branch: String

    @Argument(help: "The commit: a full id, or any revision when the project's repository is a local path.")
    var commit: String

    @Option(name: .long, help: "The environment (default: the branch's).")
    var environment: String?

    @Option(name: .long, help: "Who asks (recorded with the deployment).")
    var by: String = ProcessInfo.processInfo.environment["USER"] ?? "cli"

    func run() async throws {
        let controller = try await store.controller()
        var commit = self.commit
        let isFullID = [40, 64].contains(commit.count) && commit.allSatisfy(\.isHexDigit)
        if !isFullID, let project = try await controller.store.project(named: project), project.repositoryURL.hasPrefix("/") {
            let repository = try await GitRepository.open(at: project.repositoryURL)
            let revision = commit
            commit = try await repository.withSession { session in try session.resolveCommit(revision).description }
        }
        do {
            print(deployment: try await controller.queue(project: project, branch: branch, commit: commit.lowercased(),
                                                         environment: environment, trigger: .person(by)))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a deployment that waits for a person (not_initialized).")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The deployment's id.")
    var id: Int64

    func run() async throws {
        do { print(deployment: try await store.controller().start(DeploymentID(id))) } catch let error as DeployError {
            throw ValidationError(error.description)
        }
    }
}

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Switch an environment back to its previous release, or to a named one, without rebuilding.")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The project.")
    var project: String

    @Argument(help: "The environment.")
    var environment: String

    @Option(name: .long, help: "The release to switch to (default: the one before the current).")
    var to: String?

    @Option(name: .long, help: "Who asks.")
    var by: String = ProcessInfo.processInfo.environment["USER"] ?? "cli"

    func run() async throws {
        do {
            print(deployment: try await store.controller().rollback(project: project, environment: environment, to: to, requestedBy: by))
        } catch let error as DeployError {
            throw ValidationError(error.description)
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a deployment; a running one's script is stopped by its runner.")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The deployment's id.")
    var id: Int64

    func run() async throws {
        do { print(deployment: try await store.controller().cancel(DeploymentID(id), reason: "cancelled from the command line")) }
        catch let error as DeployError { throw ValidationError(error.description) }
    }
}

struct AddRunner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-runner",
                                                    abstract: "Register a runner and print its token (shown once).")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The runner's name.")
    var name: String

    @Option(name: .long, help: "A project it may deploy; repeatable (default: every project).")
    var project: [String] = []

    func run() async throws {
        do { print(try await store.controller().registerRunner(name: name, projects: project)) } catch let error as DeployError {
            throw ValidationError(error.description)
        }
    }
}

struct Configure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Store the projects of a YAML file (checked first; nothing is stored if one is wrong).")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The projects file.")
    var file: String

    func run() async throws {
        let projects: [ProjectSettings]
        do { projects = try ProjectsFile.load(file) } catch { throw ValidationError(error.description) }
        let sqlite = try await store.open()
        for project in projects {
            try await sqlite.saveProject(project)
            print("project \(project.name): \(project.branches.count) branches, \(project.environments.count) environments")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recent deployments, or show one with its log.")

    @OptionGroup var store: StoreOptions

    @Argument(help: "A deployment's id: show it and its log.")
    var id: Int64?

    @Option(name: .long, help: "How many to list.")
    var limit: Int = 20

    func run() async throws {
        let controller = try await store.controller()
        if let id {
            let deployment = try await controller.deployment(DeploymentID(id))
            print(deployment: deployment)
            var offset = 0
            while true {
                let part = try await controller.store.log(deployment.id, after: offset, limit: 1 << 20)
                if part.text.isEmpty { break }
                FileHandle.standardOutput.write(Data(part.text.utf8))
                offset = part.next
            }
        } else {
            for deployment in try await controller.store.deployments(DeploymentQuery(limit: limit)) { print(deployment: deployment) }
        }
    }
}
