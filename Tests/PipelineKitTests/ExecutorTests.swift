import Foundation
import PipelineKit
import PipelineKitPostgres
import PipelineKitTesting
import Synchronization
import Testing

/// The stores every executor and conformance test runs against: SQLite, PostgreSQL (when
/// `TEST_POSTGRES_URL` names a server; `make test` starts one) and the in-memory test store.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql, memory
    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgresql: "PostgreSQL"
        case .memory: "in memory"
        }
    }

    /// A new, empty store. PostgreSQL stores each get a schema of their own in the test server's
    /// database; without `TEST_POSTGRES_URL` the PostgreSQL case is skipped, saying why.
    func make() async throws -> any RunStore {
        switch self {
        case .memory: return InMemoryRunStore()
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try SQLiteRunStore(path: directory.appendingPathComponent("runs.sqlite").path)
        case .postgresql:
            return try await PostgresTestDatabase.runStore()
        }
    }
}

/// The PostgreSQL server the tests use: `TEST_POSTGRES_URL`, which `make test` sets (scripts/with-postgres).
enum PostgresTestDatabase {
    static var url: String? {
        ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL, or the test is skipped (cancelled) with the reason.
    static func requireURL() throws -> String {
        guard let url else {
            try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
        }
        return url
    }

    /// A schema name no other test uses.
    static func freshSchema() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// A run store in a schema of its own.
    static func runStore(schema: String = freshSchema()) async throws -> PostgresRunStore {
        try await PostgresRunStore(url: try requireURL(), schema: schema, maximumConnections: 4)
    }
}

func action(_ name: String, task: String = "step", kwargs: [String: Value] = [:], success: ActionSpec? = nil,
            failure: ActionSpec? = nil, retries: Int = 0, timeout: Double? = nil) -> ActionSpec {
    ActionSpec(name: name, task: task, kwargs: kwargs, successHandler: success, failureHandler: failure, retries: retries, timeout: timeout)
}

func testOptions(_ worker: String = "test-worker", lease: Duration = .seconds(30)) -> PipelineExecutor.Options {
    PipelineExecutor.Options(workerID: worker, concurrency: 4, lease: lease, pollInterval: .milliseconds(50),
                             workspaceRoot: FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-ws-\(UUID().uuidString)").path,
                             retryDelay: .milliseconds(10), maximumRetryDelay: .milliseconds(50))
}

@Suite("Run store conformance through the durable executor (SQLite, PostgreSQL, in memory): chains, handlers, retries, timeouts, cancellation, leases")
struct ExecutorTests {
    @Test("A falsy result runs the failure handler with it as parent; the next action gets the top-level result", arguments: StoreKind.allCases)
    func chainsAndHandlers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let check = RecordingAction(result: ["ok": false, "output": "E501"])
        let recorder = RecordingAction(result: ["ok": true])
        var actions = ActionRegistry()
        actions.register("check", check)
        actions.register("record", recorder)
        let configuration = PipelineConfiguration(name: "lint", sourceClass: "push", actions: [
            action("lint", task: "check", success: action("praise", task: "record"),
                   failure: action("comment", task: "record", success: action("after-comment", task: "record"))),
            action("report", task: "record"),
        ])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        let executor = PipelineExecutor(store: store, actions: actions, options: testOptions())
        try await executor.runUntilIdle()

        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.run.status == .failed)
        #expect(run.steps.map(\.path.description) == ["0", "0.f", "0.f.s", "1"])
        #expect(run.steps.map(\.state) == [.succeeded, .succeeded, .succeeded, .succeeded])
        #expect(recorder.calls.map(\.actionName) == ["comment", "after-comment", "report"])
        #expect(recorder.calls[0].parent == ["ok": false, "output": "E501"])
        #expect(recorder.calls[1].parent == ["ok": true])
        #expect(recorder.calls[2].parent == ["ok": false, "output": "E501"], "the next action gets the top-level result, not the handler's")
        #expect(run.steps.allSatisfy { $0.attempts == 1 })
    }

    @Test("An action that throws is a task failure: no handler runs, the chain stops, the run is errored", arguments: StoreKind.allCases)
    func taskFailure(kind: StoreKind) async throws {
        let store = try await kind.make()
        let broken = RecordingAction { _ in throw PipelineError(.io, "disk full", operation: "write") }
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("broken", broken)
        actions.register("record", recorder)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [
            action("first", task: "broken", success: action("s", task: "record"), failure: action("f", task: "record")),
            action("second", task: "record"),
        ])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.run.status == .errored)
        #expect(run.run.reason?.contains("disk full") == true)
        #expect(run.steps.count == 1)
        #expect(run.steps[0].state == .errored)
        #expect(recorder.calls.isEmpty)
    }

    @Test("Retries with back-off: attempts and failures are counted", arguments: StoreKind.allCases)
    func retries(kind: StoreKind) async throws {
        let store = try await kind.make()
        let flaky = RecordingAction { context in
            if context.attempt < 3 { throw PipelineError(.io, "try again", operation: "flaky") }
            return ["ok": true]
        }
        var actions = ActionRegistry()
        actions.register("flaky", flaky)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("flaky", task: "flaky", retries: 2)])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.run.status == .succeeded)
        #expect(run.steps[0].attempts == 3)
        #expect(run.steps[0].failures == 2)
        #expect(flaky.calls.map(\.attempt) == [1, 2, 3])
    }

    @Test("An action past its timeout is stopped and the run errors", arguments: StoreKind.allCases)
    func timeout(kind: StoreKind) async throws {
        let store = try await kind.make()
        let slow = RecordingAction { _ in
            try await Task.sleep(for: .seconds(30))
            return ["ok": true]
        }
        var actions = ActionRegistry()
        actions.register("slow", slow)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("slow", task: "slow", timeout: 0.3)])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.run.status == .errored)
        #expect(run.steps[0].error?.contains("ran longer than 0.3 s") == true)
    }

    @Test("Cancelling a run stops its running action and queues nothing more", arguments: StoreKind.allCases)
    func cancellation(kind: StoreKind) async throws {
        let store = try await kind.make()
        let started = AsyncStream<Void>.makeStream()
        let slow = RecordingAction { _ in
            started.continuation.yield()
            try await Task.sleep(for: .seconds(60))
            return ["ok": true]
        }
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("slow", slow)
        actions.register("record", recorder)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("slow", task: "slow"), action("next", task: "record")])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        let id = enqueued.runs[0].id
        var options = testOptions(lease: .milliseconds(300))
        options.concurrency = 2
        let executor = PipelineExecutor(store: store, actions: actions, options: options)
        let work = Task { try await executor.runUntilIdle() }
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
        #expect(try await store.cancel(id, reason: "by test", now: Date()))
        try await work.value
        let run = try #require(try await store.run(id))
        #expect(run.run.status == .cancelled)
        #expect(run.run.reason == "by test")
        #expect(run.steps.count == 1)
        #expect(run.steps[0].state == .cancelled)
        #expect(recorder.calls.isEmpty)
        #expect(try await store.cancel(id, reason: "again", now: Date()) == false)
    }

    @Test("A newer run of a concurrency group supersedes the pending one", arguments: StoreKind.allCases)
    func concurrencyGroups(kind: StoreKind) async throws {
        let store = try await kind.make()
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("step", recorder)
        let configuration = PipelineConfiguration(name: "deploy", sourceClass: "push", actions: [action("deploy")], concurrencyGroup: "prod")
        let first = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush(commit: "1"))], now: Date())
        let second = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush(commit: "2"))], now: Date())
        #expect(second.superseded == [first.runs[0].id])
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        #expect(try await store.run(first.runs[0].id)?.run.status == .superseded)
        #expect(try await store.run(second.runs[0].id)?.run.status == .succeeded)
        #expect(recorder.calls.map { $0.source.attributes["commit"] } == ["2"])
    }

    @Test("A run stored with its webhook body sees that body as `event` in templates", arguments: StoreKind.allCases)
    func eventFromStoredBody(kind: StoreKind) async throws {
        let store = try await kind.make()
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("record", recorder)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [
            action("greet", task: "record", kwargs: ["text": "pushed by {{ event.pusher.name }} to {{ source.branch }}"]),
        ])
        let body = Array(#"{"pusher": {"name": "octocat"}, "ref": "refs/heads/main"}"#.utf8)
        _ = try await store.enqueue(event: EventRecord(provider: "github", deliveryID: "d-9", kind: "push", body: body),
                                    runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        #expect(recorder.calls.map { $0.kwargs["text"] } == ["pushed by octocat to main"])
    }

    @Test("A delivery id is stored once; a repeat stores nothing", arguments: StoreKind.allCases)
    func deduplication(kind: StoreKind) async throws {
        let store = try await kind.make()
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("a")])
        let event = EventRecord(provider: "github", deliveryID: "d-1", kind: "push", body: Array("{}".utf8))
        let first = try await store.enqueue(event: event, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        let again = try await store.enqueue(event: event, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        #expect(!first.duplicate && first.runs.count == 1)
        #expect(again.duplicate && again.runs.isEmpty)
        #expect(try await store.runs(RunQuery()).count == 1)
    }

    @Test("A dead worker's step is claimed again when its lease runs out; its late outcome is refused", arguments: StoreKind.allCases)
    func leases(kind: StoreKind) async throws {
        let store = try await kind.make()
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("a"), action("b")])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        let start = Date()
        let dead = try await store.claim(worker: "dead", limit: 10, lease: .seconds(5), now: start)
        #expect(dead.steps.count == 1)
        #expect(try await store.claim(worker: "other", limit: 10, lease: .seconds(5), now: start.addingTimeInterval(1)).steps.isEmpty)
        #expect(try await store.claim(worker: "dead", limit: 10, lease: .seconds(5), now: start.addingTimeInterval(6)).steps.isEmpty,
                "a worker never claims back its own step: it may only be late to renew")
        let taken = try await store.claim(worker: "other", limit: 10, lease: .seconds(5), now: start.addingTimeInterval(6))
        #expect(taken.steps.map(\.attempt) == [2])
        let late = try await store.finish([StepOutcome(key: dead.steps[0].key, attempt: 1,
                                                       kind: .succeeded(result: ["ok": true], next: nil, falsy: false, claimNext: false))],
                                          worker: "dead", lease: .seconds(5), now: start.addingTimeInterval(7))
        #expect(late.refused == [dead.steps[0].key])
        let next = configuration.step(after: taken.steps[0].path, result: ["ok": true], anchor: nil)
        let done = try await store.finish([StepOutcome(key: taken.steps[0].key, attempt: 2,
                                                       kind: .succeeded(result: ["ok": true], next: next, falsy: false, claimNext: true))],
                                          worker: "other", lease: .seconds(5), now: start.addingTimeInterval(7))
        #expect(done.refused.isEmpty)
        #expect(done.claimed.map(\.path.description) == ["1"])
        #expect(done.claimed.first?.parent == ["ok": true])
        let detail = try #require(try await store.run(enqueued.runs[0].id))
        #expect(detail.steps[0].attempts == 2)
        #expect(detail.run.status == .running)
    }

    @Test("A worker restarted under its name takes its claims back at once and runs them again", arguments: StoreKind.allCases)
    func restartTakesClaimsBack(kind: StoreKind) async throws {
        let store = try await kind.make()
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("step", recorder)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("a")])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        _ = try await store.claim(worker: "w1", limit: 1, lease: .seconds(3600), now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions("w1")).runUntilIdle()
        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.run.status == .succeeded)
        #expect(run.steps[0].attempts == 2)
        #expect(recorder.calls.map(\.attempt) == [2])
    }

    @Test("Output is stored in order with secrets masked, in results too", arguments: StoreKind.allCases)
    func logsAndSecrets(kind: StoreKind) async throws {
        let store = try await kind.make()
        let talker = RecordingAction { context in
            context.output.write("token is s3cr3t-value\n")
            context.output.write("second line\n")
            return ["ok": true, "output": "echo s3cr3t-value"]
        }
        var actions = ActionRegistry()
        actions.register("talk", talker)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("talk", task: "talk")])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        var options = testOptions()
        options.secrets = ["TOKEN": "s3cr3t-value"]
        try await PipelineExecutor(store: store, actions: actions, options: options).runUntilIdle()
        let logs = try await store.logs(run: enqueued.runs[0].id, after: 0, limit: 100)
        #expect(logs.map(\.text).joined() == "token is ***\nsecond line\n")
        let run = try #require(try await store.run(enqueued.runs[0].id))
        #expect(run.steps[0].result == ["ok": true, "output": "echo ***"])
    }

    @Test("Many chains run concurrently; every step is recorded once", arguments: StoreKind.allCases)
    func manyChains(kind: StoreKind) async throws {
        let store = try await kind.make()
        var actions = ActionRegistry()
        let counter = Atomic<Int>(0)
        actions.register("count", RecordingAction { _ in
            counter.add(1, ordering: .relaxed)
            return ["ok": true]
        })
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [
            action("a", task: "count"), action("b", task: "count"), action("c", task: "count"),
        ])
        let runs = (0..<200).map { _ in NewRun(configuration: configuration, source: .testPush()) }
        _ = try await store.enqueue(event: nil, runs: runs, now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        #expect(counter.load(ordering: .relaxed) == 600)
        let succeeded = try await store.runs(RunQuery(statuses: [.succeeded], limit: 1000))
        #expect(succeeded.count == 200)
    }
}

/// A store whose first claims fail, as a busy or restarting database would.
final class FlakyClaimStore: RunStore {
    let base = InMemoryRunStore()
    let failures = Atomic<Int>(3)

    func enqueue(event: EventRecord?, runs: [NewRun], now: Date) async throws(PipelineError) -> EnqueueResult {
        try await base.enqueue(event: event, runs: runs, now: now)
    }
    func claim(worker: String, limit: Int, lease: Duration, now: Date) async throws(PipelineError) -> ClaimResult {
        if failures.subtract(1, ordering: .relaxed).newValue >= 0 {
            throw PipelineError(.store, "database is locked", operation: "claim")
        }
        return try await base.claim(worker: worker, limit: limit, lease: lease, now: now)
    }
    func finish(_ outcomes: [StepOutcome], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> FinishResult {
        try await base.finish(outcomes, worker: worker, lease: lease, now: now)
    }
    func renew(_ steps: [StepKey], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> RenewResult {
        try await base.renew(steps, worker: worker, lease: lease, now: now)
    }
    func release(worker: String, now: Date) async throws(PipelineError) -> Int { try await base.release(worker: worker, now: now) }
    func appendLogs(_ entries: [LogEntry], now: Date) async throws(PipelineError) { try await base.appendLogs(entries, now: now) }
    func context(of run: RunID) async throws(PipelineError) -> RunContext { try await base.context(of: run) }
    func run(_ id: RunID) async throws(PipelineError) -> RunDetail? { try await base.run(id) }
    func runs(_ query: RunQuery) async throws(PipelineError) -> [RunRecord] { try await base.runs(query) }
    func count(_ query: RunQuery) async throws(PipelineError) -> Int { try await base.count(query) }
    func run(scope: String, number: Int64) async throws(PipelineError) -> RunDetail? { try await base.run(scope: scope, number: number) }
    func logs(run: RunID, after offset: Int64, limit: Int) async throws(PipelineError) -> [LogChunk] {
        try await base.logs(run: run, after: offset, limit: limit)
    }
    func cancel(_ run: RunID, reason: String, now: Date) async throws(PipelineError) -> Bool { try await base.cancel(run, reason: reason, now: now) }
    func wakeups() -> AsyncStream<Void> { base.wakeups() }
}

@Suite("The executor survives a failing store")
struct ExecutorStoreFailureTests {
    @Test("Claims that fail (a locked database) are retried; the work still runs")
    func claimFailuresAreRetried() async throws {
        let store = FlakyClaimStore()
        let recorder = RecordingAction()
        var actions = ActionRegistry()
        actions.register("step", recorder)
        let configuration = PipelineConfiguration(name: "c", sourceClass: "push", actions: [action("a")])
        let enqueued = try await store.enqueue(event: nil, runs: [NewRun(configuration: configuration, source: .testPush())], now: Date())
        try await PipelineExecutor(store: store, actions: actions, options: testOptions()).runUntilIdle()
        #expect(store.failures.load(ordering: .relaxed) < 0, "the failing claims were made and retried")
        #expect(try await store.run(enqueued.runs[0].id)?.run.status == .succeeded)
        #expect(recorder.calls.count == 1)
    }
}
