public import ForgeKit
public import Foundation
public import Logging
import Metrics
import PlatformSupport
public import ServiceLifecycle
import Synchronization

/// Runs the chains of a ``RunStore``: claims due steps, runs their actions with their kwargs rendered,
/// records each outcome and queues the chain's next step, durably.
///
/// Any number of executors (threads in one process, or processes on several machines) can share one
/// store; each claims steps under a lease that it renews while the action runs. If the process dies,
/// its steps are claimed again when their leases run out (or at once, when a worker with the same
/// ``Options/workerID`` starts again): every action runs at least once, and its attempts are counted.
///
/// It is a swift-service-lifecycle `Service`: in a `ServiceGroup`, a graceful shutdown (SIGTERM or
/// SIGINT) stops it claiming, lets the steps it runs finish and record their outcomes, hands back
/// any claim it still holds (another worker takes it at once, without waiting for the lease), and
/// returns. Cancelling the task instead interrupts the actions; their claims stay until the lease
/// runs out or this worker starts again.
///
/// ```swift
/// let executor = PipelineExecutor(store: store, actions: .standard(.init()), options: .init(concurrency: 8))
/// try await ServiceGroup(services: [executor], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
public final class PipelineExecutor: Service, Sendable {
    /// How an executor works.
    public struct Options: Sendable {
        /// This worker's name in the store. A worker that restarts under the same name takes back
        /// its old claims at once; two live workers must never share a name.
        public var workerID: String
        /// The most steps that run at once.
        public var concurrency: Int
        /// How long a claim lasts without renewal; renewed every third of it while the action runs.
        public var lease: Duration
        /// How often to look for work when no wake-up arrives (work queued by another process on
        /// SQLite, back-offs).
        public var pollInterval: Duration
        /// The longest an action may run when its configuration sets no `timeout`.
        public var defaultTimeout: Duration
        /// Where run workspaces are made: `<workspaceRoot>/<workerID>/run-<id>`.
        public var workspaceRoot: String
        /// Variables every command gets.
        public var environment: [String: String]
        /// Secret variables every command gets; their values are masked in logs and results.
        public var secrets: [String: String]
        /// Further values masked in logs and results but given to no command (an API token the
        /// executor's own actions use, say).
        public var maskedValues: [String]
        /// The wait before the first retry of an action that threw.
        public var retryDelay: Duration
        /// The longest wait between retries (the wait doubles each time up to this).
        public var maximumRetryDelay: Duration
        /// Where commands run (``Workspace/run(_:output:)``): a bubblewrap sandbox by default.
        /// ``run()`` checks first that it works, and refuses to run anything when it does not.
        public var sandbox: Sandbox
        /// What a run's commands get besides the above, decided per run from its source (the network
        /// policy and secrets of its repository, say); nil gives every run the same.
        public var runSettings: (@Sendable (Source) async throws -> RunSettings)?
        /// Where workspaces may fetch a source's repository from when its location is a URL (webhook
        /// payloads name them): the public internet, and what an admin allowed.
        public var outbound: OutboundPolicy
        /// When set, ``PipelineExecutor/run()`` outlives a failing run store (a database restarting):
        /// it starts again after this delay instead of throwing. Unset, a store failure ends it.
        public var restartAfterStoreFailure: Duration?

        /// Options; the worker ID defaults to `host-pid`.
        public init(workerID: String? = nil, concurrency: Int = 8, lease: Duration = .seconds(30),
                    pollInterval: Duration = .seconds(1), defaultTimeout: Duration = .seconds(3600),
                    workspaceRoot: String = FileManager.default.temporaryDirectory.appendingPathComponent("forgeworks-workspaces").path,
                    environment: [String: String] = [:], secrets: [String: String] = [:], maskedValues: [String] = [],
                    retryDelay: Duration = .seconds(1), maximumRetryDelay: Duration = .seconds(300),
                    sandbox: Sandbox = Sandbox(), runSettings: (@Sendable (Source) async throws -> RunSettings)? = nil,
                    outbound: OutboundPolicy = .standard) {
            self.workerID = workerID ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
            self.concurrency = max(1, concurrency)
            self.lease = lease
            self.pollInterval = pollInterval
            self.defaultTimeout = defaultTimeout
            self.workspaceRoot = workspaceRoot
            self.environment = environment
            self.secrets = secrets
            self.maskedValues = maskedValues
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.sandbox = sandbox
            self.runSettings = runSettings
            self.outbound = outbound
        }
    }

    /// What one run's commands get besides the executor's ``Options/environment`` and
    /// ``Options/secrets`` (``Options/runSettings``).
    public struct RunSettings: Sendable, Hashable {
        /// The network its commands reach; nil takes the sandbox's.
        public var network: Sandbox.Network?
        /// Further variables.
        public var environment: [String: String]
        /// Further secret variables, masked in its logs and results.
        public var secrets: [String: String]

        /// Creates settings.
        public init(network: Sandbox.Network? = nil, environment: [String: String] = [:], secrets: [String: String] = [:]) {
            self.network = network
            self.environment = environment
            self.secrets = secrets
        }
    }

    /// The store the executor works on.
    public let store: any RunStore
    /// The actions it can run.
    public let actions: ActionRegistry
    /// How it works.
    public let options: Options
    let renderer: TemplateRenderer
    let clock: any PipelineClock
    let logger: Logger
    let masker: SecretMasker
    /// What every command gets: ``Options/environment`` with ``Options/secrets`` over it.
    let commandEnvironment: [String: String]
    /// Where this worker's runs get their workspaces: the workspace root and the worker's name, made safe.
    private let workspaceDirectory: String

    private let state = Mutex(State())
    private let signal = Signal()
    private let logBuffer = Mutex<[LogEntry]>([])

    private struct State {
        var active: [StepKey: ActiveStep] = [:]
        var running = 0
        var contexts: [RunID: RunContext] = [:]
        var workspaces: [RunID: Workspace] = [:]
        var pendingOutcomes: [(StepOutcome, CheckedContinuation<ClaimedStep?, Never>)] = []
        var flushing = false
        /// Slots a claim in flight may fill (the claim loop's, or the outcome flusher's).
        var reserved = 0
        /// Steps the outcome flusher claimed with a batch of outcomes, counted in `running`, for the
        /// claim loop to start.
        var handoff: [ClaimedStep] = []
        /// A graceful shutdown began: nothing more is claimed.
        var draining = false
    }

    private struct ActiveStep {
        var task: Task<Value, any Error>?
        var deadline: Date
        var stop: StopReason?
    }

    private enum StopReason: Sendable {
        case timeout, cancelled, lost
    }

    /// Creates an executor.
    public init(store: any RunStore, actions: ActionRegistry, options: Options = Options(),
                renderer: TemplateRenderer = TemplateRenderer(), clock: any PipelineClock = SystemPipelineClock(),
                logger: Logger = Logger(label: "forgeworks.pipeline.executor")) {
        self.store = store
        self.actions = actions
        self.options = options
        self.renderer = renderer
        self.clock = clock
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.workerID)"
        self.logger = logger
        self.masker = SecretMasker(Array(options.secrets.values) + options.maskedValues)
        self.commandEnvironment = options.environment.merging(options.secrets) { _, secret in secret }
        let safe = options.workerID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        self.workspaceDirectory = (options.workspaceRoot as NSString).appendingPathComponent(String(safe))
    }

    /// Works until the calling task is cancelled or the service group shuts down gracefully. Takes
    /// back this worker's old claims first.
    public func run() async throws {
        while true {
            do {
                try await work(untilIdle: false)
                return
            } catch let error as PipelineError where (error.code == .store || error.code == .cancelled) && !Task.isCancelled && !isDraining {
                // A `cancelled` store error while this task is not cancelled is the store giving up a
                // connection (a database restarting): retried like any store failure.
                guard let delay = options.restartAfterStoreFailure else { throw error }
                logger.warning("the run store failed; starting again", metadata: ["error": "\(error)", "after": "\(delay)"])
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                } catch {
                    return
                }
            }
        }
    }

    /// Works until no step is due or running (steps waiting for a retry's back-off are waited for),
    /// then returns. For one-shot tools and tests.
    public func runUntilIdle() async throws {
        try await work(untilIdle: true)
    }


    private func work(untilIdle: Bool) async throws {
        if options.sandbox.isIsolated {
            try await options.sandbox.check()
        } else {
            logger.critical("commands run WITHOUT a sandbox, as this process's user with its files: for trusted single-user use only")
        }
        let released = try await store.release(worker: options.workerID, now: clock.now())
        if released > 0 {
            logger.notice("took back claims of a previous run of this worker", metadata: ["steps": "\(released)"])
        }
        let leftovers = Sandbox.killLeftovers(under: workspaceDirectory)
        if leftovers > 0 {
            logger.notice("stopped sandboxes left running by a previous run of this worker", metadata: ["processes": "\(leftovers)"])
        }
        try? FileManager.default.removeItem(atPath: workspaceDirectory)
        defer {
            let workspaces = state.withLock { state in
                defer { state.workspaces.removeAll() }
                return Array(state.workspaces.values)
            }
            for workspace in workspaces { workspace.remove() }
        }
        let wakeups = store.wakeups()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [signal] in
                for await _ in wakeups { signal.fire() }
            }
            group.addTask { try await self.superviseLoop() }
            defer { group.cancelAll() }
            try await withGracefulShutdownHandler {
                try await self.claimLoop(untilIdle: untilIdle)
            } onGracefulShutdown: {
                self.state.withLock { $0.draining = true }
                self.signal.fire()
            }
        }
        let draining = isDraining
        if draining || Task.isCancelled {
            // Draining: every step this worker ran has recorded its outcome, and a claim beyond them goes
            // back. Cancelled: the interrupted steps' claims go back, so that another worker runs them
            // now rather than when their leases run out. (In a task of its own: this one is cancelled.)
            let store = self.store, worker = options.workerID, now = clock.now()
            let released = await Task { (try? await store.release(worker: worker, now: now)) ?? 0 }.value
            logger.notice(draining ? "stopped gracefully" : "stopped", metadata: ["claims handed back": "\(released)"])
        }
    }

    /// This worker's running-steps gauge.
    private var stepsRunning: Gauge { PipelineMetrics.stepsRunning(("worker", options.workerID)) }

    /// Whether a graceful shutdown has begun.
    private var isDraining: Bool { state.withLock { $0.draining } }

    private func claimLoop(untilIdle: Bool) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled && !isDraining {
                // Steps claimed together with a batch of outcomes (flushOutcomes) start here, in this group.
                let handed = state.withLock { state in
                    defer { state.handoff.removeAll(keepingCapacity: true) }
                    return state.handoff
                }
                if !handed.isEmpty {
                    await prefetchContexts(of: handed)
                    for step in handed {
                        group.addTask { await self.execute(step) }
                    }
                }
                let (runningBefore, free) = state.withLock { state -> (Int, Int) in
                    let free = max(0, options.concurrency - state.running - state.reserved)
                    state.reserved += free
                    return (state.running, free)
                }
                var nextDue: Date?
                if free > 0 {
                    let claimed: Result<ClaimResult, PipelineError>
                    do {
                        claimed = .success(try await store.claim(worker: options.workerID, limit: free, lease: options.lease, now: clock.now()))
                    } catch let error as PipelineError {
                        claimed = .failure(error)
                    }
                    let running = state.withLock { state in
                        state.reserved -= free
                        state.running += (try? claimed.get())?.steps.count ?? 0
                        return state.running
                    }
                    let claim: ClaimResult
                    switch claimed {
                    case .success(let result):
                        claim = result
                    case .failure(let error) where error.code == .cancelled:
                        throw error
                    case .failure(let error):
                        // A busy or unreachable database is not the end of the worker: try again shortly.
                        logger.warning("cannot claim work; retrying", metadata: ["error": "\(error)"])
                        await signal.wait(until: clock.now().addingTimeInterval(options.pollInterval.inSeconds), clock: clock)
                        continue
                    }
                    nextDue = claim.nextDue
                    if !claim.steps.isEmpty {
                        remember(claim.contexts)
                        await prefetchContexts(of: claim.steps)
                        stepsRunning.record(running)
                        for step in claim.steps {
                            group.addTask { await self.execute(step) }
                        }
                        continue
                    }
                    // Nothing ran before the claim, so every outcome was recorded before it: when it
                    // found nothing and nothing waits for a back-off, the store is idle.
                    if untilIdle && runningBefore == 0 && nextDue == nil { return }
                }
                var deadline = clock.now().addingTimeInterval(options.pollInterval.inSeconds)
                if let nextDue, nextDue < deadline { deadline = nextDue }
                await signal.wait(until: deadline, clock: clock)
            }
        }
    }

    /// Renews leases, stops steps that ran out of time or whose runs were cancelled, flushes logs.
    private func superviseLoop() async throws {
        var lastRenewal = clock.now()
        let renewEvery = options.lease.inSeconds / 3
        var lastDepth = ContinuousClock.now - .seconds(60)
        let depth = PipelineMetrics.queueDepth()
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(100))
            // Counting queued runs is a query: made only when the process exports metrics.
            if ContinuousClock.now - lastDepth >= .seconds(15), !(MetricsSystem.factory is NOOPMetricsHandler) {
                lastDepth = ContinuousClock.now
                if let queued = try? await store.runs(RunQuery(statuses: [.queued], limit: 1_000)) { depth.record(queued.count) }
            }
            let now = clock.now()
            state.withLock { state in
                for (key, step) in state.active where step.stop == nil && step.deadline <= now {
                    state.active[key]?.stop = .timeout
                    step.task?.cancel()
                }
            }
            await flushLogs()
            guard now.timeIntervalSince(lastRenewal) >= renewEvery else { continue }
            lastRenewal = now
            let keys = state.withLock { Array($0.active.keys) }
            guard !keys.isEmpty else { continue }
            do {
                let renewal = try await store.renew(keys, worker: options.workerID, lease: options.lease, now: now)
                state.withLock { state in
                    for key in renewal.cancelled.union(renewal.lost) {
                        guard let step = state.active[key], step.stop == nil else { continue }
                        state.active[key]?.stop = renewal.lost.contains(key) ? .lost : .cancelled
                        step.task?.cancel()
                    }
                }
            } catch {
                logger.warning("cannot renew leases", metadata: ["error": "\(error)"])
            }
        }
    }

    private func flushLogs() async {
        let entries = logBuffer.withLock { buffer in
            defer { buffer.removeAll() }
            return buffer
        }
        guard !entries.isEmpty else { return }
        do {
            try await store.appendLogs(entries, now: clock.now())
        } catch {
            logger.warning("cannot store output", metadata: ["error": "\(error)", "chunks": "\(entries.count)"])
        }
    }

    /// Runs a claimed step, then the steps of the same chain the store hands straight back.
    private func execute(_ first: ClaimedStep) async {
        var current: ClaimedStep? = first
        while let step = current {
            // Draining: a next step the store claimed with the last outcome is handed back, not run.
            if step.key != first.key && isDraining { break }
            // No outcome: the executor is shutting down; the claim stays and is taken back later.
            guard let outcome = await perform(step) else { break }
            current = await submit(outcome)
        }
        stepsRunning.record(state.withLock { $0.running -= 1; return $0.running })
        signal.fire()
    }

    /// Caches contexts a store read with a claim.
    private func remember(_ contexts: [RunID: RunContext]) {
        guard !contexts.isEmpty else { return }
        state.withLock { state in
            if state.contexts.count + contexts.count > 4096 { state.contexts.removeAll(keepingCapacity: true) }
            state.contexts.merge(contexts) { _, new in new }
        }
    }

    /// Reads the contexts of a claim's runs that are not cached in one call (one round trip on a
    /// server), instead of one read per step; a failure leaves each step to read its own.
    private func prefetchContexts(of steps: [ClaimedStep]) async {
        let missing = Set(steps.map(\.key.run)).filter { run in state.withLock { $0.contexts[run] == nil } }
        guard missing.count > 1, let contexts = try? await store.contexts(of: Array(missing)) else { return }
        remember(contexts)
    }

    private func context(of run: RunID) async throws -> RunContext {
        if let cached = state.withLock({ $0.contexts[run] }) { return cached }
        let context = try await store.context(of: run)
        state.withLock { state in
            // Runs that move on to other workers never finish here; keep the cache bounded.
            if state.contexts.count >= 4096 { state.contexts.removeAll(keepingCapacity: true) }
            state.contexts[run] = context
        }
        return context
    }

    /// The run's workspace on this worker, made on first use with the run's settings.
    private func workspace(for run: RunID, source: Source) async throws -> Workspace {
        if let workspace = state.withLock({ $0.workspaces[run] }) { return workspace }
        let settings = try await options.runSettings?(source) ?? RunSettings()
        var environment = commandEnvironment
        // (Merged only when there is something to merge: the executor's environment is shared, not copied, otherwise.)
        if !settings.environment.isEmpty { environment.merge(settings.environment) { $1 } }
        if !settings.secrets.isEmpty { environment.merge(settings.secrets) { $1 } }
        let masker = settings.secrets.isEmpty ? self.masker : SecretMasker(self.masker.secrets + Array(settings.secrets.values))
        let made = Workspace(directory: (workspaceDirectory as NSString).appendingPathComponent("run-\(run)"), source: source,
                             environment: environment, masker: masker, logger: logger, sandbox: options.sandbox, network: settings.network,
                             outbound: options.outbound)
        return state.withLock { state in
            if let workspace = state.workspaces[run] { return workspace }
            state.workspaces[run] = made
            return made
        }
    }

    private func retryDelay(afterFailures failures: Int) -> Double {
        let base = options.retryDelay.inSeconds
        let delay = base * pow(2, Double(max(0, failures - 1)))
        return min(delay, options.maximumRetryDelay.inSeconds)
    }

    private func perform(_ step: ClaimedStep) async -> StepOutcome? {
        let key = step.key
        func fail(_ message: String, retryable: Bool, failures: Int, retries: Int) -> StepOutcome {
            let masked = masker.mask(message)
            if retryable && failures < retries {
                let retryAt = clock.now().addingTimeInterval(retryDelay(afterFailures: failures + 1))
                return StepOutcome(key: key, attempt: step.attempt, kind: .threw(error: masked, retryAt: retryAt))
            }
            return StepOutcome(key: key, attempt: step.attempt, kind: .threw(error: masked, retryAt: nil))
        }
        let context: RunContext
        var delay = Duration.milliseconds(100)
        var attempt = 0
        while true {
            do {
                context = try await self.context(of: key.run)
                break
            } catch let error as PipelineError where error.code == .store && attempt < 8 {
                // An unreachable or restarting database fails the read, not the run: try again.
                attempt += 1
                logger.warning("cannot read the run; retrying", metadata: ["run": "\(key.run)", "error": "\(error)"])
                do { try await clock.sleep(until: clock.now().addingTimeInterval(delay.inSeconds)) } catch { return nil }
                delay = min(delay * 2, .seconds(2))
            } catch {
                if Task.isCancelled { return nil }
                return fail("cannot read the run: \(error)", retryable: false, failures: step.failures, retries: 0)
            }
        }
        guard let spec = context.configuration.action(at: step.path) else {
            return fail("the configuration has no action at \(step.path)", retryable: false, failures: step.failures, retries: 0)
        }
        guard let action = actions.action(named: spec.task) else {
            return fail("no action is registered as '\(spec.task)'", retryable: false, failures: step.failures, retries: 0)
        }
        var stepLogger = logger
        // Both keys in one assignment: a handler may render its metadata on every change (StreamLogHandler does).
        var metadata = stepLogger.handler.metadata
        metadata["run"] = "\(key.run)"
        metadata["action"] = "\(spec.name)"
        stepLogger.handler.metadata = metadata
        let kwargs: [String: Value]
        do {
            kwargs = try renderKwargs(spec, action: action, step: step, context: context)
        } catch {
            return fail("\(error)", retryable: false, failures: step.failures, retries: 0)
        }
        let workspace: Workspace
        do {
            workspace = try await self.workspace(for: key.run, source: context.source)
        } catch {
            if Task.isCancelled { return nil }
            return fail("cannot prepare the run's settings: \(error)", retryable: true, failures: step.failures, retries: max(spec.retries, 3))
        }
        let runMasker = workspace.masker
        let output = ActionOutput { [self] text in
            let masked = runMasker.mask(text)
            logBuffer.withLock { $0.append(LogEntry(step: key, text: masked)) }
        }
        let actionContext = ActionContext(
            run: key.run, configuration: context.configuration.name, actionName: spec.name, path: step.path,
            attempt: step.attempt, kwargs: kwargs, parent: step.parent, source: context.source, event: context.event,
            workspace: workspace, output: output, logger: stepLogger)
        if step.key.sequence == 0 && step.attempt == 1 { PipelineMetrics.runsStarted().increment() }
        let started = ContinuousClock.now
        defer {
            let outcome = Task.isCancelled ? "interrupted" : "finished"
            PipelineMetrics.stepDuration(("task", spec.task), ("outcome", outcome)).record(duration: ContinuousClock.now - started)
        }
        let timeout = spec.timeout ?? options.defaultTimeout.inSeconds
        let deadline = clock.now().addingTimeInterval(timeout)
        let task = state.withLock { state -> Task<Value, any Error> in
            let task = Task { try await action.run(actionContext) }
            state.active[key] = ActiveStep(task: task, deadline: deadline)
            return task
        }
        let result: Result<Value, any Error>
        do {
            result = .success(try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            })
        } catch {
            result = .failure(error)
        }
        let stop = state.withLock { $0.active.removeValue(forKey: key)?.stop }
        if logBuffer.withLock({ !$0.isEmpty }) { await flushLogs() }
        if Task.isCancelled && stop == nil, case .failure = result {
            // Interrupted by a shutdown, not failed: leave the claim for the next start.
            stepLogger.notice("action interrupted by shutdown; it will run again")
            return nil
        }
        switch (result, stop) {
        case (_, .timeout?):
            return fail("the action ran longer than \(timeout) s", retryable: true, failures: step.failures, retries: spec.retries)
        case (_, .cancelled?), (_, .lost?):
            return StepOutcome(key: key, attempt: step.attempt, kind: .threw(error: "cancelled", retryAt: nil))
        case (.success(let value), nil):
            let masked = runMasker.mask(value)
            let next = context.configuration.step(after: step.path, result: masked, anchor: step.anchor)
            let falsy = step.path.handlers.isEmpty && !masked.isTruthy
            return StepOutcome(key: key, attempt: step.attempt, kind: .succeeded(result: masked, next: next, falsy: falsy, claimNext: !isDraining))
        case (.failure(let error), nil):
            stepLogger.info("action threw", metadata: ["error": "\(runMasker.mask(String(describing: error)))"])
            return fail(runMasker.mask(String(describing: error)), retryable: true, failures: step.failures, retries: spec.retries)
        }
    }

    /// Hands an outcome to the store in a batch with whatever else finished meanwhile (group
    /// commit), and returns the chain's next step when the store claimed it for this worker.
    private func submit(_ outcome: StepOutcome) async -> ClaimedStep? {
        await withCheckedContinuation { continuation in
            let startFlusher = state.withLock { state -> Bool in
                state.pendingOutcomes.append((outcome, continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if startFlusher {
                Task { await self.flushOutcomes() }
            }
        }
    }

    private func flushOutcomes() async {
        while true {
            let batch = state.withLock { state -> [(StepOutcome, CheckedContinuation<ClaimedStep?, Never>)] in
                defer { state.pendingOutcomes.removeAll(keepingCapacity: true) }
                if state.pendingOutcomes.isEmpty { state.flushing = false }
                return state.pendingOutcomes
            }
            guard !batch.isEmpty else { return }
            // The slots these outcomes free (their chains end here), and any free already, are filled
            // in the same call: one transaction hands back the outcomes and takes new work.
            let ending = batch.count { item in
                if case .succeeded(_, .some, _, true) = item.0.kind { return false }
                return true
            }
            let limit = state.withLock { state -> Int in
                guard !state.draining else { return 0 }
                let free = max(0, options.concurrency - state.running - state.reserved + ending)
                state.reserved += free
                return free
            }
            var result: FinishResult?
            var taken: [ClaimedStep] = []
            for attempt in 0..<5 {
                do {
                    let both = try await store.finish(batch.map(\.0), thenClaim: limit, worker: options.workerID, lease: options.lease,
                                                      now: clock.now())
                    result = both.finished
                    taken = both.claimed.steps
                    remember(both.claimed.contexts)
                    break
                } catch {
                    logger.warning("cannot record outcomes", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
                    try? await Task.sleep(for: .milliseconds(100 << attempt))
                }
            }
            state.withLock { state in
                state.reserved -= limit
                state.running += taken.count
                state.handoff += taken
            }
            if !taken.isEmpty { signal.fire() }
            var claimedByRun: [RunID: ClaimedStep] = [:]
            if let result {
                for step in result.claimed { claimedByRun[step.key.run] = step }
                let finished = Set(result.finishedRuns.keys).union(result.refused.map(\.run))
                if !finished.isEmpty {
                    let workspaces = state.withLock { state -> [Workspace] in
                        var removed: [Workspace] = []
                        for run in finished {
                            state.contexts.removeValue(forKey: run)
                            if let workspace = state.workspaces.removeValue(forKey: run) { removed.append(workspace) }
                        }
                        return removed
                    }
                    for workspace in workspaces { workspace.remove() }
                }
                for (run, status) in result.finishedRuns {
                    logger.debug("run finished", metadata: ["run": "\(run)", "status": "\(status.rawValue)"])
                    PipelineMetrics.runsFinished(("status", status.rawValue)).increment()
                }
            }
            // Without a result the steps stay claimed; their leases run out and they run again.
            for (outcome, continuation) in batch {
                continuation.resume(returning: claimedByRun[outcome.key.run])
            }
        }
    }
}

/// A wake-up flag: `fire` wakes the waiter, or the next one when nobody waits.
private final class Signal: Sendable {
    private let state = Mutex<(fired: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.fired = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when fired (or already fired since the last wait), at `deadline`, or when cancelled.
    func wait(until deadline: Date, clock: any PipelineClock) async {
        if state.withLock({ state in defer { state.fired = false }; return state.fired }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await clock.sleep(until: deadline)
                self.fire()
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.fired {
                            state.fired = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.fire()
            }
            group.cancelAll()
        }
        state.withLock { $0.fired = false }
    }
}
