import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

/// A store, a dispatcher with one configuration for `sourceClass`, and a test clock.
struct DispatchHarness {
    let clock: TestClock
    let store = InMemoryRunStore()
    let dispatcher: PipelineDispatcher

    init(sourceClass: String, start: Date) {
        clock = TestClock(start: start)
        let configuration = PipelineConfiguration(name: "on-\(sourceClass)", sourceClass: sourceClass,
                                                  actions: [ActionSpec(name: "build", task: "noop")])
        dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex([configuration]), clock: clock)
    }

    /// Stored runs, oldest first.
    func runs() async throws -> [RunRecord] {
        try await store.runs(RunQuery(limit: 1000)).reversed()
    }
}

@Suite("Scheduler: cron triggers dispatched on a test clock")
struct SchedulerTests {
    @Test("sleeps until the earliest next time, dispatches one schedule source per tick, and does not replay missed ticks")
    func firesOnSchedule() async throws {
        let harness = DispatchHarness(sourceClass: "schedule", start: try utc("2027-01-15T08:00:00Z"))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let checkout = Source.Checkout(repositoryURL: "https://git.example.org/acme/web.git", commit: "main")
        let scheduler = try Scheduler(triggers: [
            ScheduledTrigger(name: "quarter", cron: try CronExpression("*/15 * * * *"), attributes: ["repo": "acme/web", "branch": "main"]),
            ScheduledTrigger(name: "nightly", cron: try CronExpression("0 2 * * *"), timeZone: berlin,
                             attributes: ["repo": "acme/web"], checkout: checkout),
        ], clock: harness.clock)
        let loop = Task { try await scheduler.run(dispatcher: harness.dispatcher) }
        defer { loop.cancel() }

        await harness.clock.waitForSleepers()
        harness.clock.advance(by: .seconds(14 * 60))
        #expect(harness.clock.sleeperCount == 1, "08:14: still asleep")
        #expect(try await harness.runs().isEmpty)

        harness.clock.advance(by: .seconds(60))
        await harness.clock.waitForSleepers()
        let first = try await harness.runs()
        try #require(first.count == 1)
        #expect(first[0].source == Source(sourceClass: "schedule", attributes: [
            "schedule": "quarter", "cron": "*/15 * * * *", "time": "2027-01-15T08:15:00Z", "repo": "acme/web", "branch": "main",
        ]))
        #expect(first[0].trigger == "schedule quarter")

        // Asleep until 08:30, woken at 01:15 the next day: the awaited tick fires once, the nightly one
        // (02:00 in Berlin is 01:00 UTC) fires, and the quarters in between are not replayed.
        harness.clock.advance(by: .seconds(17 * 3600))
        await harness.clock.waitForSleepers()
        let all = try await harness.runs()
        #expect(all.map { $0.source.attributes["time"]?.text } == ["2027-01-15T08:15:00Z", "2027-01-15T08:30:00Z", "2027-01-16T01:00:00Z"])
        let nightly = try #require(all.last?.source)
        #expect(nightly.attributes["schedule"] == "nightly")
        #expect(nightly.attributes["commit"] == "main")
        #expect(nightly.attributes["clone_url"] == "https://git.example.org/acme/web.git")
        #expect(nightly.checkout == checkout)

        // The next quarter is 01:30.
        harness.clock.advance(by: .seconds(14 * 60))
        #expect(try await harness.runs().count == 3)
        harness.clock.advance(by: .seconds(60))
        await harness.clock.waitForSleepers()
        #expect(try await harness.runs().last?.source.attributes["time"] == "2027-01-16T01:30:00Z")

        loop.cancel()
        let result = await loop.result
        #expect(throws: PipelineError(.cancelled, "the scheduler was cancelled", operation: "run scheduler")) { try result.get() }
    }

    @Test("two schedulers on one store start each tick's runs once (the delivery id is NAME@TIME)")
    func deduplicates() async throws {
        let harness = DispatchHarness(sourceClass: "schedule", start: try utc("2027-01-15T08:00:00Z"))
        let trigger = ScheduledTrigger(name: "hourly", cron: try CronExpression("@hourly"))
        let schedulers = try [Scheduler(triggers: [trigger], clock: harness.clock), Scheduler(triggers: [trigger], clock: harness.clock)]
        let loops = schedulers.map { scheduler in Task { try await scheduler.run(dispatcher: harness.dispatcher) } }
        defer { loops.forEach { $0.cancel() } }

        for _ in 0..<3 {
            await harness.clock.waitForSleepers(2)
            harness.clock.advance(by: .seconds(3600))
        }
        await harness.clock.waitForSleepers(2)
        let runs = try await harness.runs()
        #expect(runs.map { $0.source.attributes["time"]?.text } == ["2027-01-15T09:00:00Z", "2027-01-15T10:00:00Z", "2027-01-15T11:00:00Z"])

        // A scheduler that dispatches the same minute again (restarted within it) stores nothing.
        let again = try await harness.dispatcher.dispatch(
            source: schedulers[0].source(of: trigger, at: try utc("2027-01-15T11:00:00Z")),
            record: EventRecord(provider: "schedule", deliveryID: "hourly@2027-01-15T11:00:00Z", kind: "schedule", body: []),
            trigger: "schedule hourly")
        #expect(again.enqueued.duplicate)
        #expect(try await harness.runs().count == 3)
    }

    @Test("trigger names must be present and unique")
    func names() throws {
        let cron = try CronExpression("@daily")
        #expect(throws: PipelineError.self) { try Scheduler(triggers: [ScheduledTrigger(name: "", cron: cron)]) }
        let error = try #require(throws: PipelineError.self) {
            try Scheduler(triggers: [ScheduledTrigger(name: "a", cron: cron), ScheduledTrigger(name: "a", cron: cron)])
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("'a'"))
    }
}
