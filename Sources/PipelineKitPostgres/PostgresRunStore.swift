import ForgeKit
public import Foundation
public import Logging
public import PipelineKit
import PostgresNIO
import PostgresStoreSupport
import PlatformSupport

/// The ``RunStore`` for many machines: runs, steps and logs in PostgreSQL, shared by any number of
/// worker processes.
///
/// - Claims take steps with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait for one
///   another and never get the same step; a claim holds a lease, and a step whose lease ran out is
///   claimed again by another worker with its attempt count raised.
/// - Enqueue, claim and finish are server-side functions, one round trip each; a worker's batch of
///   outcomes is recorded, its chains' next steps claimed, and (``finish(_:thenClaim:worker:lease:now:)``)
///   as much new work claimed as the batch frees, in one statement; claims bring their runs' contexts.
/// - A run is stored `running` until it ends and is queued until it has a start time, so that starting
///   it changes no indexed column (PostgresRunSchema+Functions.swift).
/// - New work is announced with `NOTIFY`; ``wakeups()`` listens on a connection of its own, so
///   idle workers in other processes start at once rather than at their next poll.
/// - The schema is created and migrated on start (versioned, under an advisory lock).
/// - When the server restarts, the pool reconnects; calls that fail meanwhile throw
///   ``PipelineError/Code/store``, which the executor retries, and claims whose outcomes could not
///   be recorded run again when their leases run out.
public final class PostgresRunStore: RunStore {
    private let database: PostgresStoreDatabase
    private let logger: Logger
    private let channel: String
    private let codec = RunStoreCodec()

    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
    /// optional `?schema=NAME&sslmode=disable|prefer|require`), creates the store's schema or
    /// brings it up to date, and returns the store. `schema` overrides the URL's. A server that
    /// cannot be reached yet is tried again for up to `patience`.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 8, patience: Duration = .seconds(30),
                logger: Logger = Logger(label: "forgeworks.pipeline.postgres")) async throws(PipelineError) {
        do throws(PostgresStoreFailure) {
            database = try await .open(url: url, schema: schema, component: "pipeline-runs", migrations: PostgresRunSchema.migrations,
                                       maximumConnections: maximumConnections, patience: patience, logger: logger)
        } catch {
            throw PipelineError(.store, error.description, operation: "open run store")
        }
        self.logger = logger
        channel = "forgeworks_runs_\(database.location.schema)"
    }

    /// Where the store lives: its URL without the password, with the schema.
    public var location: String { database.location.description }

    /// Closes the store's connections.
    public func close() {
        database.close()
    }

    // MARK: - Plumbing

    private func failure(_ error: any Error, _ operation: String) -> PipelineError {
        if let error = error as? PipelineError { return error }
        // Cancelled only when this task was: PostgresNIO also reports a connection attempt it gave up as a
        // CancellationError, which is a store failure to retry, not a reason to stop.
        if error is CancellationError, Task.isCancelled { return PipelineError(.cancelled, "cancelled", operation: operation) }
        let failure = PostgresStoreFailure(operation: operation, error)
        return PipelineError(.store, failure.message, operation: operation, underlying: failure)
    }

    /// Runs `query` and decodes every row with `decode`.
    private func rows<T: Sendable>(_ operation: String, _ query: PostgresQuery,
                                   _ decode: (PostgresRow) throws -> T) async throws(PipelineError) -> [T] {
        do { return try await database.rows(query, decode) } catch { throw failure(error, operation) }
    }

    private static func value(_ text: String) throws(PipelineError) -> Value { try Value(jsonText: text) }

    public func wakeups() -> AsyncStream<Void> {
        database.wakeups(channel: channel)
    }

    // MARK: - Writing

    public func enqueue(event: EventRecord?, runs: [NewRun], now: Date) async throws(PipelineError) -> EnqueueResult {
        var documents: [Value] = []
        for run in runs {
            guard let first = run.configuration.firstStep else {
                throw PipelineError(.invalidConfiguration, "configuration '\(run.configuration.name)' has no actions", operation: "enqueue")
            }
            let (body, hash) = codec.snapshot(of: run.configuration)
            var fields: [String: Value] = [
                "hash": .string(hash), "name": .string(run.configuration.name), "body": .string(body),
                "source": .string(run.source.jsonValue.jsonText), "trigger": .string(run.trigger),
                "path": .string(first.path.description), "action": .string(first.actionName), "task": .string(first.task),
                "parent": .string(first.parent.jsonText),
            ]
            if run.event != .null { fields["event"] = .string(run.event.jsonText) }
            if let group = run.concurrencyGroup { fields["group"] = .string(group) }
            if let anchor = first.anchor { fields["anchor"] = .string(anchor.jsonText) }
            if let scope = run.scope { fields["scope"] = .string(scope) }
            documents.append(.map(fields))
        }
        let time = now.timeIntervalSince1970
        let runsJSON = Value.list(documents).jsonText
        let query: PostgresQuery = """
            SELECT o_event, o_run, o_superseded, o_duplicate, o_number FROM forgeworks_enqueue(\(time), \(event != nil), \(event?.provider),
                \(event?.deliveryID), \(event?.kind), \(event.map { ByteBuffer(bytes: $0.body) }), \(runsJSON)::jsonb)
            """
        let rows = try await rows("enqueue", query) { row in try row.decode((Int64?, Int64?, Int64?, Bool?, Int64?).self) }
        if rows.contains(where: { $0.3 == true }) {
            return EnqueueResult(eventID: nil, runs: [], superseded: [], duplicate: true)
        }
        var eventID: Int64?
        var stored: [(Int64, Int64?)] = []
        var superseded: [RunID] = []
        for row in rows {
            if let id = row.0 { eventID = id }
            if let id = row.1 { stored.append((id, row.4)) }
            if let id = row.2 { superseded.append(RunID(id)) }
        }
        guard stored.count == runs.count else {
            throw PipelineError(.store, "stored \(stored.count) of \(runs.count) runs", operation: "enqueue")
        }
        let records = zip(stored, runs).map { stored, run in
            RunRecord(id: RunID(stored.0), configurationName: run.configuration.name, status: .queued, source: run.source,
                      concurrencyGroup: run.concurrencyGroup, trigger: run.trigger, reason: nil, createdAt: now, startedAt: nil, finishedAt: nil,
                      scope: run.scope, number: stored.1)
        }
        if !records.isEmpty { database.wakeLocalListeners() }
        return EnqueueResult(eventID: eventID, runs: records, superseded: superseded, duplicate: false)
    }

    /// A row of `forgeworks_claim` joined to its run: a claimed step with its run's configuration
    /// hash, source, event and event body, or (o_run NULL) when the next queued step is due.
    private typealias ClaimRow = (Int64?, Int?, String?, Int?, Int?, String?, String?, Double?, String?, String?, String?, ByteBuffer?)

    /// The claim's columns and its runs' context columns, from `c` (the claim) (a run's hash, source
    /// and event never change, so the statement's snapshot from before the claim reads them right).
    /// Each run is looked up by its key (`OFFSET 0` keeps the lateral subquery from being flattened
    /// into a join the planner could take for a scan of every run: it cannot tell that a claim
    /// returns a few rows).
    private static let claimSelect = """
        c.o_run, c.o_sequence, c.o_path, c.o_attempt, c.o_failures, c.o_parent, c.o_anchor, c.o_next_due,
        x.configuration_hash, x.source, x.event, x.body
        FROM c LEFT JOIN LATERAL (
            SELECT r.configuration_hash, r.source, r.event, (SELECT e.body FROM events e WHERE e.id = r.event_id) AS body
            FROM runs r WHERE r.id = c.o_run OFFSET 0
        ) x ON true
        """

    private func claimResult(_ rows: [ClaimRow]) async throws(PipelineError) -> ClaimResult {
        var steps: [ClaimedStep] = []
        var nextDue: Date?
        for row in rows {
            guard let run = row.0, let sequence = row.1, let path = row.2, let attempt = row.3, let failures = row.4,
                  let parent = row.5 else {
                nextDue = row.7.map(Date.init(timeIntervalSince1970:))
                continue
            }
            steps.append(ClaimedStep(key: StepKey(run: RunID(run), sequence: sequence), path: StepPath(path) ?? StepPath(action: 0),
                                     attempt: attempt, failures: failures, parent: try Self.value(parent),
                                     anchor: try row.6.map { text throws(PipelineError) in try Self.value(text) }))
        }
        // The runs' contexts, best effort: a configuration not parsed here yet is read once (its body
        // is not sent with every claim); whatever fails here the executor reads by itself.
        let unknown = Set(rows.compactMap { row in row.8.flatMap { codec.knows(configuration: $0) ? nil : $0 } })
        var bodies: [String: String] = [:]
        if !unknown.isEmpty {
            let query: PostgresQuery = "SELECT hash, body FROM configurations WHERE hash = ANY(\(Array(unknown)))"
            for (hash, body) in (try? await database.rows(query, { row in try row.decode((String, String).self) })) ?? [] { bodies[hash] = body }
        }
        var contexts: [RunID: RunContext] = [:]
        for row in rows {
            guard let run = row.0, let hash = row.8, let source = row.9 else { continue }
            contexts[RunID(run)] = try? codec.context(of: RunID(run), hash: hash, body: bodies[hash], source: source, event: row.10,
                                                      eventBody: row.11.map { Array($0.readableBytesView) }, status: RunStatus.running.rawValue)
        }
        return ClaimResult(steps: steps, nextDue: nextDue, contexts: contexts)
    }

    public func claim(worker: String, limit: Int, lease: Duration, now: Date) async throws(PipelineError) -> ClaimResult {
        guard limit > 0 else { return ClaimResult(steps: [], nextDue: nil) }
        let time = now.timeIntervalSince1970
        let query: PostgresQuery = """
            WITH c AS (SELECT * FROM forgeworks_claim(\(worker), \(time), \(time + lease.inSeconds), \(Int64(limit))))
            SELECT \(unescaped: Self.claimSelect)
            """
        return try await claimResult(try await rows("claim", query) { row in try row.decode(ClaimRow.self) })
    }

    /// A row of `forgeworks_finish`: an outcome's run and step, what became of it, the chain's next
    /// step claimed, the run's final status.
    private typealias FinishRow = (Int64, Int, String, Int?, String?)

    /// The outcomes as `forgeworks_finish` reads them, and the next steps they ask for by key.
    private static func finishInput(_ outcomes: [StepOutcome]) -> (json: String, next: [StepKey: NextStep]) {
        var documents: [Value] = []
        var nextSteps: [StepKey: NextStep] = [:]
        for outcome in outcomes {
            var fields: [String: Value] = [
                "run": .int(Int(outcome.key.run.rawValue)), "sequence": .int(outcome.key.sequence), "attempt": .int(outcome.attempt),
            ]
            switch outcome.kind {
            case .succeeded(let result, let next, let falsy, let claimNext):
                fields["kind"] = "succeeded"
                fields["result"] = .string(result.jsonText)
                fields["falsy"] = .bool(falsy)
                fields["claim_next"] = .bool(claimNext)
                if let next {
                    nextSteps[outcome.key] = next
                    fields["next_path"] = .string(next.path.description)
                    fields["next_action"] = .string(next.actionName)
                    fields["next_task"] = .string(next.task)
                    fields["next_parent"] = .string(next.parent.jsonText)
                    if let anchor = next.anchor { fields["next_anchor"] = .string(anchor.jsonText) }
                }
            case .threw(let error, let retryAt):
                fields["kind"] = "threw"
                fields["error"] = .string(error)
                if let retryAt { fields["retry_at"] = .double(retryAt.timeIntervalSince1970) }
            }
            documents.append(.map(fields))
        }
        return (Value.list(documents).jsonText, nextSteps)
    }

    private func finishResult(_ rows: [FinishRow], next nextSteps: [StepKey: NextStep]) -> FinishResult {
        var claimed: [ClaimedStep] = []
        var refused: [StepKey] = []
        var finished: [RunID: RunStatus] = [:]
        var queuedUnclaimed = false
        for (run, sequence, outcome, next, status) in rows {
            let key = StepKey(run: RunID(run), sequence: sequence)
            switch outcome {
            case "refused":
                refused.append(key)
            case "claimed":
                if let next, let step = nextSteps[key] {
                    claimed.append(ClaimedStep(key: StepKey(run: RunID(run), sequence: next), path: step.path, attempt: 1, failures: 0,
                                               parent: step.parent, anchor: step.anchor))
                }
            case "finished":
                finished[RunID(run)] = status.flatMap(RunStatus.init(rawValue:)) ?? .errored
            default:
                queuedUnclaimed = true
            }
        }
        if queuedUnclaimed || !finished.isEmpty { database.wakeLocalListeners() }
        return FinishResult(claimed: claimed, refused: refused, finishedRuns: finished)
    }

    public func finish(_ outcomes: [StepOutcome], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> FinishResult {
        guard !outcomes.isEmpty else { return FinishResult(claimed: [], refused: [], finishedRuns: [:]) }
        let (json, nextSteps) = Self.finishInput(outcomes)
        let time = now.timeIntervalSince1970
        let query: PostgresQuery = """
            SELECT o_run, o_sequence, o_outcome, o_next, o_status
            FROM forgeworks_finish(\(worker), \(time), \(time + lease.inSeconds), \(json)::jsonb)
            """
        let rows = try await rows("finish", query) { row in try row.decode(FinishRow.self) }
        return finishResult(rows, next: nextSteps)
    }

    /// Both in one statement, so one transaction and one round trip: the finish first (its function
    /// runs when the first branch is read), then the claim, which sees what the finish recorded.
    public func finish(_ outcomes: [StepOutcome], thenClaim limit: Int, worker: String, lease: Duration,
                       now: Date) async throws(PipelineError) -> (finished: FinishResult, claimed: ClaimResult) {
        guard limit > 0 else {
            return (try await finish(outcomes, worker: worker, lease: lease, now: now), ClaimResult(steps: [], nextDue: nil))
        }
        guard !outcomes.isEmpty else {
            return (FinishResult(claimed: [], refused: [], finishedRuns: [:]), try await claim(worker: worker, limit: limit, lease: lease, now: now))
        }
        let (json, nextSteps) = Self.finishInput(outcomes)
        let time = now.timeIntervalSince1970, until = time + lease.inSeconds
        let query: PostgresQuery = """
            WITH f AS (SELECT * FROM forgeworks_finish(\(worker), \(time), \(until), \(json)::jsonb)),
                 c AS (SELECT * FROM forgeworks_claim(\(worker), \(time), \(until), \(Int64(limit))))
            SELECT true, o_run, o_sequence, o_outcome, o_next, o_status, NULL::bigint, NULL::integer, NULL::text, NULL::integer, NULL::integer,
                   NULL::text, NULL::text, NULL::double precision, NULL::text, NULL::text, NULL::text, NULL::bytea FROM f
            UNION ALL
            SELECT false, NULL, NULL, NULL, NULL, NULL, \(unescaped: Self.claimSelect)
            """
        typealias Row = (Bool, Int64?, Int?, String?, Int?, String?, Int64?, Int?, String?, Int?, Int?, String?, String?, Double?, String?,
                         String?, String?, ByteBuffer?)
        let rows = try await rows("finish and claim", query) { row in try row.decode(Row.self) }
        var finishRows: [FinishRow] = []
        var claimRows: [ClaimRow] = []
        for row in rows {
            if row.0 {
                guard let run = row.1, let sequence = row.2, let outcome = row.3 else { continue }
                finishRows.append((run, sequence, outcome, row.4, row.5))
            } else {
                claimRows.append((row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13, row.14, row.15, row.16, row.17))
            }
        }
        return (finishResult(finishRows, next: nextSteps), try await claimResult(claimRows))
    }

    public func renew(_ steps: [StepKey], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> RenewResult {
        guard !steps.isEmpty else { return RenewResult(cancelled: [], lost: []) }
        let until = now.timeIntervalSince1970 + lease.inSeconds
        let runs = steps.map(\.run.rawValue)
        let sequences = steps.map { Int64($0.sequence) }
        let query: PostgresQuery = """
            WITH held AS (
                UPDATE steps s SET lease_until = \(until)
                FROM unnest(\(runs)::bigint[], \(sequences)::bigint[]) AS k(run_id, sequence)
                WHERE s.run_id = k.run_id AND s.sequence = k.sequence AND s.state = 'running' AND s.worker = \(worker)
                RETURNING s.run_id, s.sequence)
            SELECT held.run_id, held.sequence, forgeworks_run_status(r.status, r.started_at) FROM held JOIN runs r ON r.id = held.run_id
            """
        let rows = try await rows("renew leases", query) { row in try row.decode((Int64, Int, String).self) }
        var lost = Set(steps)
        var cancelled: Set<StepKey> = []
        for (run, sequence, status) in rows {
            let key = StepKey(run: RunID(run), sequence: sequence)
            lost.remove(key)
            if status != RunStatus.running.rawValue { cancelled.insert(key) }
        }
        return RenewResult(cancelled: cancelled, lost: lost)
    }

    public func release(worker: String, now: Date) async throws(PipelineError) -> Int {
        let query: PostgresQuery = """
            WITH released AS (
                UPDATE steps SET state = 'queued', worker = NULL, lease_until = NULL, due_at = \(now.timeIntervalSince1970)
                WHERE state = 'running' AND worker = \(worker) RETURNING 1)
            SELECT count(*), CASE WHEN count(*) > 0 THEN (SELECT forgeworks_wake()::text) END FROM released
            """
        let rows = try await rows("release claims", query) { row in try row.decode((Int64, String?).self) }
        let count = Int(rows.first?.0 ?? 0)
        if count > 0 { database.wakeLocalListeners() }
        return count
    }

    public func appendLogs(_ entries: [LogEntry], now: Date) async throws(PipelineError) {
        guard !entries.isEmpty else { return }
        let runs = entries.map(\.step.run.rawValue)
        let steps = entries.map { Int64($0.step.sequence) }
        let texts = entries.map { ByteBuffer(string: $0.text) }
        let query: PostgresQuery = """
            SELECT forgeworks_append_logs(\(runs)::bigint[], \(steps)::bigint[], \(texts)::bytea[], \(now.timeIntervalSince1970))
            """
        _ = try await rows("append logs", query) { _ in () }
    }

    public func cancel(_ run: RunID, reason: String, now: Date) async throws(PipelineError) -> Bool {
        let query: PostgresQuery = "SELECT forgeworks_cancel(\(run.rawValue), \(reason), \(now.timeIntervalSince1970))"
        let rows = try await rows("cancel run", query) { row in try row.decode(String.self) }
        switch rows.first {
        case "cancelled":
            database.wakeLocalListeners()
            return true
        case "ended": return false
        default: throw PipelineError(.notFound, "no run \(run)", operation: "cancel run")
        }
    }

    // MARK: - Reading

    public func context(of run: RunID) async throws(PipelineError) -> RunContext {
        let query: PostgresQuery = """
            SELECT r.configuration_hash, c.body, r.source, r.event, forgeworks_run_status(r.status, r.started_at), e.body
            FROM runs r JOIN configurations c ON c.hash = r.configuration_hash LEFT JOIN events e ON e.id = r.event_id
            WHERE r.id = \(run.rawValue)
            """
        let rows = try await rows("read run", query) { row in try row.decode((String, String, String, String?, String, ByteBuffer?).self) }
        guard let (hash, body, sourceText, eventText, status, eventBody) = rows.first else {
            throw PipelineError(.notFound, "no run \(run)", operation: "read run")
        }
        return try codec.context(of: run, hash: hash, body: body, source: sourceText, event: eventText,
                                 eventBody: eventBody.map { Array($0.readableBytesView) }, status: status)
    }

    public func contexts(of runs: [RunID]) async throws(PipelineError) -> [RunID: RunContext] {
        guard !runs.isEmpty else { return [:] }
        let query: PostgresQuery = """
            SELECT r.id, r.configuration_hash, c.body, r.source, r.event, forgeworks_run_status(r.status, r.started_at), e.body
            FROM runs r JOIN configurations c ON c.hash = r.configuration_hash LEFT JOIN events e ON e.id = r.event_id
            WHERE r.id = ANY(\(runs.map(\.rawValue)))
            """
        let rows = try await rows("read runs", query) { row in try row.decode((Int64, String, String, String, String?, String, ByteBuffer?).self) }
        var contexts: [RunID: RunContext] = [:]
        for (id, hash, body, sourceText, eventText, status, eventBody) in rows {
            contexts[RunID(id)] = try codec.context(of: RunID(id), hash: hash, body: body, source: sourceText, event: eventText,
                                                    eventBody: eventBody.map { Array($0.readableBytesView) }, status: status)
        }
        return contexts
    }

    /// A run's columns, its status as the run has it (stored `running` until it ends: see
    /// PostgresRunSchema+Functions.swift).
    private static let runColumns = """
        id, configuration_name, forgeworks_run_status(status, started_at), source, concurrency_group, trigger, reason, created_at,
        started_at, finished_at, scope, number
        """

    private typealias RunRow = (Int64, String, String, String, String?, String, String?, Double, Double?, Double?, String?, Int64?)

    private static func runRecord(_ row: RunRow) throws(PipelineError) -> RunRecord {
        RunRecord(id: RunID(row.0), configurationName: row.1, status: RunStatus(rawValue: row.2) ?? .errored,
                  source: try Source(jsonValue: try value(row.3)), concurrencyGroup: row.4, trigger: row.5, reason: row.6,
                  createdAt: Date(timeIntervalSince1970: row.7), startedAt: row.8.map(Date.init(timeIntervalSince1970:)),
                  finishedAt: row.9.map(Date.init(timeIntervalSince1970:)), scope: row.10, number: row.11)
    }

    public func run(scope: String, number: Int64) async throws(PipelineError) -> RunDetail? {
        let ids = try await rows("read run", "SELECT id FROM runs WHERE scope = \(scope) AND number = \(number)") { row in try row.decode(Int64.self) }
        guard let id = ids.first else { return nil }
        return try await run(RunID(id))
    }

    public func count(_ query: RunQuery) async throws(PipelineError) -> Int {
        var unbounded = query
        unbounded.before = nil
        let (whereClause, bindings) = Self.conditions(unbounded)
        let rows = try await rows("count runs", PostgresQuery(unsafeSQL: "SELECT count(*) FROM runs \(whereClause)", binds: bindings)) { row in
            try row.decode(Int64.self)
        }
        return Int(rows.first ?? 0)
    }

    public func run(_ id: RunID) async throws(PipelineError) -> RunDetail? {
        let runRows = try await rows("read run", "SELECT \(unescaped: Self.runColumns) FROM runs WHERE id = \(id.rawValue)") { row in
            try row.decode(RunRow.self)
        }
        guard let runRow = runRows.first else { return nil }
        typealias StepRow = (Int, String, String, String, String, Int, Int, String?, String?, Double?, Double?)
        let stepRows = try await rows("read run", """
            SELECT sequence, path, action_name, task, state, attempts, failures, result, error, started_at, finished_at
            FROM steps WHERE run_id = \(id.rawValue) ORDER BY sequence
            """) { row in try row.decode(StepRow.self) }
        var steps: [StepRecord] = []
        for row in stepRows {
            steps.append(StepRecord(run: id, sequence: row.0, path: StepPath(row.1) ?? StepPath(action: 0), actionName: row.2, task: row.3,
                                    state: StepState(rawValue: row.4) ?? .errored, attempts: row.5, failures: row.6,
                                    result: try row.7.map { text throws(PipelineError) in try Self.value(text) }, error: row.8,
                                    startedAt: row.9.map(Date.init(timeIntervalSince1970:)),
                                    finishedAt: row.10.map(Date.init(timeIntervalSince1970:))))
        }
        return RunDetail(run: try Self.runRecord(runRow), steps: steps)
    }

    private static func conditions(_ query: RunQuery) -> (String, PostgresBindings) {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        if let scope = query.scope {
            bindings.append(scope)
            conditions.append("scope = $\(bindings.count)")
        }
        if let name = query.configuration {
            bindings.append(name)
            conditions.append("configuration_name = $\(bindings.count)")
        }
        if let statuses = query.statuses, !statuses.isEmpty {
            // Queued and running runs are both stored `running`; started ones have `started_at`.
            var either: [String] = []
            if statuses.contains(.queued) { either.append("(status = 'running' AND started_at IS NULL)") }
            if statuses.contains(.running) { either.append("(status = 'running' AND started_at IS NOT NULL)") }
            let ended = statuses.subtracting([.queued, .running])
            if !ended.isEmpty {
                bindings.append(ended.map(\.rawValue).sorted())
                either.append("status = ANY($\(bindings.count)::text[])")
            }
            conditions.append("(" + either.joined(separator: " OR ") + ")")
        }
        if let before = query.before {
            bindings.append(before.rawValue)
            conditions.append("id < $\(bindings.count)")
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), bindings)
    }

    public func runs(_ query: RunQuery) async throws(PipelineError) -> [RunRecord] {
        let (whereClause, bindings) = Self.conditions(query)
        let limit = max(1, min(query.limit, 1000)), offset = max(0, query.offset)
        let sql = "SELECT \(Self.runColumns) FROM runs \(whereClause) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)"
        let rows = try await rows("list runs", PostgresQuery(unsafeSQL: sql, binds: bindings)) { row in try row.decode(RunRow.self) }
        var records: [RunRecord] = []
        for row in rows { records.append(try Self.runRecord(row)) }
        return records
    }

    public func logs(run: RunID, after offset: Int64, limit: Int) async throws(PipelineError) -> [LogChunk] {
        let bounded = Int64(max(1, min(limit, 10_000)))
        let after = max(0, offset)
        // The chunk holding byte `after` (cut to start there), then the ones after it.
        let query: PostgresQuery = """
            (SELECT step, start, text FROM logs WHERE run_id = \(run.rawValue) AND start <= \(after) ORDER BY start DESC, id DESC LIMIT 1)
            UNION ALL
            (SELECT step, start, text FROM logs WHERE run_id = \(run.rawValue) AND start > \(after) ORDER BY start, id LIMIT \(bounded))
            """
        let chunks = try await rows("read logs", query) { row in
            let (step, start, text) = try row.decode((Int, Int64, ByteBuffer).self)
            return LogChunk(run: run, step: step, start: start, bytes: text.readableBytesView, from: after)
        }
        return Array(chunks.compactMap { $0 }.prefix(Int(bounded)))
    }
}

extension PostgresRunStore: ConfigurationStore {
    public func saveConfiguration(_ configuration: PipelineConfiguration, now: Date) async throws(PipelineError) {
        let query: PostgresQuery = """
            INSERT INTO stored_configurations (name, body, updated_at) VALUES (\(configuration.name), \(configuration.jsonValue.jsonText),
                \(now.timeIntervalSince1970))
            ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
            """
        _ = try await rows("save configuration", query) { _ in () }
    }

    public func deleteConfiguration(named name: String) async throws(PipelineError) -> Bool {
        let rows = try await rows("delete configuration", "DELETE FROM stored_configurations WHERE name = \(name) RETURNING name") { row in
            try row.decode(String.self)
        }
        return !rows.isEmpty
    }

    public func storedConfigurations() async throws(PipelineError) -> [PipelineConfiguration] {
        let rows = try await rows("read configurations", "SELECT name, body FROM stored_configurations ORDER BY name") { row in
            try row.decode((String, String).self)
        }
        let loader = ConfigurationLoader(sources: nil, tasks: nil)
        var configurations: [PipelineConfiguration] = []
        for (name, body) in rows {
            configurations += try loader.load(text: body, file: "stored configuration '\(name)'")
        }
        return configurations
    }
}

