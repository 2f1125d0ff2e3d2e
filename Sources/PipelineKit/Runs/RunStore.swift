public import Foundation

/// Where runs, their steps and their logs live, durably: the executor's only shared state.
///
/// Two implementations pass one conformance suite: ``SQLiteRunStore`` (the embedded default) and a
/// PostgreSQL store for many machines. Every method is one transaction. Steps are *claimed* by a
/// worker under a lease; a claim whose lease runs out (its worker died) is claimed again with its
/// attempt count raised, so a crash loses nothing and every action runs at least once. A worker
/// whose lease ran out can no longer finish the step: ``finish(_:worker:lease:now:)`` ignores an
/// outcome whose attempt is not the step's current one, so no completion is recorded twice.
public protocol RunStore: Sendable {
    /// Stores an event and the runs it starts, in one transaction, with each run's first step
    /// queued. A run with a concurrency group supersedes the group's runs that have not started.
    /// When `event` carries a delivery id already stored for its provider, nothing is stored and
    /// the result says `duplicate`.
    func enqueue(event: EventRecord?, runs: [NewRun], now: Date) async throws(PipelineError) -> EnqueueResult

    /// Claims up to `limit` steps that are due — queued ones whose back-off has passed, and running
    /// ones whose lease has run out — from the head of the queue (oldest first; the steps come back
    /// in no promised order), for `worker`, with a lease until `now + lease`.
    /// A step waits while another run of its concurrency group is running. A worker never claims
    /// back its own expired steps (it may still be running them, only late to renew); a worker that
    /// restarts under the same name takes them back with ``release(worker:now:)``.
    func claim(worker: String, limit: Int, lease: Duration, now: Date) async throws(PipelineError) -> ClaimResult

    /// Records outcomes, queues each chain's next step (claimed at once by `worker` when the
    /// outcome asks for it, so a chain does not wait for a claim), and ends runs whose chain ended.
    /// Returns the steps claimed for `worker` and the outcomes that were refused because their
    /// claim was lost (lease ran out and another worker took the step, or the run was cancelled).
    func finish(_ outcomes: [StepOutcome], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> FinishResult

    /// Records `outcomes` as ``finish(_:worker:lease:now:)`` does, then claims up to `limit` due steps
    /// for `worker` as ``claim(worker:limit:lease:now:)`` does: a busy worker hands back what it
    /// finished and takes new work in one call. A store that can does both in one transaction and
    /// one round trip; the default calls the two in turn, and when the claim fails after the outcomes
    /// were recorded it returns an empty claim (the outcomes stay recorded; the executor claims again).
    func finish(_ outcomes: [StepOutcome], thenClaim limit: Int, worker: String, lease: Duration,
                now: Date) async throws(PipelineError) -> (finished: FinishResult, claimed: ClaimResult)

    /// Extends the leases of `steps` held by `worker`; returns the ones whose runs were cancelled
    /// meanwhile (their actions should stop) and the ones no longer held.
    func renew(_ steps: [StepKey], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> RenewResult

    /// Gives back every claim `worker` holds, at once (a restarted worker with the same name does
    /// this before it starts, rather than waiting for its old leases to run out).
    func release(worker: String, now: Date) async throws(PipelineError) -> Int

    /// Appends output to steps' logs.
    func appendLogs(_ entries: [LogEntry], now: Date) async throws(PipelineError)

    /// The configuration, source and event a run works on.
    func context(of run: RunID) async throws(PipelineError) -> RunContext

    /// The contexts of several runs at once (those that exist), for a worker that claimed steps of
    /// many: a store on a server answers in one round trip. By default, ``context(of:)`` for each.
    func contexts(of runs: [RunID]) async throws(PipelineError) -> [RunID: RunContext]

    /// A run with its steps; `nil` when there is none.
    func run(_ id: RunID) async throws(PipelineError) -> RunDetail?

    /// Runs, newest first.
    func runs(_ query: RunQuery) async throws(PipelineError) -> [RunRecord]

    /// How many runs match `query` (its `before`, `limit` and `offset` aside): for paged lists' totals.
    func count(_ query: RunQuery) async throws(PipelineError) -> Int

    /// The run numbered `number` in `scope` (``NewRun/scope``), with its steps; `nil` when there is none.
    func run(scope: String, number: Int64) async throws(PipelineError) -> RunDetail?

    /// A run's output from byte `offset` of its whole log on, in order, in at most `limit` chunks
    /// (the first one cut to start at `offset` when `offset` falls inside it). Pass the last chunk's
    /// ``LogChunk/end`` as the next `offset`.
    func logs(run: RunID, after offset: Int64, limit: Int) async throws(PipelineError) -> [LogChunk]

    /// Cancels a run that has not finished: its queued steps are cancelled, and a worker running
    /// one of its steps learns it at its next renewal. Returns `false` when the run had finished.
    func cancel(_ run: RunID, reason: String, now: Date) async throws(PipelineError) -> Bool

    /// A stream that yields whenever new work may be due (an enqueue, a finished step that queued
    /// another, a cancellation). Workers also poll, so a missed wake-up only delays work.
    func wakeups() -> AsyncStream<Void>
}

/// A received event, stored before it is acknowledged.
public struct EventRecord: Sendable, Hashable {
    /// Where it came from: `github`, `gitlab`, `gitea`, `api`, `schedule`, …
    public var provider: String
    /// The provider's delivery id, for de-duplication; `nil` when it has none.
    public var deliveryID: String?
    /// The event's kind as the provider names it (`push`, `pull_request`, …).
    public var kind: String
    /// The body as received.
    public var body: [UInt8]

    /// Creates an event record.
    public init(provider: String, deliveryID: String?, kind: String, body: [UInt8]) {
        self.provider = provider
        self.deliveryID = deliveryID
        self.kind = kind
        self.body = body
    }
}

/// What ``RunStore/enqueue(event:runs:now:)`` stored.
public struct EnqueueResult: Sendable, Hashable {
    /// The event's key, when an event was stored.
    public var eventID: Int64?
    /// The runs, in the order given.
    public var runs: [RunRecord]
    /// Runs that were superseded by these.
    public var superseded: [RunID]
    /// The event's delivery id had been stored before; nothing was stored this time.
    public var duplicate: Bool

    /// Creates a result.
    public init(eventID: Int64?, runs: [RunRecord], superseded: [RunID], duplicate: Bool) {
        self.eventID = eventID
        self.runs = runs
        self.superseded = superseded
        self.duplicate = duplicate
    }
}

/// A step's key.
public struct StepKey: Sendable, Hashable, Codable {
    /// The run.
    public var run: RunID
    /// The step's sequence number in its run.
    public var sequence: Int
    /// Creates a key.
    public init(run: RunID, sequence: Int) {
        self.run = run
        self.sequence = sequence
    }
}

/// A step a worker claimed and must run.
public struct ClaimedStep: Sendable, Hashable {
    /// Which step.
    public var key: StepKey
    /// Where the step sits in its chain.
    public var path: StepPath
    /// This claim's attempt number, from 1; pass it back in the outcome.
    public var attempt: Int
    /// How many earlier attempts threw.
    public var failures: Int
    /// The value the action gets as `parent`.
    public var parent: Value
    /// For a handler: the result of the top-level action it hangs from, which the next top-level
    /// action gets as its parent once the handler chain ends. `nil` for a top-level action.
    public var anchor: Value?

    /// Creates a claim (stores do this).
    public init(key: StepKey, path: StepPath, attempt: Int, failures: Int, parent: Value, anchor: Value?) {
        self.key = key
        self.path = path
        self.attempt = attempt
        self.failures = failures
        self.parent = parent
        self.anchor = anchor
    }
}

/// What ``RunStore/claim(worker:limit:lease:now:)`` found.
public struct ClaimResult: Sendable, Hashable {
    /// The steps claimed (taken from the head of the queue; in no promised order).
    public var steps: [ClaimedStep]
    /// When the earliest queued step not yet due (a retry's back-off) becomes due.
    public var nextDue: Date?
    /// The contexts of the claimed steps' runs, when the store read them with the claim (a server
    /// store does, saving the executor a round trip); the executor reads any missing ones itself.
    public var contexts: [RunID: RunContext]
    /// Creates a result.
    public init(steps: [ClaimedStep], nextDue: Date?, contexts: [RunID: RunContext] = [:]) {
        self.steps = steps
        self.nextDue = nextDue
        self.contexts = contexts
    }
}

/// The next step of a chain, as the executor planned it.
public struct NextStep: Sendable, Hashable {
    /// Where the step sits in its chain.
    public var path: StepPath
    /// The action's name in its configuration.
    public var actionName: String
    /// The registered task that runs it.
    public var task: String
    /// The value the action gets as `parent`.
    public var parent: Value
    /// For a handler, the result of the top-level action it hangs from.
    public var anchor: Value?
    /// Creates a next step (``PipelineConfiguration/step(after:result:anchor:)`` does this).
    public init(path: StepPath, actionName: String, task: String, parent: Value, anchor: Value?) {
        self.path = path
        self.actionName = actionName
        self.task = task
        self.parent = parent
        self.anchor = anchor
    }
}

/// How one claimed step ended.
public struct StepOutcome: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The action returned `result`. `next` is the chain's next step (`nil`: the chain ended);
        /// `falsy` says a top-level action's result was falsy, which makes the run `failed`.
        /// `claimNext` asks the store to hand `next` straight back to this worker.
        case succeeded(result: Value, next: NextStep?, falsy: Bool, claimNext: Bool)
        /// The action threw. With `retryAt`, the step is queued again for then; without, the step
        /// and its run are errored.
        case threw(error: String, retryAt: Date?)
    }

    /// Which step.
    public var key: StepKey
    /// The attempt the outcome belongs to, as claimed.
    public var attempt: Int
    /// What happened.
    public var kind: Kind
    /// Creates an outcome.
    public init(key: StepKey, attempt: Int, kind: Kind) {
        self.key = key
        self.attempt = attempt
        self.kind = kind
    }
}

/// What ``RunStore/finish(_:worker:lease:now:)`` did.
public struct FinishResult: Sendable, Hashable {
    /// Next steps claimed for the worker at once.
    public var claimed: [ClaimedStep]
    /// Outcomes not recorded: the claim was lost or the run had ended.
    public var refused: [StepKey]
    /// Runs that ended, with their final status.
    public var finishedRuns: [RunID: RunStatus]
    /// Creates a result.
    public init(claimed: [ClaimedStep], refused: [StepKey], finishedRuns: [RunID: RunStatus]) {
        self.claimed = claimed
        self.refused = refused
        self.finishedRuns = finishedRuns
    }
}

/// What ``RunStore/renew(_:worker:lease:now:)`` found.
public struct RenewResult: Sendable, Hashable {
    /// Steps whose runs were cancelled: stop them.
    public var cancelled: Set<StepKey>
    /// Steps this worker no longer holds: stop them, their outcome will be refused.
    public var lost: Set<StepKey>
    /// Creates a result.
    public init(cancelled: Set<StepKey>, lost: Set<StepKey>) {
        self.cancelled = cancelled
        self.lost = lost
    }
}

/// Output to append to a step's log.
public struct LogEntry: Sendable, Hashable {
    /// The step whose log it extends.
    public var step: StepKey
    /// The output, already masked.
    public var text: String
    /// Creates an entry.
    public init(step: StepKey, text: String) {
        self.step = step
        self.text = text
    }
}

/// What a run works on.
public struct RunContext: Sendable, Hashable {
    /// The configuration, as it was when the run was stored.
    public var configuration: PipelineConfiguration
    /// The source.
    public var source: Source
    /// The event as received, or `.null`.
    public var event: Value
    /// The run's status when it was read.
    public var status: RunStatus
    /// Creates a context.
    public init(configuration: PipelineConfiguration, source: Source, event: Value, status: RunStatus) {
        self.configuration = configuration
        self.source = source
        self.event = event
        self.status = status
    }
}

/// Which runs to list.
public struct RunQuery: Sendable, Hashable {
    /// Only runs of this configuration.
    public var configuration: String?
    /// Only runs in one of these states.
    public var statuses: Set<RunStatus>?
    /// Only runs older than this one (for paging).
    public var before: RunID?
    /// At most this many (1 to 1,000).
    public var limit: Int
    /// Only runs of this scope (``NewRun/scope``).
    public var scope: String?
    /// Skip this many of the matching runs first (for numbered pages; `before` pages faster).
    public var offset: Int
    /// Creates a query.
    public init(configuration: String? = nil, statuses: Set<RunStatus>? = nil, before: RunID? = nil, limit: Int = 50,
                scope: String? = nil, offset: Int = 0) {
        self.configuration = configuration
        self.statuses = statuses
        self.before = before
        self.limit = limit
        self.scope = scope
        self.offset = offset
    }
}

extension RunStore {
    public func finish(_ outcomes: [StepOutcome], thenClaim limit: Int, worker: String, lease: Duration,
                       now: Date) async throws(PipelineError) -> (finished: FinishResult, claimed: ClaimResult) {
        let finished = try await finish(outcomes, worker: worker, lease: lease, now: now)
        guard limit > 0 else { return (finished, ClaimResult(steps: [], nextDue: nil)) }
        let claimed: ClaimResult
        do {
            claimed = try await claim(worker: worker, limit: limit, lease: lease, now: now)
        } catch {
            claimed = ClaimResult(steps: [], nextDue: nil)
        }
        return (finished, claimed)
    }

    public func contexts(of runs: [RunID]) async throws(PipelineError) -> [RunID: RunContext] {
        var contexts: [RunID: RunContext] = [:]
        for run in runs {
            do {
                contexts[run] = try await context(of: run)
            } catch where error.code == .notFound {
                continue
            }
        }
        return contexts
    }
}
