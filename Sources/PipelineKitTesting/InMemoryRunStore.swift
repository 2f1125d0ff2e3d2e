import ForgeKit
public import Foundation
public import PipelineKit
import Synchronization
import PlatformSupport

/// A ``RunStore`` that keeps everything in memory, with the same claim, lease and chaining rules as
/// the SQLite store, for unit tests of actions and configurations. Nothing survives the process.
public final class InMemoryRunStore: RunStore {
    private struct StoredRun {
        var record: RunRecord
        var context: RunContext
        var anyFalsy = false
        var steps: [StoredStep] = []
    }

    private struct StoredStep {
        var record: StepRecord
        var parent: Value
        var anchor: Value?
        var worker: String?
        var leaseUntil: Date?
        var dueAt: Date
    }

    private struct State {
        var runs: [RunID: StoredRun] = [:]
        var order: [RunID] = []
        var deliveries: Set<String> = []
        var nextRun: Int64 = 1
        var nextEvent: Int64 = 1
        var logs: [RunID: [LogChunk]] = [:]
        var listeners: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextListener: UInt64 = 0
    }

    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    private func notify() {
        let listeners = state.withLock { Array($0.listeners.values) }
        for listener in listeners { listener.yield() }
    }

    public func wakeups() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64 in
            state.nextListener += 1
            state.listeners[state.nextListener] = continuation
            return state.nextListener
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }

    private static func end(_ run: inout StoredRun, _ status: RunStatus, reason: String?, now: Date) {
        run.record.status = status
        if let reason { run.record.reason = reason }
        run.record.finishedAt = now
        run.context.status = status
        for index in run.steps.indices where run.steps[index].record.state == .queued {
            run.steps[index].record.state = .cancelled
            run.steps[index].record.finishedAt = now
        }
    }

    private static func newStep(run: RunID, sequence: Int, _ next: NextStep, claimedBy worker: String?, leaseUntil: Date?, now: Date) -> StoredStep {
        StoredStep(record: StepRecord(run: run, sequence: sequence, path: next.path, actionName: next.actionName, task: next.task,
                                      state: worker == nil ? .queued : .running, attempts: worker == nil ? 0 : 1, failures: 0,
                                      result: nil, error: nil, startedAt: worker == nil ? nil : now, finishedAt: nil),
                   parent: next.parent, anchor: next.anchor, worker: worker, leaseUntil: leaseUntil, dueAt: now)
    }

    public func enqueue(event: EventRecord?, runs: [NewRun], now: Date) async throws(PipelineError) -> EnqueueResult {
        let request = event
        let result = try state.withLock { state throws(PipelineError) -> EnqueueResult in
            var eventID: Int64?
            if let event {
                if let delivery = event.deliveryID {
                    guard state.deliveries.insert(event.provider + "\u{0}" + delivery).inserted else {
                        return EnqueueResult(eventID: nil, runs: [], superseded: [], duplicate: true)
                    }
                }
                eventID = state.nextEvent
                state.nextEvent += 1
            }
            var records: [RunRecord] = []
            var superseded: [RunID] = []
            for run in runs {
                guard let first = run.configuration.firstStep else {
                    throw PipelineError(.invalidConfiguration, "configuration '\(run.configuration.name)' has no actions", operation: "enqueue")
                }
                if let group = run.concurrencyGroup {
                    for id in state.order {
                        guard var older = state.runs[id], older.record.concurrencyGroup == group, older.record.status == .queued else { continue }
                        Self.end(&older, .superseded, reason: "superseded by a newer run of group '\(group)'", now: now)
                        state.runs[id] = older
                        superseded.append(id)
                    }
                }
                let id = RunID(state.nextRun)
                state.nextRun += 1
                let number = run.scope.map { scope in
                    (state.runs.values.filter { $0.record.scope == scope }.compactMap(\.record.number).max() ?? 0) + 1
                }
                let record = RunRecord(id: id, configurationName: run.configuration.name, status: .queued, source: run.source,
                                       concurrencyGroup: run.concurrencyGroup, trigger: run.trigger, reason: nil, createdAt: now,
                                       startedAt: nil, finishedAt: nil, scope: run.scope, number: number)
                var event = run.event
                if event == .null, let body = request?.body, !body.isEmpty {
                    // As the SQLite and PostgreSQL stores do: a body that is not JSON is its text.
                    event = (try? body.withUnsafeBufferPointer { bytes throws(PipelineError) in try Value(jsonBytes: bytes) })
                        ?? .string(String(decoding: body, as: UTF8.self))
                }
                var stored = StoredRun(record: record, context: RunContext(configuration: run.configuration, source: run.source,
                                                                           event: event, status: .queued))
                stored.steps.append(Self.newStep(run: id, sequence: 0, first, claimedBy: nil, leaseUntil: nil, now: now))
                state.runs[id] = stored
                state.order.append(id)
                records.append(record)
            }
            return EnqueueResult(eventID: eventID, runs: records, superseded: superseded, duplicate: false)
        }
        if !result.runs.isEmpty { notify() }
        return result
    }

    public func claim(worker: String, limit: Int, lease: Duration, now: Date) async throws(PipelineError) -> ClaimResult {
        state.withLock { state in
            var claimed: [ClaimedStep] = []
            var nextDue: Date?
            var busy = Set(state.runs.values.filter { $0.record.status == .running }.compactMap(\.record.concurrencyGroup))
            for id in state.order {
                guard var run = state.runs[id], !run.record.status.isFinished else { continue }
                for index in run.steps.indices {
                    let step = run.steps[index]
                    let due = (step.record.state == .queued && step.dueAt <= now)
                        || (step.record.state == .running && (step.leaseUntil ?? now) <= now && step.worker != worker)
                    if step.record.state == .queued && step.dueAt > now {
                        nextDue = min(nextDue ?? step.dueAt, step.dueAt)
                    }
                    guard due, claimed.count < limit else { continue }
                    if let group = run.record.concurrencyGroup, run.record.status == .queued {
                        guard !busy.contains(group) else { continue }
                        busy.insert(group)
                    }
                    run.steps[index].record.state = .running
                    run.steps[index].record.attempts += 1
                    run.steps[index].record.startedAt = run.steps[index].record.startedAt ?? now
                    run.steps[index].worker = worker
                    run.steps[index].leaseUntil = now.addingTimeInterval(lease.inSeconds)
                    if run.record.status == .queued {
                        run.record.status = .running
                        run.record.startedAt = now
                        run.context.status = .running
                    }
                    claimed.append(ClaimedStep(key: StepKey(run: id, sequence: step.record.sequence), path: step.record.path,
                                               attempt: run.steps[index].record.attempts, failures: step.record.failures,
                                               parent: step.parent, anchor: step.anchor))
                }
                state.runs[id] = run
            }
            return ClaimResult(steps: claimed, nextDue: nextDue)
        }
    }

    public func finish(_ outcomes: [StepOutcome], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> FinishResult {
        let result = state.withLock { state -> FinishResult in
            var claimed: [ClaimedStep] = []
            var refused: [StepKey] = []
            var finished: [RunID: RunStatus] = [:]
            for outcome in outcomes {
                guard var run = state.runs[outcome.key.run], run.steps.indices.contains(outcome.key.sequence) else {
                    refused.append(outcome.key)
                    continue
                }
                let index = outcome.key.sequence
                let step = run.steps[index]
                guard step.record.state == .running, step.record.attempts == outcome.attempt, step.worker == worker else {
                    refused.append(outcome.key)
                    continue
                }
                guard run.record.status == .running else {
                    run.steps[index].record.state = .cancelled
                    run.steps[index].worker = nil
                    run.steps[index].record.finishedAt = now
                    state.runs[outcome.key.run] = run
                    refused.append(outcome.key)
                    continue
                }
                run.steps[index].worker = nil
                run.steps[index].leaseUntil = nil
                switch outcome.kind {
                case .succeeded(let result, let next, let falsy, let claimNext):
                    run.steps[index].record.state = .succeeded
                    run.steps[index].record.result = result
                    run.steps[index].record.finishedAt = now
                    run.anyFalsy = run.anyFalsy || falsy
                    if let next {
                        let sequence = run.steps.count
                        run.steps.append(Self.newStep(run: outcome.key.run, sequence: sequence, next, claimedBy: claimNext ? worker : nil,
                                                      leaseUntil: claimNext ? now.addingTimeInterval(lease.inSeconds) : nil, now: now))
                        if claimNext {
                            claimed.append(ClaimedStep(key: StepKey(run: outcome.key.run, sequence: sequence), path: next.path,
                                                       attempt: 1, failures: 0, parent: next.parent, anchor: next.anchor))
                        }
                    } else {
                        let status: RunStatus = run.anyFalsy ? .failed : .succeeded
                        Self.end(&run, status, reason: nil, now: now)
                        finished[outcome.key.run] = status
                    }
                case .threw(let error, let retryAt):
                    run.steps[index].record.failures += 1
                    run.steps[index].record.error = error
                    if let retryAt {
                        run.steps[index].record.state = .queued
                        run.steps[index].dueAt = retryAt
                    } else {
                        run.steps[index].record.state = .errored
                        run.steps[index].record.finishedAt = now
                        Self.end(&run, .errored, reason: error, now: now)
                        finished[outcome.key.run] = .errored
                    }
                }
                state.runs[outcome.key.run] = run
            }
            return FinishResult(claimed: claimed, refused: refused, finishedRuns: finished)
        }
        notify()
        return result
    }

    public func renew(_ steps: [StepKey], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> RenewResult {
        state.withLock { state in
            var cancelled: Set<StepKey> = []
            var lost: Set<StepKey> = []
            for key in steps {
                guard let run = state.runs[key.run], run.steps.indices.contains(key.sequence),
                      run.steps[key.sequence].record.state == .running, run.steps[key.sequence].worker == worker else {
                    lost.insert(key)
                    continue
                }
                state.runs[key.run]?.steps[key.sequence].leaseUntil = now.addingTimeInterval(lease.inSeconds)
                if run.record.status != .running { cancelled.insert(key) }
            }
            return RenewResult(cancelled: cancelled, lost: lost)
        }
    }

    public func release(worker: String, now: Date) async throws(PipelineError) -> Int {
        let count = state.withLock { state -> Int in
            var count = 0
            for id in state.order {
                guard var run = state.runs[id] else { continue }
                for index in run.steps.indices where run.steps[index].record.state == .running && run.steps[index].worker == worker {
                    run.steps[index].record.state = .queued
                    run.steps[index].worker = nil
                    run.steps[index].leaseUntil = nil
                    run.steps[index].dueAt = now
                    count += 1
                }
                state.runs[id] = run
            }
            return count
        }
        if count > 0 { notify() }
        return count
    }

    public func appendLogs(_ entries: [LogEntry], now: Date) async throws(PipelineError) {
        state.withLock { state in
            for entry in entries {
                let start = state.logs[entry.step.run]?.last?.end ?? 0
                state.logs[entry.step.run, default: []].append(LogChunk(run: entry.step.run, step: entry.step.sequence,
                                                                        offset: start, text: entry.text))
            }
        }
    }

    public func context(of run: RunID) async throws(PipelineError) -> RunContext {
        guard let context = state.withLock({ $0.runs[run]?.context }) else {
            throw PipelineError(.notFound, "no run \(run)", operation: "read run")
        }
        return context
    }

    public func run(_ id: RunID) async throws(PipelineError) -> RunDetail? {
        state.withLock { state in
            state.runs[id].map { RunDetail(run: $0.record, steps: $0.steps.map(\.record)) }
        }
    }

    private func matching(_ query: RunQuery) -> [RunRecord] {
        state.withLock { state in
            state.order.reversed().compactMap { state.runs[$0]?.record }.filter { record in
                (query.configuration == nil || record.configurationName == query.configuration)
                    && (query.statuses == nil || query.statuses?.contains(record.status) == true)
                    && (query.before.map { record.id < $0 } ?? true)
                    && (query.scope == nil || record.scope == query.scope)
            }
        }
    }

    public func runs(_ query: RunQuery) async throws(PipelineError) -> [RunRecord] {
        Array(matching(query).dropFirst(max(0, query.offset)).prefix(max(1, min(query.limit, 1000))))
    }

    public func count(_ query: RunQuery) async throws(PipelineError) -> Int {
        var unbounded = query
        unbounded.before = nil
        return matching(unbounded).count
    }

    public func run(scope: String, number: Int64) async throws(PipelineError) -> RunDetail? {
        let id = state.withLock { state in state.runs.values.first { $0.record.scope == scope && $0.record.number == number }?.record.id }
        guard let id else { return nil }
        return try await run(id)
    }

    public func logs(run: RunID, after offset: Int64, limit: Int) async throws(PipelineError) -> [LogChunk] {
        state.withLock { state in
            Array((state.logs[run] ?? []).compactMap { chunk in
                LogChunk(run: run, step: chunk.step, start: chunk.offset, bytes: Array(chunk.text.utf8), from: offset)
            }.prefix(max(1, limit)))
        }
    }

    public func cancel(_ run: RunID, reason: String, now: Date) async throws(PipelineError) -> Bool {
        let cancelled = try state.withLock { state throws(PipelineError) -> Bool in
            guard var stored = state.runs[run] else { throw PipelineError(.notFound, "no run \(run)", operation: "cancel run") }
            guard !stored.record.status.isFinished else { return false }
            Self.end(&stored, .cancelled, reason: reason, now: now)
            state.runs[run] = stored
            return true
        }
        if cancelled { notify() }
        return cancelled
    }
}
