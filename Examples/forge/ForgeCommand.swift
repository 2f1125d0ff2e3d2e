import ArgumentParser
import DeployKit
import ExampleSupport
import ForgeKit
import ForgeKitServer
import ForgeServices
import ForgeWeb
import Foundation
import Hummingbird
import Logging
import PipelineKit
import ServiceLifecycle

/// forge: a self-hosted forge with CI and deploys in one process (Kallithea's job, assembled from the kits).
@main
struct ForgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forge",
        abstract: "A self-hosted Git and Mercurial forge with pipelines and deployments, in one process.",
        subcommands: [Serve.self, ForgeAdminCommand.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(abstract: "Serve the forge (the default).")

    @Option(name: .long, help: "The data folder: SQLite databases, repositories, workspaces (created if missing).")
    var data: String = "forge-data"

    @Option(name: .long, help: ArgumentHelp(
        "Keep users, repositories' records, pull requests, runs and deployments in PostgreSQL instead of SQLite files in the data folder (FORGE_DATABASE).",
        valueName: "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"))
    var database: String?

    @Option(name: .long, help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .long, help: "The public URL, for clone URLs and webhooks (default http://HOST:PORT).")
    var publicURL: String?

    @Option(name: .long, help: "How many pipeline actions run at once.")
    var workers: Int = 4

    @Flag(name: .long, help: "Create the demo repository demo/hello with a pipeline and a deployment, and push to it.")
    var demo = false

    @Flag(name: .customLong("no-local-runner"), help: "Deploy only through remote runners.")
    var noLocalRunner = false

    @Option(name: .long, help: "NAME=TOKEN: a remote deploy-runner allowed to connect (token of 16+ characters); repeatable.")
    var runner: [String] = []

    @Option(name: .customLong("webhook-allow"), help: ArgumentHelp(
        "A host or network (CIDR) that webhooks and pipelines' http actions may reach although it is internal (repeatable).",
        valueName: "host|cidr"))
    var webhookAllow: [String] = []

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run pipelines and deploy scripts as the forge's own user, with its files and environment: for trusted single-user use only.")
    var unsafeNoSandbox = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--public-url must be an http(s) URL, got '\(publicURL)'")
            }
        }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
        if let database = chosenDatabase, !database.lowercased().hasPrefix("postgres://"), !database.lowercased().hasPrefix("postgresql://") {
            throw ValidationError("--database must be a postgres:// URL")
        }
        _ = try remoteRunners()
        do { _ = try OutboundPolicy(allowing: webhookAllow) } catch { throw ValidationError("--webhook-allow: \(error.message)") }
    }

    /// `--database`, else FORGE_DATABASE (which keeps a password off the command line).
    var chosenDatabase: String? {
        database ?? ProcessInfo.processInfo.environment["FORGE_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func remoteRunners() throws -> [String: String] {
        var runners: [String: String] = [:]
        for text in runner {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ValidationError("--runner needs NAME=TOKEN, got '\(text)'")
            }
            let token = String(text[text.index(after: equals)...])
            guard token.count >= 16 else { throw ValidationError("--runner \(text[..<equals]): the token needs 16 characters or more") }
            runners[String(text[..<equals])] = token
        }
        return runners
    }

    func run() async throws {
        var configured = Logger(label: "forge")
        configured.logLevel = .info
        let logger = configured
        let base = publicURL ?? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
        let forge: Forge
        do {
            forge = try await Forge.open(.init(dataDirectory: data, publicURL: base, pipelineWorkers: workers, localRunner: !noLocalRunner,
                                               remoteRunners: try remoteRunners(),
                                               deploymentAPIToken: ProcessInfo.processInfo.environment["FORGE_DEPLOY_API_TOKEN"],
                                               sandbox: unsafeNoSandbox ? .unsafeUnconfined() : Sandbox(),
                                               outbound: try OutboundPolicy(allowing: webhookAllow), database: chosenDatabase), logger: logger)
        } catch {
            throw ValidationError("cannot open the forge (data folder \(data)\(chosenDatabase == nil ? "" : ", database from --database")): \(error)")
        }
        do {
            try await forge.checkSandbox()
        } catch {
            throw ValidationError("pipelines cannot run in the sandbox: \(error.message). Install bubblewrap, or start with "
                                  + "--unsafe-no-sandbox on a machine only you use")
        }
        try await forge.registerRemoteRunners()
        let environment = ProcessInfo.processInfo.environment
        let (admin, generated) = try await forge.accounts.ensureAdministrator(password: environment["FORGE_ADMIN_PASSWORD"])
        if let generated {
            // Shown once, as Kallithea's OpenShift template did; it is not stored anywhere in clear.
            FileHandle.standardOutput.write(Data("forge: created user 'admin' with password \(generated)\n".utf8))
        }
        let ports = AsyncStream<Int>.makeStream()
        let router = Router(context: ForgeRequestContext.self)
        // Site administrators read the metrics with their credentials (basic auth or a token).
        let accounts = forge.accounts
        MetricsEndpoint.addRoutes(to: router, options: metrics) { request, context in
            switch try? await accounts.caller(of: request, address: context.remoteAddress?.ipAddress) {
            case .user(let user)?: user.isAdmin ? .granted : .forbidden
            default: .unauthenticated
            }
        }
        forge.addRoutes(to: router)
        let host = self.host, port = self.port, demo = self.demo
        let data = forge.options.dataDirectory
        let application = connections.application(router, name: "forge", host: host, port: port, logger: logger) { bound in
            ports.continuation.yield(bound)
            return "forge listening on http://\(host):\(bound) (data in \(data))"
        }
        var services: [any Service] = [application]
        services += forge.services
        if demo {
            services.append(DemoPreparation(ports: ports.stream, forge: forge, admin: admin, logger: logger))
        }
        // SIGTERM or SIGINT: requests, running steps and deployments finish, claims go back, exit 0.
        try await runServices(services, logger: logger)
    }
}

/// Prepares the demo once the server listens, then waits for the shutdown like the other services.
struct DemoPreparation: Service {
    let ports: AsyncStream<Int>
    let forge: Forge
    let admin: ForgeUser
    let logger: Logger

    func run() async {
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { return }
        do {
            let made = try await ForgeDemo.prepare(forge: forge, admin: admin, url: "http://127.0.0.1:\(bound)", logger: logger)
            FileHandle.standardOutput.write(Data("forge: \(made)\n".utf8))
        } catch {
            logger.error("the demo could not be prepared", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
