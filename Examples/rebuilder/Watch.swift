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

struct Watch: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions

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
        if let database, database.contains("://"), !(database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")) {
            throw ValidationError("--database must be a postgres:// URL or a SQLite file path, not '\(database)'")
        }
    }

    static func loadCollection(_ path: String) throws -> RebuildCollection {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the collection file \(path)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let collection = try decoder.decode(RebuildCollection.self, from: data)
            guard !collection.name.isEmpty else { throw ValidationError("\(path): the collection's name is empty") }
            return collection
        } catch DecodingError.keyNotFound(let key, _) {
            throw ValidationError("\(path): the field '\(key.stringValue)' is missing")
        } catch DecodingError.dataCorrupted(let context) {
            throw ValidationError("\(path): not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw ValidationError("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "rebuilder")
        logger.logLevel = .info
        let collection = try Self.loadCollection(self.collection)
        let store: any RebuildStore
        if let database, database.contains("://") {
            store = try await PostgresRebuildStore(url: database, logger: logger)
        } else {
            let path = database ?? db ?? "rebuild.sqlite"
            do { store = try SQLiteRebuildStore(path: path) } catch { throw ValidationError(error.description) }
        }
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
                FileHandle.standardOutput.write(StatusPage.json(try await watcher.status()))
            } catch {
                FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        let router = Router()
        StatusPage(watcher: watcher).addRoutes(to: router)
        let host = self.host, port = self.port
        let connectionGuard = ConnectionGuard(connections.limits, logger: logger)
        let application = Application(
            router: router, server: connectionGuard.server,
            configuration: connectionGuard.configure(.init(address: .hostname(host, port: port), serverName: "rebuilder")),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                FileHandle.standardOutput.write(Data("rebuilder watching \(collection.name) on http://\(host):\(bound)\n".utf8))
            },
            logger: logger)
        let interval = self.interval, tick = self.tick, loopLogger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService() }
            group.addTask {
                var lastRefresh = ContinuousClock.now - .seconds(interval)
                while !Task.isCancelled {
                    if ContinuousClock.now - lastRefresh >= .seconds(interval) {
                        lastRefresh = ContinuousClock.now
                        do { try await watcher.refresh() } catch {
                            loopLogger.error("refresh failed; the stored snapshot stays", metadata: ["error": "\(error)"])
                        }
                    }
                    do { try await watcher.tick() } catch { loopLogger.error("tick failed", metadata: ["error": "\(error)"]) }
                    try await Task.sleep(for: .seconds(tick))
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// The status page and JSON API.
struct StatusPage: Sendable {
    let watcher: RebuildWatcher

    static func json(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return ((try? encoder.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)) + Data("\n".utf8)
    }

    static func respond(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json(value))))
    }

    struct Failure: Encodable { var error: String }

    struct Update: Decodable {
        var manualPriority: Double?
        var tracked: Bool?
        var blocked: Bool?
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        let watcher = self.watcher
        router.get("/") { _, _ in
            do {
                let html = Self.html(collection: watcher.collection, statuses: try await watcher.status())
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
            } catch {
                return Self.respond(.internalServerError, Failure(error: "\(error)"))
            }
        }
        router.get("/api/packages") { _, _ in
            do { return Self.respond(.ok, try await watcher.status()) } catch { return Self.respond(.internalServerError, Failure(error: "\(error)")) }
        }
        router.get("/api/packages/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            do {
                guard let package = try await watcher.store.package(collection: watcher.collection.name, name: name) else {
                    return Self.respond(.notFound, Failure(error: "no package '\(name)'"))
                }
                return Self.respond(.ok, try await watcher.status(of: package))
            } catch {
                return Self.respond(.internalServerError, Failure(error: "\(error)"))
            }
        }
        router.post("/api/packages/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            let body = try await request.body.collect(upTo: 64 << 10)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            guard let update = try? decoder.decode(Update.self, from: Data(body.readableBytesView)) else {
                return Self.respond(.badRequest, Failure(error: #"expected {"manual_priority": number, "tracked": bool, "blocked": bool}"#))
            }
            if let priority = update.manualPriority, !priority.isFinite {
                return Self.respond(.badRequest, Failure(error: "manual_priority must be a finite number"))
            }
            do {
                try await watcher.store.update(collection: watcher.collection.name, name: name, tracked: update.tracked, blocked: update.blocked,
                                         manualPriority: update.manualPriority)
                guard let package = try await watcher.store.package(collection: watcher.collection.name, name: name) else {
                    return Self.respond(.notFound, Failure(error: "no package '\(name)'"))
                }
                return Self.respond(.ok, try await watcher.status(of: package))
            } catch let error as RebuildError where error.code == .notFound {
                return Self.respond(.notFound, Failure(error: error.message))
            } catch {
                return Self.respond(.internalServerError, Failure(error: "\(error)"))
            }
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(collection: RebuildCollection, statuses: [RebuildWatcher.PackageStatus]) -> String {
        var counts: [PackageState: Int] = [:]
        for status in statuses { counts[status.state, default: 0] += 1 }
        var rows = ""
        for status in statuses {
            let p = status.priority
            let last = status.lastBuild.map { "\($0.state.rawValue) \($0.version)" } ?? "never"
            let changes = status.changes.prefix(5).map { escape($0.description) }.joined(separator: "<br>")
                + (status.changes.count > 5 ? "<br>… \(status.changes.count - 5) more" : "")
            let problems = status.package.problems.map(escape).joined(separator: "<br>")
            rows += """
                <tr class="\(status.state.rawValue)"><td>\(escape(status.package.name))</td><td>\(escape(status.package.version))</td>\
                <td>\(status.state.rawValue)</td><td>\(Int(p.total.rounded()))</td>\
                <td>manual \(Int(p.manual)), static \(Int(p.static)), dependency \(Int(p.dependency.rounded())), build \(Int(p.build)), time \(Int(p.time.rounded()))</td>\
                <td>\(escape(last))</td><td>\(changes)\(problems)</td></tr>

                """
        }
        let summary = PackageState.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: " · ")
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escape(collection.name)) — rebuilder</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}
            tr.failing td:nth-child(3),tr.unresolved td:nth-child(3){color:#b00}tr.ok td:nth-child(3){color:#070}</style></head>
            <body><h1>\(escape(collection.name))</h1><p>\(escape(collection.kind.rawValue)) · \(escape(collection.architecture)) · \(escape(collection.repository))</p>
            <p>\(summary)</p>
            <table><tr><th>package</th><th>version</th><th>state</th><th>priority</th><th>parts</th><th>last build</th><th>pending changes / problems</th></tr>
            \(rows)</table></body></html>

            """
    }
}
