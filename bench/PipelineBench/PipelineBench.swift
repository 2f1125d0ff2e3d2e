import Foundation
import PipelineKit

/// PipelineKit's executor benchmark: durable chains of three no-op actions on SQLite, and the latency
/// from an enqueued event to its first action starting. Prints figures; bench/pipeline runs it.
///
/// Usage: pipeline-bench [CHAINS] [CONCURRENCY]
///        pipeline-bench postgres URL [CHAINS] [WORKERS] [CONCURRENCY]   (see PostgresBench)
@main
struct PipelineBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count > 1, arguments[1] == "postgres" { return try await PostgresBench.main(arguments) }
        if arguments.count > 1, arguments[1] == "pg-worker" { return try await PostgresBench.worker(arguments) }
        let chains = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
        let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        try await throughput(chains: chains, concurrency: concurrency, path: directory.appendingPathComponent("throughput.sqlite").path)
        try await latency(events: 500, path: directory.appendingPathComponent("latency.sqlite").path)
    }

    static let chain = PipelineConfiguration(name: "noop-chain", sourceClass: "push", actions: [
        ActionSpec(name: "one", task: "noop"), ActionSpec(name: "two", task: "noop"), ActionSpec(name: "three", task: "noop"),
    ])

    static func throughput(chains: Int, concurrency: Int, path: String) async throws {
        let store = try SQLiteRunStore(path: path)
        let source = Source(sourceClass: "push", attributes: ["repo": "bench/app", "branch": "main"])
        // Enqueue first (in batches, as a webhook burst would), then drain: the drain is what is timed.
        for start in stride(from: 0, to: chains, by: 1000) {
            let runs = (start..<min(chains, start + 1000)).map { _ in NewRun(configuration: chain, source: source) }
            _ = try await store.enqueue(event: nil, runs: runs, now: Date())
        }
        let executor = PipelineExecutor(store: store, actions: .standard(),
                                        options: .init(workerID: "bench", concurrency: concurrency))
        let clock = ContinuousClock()
        let began = clock.now
        try await executor.runUntilIdle()
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let succeeded = try await store.runs(RunQuery(statuses: [.succeeded], limit: 1)).count
        let actions = chains * 3
        print(String(format: "throughput: %d chains × 3 no-op actions, concurrency %d: %.2f s, %.0f actions/s (%@)",
                     chains, concurrency, seconds, Double(actions) / seconds, succeeded == 1 ? "all recorded" : "NOT RECORDED"))
    }

    static func latency(events: Int, path: String) async throws {
        let store = try SQLiteRunStore(path: path)
        let started = AsyncStream<ContinuousClock.Instant>.makeStream()
        var actions = ActionRegistry()
        actions.register("noop", Probe(started: started.continuation))
        let executor = PipelineExecutor(store: store, actions: actions, options: .init(workerID: "latency", concurrency: 8))
        let work = Task { try await executor.run() }
        var iterator = started.stream.makeAsyncIterator()
        let clock = ContinuousClock()
        var samples: [Double] = []
        let single = PipelineConfiguration(name: "one", sourceClass: "push", actions: [ActionSpec(name: "one", task: "noop")])
        let source = Source(sourceClass: "push", attributes: ["repo": "bench/app"])
        for index in 0..<events {
            try await Task.sleep(for: .milliseconds(2))  // the executor is idle when the event arrives
            let sent = clock.now
            _ = try await store.enqueue(event: EventRecord(provider: "bench", deliveryID: "d\(index)", kind: "push", body: []),
                                        runs: [NewRun(configuration: single, source: source)], now: Date())
            guard let begun = await iterator.next() else { break }
            let elapsed = begun - sent
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        work.cancel()
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(String(format: "latency: event stored → first action started, %d events: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms",
                     samples.count, percentile(0.5), percentile(0.9), percentile(0.99)))
    }
}

/// A no-op that says when it started.
struct Probe: Action {
    let started: AsyncStream<ContinuousClock.Instant>.Continuation
    func run(_ context: ActionContext) async throws -> Value {
        started.yield(ContinuousClock.now)
        return ["ok": true]
    }
}
