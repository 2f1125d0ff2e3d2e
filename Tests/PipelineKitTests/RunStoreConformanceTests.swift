import Foundation
import Logging
import PipelineKit
import PipelineKitPostgres
import PipelineKitTesting
import PostgresNIO
import Synchronization
import Testing

/// What every ``RunStore`` must do beyond what the executor tests show: exclusive claims under
/// concurrency, concurrency groups across workers, listing, logs and cancellation. Each test runs on
/// SQLite, PostgreSQL and the in-memory store.
@Suite("Run store conformance (SQLite, PostgreSQL, in memory): claims, groups, queries, logs")
struct RunStoreConformanceTests {
    let single = PipelineConfiguration(name: "single", sourceClass: "push", actions: [ActionSpec(name: "a", task: "noop")])

    @Test("Eight workers claiming at once never get the same step, and together get every one", arguments: StoreKind.allCases)
    func exclusiveClaims(kind: StoreKind) async throws {
        let store = try await kind.make()
        let runs = (0..<240).map { _ in NewRun(configuration: single, source: .testPush()) }
        _ = try await store.enqueue(event: nil, runs: runs, now: Date())
        let claims = try await withThrowingTaskGroup(of: [StepKey].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [StepKey] = []
                    while true {
                        let claim = try await store.claim(worker: "w\(worker)", limit: 7, lease: .seconds(60), now: Date())
                        if claim.steps.isEmpty { return mine }
                        mine += claim.steps.map(\.key)
                    }
                }
            }
            var all: [StepKey] = []
            for try await keys in group { all += keys }
            return all
        }
        #expect(claims.count == 240)
        #expect(Set(claims).count == 240, "a step was claimed twice")
        let running = try await store.runs(RunQuery(statuses: [.running], limit: 1000))
        #expect(running.count == 240)
    }

    @Test("A concurrency group runs one run at a time, whichever worker asks", arguments: StoreKind.allCases)
    func concurrencyGroups(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "deploy-prod")],
                                            now: Date())
        let taken = try await store.claim(worker: "w1", limit: 5, lease: .seconds(60), now: Date())
        #expect(taken.steps.map(\.key.run) == [first.runs[0].id])
        // A second run of the group, queued while the first runs, is not superseded but waits.
        let second = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "deploy-prod")],
                                             now: Date())
        #expect(second.superseded.isEmpty)
        #expect(try await store.claim(worker: "w2", limit: 5, lease: .seconds(60), now: Date()).steps.isEmpty)
        let done = try await store.finish([StepOutcome(key: taken.steps[0].key, attempt: 1,
                                                       kind: .succeeded(result: ["ok": true], next: nil, falsy: false, claimNext: false))],
                                          worker: "w1", lease: .seconds(60), now: Date())
        #expect(done.finishedRuns == [first.runs[0].id: .succeeded])
        let next = try await store.claim(worker: "w2", limit: 5, lease: .seconds(60), now: Date())
        #expect(next.steps.map(\.key.run) == [second.runs[0].id])
        // A third queued behind the running second supersedes nothing running, but a fourth supersedes the third.
        let third = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "deploy-prod")],
                                            now: Date())
        let fourth = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "deploy-prod")],
                                             now: Date())
        #expect(fourth.superseded == [third.runs[0].id])
        #expect(try await store.run(third.runs[0].id)?.run.status == .superseded)
    }

    @Test("Each run keeps the configuration it was stored with, also when a duplicate delivery came first with a new one",
          arguments: StoreKind.allCases)
    func configurationSnapshots(kind: StoreKind) async throws {
        let store = try await kind.make()
        let changed = PipelineConfiguration(name: "single", sourceClass: "push", actions: [ActionSpec(name: "b", task: "noop")])
        let event = EventRecord(provider: "test", deliveryID: "same", kind: "push", body: Array("{}".utf8))
        let first = try await store.enqueue(event: event, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        // The redelivery brings a configuration not stored yet; nothing of it is stored.
        let again = try await store.enqueue(event: event, runs: [NewRun(configuration: changed, source: .testPush())], now: Date())
        #expect(again.duplicate)
        #expect(again.runs.isEmpty)
        let next = EventRecord(provider: "test", deliveryID: "next", kind: "push", body: Array("{}".utf8))
        let second = try await store.enqueue(event: next, runs: [NewRun(configuration: changed, source: .testPush())], now: Date())
        let third = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        #expect(try await store.context(of: first.runs[0].id).configuration == single)
        #expect(try await store.context(of: second.runs[0].id).configuration == changed)
        #expect(try await store.context(of: third.runs[0].id).configuration == single)
    }

    @Test("Events stored at once come back byte for byte in their runs' context, a repeated delivery among them storing nothing",
          arguments: StoreKind.allCases)
    func eventBodies(kind: StoreKind) async throws {
        let store = try await kind.make()
        let bodies: [[UInt8]] = [
            Array(#"{"ref": "refs/heads/main", "commits": [{"message": "é ✓"}]}"#.utf8),
            Array("not JSON, kept as text".utf8),
            Array(#"{"big": "\#(String(repeating: "x", count: 9_000))"}"#.utf8),
        ]
        // Concurrent enqueues share transactions; the repeated delivery lands in the middle of them.
        let results = try await withThrowingTaskGroup(of: (Int, EnqueueResult).self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask {
                    let event = EventRecord(provider: "test", deliveryID: "d\(index)", kind: "push", body: body)
                    return (index, try await store.enqueue(event: event, runs: [NewRun(configuration: single, source: .testPush())], now: Date()))
                }
            }
            group.addTask {
                let repeated = EventRecord(provider: "test", deliveryID: "d1", kind: "push", body: Array("{}".utf8))
                return (-1, try await store.enqueue(event: repeated, runs: [NewRun(configuration: single, source: .testPush())], now: Date()))
            }
            var results: [Int: EnqueueResult] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        let stored = (0..<bodies.count).compactMap { results[$0] }.filter { !$0.duplicate }
        #expect(stored.count + (results[-1]?.duplicate == false ? 1 : 0) == bodies.count, "exactly one delivery d1 was refused")
        for index in bodies.indices {
            guard let result = results[index], !result.duplicate else { continue }
            let event = try await store.context(of: result.runs[0].id).event
            if index == 1 {
                #expect(event == .string("not JSON, kept as text"))
            } else {
                #expect(event == (try bodies[index].withUnsafeBufferPointer { buffer throws(PipelineError) in try Value(jsonBytes: buffer) }),
                        "event \(index)")
            }
        }
        // Contexts a store reads with its claims (PostgreSQL does) are the same as read one by one, running.
        let claim = try await store.claim(worker: "w", limit: 10, lease: .seconds(60), now: Date())
        #expect(claim.steps.count == bodies.count)
        for (run, context) in claim.contexts {
            var expected = try await store.context(of: run)
            expected.status = .running
            #expect(context == expected, "context of run \(run) read with the claim")
        }
        if kind == .postgresql { #expect(claim.contexts.count == bodies.count) }
    }

    @Test("Runs are listed newest first, by configuration, status and page", arguments: StoreKind.allCases)
    func listing(kind: StoreKind) async throws {
        let store = try await kind.make()
        let other = PipelineConfiguration(name: "other", sourceClass: "push", actions: [ActionSpec(name: "a", task: "noop")])
        let stored = try await store.enqueue(event: nil, runs: [
            NewRun(configuration: single, source: .testPush()), NewRun(configuration: other, source: .testPush()),
            NewRun(configuration: single, source: .testPush()),
        ], now: Date())
        let ids = stored.runs.map(\.id)
        #expect(try await store.runs(RunQuery()).map(\.id) == ids.reversed())
        #expect(try await store.runs(RunQuery(configuration: "single")).map(\.id) == [ids[2], ids[0]])
        #expect(try await store.runs(RunQuery(before: ids[2], limit: 1)).map(\.id) == [ids[1]])
        #expect(try await store.cancel(ids[1], reason: "not needed", now: Date()))
        #expect(try await store.runs(RunQuery(statuses: [.cancelled])).map(\.id) == [ids[1]])
        #expect(try await store.runs(RunQuery(statuses: [.queued, .cancelled])).count == 3)
        let cancelled = try #require(try await store.run(ids[1]))
        #expect(cancelled.run.reason == "not needed")
        #expect(cancelled.steps.map(\.state) == [.cancelled])
    }

    @Test("One batch of outcomes: last steps end their runs (falsy ones failed), a run cancelled meanwhile and a stale attempt are refused",
          arguments: StoreKind.allCases)
    func finishBatch(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.enqueue(event: nil, runs: (0..<4).map { _ in NewRun(configuration: single, source: .testPush()) }, now: Date())
        let start = Date()
        // w1 holds three steps for a minute and the fourth for five seconds.
        let long = try await store.claim(worker: "w1", limit: 3, lease: .seconds(60), now: start)
        let short = try await store.claim(worker: "w1", limit: 1, lease: .seconds(5), now: start)
        let first = long.steps + short.steps
        #expect(first.count == 4)
        let ids = first.map(\.key.run)
        #expect(Set(ids).count == 4)
        let steps = Dictionary(uniqueKeysWithValues: first.map { ($0.key.run, $0) })
        // The fourth step's lease runs out and w2 takes it again: w1's outcome for it is stale.
        let later = start.addingTimeInterval(10)
        let again = try await store.claim(worker: "w2", limit: 4, lease: .seconds(60), now: later)
        #expect(again.steps.map(\.key) == [try #require(steps[ids[3]]).key])
        #expect(again.steps.first?.attempt == 2)
        // The third run is cancelled while its step runs.
        #expect(try await store.cancel(ids[2], reason: "stop", now: later))
        func done(_ run: RunID, falsy: Bool) throws -> StepOutcome {
            let step = try #require(steps[run])
            return StepOutcome(key: step.key, attempt: step.attempt,
                               kind: .succeeded(result: falsy ? false : ["ok": true], next: nil, falsy: falsy, claimNext: true))
        }
        let result = try await store.finish([try done(ids[0], falsy: false), try done(ids[1], falsy: true), try done(ids[2], falsy: false),
                                             try done(ids[3], falsy: false)],
                                            worker: "w1", lease: .seconds(60), now: later)
        #expect(result.finishedRuns == [ids[0]: .succeeded, ids[1]: .failed])
        #expect(Set(result.refused.map(\.run)) == [ids[2], ids[3]])
        #expect(result.claimed.isEmpty)
        let ended = try #require(try await store.run(ids[0]))
        #expect(ended.run.status == .succeeded)
        #expect(ended.steps.map(\.state) == [.succeeded])
        #expect(ended.steps.first?.result == ["ok": true])
        #expect(try await store.run(ids[1])?.run.status == .failed)
        let cancelled = try #require(try await store.run(ids[2]))
        #expect(cancelled.run.status == .cancelled)
        #expect(cancelled.steps.map(\.state) == [.cancelled])
        #expect(cancelled.steps.first?.result == nil)
        // The stale outcome changed nothing: w2 still holds the step, and its outcome ends the run.
        let stale = try #require(try await store.run(ids[3]))
        #expect(stale.run.status == .running)
        #expect(stale.steps.map(\.state) == [.running])
        let current = try await store.finish([StepOutcome(key: again.steps[0].key, attempt: 2,
                                                          kind: .succeeded(result: ["ok": true], next: nil, falsy: false, claimNext: false))],
                                             worker: "w2", lease: .seconds(60), now: later)
        #expect(current.finishedRuns == [ids[3]: .succeeded])
        #expect(try await store.release(worker: "w1", now: later) == 0)
    }

    @Test("Finishing and claiming in one call: the claim sees what the outcomes recorded, and takes no more than asked",
          arguments: StoreKind.allCases)
    func finishThenClaim(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "prod")],
                                            now: Date())
        let held = try await store.claim(worker: "w1", limit: 5, lease: .seconds(60), now: Date())
        #expect(held.steps.map(\.key.run) == first.runs.map(\.id))
        // The group's next run waits for the first; two more runs have no group.
        let second = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "prod")],
                                             now: Date())
        let others = try await store.enqueue(event: nil, runs: (0..<2).map { _ in NewRun(configuration: single, source: .testPush()) },
                                             now: Date().addingTimeInterval(1))
        let outcome = StepOutcome(key: held.steps[0].key, attempt: 1, kind: .succeeded(result: true, next: nil, falsy: false, claimNext: true))
        let both = try await store.finish([outcome], thenClaim: 2, worker: "w1", lease: .seconds(60), now: Date().addingTimeInterval(2))
        #expect(both.finished.finishedRuns == [first.runs[0].id: .succeeded])
        // Claimed after the first run ended, in the same call: the group's second run is due now, and it
        // is the oldest, so a claim of two takes it and the older of the other two.
        #expect(Set(both.claimed.steps.map(\.key.run)) == [second.runs[0].id, others.runs[0].id])
        #expect(try await store.run(second.runs[0].id)?.run.status == .running)
        // Nothing to finish: only the claim; and nothing to claim: only the finish.
        let rest = try await store.finish([], thenClaim: 5, worker: "w2", lease: .seconds(60), now: Date().addingTimeInterval(2))
        #expect(rest.claimed.steps.map(\.key.run) == [others.runs[1].id])
        let last = StepOutcome(key: rest.claimed.steps[0].key, attempt: 1, kind: .succeeded(result: true, next: nil, falsy: false, claimNext: true))
        let ended = try await store.finish([last], thenClaim: 0, worker: "w2", lease: .seconds(60), now: Date().addingTimeInterval(3))
        #expect(ended.finished.finishedRuns == [others.runs[1].id: .succeeded])
        #expect(ended.claimed.steps.isEmpty)
    }

    @Test("A claim takes the head of the queue, whether its run has a concurrency group or not", arguments: StoreKind.allCases)
    func claimsTakeTheHead(kind: StoreKind) async throws {
        let store = try await kind.make()
        let start = Date()
        let grouped = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "prod")],
                                              now: start)
        let newer = try await store.enqueue(event: nil, runs: (0..<3).map { _ in NewRun(configuration: single, source: .testPush()) },
                                            now: start.addingTimeInterval(1))
        let first = try await store.claim(worker: "w1", limit: 1, lease: .seconds(60), now: start.addingTimeInterval(2))
        #expect(first.steps.map(\.key.run) == grouped.runs.map(\.id), "newer runs without a group went first")
        let next = try await store.claim(worker: "w1", limit: 2, lease: .seconds(60), now: start.addingTimeInterval(2))
        #expect(Set(next.steps.map(\.key.run)) == Set(newer.runs.prefix(2).map(\.id)))
    }

    @Test("Cancelling an ended run says so; an unknown run is not found", arguments: StoreKind.allCases)
    func cancelEdges(kind: StoreKind) async throws {
        let store = try await kind.make()
        let stored = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        #expect(try await store.cancel(stored.runs[0].id, reason: "stop", now: Date()))
        #expect(try await store.cancel(stored.runs[0].id, reason: "again", now: Date()) == false)
        await #expect(throws: PipelineError.self) { try await store.cancel(RunID(987_654), reason: "x", now: Date()) }
        #expect(try await store.run(RunID(987_654)) == nil)
        #expect(try await store.claim(worker: "w", limit: 5, lease: .seconds(5), now: Date()).steps.isEmpty)
    }

    @Test("Logs come back in order, paged by offset", arguments: StoreKind.allCases)
    func logPaging(kind: StoreKind) async throws {
        let store = try await kind.make()
        let stored = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        let key = StepKey(run: stored.runs[0].id, sequence: 0)
        try await store.appendLogs((1...5).map { LogEntry(step: key, text: "line \($0)\n") }, now: Date())
        let page = try await store.logs(run: key.run, after: 0, limit: 2)
        #expect(page.map(\.text) == ["line 1\n", "line 2\n"])
        let rest = try await store.logs(run: key.run, after: try #require(page.last).end, limit: 100)
        #expect(rest.map(\.text) == ["line 3\n", "line 4\n", "line 5\n"])
        #expect(try await store.logs(run: RunID(424_242), after: 0, limit: 10).isEmpty)
    }

    @Test("Log offsets are bytes of the run's own log: other runs' output between does not move them; an offset inside a chunk starts there",
          arguments: StoreKind.allCases)
    func logByteOffsets(kind: StoreKind) async throws {
        let store = try await kind.make()
        let stored = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush()),
                                                               NewRun(configuration: single, source: .testPush())], now: Date())
        let one = StepKey(run: stored.runs[0].id, sequence: 0), two = StepKey(run: stored.runs[1].id, sequence: 0)
        try await store.appendLogs([LogEntry(step: one, text: "héllo\n"), LogEntry(step: two, text: "other run\n")], now: Date())
        try await store.appendLogs([LogEntry(step: two, text: "more\n"), LogEntry(step: one, text: "wörld\n"), LogEntry(step: one, text: "!")], now: Date())
        let all = try await store.logs(run: one.run, after: 0, limit: 100)
        #expect(all.map(\.text) == ["héllo\n", "wörld\n", "!"])
        #expect(all.map(\.offset) == [0, 7, 14] && all.map(\.end) == [7, 14, 15])
        let middle = try await store.logs(run: one.run, after: 3, limit: 100)
        #expect(middle.map(\.text).joined() == "llo\nwörld\n!" && middle.first?.offset == 3)
        #expect(try await store.logs(run: one.run, after: 15, limit: 100).isEmpty)
        #expect(try await store.logs(run: two.run, after: 10, limit: 100).map(\.text) == ["more\n"])
        // Following the log chunk by chunk gives every byte once.
        var followed = "", next: Int64 = 0
        while let chunk = try await store.logs(run: one.run, after: next, limit: 1).first {
            followed += chunk.text
            next = chunk.end
        }
        #expect(followed == "héllo\nwörld\n!")
    }

    @Test("Runs are numbered within their scope, found by number, listed, counted and paged by scope", arguments: StoreKind.allCases)
    func scopedNumbers(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), scope: "team/app"),
                                                              NewRun(configuration: single, source: .testPush(), scope: "team/lib"),
                                                              NewRun(configuration: single, source: .testPush())], now: Date())
        #expect(first.runs.map(\.number) == [1, 1, nil])
        #expect(first.runs.map(\.scope) == ["team/app", "team/lib", nil])
        let second = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), scope: "team/app"),
                                                               NewRun(configuration: single, source: .testPush(), scope: "team/app")], now: Date())
        #expect(second.runs.map(\.number) == [2, 3])
        let found = try #require(try await store.run(scope: "team/app", number: 2))
        #expect(found.run.id == second.runs[0].id && found.run.number == 2 && found.run.scope == "team/app")
        #expect(try await store.run(scope: "team/app", number: 9) == nil)
        #expect(try await store.run(scope: "team/other", number: 1) == nil)
        let listed = try await store.runs(RunQuery(limit: 10, scope: "team/app"))
        #expect(listed.map(\.number) == [3, 2, 1])
        #expect(try await store.count(RunQuery(scope: "team/app")) == 3)
        #expect(try await store.count(RunQuery()) == 5)
        #expect(try await store.runs(RunQuery(limit: 2, scope: "team/app", offset: 2)).map(\.number) == [1])
    }

    @Test("Logs keep every byte a command printed, NUL included", arguments: StoreKind.allCases)
    func logsKeepNUL(kind: StoreKind) async throws {
        let store = try await kind.make()
        let stored = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        let key = StepKey(run: stored.runs[0].id, sequence: 0)
        let texts = ["before\u{0}after\n", "\u{0}", "tw\u{0}ö\u{0}\n"]
        try await store.appendLogs(texts.map { LogEntry(step: key, text: $0) }, now: Date())
        let chunks = try await store.logs(run: key.run, after: 0, limit: 100)
        #expect(chunks.map(\.text) == texts)
        #expect(chunks.map { $0.text.utf8.count } == [13, 1, 7])
    }

    @Test("Stored configurations are saved, replaced, listed and deleted", arguments: [StoreKind.sqlite, .postgresql])
    func storedConfigurations(kind: StoreKind) async throws {
        let store = try #require(try await kind.make() as? any ConfigurationStore)
        try await store.saveConfiguration(single, now: Date())
        var changed = single
        changed.actions.append(ActionSpec(name: "b", task: "noop"))
        try await store.saveConfiguration(changed, now: Date())
        try await store.saveConfiguration(PipelineConfiguration(name: "another", sourceClass: "tag", actions: [ActionSpec(name: "x", task: "noop")]),
                                          now: Date())
        let stored = try await store.storedConfigurations()
        #expect(stored.map(\.name) == ["another", "single"])
        #expect(stored.last?.actions.map(\.name) == ["a", "b"])
        #expect(try await store.deleteConfiguration(named: "another"))
        #expect(try await store.deleteConfiguration(named: "another") == false)
        #expect(try await store.storedConfigurations().map(\.name) == ["single"])
    }
}

/// What only the PostgreSQL store has: several processes on one database.
@Suite("PostgreSQL run store: NOTIFY wake-ups across processes, concurrent migrations, bad URLs")
struct PostgresRunStoreTests {
    let single = PipelineConfiguration(name: "single", sourceClass: "push", actions: [ActionSpec(name: "a", task: "noop")])

    @Test("PostgreSQL: stores opened at once on a new schema migrate it once and all work")
    func concurrentMigrations() async throws {
        let schema = PostgresTestDatabase.freshSchema()
        let stores = try await withThrowingTaskGroup(of: PostgresRunStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresTestDatabase.runStore(schema: schema) } }
            var stores: [PostgresRunStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        for (index, store) in stores.enumerated() {
            _ = try await store.enqueue(event: EventRecord(provider: "test", deliveryID: "d\(index)", kind: "push", body: Array("{}".utf8)),
                                        runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        }
        #expect(try await stores[0].runs(RunQuery()).count == 4)
    }

    @Test("PostgreSQL: a store from before v8 (runs not started stored `queued`) is upgraded; runs read as before, and a worker of the old release still reads its runs as running")
    func upgradeToRunsStartedInPlace() async throws {
        let url = try PostgresTestDatabase.requireURL()
        let schema = PostgresTestDatabase.freshSchema()
        let store = try await PostgresTestDatabase.runStore(schema: schema)
        let first = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "prod")],
                                            now: Date())
        let held = try await store.claim(worker: "w1", limit: 5, lease: .seconds(60), now: Date())
        #expect(held.steps.count == 1)
        let waiting = try await store.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        store.close()
        // As a store before v8 left them: the run not started stored `queued`, v8 not applied.
        try await execute(url, """
            UPDATE \(schema).runs SET status = 'queued' WHERE started_at IS NULL;
            DELETE FROM \(schema).forgeworks_migrations WHERE name LIKE 'v8%'
            """)
        let upgraded = try await PostgresTestDatabase.runStore(schema: schema)
        #expect(try await upgraded.run(first.runs[0].id)?.run.status == .running)
        #expect(try await upgraded.runs(RunQuery(statuses: [.running])).map(\.id) == first.runs.map(\.id))
        #expect(try await upgraded.runs(RunQuery(statuses: [.queued])).map(\.id) == waiting.runs.map(\.id))
        // What a worker of an earlier release reads when it renews its leases (anything but `running` is a
        // cancellation to it): the run it holds is still stored `running`.
        #expect(try await query(url, "SELECT status FROM \(schema).runs WHERE id = \(first.runs[0].id.rawValue)") == ["running"])
        let second = try await upgraded.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush(), concurrencyGroup: "prod")],
                                                now: Date())
        #expect(second.superseded.isEmpty, "a running run is not superseded")
        let others = try await upgraded.claim(worker: "w2", limit: 5, lease: .seconds(60), now: Date())
        #expect(others.steps.map(\.key.run) == waiting.runs.map(\.id), "the group waits; the run without a group starts")
        let done = try await upgraded.finish([StepOutcome(key: held.steps[0].key, attempt: 1,
                                                          kind: .succeeded(result: true, next: nil, falsy: false, claimNext: false))],
                                             worker: "w1", lease: .seconds(60), now: Date())
        #expect(done.finishedRuns == [first.runs[0].id: .succeeded])
        #expect(try await upgraded.claim(worker: "w2", limit: 5, lease: .seconds(60), now: Date()).steps.map(\.key.run) == second.runs.map(\.id))
    }

    /// The first column of each row of `sql`, as text, read on a connection of its own.
    func query(_ url: String, _ sql: String) async throws -> [String] {
        let connection = try await connect(url)
        var values: [String] = []
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")).decode(String.self) {
            values.append(value)
        }
        try await connection.close()
        return values
    }

    func connect(_ url: String) async throws -> PostgresConnection {
        let location = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(host: location.host ?? "127.0.0.1", port: location.port ?? 5432,
                                                             username: location.user ?? "postgres", password: location.password,
                                                             database: String(location.path.dropFirst()), tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test"))
    }

    /// Runs SQL statements (separated by `;`) on a connection of their own.
    func execute(_ url: String, _ sql: String) async throws {
        let connection = try await connect(url)
        for statement in sql.split(separator: ";") {
            _ = try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: Logger(label: "test")).collect()
        }
        try await connection.close()
    }

    @Test("PostgreSQL: work enqueued through one store wakes the workers of another (LISTEN/NOTIFY)")
    func notifyAcrossStores() async throws {
        let schema = PostgresTestDatabase.freshSchema()
        let listener = try await PostgresTestDatabase.runStore(schema: schema)
        let producer = try await PostgresTestDatabase.runStore(schema: schema)
        let woken = AsyncStream<Void>.makeStream()
        let watcher = Task {
            // The first wake-up says the listening connection is up (a listener must look for work
            // then); the second is the producer's NOTIFY.
            var count = 0
            for await _ in listener.wakeups() {
                count += 1
                woken.continuation.yield()
                if count == 2 { return }
            }
        }
        defer { watcher.cancel() }
        var signals = woken.stream.makeAsyncIterator()
        _ = await signals.next()
        _ = try await producer.enqueue(event: nil, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        let timeout = Task {
            try await Task.sleep(for: .seconds(20))
            woken.continuation.finish()
        }
        defer { timeout.cancel() }
        let woke = await signals.next() != nil
        #expect(woke, "no NOTIFY reached the other store within 20 s")
        #expect(try await listener.claim(worker: "w", limit: 1, lease: .seconds(30), now: Date()).steps.count == 1)
    }

    @Test("PostgreSQL: a bad database URL is refused with the reason, before any connection")
    func badURLs() async throws {
        for (url, reason) in [("mysql://u@localhost/db", "scheme"), ("postgres://localhost/db", "user"),
                              ("postgres://u@localhost/db?schema=Robert'); DROP TABLE runs;--", "schema"),
                              ("postgres://u@localhost/db?color=blue", "unknown URL parameter"),
                              ("postgres://u@localhost/db?sslmode=sometimes", "sslmode")] {
            let error = await #expect(throws: PipelineError.self) {
                _ = try await PostgresRunStore(url: url, patience: .zero)
            }
            #expect(error?.code == .store)
            #expect(error?.message.contains(reason) == true, "\(url): \(error?.message ?? "")")
        }
    }

    @Test("PostgreSQL: a server that is not there is an error after the patience runs out, not a hang")
    func unreachable() async throws {
        let error = await #expect(throws: PipelineError.self) {
            _ = try await PostgresRunStore(url: "postgres://nobody@127.0.0.1:1/none?sslmode=disable", patience: .milliseconds(300))
        }
        #expect(error?.code == .store)
    }
}
