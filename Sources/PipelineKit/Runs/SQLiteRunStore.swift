import ForgeKit
public import Foundation
import GRDB
public import Logging
import Synchronization
import PlatformSupport
import SQLiteStoreSupport

/// The embedded ``RunStore``: one SQLite file in WAL mode (through GRDB), safe for several
/// processes on one machine. Event bodies are appended to a second file beside it,
/// `<path>-events`; back the two up together.
///
/// Every change is one immediate transaction. With `synchronous = NORMAL` (the default here) a
/// commit survives a crash of the process (kill -9) but not necessarily a power cut; pass
/// `durability: .full` to fsync every commit. WAL checkpoints run beside the writer instead of
/// stalling it.
public final class SQLiteRunStore: RunStore {
    /// How hard each commit is pushed to disk.
    public enum Durability: Sendable {
        /// Commits survive the process crashing; a power cut may lose the last ones (WAL, synchronous=NORMAL).
        case process
        /// Every commit is fsynced (synchronous=FULL).
        case full
    }

    private let database: SQLiteDatabase
    private let bodies: EventBodyFile
    private let syncsBodies: Bool
    private let logger: Logger
    private let listeners = Mutex<[UInt64: AsyncStream<Void>.Continuation]>([:])
    private let nextListener = Atomic<UInt64>(0)
    private let codec = RunStoreCodec()

    /// Opens (creating it, and its folder, when needed) the store at `path` and brings its schema up to date.
    public init(path: String, durability: Durability = .process,
                logger: Logger = Logger(label: "forgeworks.pipeline.store")) throws(PipelineError) {
        SQLiteDatabase.createFolder(of: path)
        let bodies = try EventBodyFile(path: path + "-events")
        // Without a sync per commit, the bodies are synced before each checkpoint: a row that reaches
        // the database file then has its body on disk.
        var options = SQLiteDatabase.Options()
        options.synchronous = durability == .full ? "FULL" : "NORMAL"
        options.checkpointsBesideWriter = true
        if durability != .full { options.beforeCheckpoint = { () throws in try bodies.sync() } }
        // A 64 MiB page cache and memory-mapped reads: the hot tables stay in memory.
        options.cacheKiB = 65536
        options.memoryMapBytes = 268_435_456
        do {
            database = try SQLiteDatabase(path: path, options: options, migrator: Self.migrator, logger: logger)
        } catch {
            throw PipelineError(.store, "cannot open \(path): \(error)", operation: "open run store")
        }
        self.bodies = bodies
        self.syncsBodies = durability == .full
        self.logger = logger
    }


    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE configurations (
                    hash TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    provider TEXT NOT NULL,
                    delivery_id TEXT,
                    kind TEXT NOT NULL,
                    body BLOB NOT NULL,
                    received_at REAL NOT NULL
                );
                CREATE UNIQUE INDEX events_delivery ON events(provider, delivery_id) WHERE delivery_id IS NOT NULL;
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    configuration_name TEXT NOT NULL,
                    configuration_hash TEXT NOT NULL REFERENCES configurations(hash),
                    event_id INTEGER REFERENCES events(id),
                    source TEXT NOT NULL,
                    event TEXT,
                    status TEXT NOT NULL,
                    concurrency_group TEXT,
                    trigger TEXT NOT NULL,
                    reason TEXT,
                    any_falsy INTEGER NOT NULL DEFAULT 0,
                    step_count INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL
                );
                CREATE INDEX runs_configuration ON runs(configuration_name, id);
                CREATE INDEX runs_active_group ON runs(concurrency_group, status)
                    WHERE concurrency_group IS NOT NULL AND status IN ('queued', 'running');
                CREATE TABLE steps (
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    sequence INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    action_name TEXT NOT NULL,
                    task TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    parent TEXT NOT NULL,
                    anchor TEXT,
                    result TEXT,
                    error TEXT,
                    worker TEXT,
                    lease_until REAL,
                    due_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    PRIMARY KEY (run_id, sequence)
                ) WITHOUT ROWID;
                CREATE INDEX steps_queued ON steps(due_at) WHERE state = 'queued';
                CREATE INDEX steps_running ON steps(lease_until) WHERE state = 'running';
                CREATE INDEX steps_worker ON steps(worker) WHERE state = 'running';
                CREATE TABLE logs (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX logs_run ON logs(run_id, id);
                """)
        }
        migrator.registerMigration("v2-stored-configurations") { db in
            try db.execute(sql: """
                CREATE TABLE stored_configurations (
                    name TEXT PRIMARY KEY,
                    body TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3-event-bodies-in-file") { db in
            // New events keep an empty `body` and point into `<database>-events`; older rows keep theirs.
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN body_offset INTEGER;
                ALTER TABLE events ADD COLUMN body_length INTEGER;
                ALTER TABLE events ADD COLUMN body_checksum INTEGER;
                """)
        }
        migrator.registerMigration("v4-scopes-and-log-offsets") { db in
            // Runs numbered within a scope (a repository); each log chunk knows its byte offset in
            // the run's whole log, computed here for chunks written before.
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN scope TEXT;
                ALTER TABLE runs ADD COLUMN number INTEGER;
                CREATE UNIQUE INDEX runs_scope_number ON runs(scope, number) WHERE scope IS NOT NULL;
                ALTER TABLE logs ADD COLUMN start INTEGER NOT NULL DEFAULT 0;
                WITH offsets AS (
                    SELECT id, SUM(length(CAST(text AS BLOB))) OVER (PARTITION BY run_id ORDER BY id) - length(CAST(text AS BLOB)) AS start
                    FROM logs
                )
                UPDATE logs SET start = offsets.start FROM offsets WHERE offsets.id = logs.id;
                DROP INDEX logs_run;
                CREATE INDEX logs_run_start ON logs(run_id, start);
                """)
        }
        return migrator
    }

    // MARK: - Writing

    fileprivate func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(PipelineError) -> T {
        try await database.write(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    fileprivate func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(PipelineError) -> T {
        try await database.read(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    private static func failure(_ error: any Error & Sendable, cancelled: Bool, _ operation: String) -> PipelineError {
        cancelled ? PipelineError(.cancelled, "cancelled", operation: operation, underlying: error)
            : PipelineError(.store, "\(error)", operation: operation, underlying: error)
    }

    private func notify() {
        listeners.withLock { listeners in
            for continuation in listeners.values { continuation.yield() }
        }
    }

    public func wakeups() -> AsyncStream<Void> {
        let id = nextListener.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        listeners.withLock { $0[id] = continuation }
        return stream
    }

    /// An enqueue waiting for its transaction.
    private struct PendingEnqueue: Sendable {
        struct Run: Sendable {
            var run: NewRun
            var first: NextStep
            var body: String
            var hash: String
            var source: String
            var event: String?
        }
        var event: EventRecord?
        /// The CRC-32 of the event's body.
        var checksum: UInt32
        var runs: [Run]
        var now: Date
    }

    private typealias EnqueueWaiter = CheckedContinuation<Result<EnqueueResult, PipelineError>, Never>
    private let pendingEnqueues = Mutex<(waiting: [(PendingEnqueue, EnqueueWaiter)], flushing: Bool)>(([], false))
    /// Hashes of configuration snapshots this store has committed (rows of `configurations` are never
    /// deleted), so that their insert is not repeated for every run.
    private let committedSnapshots = Mutex<Set<String>>([])

    /// Stores the event and its runs. Concurrent calls share transactions (group commit): each call
    /// still returns only after its own rows are committed.
    public func enqueue(event: EventRecord?, runs: [NewRun], now: Date) async throws(PipelineError) -> EnqueueResult {
        var prepared: [PendingEnqueue.Run] = []
        for run in runs {
            guard let first = run.configuration.firstStep else {
                throw PipelineError(.invalidConfiguration, "configuration '\(run.configuration.name)' has no actions", operation: "enqueue")
            }
            let (body, hash) = codec.snapshot(of: run.configuration)
            prepared.append(PendingEnqueue.Run(run: run, first: first, body: body, hash: hash, source: run.source.jsonValue.jsonText,
                                               event: run.event == .null ? nil : run.event.jsonText))
        }
        let pending = PendingEnqueue(event: event, checksum: event.map { CRC32.checksum($0.body) } ?? 0, runs: prepared, now: now)
        let result = await withCheckedContinuation { (continuation: EnqueueWaiter) in
            let start = pendingEnqueues.withLock { state -> Bool in
                state.waiting.append((pending, continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if start { Task { await self.flushEnqueues() } }
        }
        return try result.get()
    }

    private func flushEnqueues() async {
        while true {
            let batch = pendingEnqueues.withLock { state -> [(PendingEnqueue, EnqueueWaiter)] in
                defer { state.waiting.removeAll(keepingCapacity: true) }
                if state.waiting.isEmpty { state.flushing = false }
                return state.waiting
            }
            guard !batch.isEmpty else { return }
            let requests = batch.map(\.0)
            let known = committedSnapshots.withLock { $0 }
            let bodies = self.bodies, sync = syncsBodies
            do {
                let results = try await write("enqueue") { db -> [EnqueueResult] in
                    // The bodies of the events stored go to the end of the bodies file in one write, before the commit.
                    let start = try bodies.end()
                    var appended: [UInt8] = []
                    appended.reserveCapacity(requests.reduce(0) { $0 + ($1.event?.body.count ?? 0) })
                    let results = try requests.map { try Self.insert(db, $0, knownSnapshots: known, bodiesAt: start, appended: &appended) }
                    if !appended.isEmpty { try bodies.write(appended, at: start, sync: sync) }
                    return results
                }
                committedSnapshots.withLock { hashes in
                    if hashes.count > 10_000 { hashes.removeAll() }
                    for (request, result) in zip(requests, results) where !result.duplicate {
                        for run in request.runs { hashes.insert(run.hash) }
                    }
                }
                if results.contains(where: { !$0.runs.isEmpty }) { notify() }
                for (index, (_, waiter)) in batch.enumerated() { waiter.resume(returning: .success(results[index])) }
            } catch {
                for (_, waiter) in batch { waiter.resume(returning: .failure(error)) }
            }
        }
    }

    /// Inserts one enqueue's rows; the event's body is added to `appended`, which will be written at
    /// `start` in the bodies file.
    private static func insert(_ db: Database, _ request: PendingEnqueue, knownSnapshots: Set<String>,
                               bodiesAt start: Int64, appended: inout [UInt8]) throws -> EnqueueResult {
        let time = request.now.timeIntervalSince1970
        var eventID: Int64?
        if let event = request.event {
            // One statement both stores the event and detects a repeated delivery (the unique index).
            try db.cachedStatement(sql: """
                INSERT INTO events (provider, delivery_id, kind, body, body_offset, body_length, body_checksum, received_at)
                VALUES (?, ?, ?, X'', ?, ?, ?, ?)
                ON CONFLICT (provider, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING
                """).execute(arguments: [event.provider, event.deliveryID, event.kind, start + Int64(appended.count), event.body.count,
                                         Int64(request.checksum), time])
            guard db.changesCount > 0 else {
                return EnqueueResult(eventID: nil, runs: [], superseded: [], duplicate: true)
            }
            eventID = db.lastInsertedRowID
            appended.append(contentsOf: event.body)
        }
        var records: [RunRecord] = []
        var superseded: [RunID] = []
        for prepared in request.runs {
            let run = prepared.run
            if !knownSnapshots.contains(prepared.hash) {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO configurations (hash, name, body) VALUES (?, ?, ?)")
                    .execute(arguments: [prepared.hash, run.configuration.name, prepared.body])
            }
            if let group = run.concurrencyGroup {
                let older = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM runs WHERE concurrency_group = ? AND status = 'queued'"),
                                               arguments: [group])
                for id in older {
                    try endRun(db, id: id, status: .superseded, reason: "superseded by a newer run of group '\(group)'", time: time)
                    superseded.append(RunID(id))
                }
            }
            var number: Int64?
            if let scope = run.scope {
                number = try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(number), 0) + 1 FROM runs WHERE scope = ?"),
                                            arguments: [scope]) ?? 1
            }
            try db.cachedStatement(sql: """
                INSERT INTO runs (configuration_name, configuration_hash, event_id, source, event, status, concurrency_group,
                                  trigger, step_count, created_at, scope, number) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, 1, ?, ?, ?)
                """).execute(arguments: [run.configuration.name, prepared.hash, eventID, prepared.source, prepared.event,
                                         run.concurrencyGroup, run.trigger, time, run.scope, number])
            let id = db.lastInsertedRowID
            try insertStep(db, run: id, sequence: 0, step: prepared.first, state: .queued, worker: nil, leaseUntil: nil, time: time)
            records.append(RunRecord(id: RunID(id), configurationName: run.configuration.name, status: .queued, source: run.source,
                                     concurrencyGroup: run.concurrencyGroup, trigger: run.trigger, reason: nil,
                                     createdAt: request.now, startedAt: nil, finishedAt: nil, scope: run.scope, number: number))
        }
        return EnqueueResult(eventID: eventID, runs: records, superseded: superseded, duplicate: false)
    }

    private static func insertStep(_ db: Database, run: Int64, sequence: Int, step: NextStep, state: StepState,
                                   worker: String?, leaseUntil: Double?, time: Double) throws {
        try db.cachedStatement(sql: """
            INSERT INTO steps (run_id, sequence, path, action_name, task, state, attempts, parent, anchor, worker, lease_until,
                               due_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [run, sequence, step.path.description, step.actionName, step.task, state.rawValue,
                                     state == .running ? 1 : 0, step.parent.jsonText, step.anchor?.jsonText, worker, leaseUntil,
                                     time, state == .running ? time : nil])
    }

    private static func endRun(_ db: Database, id: Int64, status: RunStatus, reason: String?, time: Double) throws {
        try db.cachedStatement(sql: "UPDATE runs SET status = ?, reason = coalesce(?, reason), finished_at = ? WHERE id = ?")
            .execute(arguments: [status.rawValue, reason, time, id])
        try db.cachedStatement(sql: "UPDATE steps SET state = 'cancelled', finished_at = ?, worker = NULL WHERE run_id = ? AND state = 'queued'")
            .execute(arguments: [time, id])
    }

    public func claim(worker: String, limit: Int, lease: Duration, now: Date) async throws(PipelineError) -> ClaimResult {
        guard limit > 0 else { return ClaimResult(steps: [], nextDue: nil) }
        let time = now.timeIntervalSince1970
        let leaseUntil = time + lease.inSeconds
        return try await write("claim") { db -> ClaimResult in
            // Due queued steps and steps whose lease ran out, of runs still going, skipping runs whose
            // concurrency group has another run going.
            // Steps whose lease ran out first (the oldest work), then due queued steps, each in its
            // index's order so that no sort is needed however long the queue.
            let wanted = limit * 4 + 16
            let expired = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT s.run_id, s.sequence, s.path, s.attempts, s.failures, s.parent, s.anchor, r.status, r.concurrency_group
                FROM steps s JOIN runs r ON r.id = s.run_id
                WHERE s.state = 'running' AND s.lease_until <= ? AND s.worker <> ? ORDER BY s.lease_until LIMIT ?
                """), arguments: [time, worker, wanted])
            let queued = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT s.run_id, s.sequence, s.path, s.attempts, s.failures, s.parent, s.anchor, r.status, r.concurrency_group
                FROM steps s JOIN runs r ON r.id = s.run_id
                WHERE s.state = 'queued' AND s.due_at <= ? ORDER BY s.due_at LIMIT ?
                """), arguments: [time, max(0, wanted - expired.count)])
            let rows = expired + queued
            var claimed: [ClaimedStep] = []
            var busyGroups: [String: Bool] = [:]
            for row in rows {
                guard claimed.count < limit else { break }
                let runID: Int64 = row[0]
                let status: String = row[7]
                guard status == RunStatus.queued.rawValue || status == RunStatus.running.rawValue else { continue }
                if let group: String = row[8] {
                    if busyGroups[group] == nil {
                        busyGroups[group] = try Bool.fetchOne(db, sql: """
                            SELECT 1 FROM runs WHERE concurrency_group = ? AND status = 'running' AND id <> ? LIMIT 1
                            """, arguments: [group, runID]) ?? false
                    }
                    if busyGroups[group] == true { continue }
                    busyGroups[group] = true
                }
                let sequence: Int = row[1]
                let attempts: Int = row[3]
                try db.cachedStatement(sql: """
                    UPDATE steps SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1,
                                     started_at = coalesce(started_at, ?) WHERE run_id = ? AND sequence = ?
                    """).execute(arguments: [worker, leaseUntil, time, runID, sequence])
                if status == RunStatus.queued.rawValue {
                    try db.cachedStatement(sql: "UPDATE runs SET status = 'running', started_at = ? WHERE id = ?").execute(arguments: [time, runID])
                }
                claimed.append(ClaimedStep(
                    key: StepKey(run: RunID(runID), sequence: sequence), path: StepPath(row[2] as String) ?? StepPath(action: 0),
                    attempt: attempts + 1, failures: row[4], parent: try Value(jsonText: row[5]),
                    anchor: try (row[6] as String?).map { text throws(PipelineError) in try Value(jsonText: text) }))
            }
            let nextDue = try Double.fetchOne(db, sql: "SELECT min(due_at) FROM steps WHERE state = 'queued' AND due_at > ?", arguments: [time])
            return ClaimResult(steps: claimed, nextDue: nextDue.map(Date.init(timeIntervalSince1970:)))
        }
    }

    public func finish(_ outcomes: [StepOutcome], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> FinishResult {
        guard !outcomes.isEmpty else { return FinishResult(claimed: [], refused: [], finishedRuns: [:]) }
        let time = now.timeIntervalSince1970
        let leaseUntil = time + lease.inSeconds
        let result = try await write("finish") { db -> FinishResult in
            var claimed: [ClaimedStep] = []
            var refused: [StepKey] = []
            var finished: [RunID: RunStatus] = [:]
            for outcome in outcomes {
                let run = outcome.key.run.rawValue
                let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT s.state, s.attempts, s.worker, r.status, r.any_falsy, r.step_count
                    FROM steps s JOIN runs r ON r.id = s.run_id WHERE s.run_id = ? AND s.sequence = ?
                    """), arguments: [run, outcome.key.sequence])
                guard let row, row[0] as String == StepState.running.rawValue, row[1] as Int == outcome.attempt,
                      row[2] as String? == worker else {
                    refused.append(outcome.key)
                    continue
                }
                let runStatus: String = row[3]
                guard runStatus == RunStatus.running.rawValue else {
                    // The run was cancelled while the step ran.
                    try db.cachedStatement(sql: "UPDATE steps SET state = 'cancelled', worker = NULL, finished_at = ? WHERE run_id = ? AND sequence = ?")
                        .execute(arguments: [time, run, outcome.key.sequence])
                    refused.append(outcome.key)
                    continue
                }
                switch outcome.kind {
                case .succeeded(let value, let next, let falsy, let claimNext):
                    try db.cachedStatement(sql: """
                        UPDATE steps SET state = 'succeeded', result = ?, worker = NULL, lease_until = NULL, finished_at = ?
                        WHERE run_id = ? AND sequence = ?
                        """).execute(arguments: [value.jsonText, time, run, outcome.key.sequence])
                    let anyFalsy = (row[4] as Bool) || falsy
                    if let next {
                        let sequence: Int = row[5]
                        try db.cachedStatement(sql: "UPDATE runs SET step_count = step_count + 1, any_falsy = ? WHERE id = ?")
                            .execute(arguments: [anyFalsy, run])
                        try Self.insertStep(db, run: run, sequence: sequence, step: next, state: claimNext ? .running : .queued,
                                            worker: claimNext ? worker : nil, leaseUntil: claimNext ? leaseUntil : nil, time: time)
                        if claimNext {
                            claimed.append(ClaimedStep(key: StepKey(run: outcome.key.run, sequence: sequence), path: next.path,
                                                       attempt: 1, failures: 0, parent: next.parent, anchor: next.anchor))
                        }
                    } else {
                        let status: RunStatus = anyFalsy ? .failed : .succeeded
                        try db.cachedStatement(sql: "UPDATE runs SET status = ?, any_falsy = ?, finished_at = ? WHERE id = ?")
                            .execute(arguments: [status.rawValue, anyFalsy, time, run])
                        finished[outcome.key.run] = status
                    }
                case .threw(let error, let retryAt):
                    if let retryAt {
                        try db.cachedStatement(sql: """
                            UPDATE steps SET state = 'queued', failures = failures + 1, error = ?, worker = NULL, lease_until = NULL,
                                             due_at = ? WHERE run_id = ? AND sequence = ?
                            """).execute(arguments: [error, retryAt.timeIntervalSince1970, run, outcome.key.sequence])
                    } else {
                        try db.cachedStatement(sql: """
                            UPDATE steps SET state = 'errored', failures = failures + 1, error = ?, worker = NULL, lease_until = NULL,
                                             finished_at = ? WHERE run_id = ? AND sequence = ?
                            """).execute(arguments: [error, time, run, outcome.key.sequence])
                        try Self.endRun(db, id: run, status: .errored, reason: error, time: time)
                        finished[outcome.key.run] = .errored
                    }
                }
            }
            return FinishResult(claimed: claimed, refused: refused, finishedRuns: finished)
        }
        // Other workers may be waiting: a run ended (its group is free) or a step was queued.
        if !result.finishedRuns.isEmpty || result.claimed.count < outcomes.count { notify() }
        return result
    }

    public func renew(_ steps: [StepKey], worker: String, lease: Duration, now: Date) async throws(PipelineError) -> RenewResult {
        guard !steps.isEmpty else { return RenewResult(cancelled: [], lost: []) }
        let leaseUntil = now.timeIntervalSince1970 + lease.inSeconds
        return try await write("renew leases") { db -> RenewResult in
            var cancelled: Set<StepKey> = []
            var lost: Set<StepKey> = []
            for key in steps {
                try db.cachedStatement(sql: """
                    UPDATE steps SET lease_until = ? WHERE run_id = ? AND sequence = ? AND state = 'running' AND worker = ?
                    """).execute(arguments: [leaseUntil, key.run.rawValue, key.sequence, worker])
                if db.changesCount == 0 {
                    lost.insert(key)
                    continue
                }
                let status = try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM runs WHERE id = ?"), arguments: [key.run.rawValue])
                if status != RunStatus.running.rawValue { cancelled.insert(key) }
            }
            return RenewResult(cancelled: cancelled, lost: lost)
        }
    }

    public func release(worker: String, now: Date) async throws(PipelineError) -> Int {
        let time = now.timeIntervalSince1970
        let count = try await write("release claims") { db -> Int in
            try db.execute(sql: "UPDATE steps SET state = 'queued', worker = NULL, lease_until = NULL, due_at = ? WHERE state = 'running' AND worker = ?",
                           arguments: [time, worker])
            return db.changesCount
        }
        if count > 0 { notify() }
        return count
    }

    public func appendLogs(_ entries: [LogEntry], now: Date) async throws(PipelineError) {
        guard !entries.isEmpty else { return }
        let time = now.timeIntervalSince1970
        _ = try await write("append logs") { db -> Bool in
            let statement = try db.cachedStatement(sql: "INSERT INTO logs (run_id, step, text, at, start) VALUES (?, ?, ?, ?, ?)")
            let last = try db.cachedStatement(sql: """
                SELECT start + length(CAST(text AS BLOB)) FROM logs WHERE run_id = ? ORDER BY start DESC, id DESC LIMIT 1
                """)
            var ends: [Int64: Int64] = [:]
            for entry in entries {
                let run = entry.step.run.rawValue
                let start = try ends[run] ?? Int64.fetchOne(last, arguments: [run]) ?? 0
                // As bytes: SQLite's text binding would stop at the first NUL the command printed.
                let bytes = Data(entry.text.utf8)
                try statement.execute(arguments: [run, entry.step.sequence, bytes, time, start])
                ends[run] = start + Int64(bytes.count)
            }
            return true
        }
    }

    public func cancel(_ run: RunID, reason: String, now: Date) async throws(PipelineError) -> Bool {
        let time = now.timeIntervalSince1970
        let cancelled = try await write("cancel run") { db -> Bool in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue]) else {
                throw PipelineError(.notFound, "no run \(run)", operation: "cancel run")
            }
            guard status == RunStatus.queued.rawValue || status == RunStatus.running.rawValue else { return false }
            try Self.endRun(db, id: run.rawValue, status: .cancelled, reason: reason, time: time)
            return true
        }
        if cancelled { notify() }
        return cancelled
    }

    // MARK: - Reading

    public func context(of run: RunID) async throws(PipelineError) -> RunContext {
        typealias Fields = (hash: String, body: String, source: String, event: String?, status: String, eventBody: [UInt8]?)
        let bodies = self.bodies
        let fields = try await read("read run") { db -> Fields? in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.configuration_hash, c.body, r.source, r.event, r.status, e.id, e.body, e.body_offset, e.body_length, e.body_checksum
                FROM runs r JOIN configurations c ON c.hash = r.configuration_hash LEFT JOIN events e ON e.id = r.event_id
                WHERE r.id = ?
                """), arguments: [run.rawValue]) else { return nil }
            // The body is in the bodies file, or inline in rows written before that file existed.
            var eventBody = (row[6] as Data?).map(Array.init)
            if let event = row[5] as Int64?, let offset = row[7] as Int64?, let length = row[8] as Int?, let checksum = row[9] as Int64? {
                eventBody = try bodies.read(EventBodyFile.Location(offset: offset, length: length, checksum: UInt32(truncatingIfNeeded: checksum)),
                                            event: event)
            }
            return (row[0], row[1], row[2], row[3], row[4], eventBody)
        }
        guard let fields else { throw PipelineError(.notFound, "no run \(run)", operation: "read run") }
        return try codec.context(of: run, hash: fields.hash, body: fields.body, source: fields.source, event: fields.event,
                                 eventBody: fields.eventBody, status: fields.status)
    }

    public func run(_ id: RunID) async throws(PipelineError) -> RunDetail? {
        try await read("read run") { db -> RunDetail? in
            guard let run = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id.rawValue]) else { return nil }
            let steps = try Row.fetchAll(db, sql: "SELECT * FROM steps WHERE run_id = ? ORDER BY sequence", arguments: [id.rawValue])
            return RunDetail(run: try Self.runRecord(run), steps: try steps.map(Self.stepRecord))
        }
    }

    public func run(scope: String, number: Int64) async throws(PipelineError) -> RunDetail? {
        let id = try await read("read run") { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE scope = ? AND number = ?", arguments: [scope, number])
        }
        guard let id else { return nil }
        return try await run(RunID(id))
    }

    public func count(_ query: RunQuery) async throws(PipelineError) -> Int {
        var unbounded = query
        unbounded.before = nil
        let (whereClause, arguments) = Self.conditions(unbounded)
        return try await read("count runs") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs \(whereClause)", arguments: arguments) ?? 0 }
    }

    private static func conditions(_ query: RunQuery) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let scope = query.scope {
            conditions.append("scope = ?")
            arguments += [scope]
        }
        if let name = query.configuration {
            conditions.append("configuration_name = ?")
            arguments += [name]
        }
        if let statuses = query.statuses, !statuses.isEmpty {
            conditions.append("status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))")
            for status in statuses.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [status.rawValue] }
        }
        if let before = query.before {
            conditions.append("id < ?")
            arguments += [before.rawValue]
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    public func runs(_ query: RunQuery) async throws(PipelineError) -> [RunRecord] {
        let (whereClause, arguments) = Self.conditions(query)
        let limit = max(1, min(query.limit, 1000)), offset = max(0, query.offset)
        let sql = "SELECT * FROM runs \(whereClause) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)"
        return try await read("list runs") { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.runRecord) }
    }

    public func logs(run: RunID, after offset: Int64, limit: Int) async throws(PipelineError) -> [LogChunk] {
        let bounded = max(1, min(limit, 10_000))
        let after = max(0, offset)
        return try await read("read logs") { db in
            // Read as bytes, whole (NULs included), whether a row holds a blob or older text: the
            // chunk holding byte `after` (cut to start there), then the ones after it.
            var rows = try Row.fetchAll(db, sql: """
                SELECT step, start, CAST(text AS BLOB) FROM logs WHERE run_id = ? AND start <= ? ORDER BY start DESC, id DESC LIMIT 1
                """, arguments: [run.rawValue, after])
            rows += try Row.fetchAll(db, sql: "SELECT step, start, CAST(text AS BLOB) FROM logs WHERE run_id = ? AND start > ? ORDER BY start, id LIMIT ?",
                                     arguments: [run.rawValue, after, bounded])
            return Array(rows.compactMap { row -> LogChunk? in
                LogChunk(run: run, step: row[0], start: row[1], bytes: ((row[2] as Data?) ?? Data()), from: after)
            }.prefix(bounded))
        }
    }

    private static func date(_ value: Double?) -> Date? { value.map(Date.init(timeIntervalSince1970:)) }

    private static func runRecord(_ row: Row) throws(PipelineError) -> RunRecord {
        RunRecord(id: RunID(row["id"] as Int64), configurationName: row["configuration_name"],
                  status: RunStatus(rawValue: row["status"]) ?? .errored,
                  source: try Source(jsonValue: try Value(jsonText: row["source"])),
                  concurrencyGroup: row["concurrency_group"], trigger: row["trigger"], reason: row["reason"],
                  createdAt: Date(timeIntervalSince1970: row["created_at"]), startedAt: date(row["started_at"]),
                  finishedAt: date(row["finished_at"]), scope: row["scope"], number: row["number"])
    }

    private static func stepRecord(_ row: Row) throws(PipelineError) -> StepRecord {
        StepRecord(run: RunID(row["run_id"] as Int64), sequence: row["sequence"],
                   path: StepPath(row["path"] as String) ?? StepPath(action: 0), actionName: row["action_name"], task: row["task"],
                   state: StepState(rawValue: row["state"]) ?? .errored, attempts: row["attempts"], failures: row["failures"],
                   result: try (row["result"] as String?).map { text throws(PipelineError) in try Value(jsonText: text) },
                   error: row["error"], startedAt: date(row["started_at"]), finishedAt: date(row["finished_at"]))
    }

}

extension SQLiteRunStore: ConfigurationStore {
    public func saveConfiguration(_ configuration: PipelineConfiguration, now: Date) async throws(PipelineError) {
        let body = configuration.jsonValue.jsonText
        let time = now.timeIntervalSince1970
        _ = try await write("save configuration") { db -> Bool in
            try db.execute(sql: """
                INSERT INTO stored_configurations (name, body, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """, arguments: [configuration.name, body, time])
            return true
        }
    }

    public func deleteConfiguration(named name: String) async throws(PipelineError) -> Bool {
        try await write("delete configuration") { db -> Bool in
            try db.execute(sql: "DELETE FROM stored_configurations WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    public func storedConfigurations() async throws(PipelineError) -> [PipelineConfiguration] {
        let rows = try await read("read configurations") { db -> [[String]] in
            try Row.fetchAll(db, sql: "SELECT name, body FROM stored_configurations ORDER BY name").map { [$0[0], $0[1]] }
        }
        let loader = ConfigurationLoader(sources: nil, tasks: nil)
        var configurations: [PipelineConfiguration] = []
        for row in rows {
            configurations += try loader.load(text: row[1], file: "stored configuration '\(row[0])'")
        }
        return configurations
    }
}

