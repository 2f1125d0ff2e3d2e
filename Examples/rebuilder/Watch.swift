import ArgumentParser
import ExampleSupport
import ForgeKitServer
import Foundation
import Hummingbird
import Logging
import PipelineKit
import RebuildKit
import RebuildKitPipelines
import RebuildKitPostgres
import RebuildKitServer
import ServiceLifecycle

struct Watch: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(
        abstract: "Watch a collection: resolve it when its repository changes, schedule and submit builds, serve a status page and JSON API.",
        discussion: """
        The collection file is JSON: {"name", "kind": "debian"|"rpm", "repository": DIR or URL, "source_repository": DIR or URL (rpm), \
        "architecture", "build_group": [...], "tracked": [...], "blocked": [...]}. Builds run --build-command through /bin/sh \
        with REBUILD_PACKAGE, REBUILD_VERSION, REBUILD_COLLECTION, REBUILD_ARCHITECTURE and REBUILD_ENVIRONMENT set. \
        GET / is the status page; GET /api/packages and /api/packages/NAME the JSON API; POST /api/packages/NAME with \
        {"manual_priority", "tracked", "blocked"} changes a package.
        """)

    @Option(name: .long, help: "The collection file (JSON).")
    var collection: String

    @Option(name: .long, help: "The SQLite database (its folder also holds builds/ and mirror/).")
    var db: String?

    @Option(name: .long, help: "Where packages and builds are stored: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME] (several watchers share it), or a SQLite file; builds/ and mirror/ then go in the current folder unless --db or --build-directory says otherwise.")
    var database: String?

    @Option(name: .long, help: "The command a build runs (/bin/sh -c).")
    var buildCommand: String

    @Option(name: .long, help: "Where build workspaces and logs go (default: builds/ beside the database).")
    var buildDirectory: String?

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port of the status page and API (0: any free one).")
    var port = 8090

    @Option(name: .long, help: "Seconds between repository polls.")
    var interval = 60.0

    @Option(name: .long, help: "Seconds between scheduler ticks.")
    var tick = 5.0

    @Option(name: .long, help: "At most this many builds at once.")
    var maxBuilds = 4

    @Option(name: .long, help: "Submit nothing while the 1-minute load average per core is above this.")
    var loadThreshold: Double?

    @Option(name: .long, help: "The priority at which a package is scheduled.")
    var threshold = 256.0

    @Option(name: .long, help: "Threads resolving a snapshot, each with its own pool (default: the processors, at most 8).")
    var threads: Int = ConcurrentResolution.defaultThreads

    @Option(name: .long, help: "The network build commands reach from their sandbox: host or none.")
    var buildNetwork: String = "host"

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run build commands as this process's user with its files: for trusted single-user use only.")
    var unsafeNoSandbox = false

    @Flag(name: .long, help: "Refresh and tick once, print the status as JSON, and exit.")
    var once = false

    func validate() throws {
        guard interval > 0, tick > 0 else { throw ValidationError("--interval and --tick must be positive") }
        guard maxBuilds > 0 else { throw ValidationError("--max-builds must be at least 1") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard db != nil || database != nil else { throw ValidationError("--db FILE or --database URL is required") }
        if let database { try RebuildStores.validate(database) }
    }

    func run() async throws {
        var logger = Logger(label: "rebuilder")
        logger.logLevel = .info
        let collection = try RebuildCollection.load(file: self.collection)
        let store = try await RebuildStores.open(database ?? db ?? "rebuild.sqlite", logger: logger)
        let folder = ((db ?? (database?.contains("://") == false ? database : nil) ?? "./rebuild.sqlite") as NSString).deletingLastPathComponent
        let builds = buildDirectory ?? (folder.isEmpty ? "builds" : "\(folder)/builds")
        var policy = PriorityPolicy()
        policy.threshold = threshold
        let sandbox = unsafeNoSandbox ? Sandbox.unsafeUnconfined() : Sandbox(network: try Sandbox.Network(parsing: buildNetwork))
        do {
            try await sandbox.check()
        } catch {
            throw ValidationError("build commands cannot run in the sandbox: \(error.message); install bubblewrap, or pass --unsafe-no-sandbox")
        }
        let watcher = RebuildWatcher(collection: collection, store: store,
                                     backend: ShellBuildBackend(command: buildCommand, directory: builds, sandbox: sandbox),
                                     scheduler: RebuildScheduler(policy: policy, maxRunningBuilds: maxBuilds, loadThreshold: loadThreshold),
                                     resolverThreads: threads, mirrorDirectory: "\(folder.isEmpty ? "." : folder)/mirror/\(collection.name)",
                                     logger: logger)
        if once {
            do {
                try await watcher.refresh()
                try await watcher.tick()
                FileHandle.standardOutput.write(RebuildHTTPService.json(try await watcher.status()))
            } catch {
                FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        let router = Router()
        MetricsEndpoint.addRoutes(to: router, options: metrics)
        RebuildHTTPService(watcher: watcher).addRoutes(to: router)
        let host = self.host, port = self.port
        let name = collection.name
        let application = connections.application(router, name: "rebuilder", host: host, port: port, logger: logger) {
            "rebuilder watching \(name) on http://\(host):\($0)"
        }
        let loop = watcher.service(refreshInterval: .milliseconds(Int64(interval * 1000)), tickInterval: .milliseconds(Int64(tick * 1000)))
        try await runServices([application, loop], logger: logger)
    }
}
