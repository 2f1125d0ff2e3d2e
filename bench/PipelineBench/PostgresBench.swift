import Foundation
import Logging
import PipelineKit
import PipelineKitPostgres
import PostgresNIO

/// The PostgreSQL half of pipeline-bench: worker *processes* (this executable again, `pg-worker`)
/// sharing one database, as on many machines. Chains of three no-op actions, then as many single-action
/// runs as the chains had actions (the two shapes bench/pipeline-postgres compares with pgqueuer), then
/// the queue-to-start latency.
///
///     pipeline-bench postgres URL [CHAINS] [WORKERS] [CONCURRENCY] [PARTS]
///     pipeline-bench pg-worker URL SCHEMA NAME CONCURRENCY
enum PostgresBench {
    static func main(_ arguments: [String]) async throws {
        guard arguments.count >= 3 else { throw BenchError("usage: pipeline-bench postgres URL [CHAINS] [WORKERS] [CONCURRENCY] [PARTS]") }
        let url = arguments[2]
        let chains = arguments.count > 3 ? Int(arguments[3]) ?? 10_000 : 10_000
        let workers = arguments.count > 4 ? Int(arguments[4]) ?? 4 : 4
        let concurrency = arguments.count > 5 ? Int(arguments[5]) ?? 32 : 32
        // PARTS: which measurements, comma-separated (chains, singles, latency; all by default), for profiling one.
        let parts = Set((arguments.count > 6 ? arguments[6] : "chains,singles,latency").split(separator: ",").map(String.init))
        if parts.contains("chains") { try await throughput(url: url, chains: chains, workers: workers, concurrency: concurrency) }
        if parts.contains("singles") { try await singles(url: url, runs: chains * 3, workers: workers, concurrency: concurrency) }
        if parts.contains("latency") { try await latency(url: url, events: 500, workers: workers, concurrency: concurrency) }
    }

    static func schema(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
    }

    static func withSchema(_ url: String, _ schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }

    /// Starts `count` worker processes on `schema`; returns them.
    static func startWorkers(url: String, schema: String, count: Int, concurrency: Int) throws -> [Process] {
        try (0..<count).map { index in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["pg-worker", url, schema, "bench-\(index)", String(concurrency)]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
    }

    static func stop(_ processes: [Process]) {
        for process in processes {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Chains of three no-op actions.
    static func throughput(url: String, chains: Int, workers: Int, concurrency: Int) async throws {
        let chain = PipelineConfiguration(name: "noop-chain", sourceClass: "push", actions: [
            ActionSpec(name: "one", task: "noop"), ActionSpec(name: "two", task: "noop"), ActionSpec(name: "three", task: "noop"),
        ])
        let drained = try await drain(url: url, configuration: chain, runs: chains, workers: workers, concurrency: concurrency)
        print(String(format: "postgres throughput: %d chains × 3 no-op actions, %d worker processes × %d: %.2f s, %.0f actions/s "
                     + "(%d runs succeeded, %d steps succeeded, %d attempts)",
                     chains, workers, concurrency, drained.seconds, Double(chains * 3) / drained.seconds, drained.runs, drained.steps, drained.attempts))
    }

    /// Runs of one no-op action each: the shape of a job queue's jobs.
    static func singles(url: String, runs: Int, workers: Int, concurrency: Int) async throws {
        let single = PipelineConfiguration(name: "noop", sourceClass: "push", actions: [ActionSpec(name: "one", task: "noop")])
        let drained = try await drain(url: url, configuration: single, runs: runs, workers: workers, concurrency: concurrency)
        print(String(format: "postgres single-action runs: %d runs, %d worker processes × %d: %.2f s, %.0f actions/s "
                     + "(%d runs succeeded, %d steps succeeded, %d attempts)",
                     runs, workers, concurrency, drained.seconds, Double(runs) / drained.seconds, drained.runs, drained.steps, drained.attempts))
    }

    /// Enqueues `runs` runs of `configuration` first, then starts the workers and waits until every
    /// run ended. The time is from the first step's start to the last run's end, as the database
    /// recorded them.
    static func drain(url: String, configuration: PipelineConfiguration, runs count: Int, workers: Int,
                      concurrency: Int) async throws -> (seconds: Double, runs: Int, steps: Int, attempts: Int) {
        let schema = schema("bench")
        let store = try await PostgresRunStore(url: withSchema(url, schema), maximumConnections: 4)
        let source = Source(sourceClass: "push", attributes: ["repo": "bench/app", "branch": "main"])
        for start in stride(from: 0, to: count, by: 1000) {
            let runs = (start..<min(count, start + 1000)).map { _ in NewRun(configuration: configuration, source: source) }
            _ = try await store.enqueue(event: nil, runs: runs, now: Date())
        }
        let processes = try startWorkers(url: url, schema: schema, count: workers, concurrency: concurrency)
        defer { stop(processes) }
        while try await !store.runs(RunQuery(statuses: [.queued, .running], limit: 1)).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        let row = try await query(url, """
            SELECT (SELECT min(started_at) FROM \(schema).steps), max(finished_at), count(*) FILTER (WHERE status = 'succeeded'),
                   (SELECT count(*) FROM \(schema).steps WHERE state = 'succeeded'), (SELECT sum(attempts) FROM \(schema).steps)
            FROM \(schema).runs
            """)
        return (row[1] - row[0], Int(row[2]), Int(row[3]), Int(row[4]))
    }

    /// Idle worker processes; single-action runs enqueued one at a time. Latency is the step's
    /// claim time (the worker's clock) minus the run's enqueue time (this process's clock, taken
    /// before the enqueue's round trip), both recorded in the database.
    static func latency(url: String, events: Int, workers: Int, concurrency: Int) async throws {
        let schema = schema("latency")
        let store = try await PostgresRunStore(url: withSchema(url, schema), maximumConnections: 2)
        let processes = try startWorkers(url: url, schema: schema, count: workers, concurrency: concurrency)
        defer { stop(processes) }
        try await Task.sleep(for: .seconds(2))  // the workers connect and listen
        let single = PipelineConfiguration(name: "one", sourceClass: "push", actions: [ActionSpec(name: "one", task: "noop")])
        let source = Source(sourceClass: "push", attributes: ["repo": "bench/app"])
        for _ in 0..<events {
            _ = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: source)], now: Date())
            try await Task.sleep(for: .milliseconds(5))  // the workers are idle when the next one arrives
        }
        while try await !store.runs(RunQuery(statuses: [.queued, .running], limit: 1)).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        let rows = try await queryAll(url, """
            SELECT (s.started_at - r.created_at) * 1000 FROM \(schema).runs r JOIN \(schema).steps s ON s.run_id = r.id ORDER BY 1
            """)
        let samples = rows.map { $0[0] }
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(String(format: "postgres latency: enqueued → claimed by an idle worker process, %d events: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms",
                     samples.count, percentile(0.5), percentile(0.9), percentile(0.99)))
    }

    static func query(_ url: String, _ sql: String) async throws -> [Double] {
        guard let row = try await queryAll(url, sql).first else { throw BenchError("no row: \(sql)") }
        return row
    }

    /// Rows of numbers, read with a connection of its own.
    static func queryAll(_ url: String, _ sql: String) async throws -> [[Double]] {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw BenchError("bad URL \(url)")
        }
        let configuration = PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: user,
                                                             password: components.password, database: String(components.path.dropFirst()),
                                                             tls: .disable)
        let logger = Logger(label: "bench")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        var rows: [[Double]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            var values: [Double] = []
            for cell in row {
                if let value = try? cell.decode(Double.self) { values.append(value) } else if let value = try? cell.decode(Int.self) {
                    values.append(Double(value))
                } else {
                    values.append(.nan)
                }
            }
            rows.append(values)
        }
        return rows
    }

    /// A worker process: runs no-op actions from the schema's store until terminated.
    static func worker(_ arguments: [String]) async throws {
        guard arguments.count >= 6 else { throw BenchError("usage: pipeline-bench pg-worker URL SCHEMA NAME CONCURRENCY") }
        let store = try await PostgresRunStore(url: withSchema(arguments[2], arguments[3]), maximumConnections: 4)
        let executor = PipelineExecutor(store: store, actions: .standard(),
                                        options: .init(workerID: arguments[4], concurrency: Int(arguments[5]) ?? 32))
        try await executor.run()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
