public import Foundation
import ForgeKit
import GRDB
public import Logging
import PlatformSupport
import SQLiteStoreSupport

/// The embedded ``DeploymentStore``: one SQLite file in WAL mode (through GRDB), safe for several
/// processes on one machine (a `deploy-server` and its command-line tools).
///
/// Claims are immediate transactions, so two runners never get the same deployment; projects are
/// stored as JSON documents; logs as chunks keyed by their byte offset.
public final class SQLiteDeploymentStore: DeploymentStore {
    private let database: SQLiteDatabase
    private let logger: Logger
    private let projectCoding = StoredProjects()

    /// Opens (creating it, and its folder, when needed) the store at `path` and brings its schema up to date.
    public init(path: String, logger: Logger = Logger(label: "forgeworks.deploy.store")) throws(DeployError) {
        var options = SQLiteDatabase.Options()
        options.cacheKiB = 16384
        do {
            database = try SQLiteDatabase(path: path, options: options, migrator: Self.migrator, logger: logger)
        } catch {
            throw DeployError(.store, "cannot open \(path): \(error)", operation: "open deployment store")
        }
        self.logger = logger
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE projects (
                    name TEXT PRIMARY KEY,
                    body TEXT NOT NULL
                );
                CREATE TABLE runners (
                    name TEXT PRIMARY KEY,
                    token_digest TEXT NOT NULL UNIQUE,
                    projects TEXT NOT NULL,
                    last_seen REAL
                );
                CREATE TABLE deployments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    project TEXT NOT NULL,
                    branch TEXT NOT NULL,
                    commit_id TEXT NOT NULL,
                    environment TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    rollback_to TEXT,
                    state TEXT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    runner TEXT,
                    lease_until REAL,
                    requested_by TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    reason TEXT,
                    release TEXT,
                    log_size INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX deployments_pending ON deployments(id) WHERE state = 'initialized';
                CREATE INDEX deployments_waiting ON deployments(project, environment) WHERE state IN ('not_initialized', 'initialized');
                CREATE INDEX deployments_running ON deployments(project, environment) WHERE state = 'running';
                CREATE INDEX deployments_by_environment ON deployments(project, environment, id);
                CREATE TABLE deployment_logs (
                    deployment INTEGER NOT NULL,
                    offset INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    PRIMARY KEY (deployment, offset)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    // MARK: - Transactions

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(DeployError) -> T {
        try await database.write(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(DeployError) -> T {
        try await database.read(body) { error, cancelled in Self.failure(error, cancelled: cancelled, operation) }
    }

    private static func failure(_ error: any Error & Sendable, cancelled: Bool, _ operation: String) -> DeployError {
        cancelled ? DeployError(.cancelled, "cancelled", operation: operation, underlying: error)
            : DeployError(.store, "\(error)", operation: operation, underlying: error)
    }

    // MARK: - Projects and runners

    public func saveProject(_ project: ProjectSettings) async throws(DeployError) {
        let body = try projectCoding.encode(project)
        try await write("save project") { db in
            try db.execute(sql: "INSERT INTO projects (name, body) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body",
                           arguments: [project.name, body])
        }
    }

    public func project(named name: String) async throws(DeployError) -> ProjectSettings? {
        let body = try await read("read project") { db in
            try String.fetchOne(db, sql: "SELECT body FROM projects WHERE name = ?", arguments: [name])
        }
        return try body.map { body throws(DeployError) in try projectCoding.decode(body) }
    }

    public func projects() async throws(DeployError) -> [ProjectSettings] {
        let bodies = try await read("list projects") { db in
            try String.fetchAll(db, sql: "SELECT body FROM projects ORDER BY name")
        }
        var projects: [ProjectSettings] = []
        for body in bodies { projects.append(try projectCoding.decode(body)) }
        return projects
    }

    public func saveRunner(_ runner: RunnerRecord, tokenDigest: String) async throws(DeployError) {
        guard ProjectSettings.isValidName(runner.name) else {
            throw DeployError(.invalidConfiguration, "'\(runner.name)' is not a valid runner name", operation: "save runner")
        }
        let projects = runner.projects.joined(separator: "\n")
        try await write("save runner") { db in
            try db.execute(sql: "DELETE FROM runners WHERE token_digest = ? AND name <> ?", arguments: [tokenDigest, runner.name])
            try db.execute(sql: """
                INSERT INTO runners (name, token_digest, projects) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET token_digest = excluded.token_digest, projects = excluded.projects
                """, arguments: [runner.name, tokenDigest, projects])
        }
    }

    public func authenticateRunner(tokenDigest: String, now: Date) async throws(DeployError) -> RunnerRecord? {
        // Reading first keeps the hot path (every runner call) free of a write unless a minute has passed.
        let found = try await read("authenticate runner") { db in
            try Row.fetchOne(db, sql: "SELECT name, projects, last_seen FROM runners WHERE token_digest = ?", arguments: [tokenDigest])
                .map { row in (Self.runner(row), row["last_seen"] as Double?) }
        }
        guard var (runner, lastSeen) = found else { return nil }
        let seconds = now.timeIntervalSince1970
        if lastSeen.map({ seconds - $0 >= 1 }) ?? true {
            let name = runner.name
            try await write("record runner") { db in
                try db.execute(sql: "UPDATE runners SET last_seen = ? WHERE name = ?", arguments: [seconds, name])
            }
            lastSeen = seconds
        }
        runner.lastSeen = lastSeen.map { Date(timeIntervalSince1970: $0) }
        return runner
    }

    public func runners() async throws(DeployError) -> [RunnerRecord] {
        try await read("list runners") { db in
            try Row.fetchAll(db, sql: "SELECT name, projects, last_seen FROM runners ORDER BY name").map(Self.runner)
        }
    }

    private static func runner(_ row: Row) -> RunnerRecord {
        let projects: String = row["projects"]
        let lastSeen: Double? = row["last_seen"]
        return RunnerRecord(name: row["name"], projects: projects.split(separator: "\n").map(String.init),
                            lastSeen: lastSeen.map { Date(timeIntervalSince1970: $0) })
    }

    // MARK: - Deployments

    public func create(_ new: NewDeployment, now: Date) async throws(DeployError) -> Deployment {
        let operation = "create deployment"
        guard new.state == .initialized || new.state == .notInitialized else {
            throw DeployError(.invalidRequest, "a new deployment is initialized or not_initialized, not \(new.state.rawValue)", operation: operation)
        }
        let kind: String, target: String?
        switch new.kind {
        case .deploy: (kind, target) = ("deploy", nil)
        case .rollback(let to): (kind, target) = ("rollback", to)
        }
        return try await write(operation) { db in
            try db.execute(sql: """
                INSERT INTO deployments (project, branch, commit_id, environment, kind, rollback_to, state, requested_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.project, new.branch, new.commit, new.environment, kind, target, new.state.rawValue,
                                 new.requestedBy, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            let superseded = try Int64.fetchAll(db, sql: """
                SELECT id FROM deployments WHERE project = ? AND environment = ? AND state IN ('not_initialized', 'initialized') AND id < ?
                """, arguments: [new.project, new.environment, id])
            for old in superseded {
                try db.execute(sql: "UPDATE deployments SET state = 'cancelled', finished_at = ?, reason = ? WHERE id = ?",
                               arguments: [now.timeIntervalSince1970, "superseded by deployment \(id)", old])
                try Self.appendLocked(db, old, "[deploy] superseded by deployment \(id)\n")
            }
            return try Self.fetch(db, DeploymentID(id), operation)
        }
    }

    public func start(_ id: DeploymentID, now: Date) async throws(DeployError) -> Deployment {
        let operation = "start deployment"
        return try await write(operation) { db in
            let deployment = try Self.fetch(db, id, operation)
            guard deployment.state == .notInitialized else {
                throw DeployError(.conflict, "deployment \(id) is \(deployment.state.rawValue), not not_initialized", operation: operation)
            }
            try db.execute(sql: "UPDATE deployments SET state = 'initialized' WHERE id = ?", arguments: [id.rawValue])
            return try Self.fetch(db, id, operation)
        }
    }

    public func claim(runner: String, projects: [String], lease: Duration, now: Date) async throws(DeployError) -> Deployment? {
        let operation = "claim deployment"
        let until = now.timeIntervalSince1970 + lease.inSeconds
        return try await write(operation) { db in
            var arguments: StatementArguments = []
            var filter = ""
            if !projects.isEmpty {
                filter = " AND d.project IN (" + Array(repeating: "?", count: projects.count).joined(separator: ", ") + ")"
                arguments = StatementArguments(projects)
            }
            let sql = """
                SELECT d.id FROM deployments d
                WHERE d.state = 'initialized'\(filter)
                  AND NOT EXISTS (SELECT 1 FROM deployments r WHERE r.state = 'running' AND r.project = d.project AND r.environment = d.environment)
                ORDER BY d.id LIMIT 1
                """
            guard let id = try Int64.fetchOne(db, sql: sql, arguments: arguments) else { return nil as Deployment? }
            try db.execute(sql: """
                UPDATE deployments SET state = 'running', attempt = attempt + 1, runner = ?, lease_until = ?, started_at = ?
                WHERE id = ?
                """, arguments: [runner, until, now.timeIntervalSince1970, id])
            let deployment = try Self.fetch(db, DeploymentID(id), operation)
            try Self.appendLocked(db, id, "[deploy] attempt \(deployment.attempt) on runner \(runner)\n")
            return try Self.fetch(db, DeploymentID(id), operation)
        }
    }

    /// Throws `conflict` unless `runner` holds `id` with `attempt`.
    private static func requireHeld(_ db: Database, _ id: DeploymentID, runner: String, attempt: Int, _ operation: String) throws {
        let deployment = try fetch(db, id, operation)
        guard deployment.state == .running, deployment.runner == runner, deployment.attempt == attempt else {
            let why: String
            if deployment.state != .running {
                why = "it is \(deployment.state.rawValue)"
            } else {
                why = "it is held by \(deployment.runner ?? "another runner") (attempt \(deployment.attempt))"
            }
            throw DeployError(.conflict, "runner \(runner) no longer holds deployment \(id): \(why)", operation: operation)
        }
    }

    public func renew(_ id: DeploymentID, runner: String, attempt: Int, lease: Duration, now: Date) async throws(DeployError) {
        let operation = "renew lease"
        let until = now.timeIntervalSince1970 + lease.inSeconds
        try await write(operation) { db in
            try Self.requireHeld(db, id, runner: runner, attempt: attempt, operation)
            try db.execute(sql: "UPDATE deployments SET lease_until = ? WHERE id = ?", arguments: [until, id.rawValue])
        }
    }

    public func appendLog(_ id: DeploymentID, runner: String, attempt: Int, text: String, now: Date) async throws(DeployError) -> Int {
        let operation = "append log"
        return try await write(operation) { db in
            try Self.requireHeld(db, id, runner: runner, attempt: attempt, operation)
            return try Self.appendLocked(db, id.rawValue, text)
        }
    }

    public func appendServerLog(_ id: DeploymentID, text: String) async throws(DeployError) {
        let operation = "append log"
        try await write(operation) { db in
            _ = try Self.fetch(db, id, operation)
            try Self.appendLocked(db, id.rawValue, text)
        }
    }

    @discardableResult
    private static func appendLocked(_ db: Database, _ id: Int64, _ text: String) throws -> Int {
        let size = try Int.fetchOne(db, sql: "SELECT log_size FROM deployments WHERE id = ?", arguments: [id]) ?? 0
        guard !text.isEmpty else { return size }
        // As bytes: SQLite's text binding would stop at the first NUL the script printed.
        try db.execute(sql: "INSERT INTO deployment_logs (deployment, offset, text) VALUES (?, ?, ?)", arguments: [id, size, Data(text.utf8)])
        let next = size + text.utf8.count
        try db.execute(sql: "UPDATE deployments SET log_size = ? WHERE id = ?", arguments: [next, id])
        return next
    }

    public func finish(_ id: DeploymentID, runner: String, attempt: Int, state: DeploymentState, reason: String?,
                       release: String?, now: Date) async throws(DeployError) -> Deployment {
        let operation = "finish deployment"
        guard state == .succeeded || state == .failed else {
            throw DeployError(.invalidRequest, "a runner ends a deployment as succeeded or failed, not \(state.rawValue)", operation: operation)
        }
        return try await write(operation) { db in
            try Self.requireHeld(db, id, runner: runner, attempt: attempt, operation)
            try db.execute(sql: """
                UPDATE deployments SET state = ?, reason = ?, release = COALESCE(?, release), finished_at = ?, lease_until = NULL WHERE id = ?
                """, arguments: [state.rawValue, reason, release, now.timeIntervalSince1970, id.rawValue])
            // A rollback now runs the commit of the deployment that made the release it switched to.
            try db.execute(sql: """
                UPDATE deployments SET commit_id = COALESCE((SELECT m.commit_id FROM deployments m
                    WHERE m.project = deployments.project AND m.environment = deployments.environment AND m.kind = 'deploy'
                      AND m.release = deployments.release ORDER BY m.id DESC LIMIT 1), commit_id)
                WHERE id = ? AND kind = 'rollback' AND release IS NOT NULL
                """, arguments: [id.rawValue])
            return try Self.fetch(db, id, operation)
        }
    }

    public func cancel(_ id: DeploymentID, reason: String, now: Date) async throws(DeployError) -> Deployment {
        let operation = "cancel deployment"
        return try await write(operation) { db in
            let deployment = try Self.fetch(db, id, operation)
            guard !deployment.state.isFinal else {
                throw DeployError(.conflict, "deployment \(id) has already \(deployment.state.rawValue)", operation: operation)
            }
            try db.execute(sql: "UPDATE deployments SET state = 'cancelled', reason = ?, finished_at = ?, lease_until = NULL WHERE id = ?",
                           arguments: [reason, now.timeIntervalSince1970, id.rawValue])
            try Self.appendLocked(db, id.rawValue, "[deploy] cancelled: \(reason)\n")
            return try Self.fetch(db, id, operation)
        }
    }

    public func expireLeases(now: Date, policy: LeaseExpiryPolicy) async throws(DeployError) -> [Deployment] {
        let operation = "expire leases"
        let seconds = now.timeIntervalSince1970
        // A cheap read first: almost always nothing has expired.
        let any = try await read(operation) { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deployments WHERE state = 'running' AND lease_until < ?)", arguments: [seconds]) ?? false
        }
        guard any else { return [] }
        return try await write(operation) { db in
            let expired = try Int64.fetchAll(db, sql: "SELECT id FROM deployments WHERE state = 'running' AND lease_until < ? ORDER BY id", arguments: [seconds])
            var changed: [Deployment] = []
            for id in expired {
                let deployment = try Self.fetch(db, DeploymentID(id), operation)
                let lost = "runner \(deployment.runner ?? "?") stopped renewing its lease (attempt \(deployment.attempt))"
                if case .requeue(let maximum) = policy, deployment.attempt < maximum {
                    try db.execute(sql: "UPDATE deployments SET state = 'initialized', lease_until = NULL WHERE id = ?", arguments: [id])
                    try Self.appendLocked(db, id, "\n[deploy] \(lost); queued again\n")
                } else {
                    try db.execute(sql: "UPDATE deployments SET state = 'failed', reason = ?, finished_at = ?, lease_until = NULL WHERE id = ?",
                                   arguments: [lost, seconds, id])
                    try Self.appendLocked(db, id, "\n[deploy] \(lost); failed\n")
                }
                changed.append(try Self.fetch(db, DeploymentID(id), operation))
            }
            return changed
        }
    }

    public func deployment(_ id: DeploymentID) async throws(DeployError) -> Deployment? {
        try await read("read deployment") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM deployments WHERE id = ?", arguments: [id.rawValue]).map(Self.deployment)
        }
    }

    public func deployments(_ query: DeploymentQuery) async throws(DeployError) -> [Deployment] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let project = query.project { conditions.append("project = ?"); arguments += [project] }
        if let environment = query.environment { conditions.append("environment = ?"); arguments += [environment] }
        if let state = query.state { conditions.append("state = ?"); arguments += [state.rawValue] }
        if let before = query.before { conditions.append("id < ?"); arguments += [before.rawValue] }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let limit = max(1, min(query.limit, 1000))
        let sql = "SELECT * FROM deployments\(filter) ORDER BY id DESC LIMIT \(limit)"
        let finalArguments = arguments
        return try await read("list deployments") { db in
            try Row.fetchAll(db, sql: sql, arguments: finalArguments).map(Self.deployment)
        }
    }

    public func log(_ id: DeploymentID, after: Int, limit: Int) async throws(DeployError) -> DeploymentLog {
        let operation = "read log"
        let start = max(0, after)
        return try await read(operation) { db in
            guard let size = try Int.fetchOne(db, sql: "SELECT log_size FROM deployments WHERE id = ?", arguments: [id.rawValue]) else {
                throw DeployError(.notFound, "there is no deployment \(id)", operation: operation)
            }
            guard start < size else { return DeploymentLog(text: "", offset: min(start, size), next: min(start, size)) }
            let first = try Int.fetchOne(db, sql: "SELECT MAX(offset) FROM deployment_logs WHERE deployment = ? AND offset <= ?",
                                         arguments: [id.rawValue, start]) ?? 0
            // Read as bytes, whole (NULs included), whether a row holds a blob or older text.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT offset, CAST(text AS BLOB) FROM deployment_logs WHERE deployment = ? AND offset >= ? ORDER BY offset
                """, arguments: [id.rawValue, first])
            var bytes: [UInt8] = []
            var position = first
            while let row = try rows.next() {
                let offset: Int = row[0]
                let chunk: Data = row[1] ?? Data()
                if !bytes.isEmpty, bytes.count + chunk.count > limit { break }
                position = offset + chunk.count
                bytes.append(contentsOf: chunk)
            }
            let skip = start - first
            let slice = skip < bytes.count ? bytes[skip...] : []
            return DeploymentLog(text: String(decoding: slice, as: UTF8.self), offset: start, next: max(position, start))
        }
    }

    public func currentRelease(project: String, environment: String) async throws(DeployError) -> Deployment? {
        try await read("read current release") { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM deployments WHERE project = ? AND environment = ? AND state = 'succeeded' AND release IS NOT NULL
                ORDER BY finished_at DESC, id DESC LIMIT 1
                """, arguments: [project, environment]).map(Self.deployment)
        }
    }

    // MARK: - Rows

    private static func fetch(_ db: Database, _ id: DeploymentID, _ operation: String) throws -> Deployment {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deployments WHERE id = ?", arguments: [id.rawValue]) else {
            throw DeployError(.notFound, "there is no deployment \(id)", operation: operation)
        }
        return deployment(row)
    }

    private static func deployment(_ row: Row) -> Deployment {
        let kindName: String = row["kind"]
        let kind: DeploymentKind = kindName == "rollback" ? .rollback(to: row["rollback_to"]) : .deploy
        let stateName: String = row["state"]
        let started: Double? = row["started_at"], finished: Double? = row["finished_at"]
        return Deployment(id: DeploymentID(row["id"] as Int64), project: row["project"], branch: row["branch"], commit: row["commit_id"],
                          environment: row["environment"], kind: kind, state: DeploymentState(rawValue: stateName) ?? .failed,
                          attempt: row["attempt"], runner: row["runner"], requestedBy: row["requested_by"],
                          createdAt: Date(timeIntervalSince1970: row["created_at"]),
                          startedAt: started.map { Date(timeIntervalSince1970: $0) }, finishedAt: finished.map { Date(timeIntervalSince1970: $0) },
                          reason: row["reason"], release: row["release"], logSize: row["log_size"])
    }
}
