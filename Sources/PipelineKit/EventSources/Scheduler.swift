public import Foundation
public import Logging
public import ServiceLifecycle

/// A named cron schedule and what its `schedule` sources carry.
public struct ScheduledTrigger: Sendable, Hashable {
    /// The trigger's name: the sources' `schedule` attribute, and part of each tick's delivery id.
    public var name: String
    /// When it fires.
    public var cron: CronExpression
    /// The time zone ``cron`` is read in.
    public var timeZone: TimeZone
    /// Further attributes of its sources (`repo`, `branch`, …).
    public var attributes: [String: Value]
    /// The files its sources work on, when they have any.
    public var checkout: Source.Checkout?

    /// Creates a trigger.
    public init(name: String, cron: CronExpression, timeZone: TimeZone = .gmt, attributes: [String: Value] = [:],
                checkout: Source.Checkout? = nil) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.attributes = attributes
        self.checkout = checkout
    }
}

/// Starts runs on cron schedules: at each trigger's next time it dispatches a `schedule` source.
///
/// Each tick is dispatched with an ``EventRecord`` whose delivery id is `NAME@TIME`, and the store
/// keeps one event per delivery id, so a scheduler restarted within a minute, or several schedulers
/// sharing a store (one per machine, for availability), start each tick's runs once.
///
/// Ticks missed while no scheduler was running are not replayed: on start, each trigger waits for
/// its next time after now. A scheduler that wakes late (a suspended machine) fires the tick it was
/// waiting for, once, and skips any others that passed meanwhile.
///
/// ```swift
/// let scheduler = try Scheduler(triggers: [
///     ScheduledTrigger(name: "nightly", cron: try CronExpression("30 2 * * *"),
///                      timeZone: TimeZone(identifier: "Europe/Berlin") ?? .gmt,
///                      attributes: ["repo": "acme/web", "branch": "main"]),
/// ])
/// try await scheduler.run(dispatcher: dispatcher)   // until the task is cancelled
/// ```
public final class Scheduler: Sendable {
    /// The triggers, in the order given.
    public let triggers: [ScheduledTrigger]
    private let clock: any PipelineClock
    private let logger: Logger

    /// A scheduler of `triggers`, timed by `clock`.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` when a trigger's name is empty or used twice.
    public init(triggers: [ScheduledTrigger], clock: any PipelineClock = SystemPipelineClock(),
                logger: Logger = Logger(label: "forgeworks.pipeline.scheduler")) throws(PipelineError) {
        var names: Set<String> = []
        for trigger in triggers {
            guard !trigger.name.isEmpty, names.insert(trigger.name).inserted else {
                throw PipelineError(.invalidConfiguration, trigger.name.isEmpty ? "a schedule trigger has no name"
                                        : "two schedule triggers are named '\(trigger.name)'", operation: "create scheduler")
            }
        }
        self.triggers = triggers
        self.clock = clock
        self.logger = logger
    }

    /// The scheduler as a service dispatching to `dispatcher`: fires until the service group shuts
    /// down gracefully or the task is cancelled.
    public func service(dispatcher: PipelineDispatcher) -> some Service {
        DispatchingService { [self] () async throws(PipelineError) in try await run(dispatcher: dispatcher) }
    }

    /// Dispatches each trigger's ticks through `dispatcher` until the task is cancelled.
    ///
    /// A tick whose dispatch fails (the store is down) is logged and not retried.
    ///
    /// - Throws: ``PipelineError/Code/cancelled`` when the task is cancelled.
    public func run(dispatcher: PipelineDispatcher) async throws(PipelineError) {
        let start = clock.now()
        var next = triggers.map { $0.cron.next(after: start, in: $0.timeZone) }
        for (trigger, time) in zip(triggers, next) where time == nil {
            logger.warning("schedule never fires", metadata: ["schedule": "\(trigger.name)", "cron": "\(trigger.cron)"])
        }
        while true {
            // With no trigger left to fire, wake daily (only to notice cancellation between sleeps).
            let wake = next.compactMap { $0 }.min() ?? clock.now().addingTimeInterval(86_400)
            do {
                try await clock.sleep(until: wake)
            } catch {
                throw PipelineError(.cancelled, "the scheduler was cancelled", operation: "run scheduler")
            }
            if Task.isCancelled { throw PipelineError(.cancelled, "the scheduler was cancelled", operation: "run scheduler") }
            let now = clock.now()
            for index in triggers.indices {
                guard let due = next[index], due <= now else { continue }
                await fire(triggers[index], at: due, dispatcher: dispatcher)
                next[index] = triggers[index].cron.next(after: max(now, due), in: triggers[index].timeZone)
            }
        }
    }

    /// The `schedule` source of `trigger`'s tick at `time`: its attributes with `schedule` (the
    /// name), `cron` (the expression) and `time` (ISO 8601, UTC); `commit` and `clone_url` come
    /// from the checkout unless the attributes set them.
    public func source(of trigger: ScheduledTrigger, at time: Date) -> Source {
        var attributes = trigger.attributes
        if let checkout = trigger.checkout {
            attributes["commit"] = attributes["commit"] ?? .string(checkout.commit)
            attributes["clone_url"] = attributes["clone_url"] ?? .string(checkout.repositoryURL)
        }
        attributes["schedule"] = .string(trigger.name)
        attributes["cron"] = .string(trigger.cron.text)
        attributes["time"] = .string(Self.timestamp(time))
        return Source(sourceClass: "schedule", attributes: attributes, checkout: trigger.checkout)
    }

    private func fire(_ trigger: ScheduledTrigger, at time: Date, dispatcher: PipelineDispatcher) async {
        let timestamp = Self.timestamp(time)
        let record = EventRecord(provider: "schedule", deliveryID: "\(trigger.name)@\(timestamp)", kind: "schedule", body: [])
        do {
            let dispatch = try await dispatcher.dispatch(source: source(of: trigger, at: time), record: record,
                                                         trigger: "schedule \(trigger.name)")
            logger.debug("schedule fired", metadata: [
                "schedule": "\(trigger.name)", "time": "\(timestamp)", "runs": "\(dispatch.enqueued.runs.count)",
            ])
        } catch {
            logger.error("cannot dispatch a scheduled tick", metadata: [
                "schedule": "\(trigger.name)", "time": "\(timestamp)", "error": "\(error)",
            ])
        }
    }

    private static func timestamp(_ time: Date) -> String {
        time.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
