import ForgeKitTesting
import Foundation
import Logging
import PipelineKit
import PipelineKitPostgres
import PostgresNIO
import Synchronization
import Testing

/// A PostgreSQL server of a test's own, started with scripts/with-postgres (so that restarting it
/// disturbs no other test), stopped when the test closes it.
final class PrivatePostgres: @unchecked Sendable {
    let url: String
    let restartScript: String
    private let process: ExampleProcess

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/with-postgres").path
    }

    /// Starts a server; skips the test when the suite runs without PostgreSQL (`TEST_POSTGRES_URL` unset).
    static func start() async throws -> PrivatePostgres {
        guard ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"] != nil else {
            try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
        }
        // The server lives until the test closes the script's standard input.
        let process = try ExampleProcess(executable: "/bin/bash", [scriptPath, "sh", "-c", #"echo "$TEST_POSTGRES_URL $TEST_POSTGRES_RESTART"; read _ignored"#],
                                         keepInputOpen: true)
        guard let line = try? await process.waitFor(#"postgres://[^ \n]+ [^ \n]+"#), case let parts = line.split(separator: " ").map(String.init),
              parts.count == 2 else {
            process.stop()
            throw HamsterError("scripts/with-postgres did not start a server: \(process.text)")
        }
        return PrivatePostgres(url: parts[0], restartScript: parts[1], process: process)
    }

    private init(url: String, restartScript: String, process: ExampleProcess) {
        self.url = url
        self.restartScript = restartScript
        self.process = process
    }

    /// Restarts the server (fast shutdown: connections are cut, the data stays).
    func restart() async throws {
        let status = try await runProcess("/bin/bash", [restartScript])
        guard status == 0 else { throw HamsterError("restarting PostgreSQL failed: \(status)") }
    }

    func close() {
        process.closeInput()
        while process.isRunning { usleep(10_000) }
    }
}

/// Runs a program to its end without blocking a thread of the cooperative pool.
func runProcess(_ path: String, _ arguments: [String]) async throws -> Int32 {
    let process = try ExampleProcess(executable: path, arguments)
    return await process.waitUntilExit()
}

/// `hamster-ci worker` processes on one PostgreSQL database, each restartable under its name.
final class WorkerFleet: @unchecked Sendable {
    private let arguments: (Int) -> [String]
    private let processes = Mutex<[Int: ExampleProcess]>([:])
    private let logDirectory: String
    let kills = Atomic<Int>(0)

    /// Starts `count` workers; each one's output is appended to `logDirectory/worker-N.log`.
    init(count: Int, logDirectory: String, arguments: @escaping (Int) -> [String]) throws {
        self.arguments = arguments
        self.logDirectory = logDirectory
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        for index in 0..<count { try start(index) }
    }

    private func logPath(_ index: Int) -> String { logDirectory + "/worker-\(index).log" }

    /// The last lines each worker printed, for a failure's message.
    func logTails() -> String {
        processes.withLock { $0.keys.sorted() }.map { index in
            let text = (try? String(contentsOfFile: logPath(index), encoding: .utf8)) ?? ""
            return "worker \(index):\n" + text.split(separator: "\n").suffix(8).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    func start(_ index: Int) throws {
        if !FileManager.default.fileExists(atPath: logPath(index)) {
            _ = FileManager.default.createFile(atPath: logPath(index), contents: nil)
        }
        // The worker's output appended to its log (the shell replaces itself with the worker).
        let process = try ExampleProcess(executable: "/bin/sh", ["-c", #"exec "$@" >>"$0" 2>&1"#, logPath(index),
                                                                 URL(fileURLWithPath: HamsterProcess.toolPath).path] + arguments(index))
        processes.withLock { $0[index] = process }
    }

    /// kill -9 the worker `index` (no shutdown: its claims stay held until it starts again), then start it again.
    func crashAndRestart(_ index: Int) throws {
        if let process = processes.withLock({ $0[index] }) {
            process.kill(SIGKILL)
            while process.isRunning { usleep(2_000) }
            kills.add(1, ordering: .relaxed)
        }
        try start(index)
    }

    /// The workers that ended on their own.
    func exited() -> [Int] {
        processes.withLock { $0.filter { !$0.value.isRunning }.map(\.key).sorted() }
    }

    /// Stops every worker: SIGTERM, then SIGKILL for one still running after 5 s.
    func stop() {
        let all = processes.withLock { Array($0.values) }
        for process in all where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while all.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for process in all where process.isRunning {
            process.kill(SIGKILL)
            while process.isRunning { usleep(2_000) }
        }
    }
}

/// Figures read straight from the run store's tables.
struct DrainFigures: Sendable, Equatable {
    var runs = 0
    var runsSucceeded = 0
    var runsEnded = 0
    var steps = 0
    var stepsSucceeded = 0
    var attempts = 0
    var retried = 0
}

func drainFigures(url: String, schema: String) async throws -> DrainFigures {
    let location = try #require(URLComponents(string: url))
    let configuration = PostgresConnection.Configuration(host: location.host ?? "127.0.0.1", port: location.port ?? 5432,
                                                         username: location.user ?? "postgres", password: nil,
                                                         database: String(location.path.dropFirst()), tls: .disable)
    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test"))
    defer { Task { try? await connection.close() } }
    var figures = DrainFigures()
    let runs = try await connection.query(PostgresQuery(unsafeSQL: """
        SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'),
               count(*) FILTER (WHERE status NOT IN ('queued', 'running')) FROM \(schema).runs
        """), logger: Logger(label: "test"))
    for try await (all, succeeded, ended) in runs.decode((Int, Int, Int).self) {
        figures.runs = all
        figures.runsSucceeded = succeeded
        figures.runsEnded = ended
    }
    let steps = try await connection.query(PostgresQuery(unsafeSQL: """
        SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), coalesce(sum(attempts), 0)::bigint,
               count(*) FILTER (WHERE attempts > 1) FROM \(schema).steps
        """), logger: Logger(label: "test"))
    for try await (all, succeeded, attempts, retried) in steps.decode((Int, Int, Int, Int).self) {
        figures.steps = all
        figures.stepsSucceeded = succeeded
        figures.attempts = attempts
        figures.retried = retried
    }
    return figures
}

/// Several worker processes on one PostgreSQL database, under crashes and a database restart.
@Suite("PostgreSQL reliability: worker processes killed with kill -9, the database restarted", .serialized)
struct PostgresReliabilityTests {
    static let chain = PipelineConfiguration(name: "noop-chain", sourceClass: "push", actions: [
        ActionSpec(name: "one", task: "noop"), ActionSpec(name: "two", task: "noop"), ActionSpec(name: "three", task: "noop"),
    ])

    /// Enqueues `count` chains of three no-op actions into a new schema; returns the schema.
    static func enqueueChains(_ count: Int, url: String) async throws -> String {
        let schema = "chaos_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let store = try await PostgresRunStore(url: url, schema: String(schema), maximumConnections: 2)
        defer { store.close() }
        let source = Source(sourceClass: "push", attributes: ["repo": "chaos/app", "branch": "main"])
        for start in stride(from: 0, to: count, by: 1000) {
            let runs = (start..<min(count, start + 1000)).map { _ in NewRun(configuration: chain, source: source) }
            _ = try await store.enqueue(event: nil, runs: runs, now: Date())
        }
        return String(schema)
    }

    /// A private server with `chains` chains queued in a new schema and 4 worker processes draining
    /// them, for `body`; everything is stopped and removed afterwards.
    static func withWorkers(draining chains: Int,
                            _ body: (PrivatePostgres, String, WorkerFleet) async throws -> Void) async throws {
        let postgres = try await PrivatePostgres.start()
        defer { postgres.close() }
        let schema = try await enqueueChains(chains, url: postgres.url)
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("drain-\(UUID().uuidString)").path
        let fleet = try WorkerFleet(count: 4, logDirectory: workspace + "-logs",
                                    arguments: workerArguments(url: postgres.url, schema: schema, workspace: workspace))
        defer {
            fleet.stop()
            try? FileManager.default.removeItem(atPath: workspace)
            try? FileManager.default.removeItem(atPath: workspace + "-logs")
        }
        try await body(postgres, schema, fleet)
    }

    static func workerArguments(url: String, schema: String, workspace: String) -> (Int) -> [String] {
        { index in
            ["worker", "--database", url + "?schema=" + schema + "&sslmode=disable", "--worker-id", "chaos-\(index)",
             "--workers", "16", "--lease", "2", "--workspace-root", workspace]
        }
    }

    @Test("PostgreSQL: 4 worker processes drain 10,000 chains of three while a random one is kill -9'd and restarted every second; every chain completes, each step once, attempts counted")
    func chaos() async throws {
        let chains = 10_000
        try await Self.withWorkers(draining: chains) { postgres, schema, fleet in
            let chaos = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    try fleet.crashAndRestart(Int.random(in: 0..<4))
                }
            }
            defer { chaos.cancel() }
            try await eventually("the workers to end every chain", seconds: 600) {
                try await drainFigures(url: postgres.url, schema: schema).runsEnded == chains
            }
            chaos.cancel()
            let figures = try await drainFigures(url: postgres.url, schema: schema)
            #expect(fleet.kills.load(ordering: .relaxed) > 0, "the chaos loop killed no worker")
            #expect(figures.runs == chains)
            #expect(figures.runsSucceeded == chains, "\(figures)")
            // Each chain has exactly its three steps, each recorded as succeeded once (a late outcome of
            // a killed worker is refused, and a step's key is unique).
            #expect(figures.steps == chains * 3)
            #expect(figures.stepsSucceeded == chains * 3)
            // Steps held by killed workers ran again: their attempts were counted.
            #expect(figures.attempts > chains * 3, "\(figures)")
            #expect(figures.retried > 0)
        }
    }

    @Test("PostgreSQL: the server restarts while 4 worker processes drain 6,000 chains; they reconnect and finish every chain")
    func databaseRestart() async throws {
        let chains = 6_000
        try await Self.withWorkers(draining: chains) { postgres, schema, fleet in
            try await eventually("the workers to start", seconds: 120) {
                ((try? await drainFigures(url: postgres.url, schema: schema))?.stepsSucceeded ?? 0) > 0
            }
            let before = try await drainFigures(url: postgres.url, schema: schema)
            try await postgres.restart()
            do {
                try await eventually("the workers to end every chain after the restart", seconds: 300) {
                    // The figures are read on a connection of their own, which may find the server still starting.
                    (try? await drainFigures(url: postgres.url, schema: schema))?.runsEnded == chains
                }
            } catch {
                Issue.record("the workers' logs: \(fleet.logTails())")
                throw error
            }
            let figures = try await drainFigures(url: postgres.url, schema: schema)
            #expect(before.runsEnded < chains, "the restart came after the work was done: \(before)")
            #expect(fleet.exited().isEmpty, "workers ended instead of reconnecting: \(fleet.logTails())")
            #expect(figures.runsSucceeded == chains, "\(figures)\n\(fleet.logTails())")
            #expect(figures.steps == chains * 3)
            #expect(figures.stepsSucceeded == chains * 3)
        }
    }
}
