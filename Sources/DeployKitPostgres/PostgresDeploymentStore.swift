public import DeployKit
import ForgeKit
public import Foundation
public import Logging
import PostgresNIO
import PostgresStoreSupport
import PlatformSupport

/// The ``DeploymentStore`` for many machines: projects, runners, deployments and logs in
/// PostgreSQL, so that several `deploy-server`s (and the forge) share one queue.
///
/// Every method is one transaction. A claim takes the oldest ready deployment with
/// `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other nor get the same one;
/// deployments of one project and environment are serialised by a transaction-level advisory lock
/// (one runs at a time; a newer pending one supersedes older pending ones). The schema is created
/// and migrated on start.
public final class PostgresDeploymentStore: DeploymentStore {
    private let database: PostgresStoreDatabase
    private let logger: Logger
    private let projectCoding = StoredProjects()

    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
    /// optional `?schema=NAME&sslmode=disable|prefer|require`), creates the store's tables or brings
    /// them up to date. `schema` overrides the URL's. A server that cannot be reached yet is tried
    /// again for up to `patience`.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 8, patience: Duration = .seconds(30),
                logger: Logger = Logger(label: "forgeworks.deploy.postgres")) async throws(DeployError) {
        do throws(PostgresStoreFailure) {
            database = try await .open(url: url, schema: schema, component: "deployments", migrations: Self.migrations,
                                       maximumConnections: maximumConnections, patience: patience, logger: logger)
        } catch {
            throw DeployError(.store, error.description, operation: "open deployment store")
        }
        self.logger = logger
    }

    /// Where the store lives: its URL without the password, with the schema.
    public var location: String { database.location.description }

    /// Closes the store's connections.
    public func close() { database.close() }

    private var channel: String { "forgeworks_deploy_\(database.location.schema)" }

    /// Yields whenever a deployment changes in any process using this database (`LISTEN`), and
    /// once after each reconnection.
    public func changes() -> AsyncStream<Void>? {
        database.wakeups(channel: channel)
    }

    /// Tells every process listening that deployments changed (sent when the transaction commits).
    private static func announce(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify('forgeworks_deploy_' || current_schema(), '')", logger: logger)
    }

    static let migrations: [(name: String, statements: [String])] = [
        ("v1", [
            "CREATE TABLE projects (name TEXT PRIMARY KEY, body TEXT NOT NULL)",
            """
            CREATE TABLE runners (
                name TEXT PRIMARY KEY,
                token_digest TEXT NOT NULL UNIQUE,
                projects TEXT NOT NULL,
                last_seen DOUBLE PRECISION
            )
            """,
            """
            CREATE TABLE deployments (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                project TEXT NOT NULL,
                branch TEXT NOT NULL,
                commit_id TEXT NOT NULL,
                environment TEXT NOT NULL,
                kind TEXT NOT NULL,
                rollback_to TEXT,
                state TEXT NOT NULL,
                attempt INTEGER NOT NULL DEFAULT 0,
                runner TEXT,
                lease_until DOUBLE PRECISION,
                requested_by TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                reason TEXT,
                release TEXT,
                log_size BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX deployments_pending ON deployments (id) WHERE state = 'initialized'",
            "CREATE INDEX deployments_waiting ON deployments (project, environment) WHERE state IN ('not_initialized', 'initialized')",
            "CREATE INDEX deployments_running ON deployments (project, environment) WHERE state = 'running'",
            "CREATE INDEX deployments_expiring ON deployments (lease_until) WHERE state = 'running'",
            "CREATE INDEX deployments_by_environment ON deployments (project, environment, id)",
            """
            CREATE TABLE deployment_logs (
                deployment BIGINT NOT NULL,
                byte_offset BIGINT NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (deployment, byte_offset)
            )
            """,
        ]),
        // Logs as bytes: PostgreSQL's text cannot hold the NUL a script may print.
        ("v2", ["ALTER TABLE deployment_logs ALTER COLUMN text TYPE BYTEA USING convert_to(text, 'UTF8')"]),
    ]

    // MARK: - Plumbing

    private func failure(_ error: any Error, _ operation: String) -> DeployError {
        let error = PostgresStoreDatabase.underlying(error)
        if let error = error as? DeployError { return error }
        // Cancelled only when this task was: PostgresNIO also reports a connection attempt it gave up as a
        // CancellationError, which is a store failure to retry, not a reason to stop.
        if error is CancellationError, Task.isCancelled { return DeployError(.cancelled, "cancelled", operation: operation) }
        let failure = PostgresStoreFailure(operation: operation, error)
        return DeployError(.store, failure.message, operation: operation, underlying: failure)
    }

    /// Runs `body` in a transaction; errors become ``DeployError``s (those it throws are kept).
    private func transaction<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws(DeployError) -> T {
        do {
            return try await database.client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw failure(error, operation)
        }
    }

    private func rows<T: Sendable>(_ operation: String, _ query: PostgresQuery,
                                   _ decode: (PostgresRow) throws -> T) async throws(DeployError) -> [T] {
        do { return try await database.rows(query, decode) } catch { throw failure(error, operation) }
    }

    private static let columns = """
        id, project, branch, commit_id, environment, kind, rollback_to, state, attempt, runner, requested_by, created_at,
        started_at, finished_at, reason, release, log_size
        """

    private static func deployment(_ row: PostgresRow) throws -> Deployment {
        let r = try row.decode((Int64, String, String, String, String, String, String?, String, Int, String?, String, Double,
                                Double?, Double?, String?, String?, Int64).self)
        return Deployment(id: DeploymentID(r.0), project: r.1, branch: r.2, commit: r.3, environment: r.4,
                          kind: r.5 == "rollback" ? .rollback(to: r.6) : .deploy, state: DeploymentState(rawValue: r.7) ?? .failed,
                          attempt: r.8, runner: r.9, requestedBy: r.10, createdAt: Date(timeIntervalSince1970: r.11),
                          startedAt: r.12.map(Date.init(timeIntervalSince1970:)), finishedAt: r.13.map(Date.init(timeIntervalSince1970:)),
                          reason: r.14, release: r.15, logSize: Int(r.16))
    }

    private static func fetch(_ connection: PostgresConnection, _ id: DeploymentID, _ operation: String, lock: Bool = false,
                              logger: Logger) async throws -> Deployment {
        let sql = "SELECT \(columns) FROM deployments WHERE id = $1" + (lock ? " FOR UPDATE" : "")
        var bindings = PostgresBindings()
        bindings.append(id.rawValue)
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
            return try deployment(row)
        }
        throw DeployError(.notFound, "there is no deployment \(id)", operation: operation)
    }

    /// Appends to a deployment's log (its row must be locked or just written); returns the new size.
    @discardableResult
    private static func append(_ connection: PostgresConnection, _ id: Int64, _ text: String, logger: Logger) async throws -> Int {
        let length = Int64(text.utf8.count)
        var size: Int64 = 0
        for try await (next,) in try await connection.query(
            "UPDATE deployments SET log_size = log_size + \(length) WHERE id = \(id) RETURNING log_size", logger: logger
        ).decode((Int64,).self) { size = next }
        guard length > 0 else { return Int(size) }
        try await connection.query("""
            INSERT INTO deployment_logs (deployment, byte_offset, text) VALUES (\(id), \(size - length), \(ByteBuffer(string: text)))
            """, logger: logger)
        return Int(size)
    }

    /// Serialises the deployments of one project and environment until the transaction ends.
    private static func lockEnvironment(_ connection: PostgresConnection, project: String, environment: String, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('forgeworks-deploy:' || current_schema() || ':' || \(project) || '/' || \(environment)))",
                                   logger: logger)
    }

    // MARK: - Projects and runners

    public func saveProject(_ project: ProjectSettings) async throws(DeployError) {
        let body = try projectCoding.encode(project)
        _ = try await rows("save project", """
            INSERT INTO projects (name, body) VALUES (\(project.name), \(body)) ON CONFLICT (name) DO UPDATE SET body = excluded.body
            """) { _ in () }
    }

    public func project(named name: String) async throws(DeployError) -> ProjectSettings? {
        let bodies = try await rows("read project", "SELECT body FROM projects WHERE name = \(name)") { try $0.decode(String.self) }
        guard let body = bodies.first else { return nil }
        return try projectCoding.decode(body)
    }

    public func projects() async throws(DeployError) -> [ProjectSettings] {
        let bodies = try await rows("list projects", "SELECT body FROM projects ORDER BY name") { try $0.decode(String.self) }
        var projects: [ProjectSettings] = []
        for body in bodies { projects.append(try projectCoding.decode(body)) }
        return projects
    }

    public func saveRunner(_ runner: RunnerRecord, tokenDigest: String) async throws(DeployError) {
        guard ProjectSettings.isValidName(runner.name) else {
            throw DeployError(.invalidConfiguration, "'\(runner.name)' is not a valid runner name", operation: "save runner")
        }
        let projects = runner.projects.joined(separator: "\n")
        let logger = logger
        try await transaction("save runner") { connection in
            try await connection.query("DELETE FROM runners WHERE token_digest = \(tokenDigest) AND name <> \(runner.name)", logger: logger)
            try await connection.query("""
                INSERT INTO runners (name, token_digest, projects) VALUES (\(runner.name), \(tokenDigest), \(projects))
                ON CONFLICT (name) DO UPDATE SET token_digest = excluded.token_digest, projects = excluded.projects
                """, logger: logger)
        }
    }

    private static func runner(_ row: PostgresRow) throws -> RunnerRecord {
        let (name, projects, lastSeen) = try row.decode((String, String, Double?).self)
        return RunnerRecord(name: name, projects: projects.split(separator: "\n").map(String.init),
                            lastSeen: lastSeen.map(Date.init(timeIntervalSince1970:)))
    }

    public func authenticateRunner(tokenDigest: String, now: Date) async throws(DeployError) -> RunnerRecord? {
        let seconds = now.timeIntervalSince1970
        // Reading first keeps the hot path (every runner call) free of a write unless a second has passed.
        let found = try await rows("authenticate runner", "SELECT name, projects, last_seen FROM runners WHERE token_digest = \(tokenDigest)") {
            try Self.runner($0)
        }
        guard var runner = found.first else { return nil }
        if runner.lastSeen.map({ seconds - $0.timeIntervalSince1970 >= 1 }) ?? true {
            _ = try await rows("record runner", "UPDATE runners SET last_seen = \(seconds) WHERE name = \(runner.name)") { _ in () }
            runner.lastSeen = now
        }
        return runner
    }

    public func runners() async throws(DeployError) -> [RunnerRecord] {
        try await rows("list runners", "SELECT name, projects, last_seen FROM runners ORDER BY name") { try Self.runner($0) }
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
        let time = now.timeIntervalSince1970
        let logger = logger
        return try await transaction(operation) { connection in
            try await Self.lockEnvironment(connection, project: new.project, environment: new.environment, logger: logger)
            var id: Int64 = 0
            for try await (inserted,) in try await connection.query("""
                INSERT INTO deployments (project, branch, commit_id, environment, kind, rollback_to, state, requested_by, created_at)
                VALUES (\(new.project), \(new.branch), \(new.commit), \(new.environment), \(kind), \(target), \(new.state.rawValue),
                        \(new.requestedBy), \(time)) RETURNING id
                """, logger: logger).decode((Int64,).self) { id = inserted }
            var superseded: [Int64] = []
            for try await (old,) in try await connection.query("""
                UPDATE deployments SET state = 'cancelled', finished_at = \(time), reason = \("superseded by deployment \(id)")
                WHERE project = \(new.project) AND environment = \(new.environment) AND state IN ('not_initialized', 'initialized') AND id < \(id)
                RETURNING id
                """, logger: logger).decode((Int64,).self) { superseded.append(old) }
            for old in superseded {
                try await Self.append(connection, old, "[deploy] superseded by deployment \(id)\n", logger: logger)
            }
            try await Self.announce(connection, logger: logger)
            return try await Self.fetch(connection, DeploymentID(id), operation, logger: logger)
        }
    }

    public func start(_ id: DeploymentID, now: Date) async throws(DeployError) -> Deployment {
        let operation = "start deployment"
        let logger = logger
        return try await transaction(operation) { connection in
            let deployment = try await Self.fetch(connection, id, operation, lock: true, logger: logger)
            guard deployment.state == .notInitialized else {
                throw DeployError(.conflict, "deployment \(id) is \(deployment.state.rawValue), not not_initialized", operation: operation)
            }
            try await connection.query("UPDATE deployments SET state = 'initialized' WHERE id = \(id.rawValue)", logger: logger)
            try await Self.announce(connection, logger: logger)
            return try await Self.fetch(connection, id, operation, logger: logger)
        }
    }

    public func claim(runner: String, projects: [String], lease: Duration, now: Date) async throws(DeployError) -> Deployment? {
        let operation = "claim deployment"
        let time = now.timeIntervalSince1970
        let until = time + lease.inSeconds
        let logger = logger
        return try await transaction(operation) { connection -> Deployment? in
            // Candidates in queue order, skipping those another claim is looking at.
            var candidates: [(Int64, String, String)] = []
            let everyProject = projects.isEmpty
            for try await row in try await connection.query("""
                SELECT d.id, d.project, d.environment FROM deployments d
                WHERE d.state = 'initialized' AND (\(everyProject) OR d.project = ANY(\(projects)::text[]))
                  AND NOT EXISTS (SELECT 1 FROM deployments r WHERE r.state = 'running' AND r.project = d.project
                                  AND r.environment = d.environment)
                ORDER BY d.id LIMIT 8 FOR UPDATE OF d SKIP LOCKED
                """, logger: logger).decode((Int64, String, String).self) { candidates.append(row) }
            for (id, project, environment) in candidates {
                try await Self.lockEnvironment(connection, project: project, environment: environment, logger: logger)
                var busy = false
                for try await (running,) in try await connection.query("""
                    SELECT EXISTS (SELECT 1 FROM deployments WHERE state = 'running' AND project = \(project) AND environment = \(environment))
                    """, logger: logger).decode((Bool,).self) { busy = running }
                if busy { continue }
                try await connection.query("""
                    UPDATE deployments SET state = 'running', attempt = attempt + 1, runner = \(runner), lease_until = \(until), started_at = \(time)
                    WHERE id = \(id)
                    """, logger: logger)
                let claimed = try await Self.fetch(connection, DeploymentID(id), operation, logger: logger)
                try await Self.append(connection, id, "[deploy] attempt \(claimed.attempt) on runner \(runner)\n", logger: logger)
                try await Self.announce(connection, logger: logger)
                return try await Self.fetch(connection, DeploymentID(id), operation, logger: logger)
            }
            return nil
        }
    }

    /// Throws `conflict` unless `runner` holds `id` with `attempt`; locks the deployment's row.
    private static func requireHeld(_ connection: PostgresConnection, _ id: DeploymentID, runner: String, attempt: Int,
                                    _ operation: String, logger: Logger) async throws {
        let deployment = try await fetch(connection, id, operation, lock: true, logger: logger)
        guard deployment.state == .running, deployment.runner == runner, deployment.attempt == attempt else {
            let why = deployment.state != .running
                ? "it is \(deployment.state.rawValue)"
                : "it is held by \(deployment.runner ?? "another runner") (attempt \(deployment.attempt))"
            throw DeployError(.conflict, "runner \(runner) no longer holds deployment \(id): \(why)", operation: operation)
        }
    }

    public func renew(_ id: DeploymentID, runner: String, attempt: Int, lease: Duration, now: Date) async throws(DeployError) {
        let operation = "renew lease"
        let until = now.timeIntervalSince1970 + lease.inSeconds
        let logger = logger
        try await transaction(operation) { connection in
            try await Self.requireHeld(connection, id, runner: runner, attempt: attempt, operation, logger: logger)
            try await connection.query("UPDATE deployments SET lease_until = \(until) WHERE id = \(id.rawValue)", logger: logger)
        }
    }

    public func appendLog(_ id: DeploymentID, runner: String, attempt: Int, text: String, now: Date) async throws(DeployError) -> Int {
        let operation = "append log"
        let logger = logger
        return try await transaction(operation) { connection in
            try await Self.requireHeld(connection, id, runner: runner, attempt: attempt, operation, logger: logger)
            try await Self.announce(connection, logger: logger)
            return try await Self.append(connection, id.rawValue, text, logger: logger)
        }
    }

    public func appendServerLog(_ id: DeploymentID, text: String) async throws(DeployError) {
        let operation = "append log"
        let logger = logger
        try await transaction(operation) { connection in
            _ = try await Self.fetch(connection, id, operation, lock: true, logger: logger)
            try await Self.announce(connection, logger: logger)
            try await Self.append(connection, id.rawValue, text, logger: logger)
        }
    }

    public func finish(_ id: DeploymentID, runner: String, attempt: Int, state: DeploymentState, reason: String?,
                       release: String?, now: Date) async throws(DeployError) -> Deployment {
        let operation = "finish deployment"
        guard state == .succeeded || state == .failed else {
            throw DeployError(.invalidRequest, "a runner ends a deployment as succeeded or failed, not \(state.rawValue)", operation: operation)
        }
        let time = now.timeIntervalSince1970
        let logger = logger
        return try await transaction(operation) { connection in
            try await Self.requireHeld(connection, id, runner: runner, attempt: attempt, operation, logger: logger)
            try await connection.query("""
                UPDATE deployments SET state = \(state.rawValue), reason = \(reason), release = coalesce(\(release), release),
                    finished_at = \(time), lease_until = NULL WHERE id = \(id.rawValue)
                """, logger: logger)
            // A rollback now runs the commit of the deployment that made the release it switched to.
            try await connection.query("""
                UPDATE deployments d SET commit_id = coalesce((SELECT m.commit_id FROM deployments m
                    WHERE m.project = d.project AND m.environment = d.environment AND m.kind = 'deploy' AND m.release = d.release
                    ORDER BY m.id DESC LIMIT 1), d.commit_id)
                WHERE d.id = \(id.rawValue) AND d.kind = 'rollback' AND d.release IS NOT NULL
                """, logger: logger)
            try await Self.announce(connection, logger: logger)
            return try await Self.fetch(connection, id, operation, logger: logger)
        }
    }

    public func cancel(_ id: DeploymentID, reason: String, now: Date) async throws(DeployError) -> Deployment {
        let operation = "cancel deployment"
        let time = now.timeIntervalSince1970
        let logger = logger
        return try await transaction(operation) { connection in
            let deployment = try await Self.fetch(connection, id, operation, lock: true, logger: logger)
            guard !deployment.state.isFinal else {
                throw DeployError(.conflict, "deployment \(id) has already \(deployment.state.rawValue)", operation: operation)
            }
            try await connection.query("""
                UPDATE deployments SET state = 'cancelled', reason = \(reason), finished_at = \(time), lease_until = NULL WHERE id = \(id.rawValue)
                """, logger: logger)
            try await Self.append(connection, id.rawValue, "[deploy] cancelled: \(reason)\n", logger: logger)
            try await Self.announce(connection, logger: logger)
            return try await Self.fetch(connection, id, operation, logger: logger)
        }
    }

    public func expireLeases(now: Date, policy: LeaseExpiryPolicy) async throws(DeployError) -> [Deployment] {
        let operation = "expire leases"
        let seconds = now.timeIntervalSince1970
        // A cheap read first: almost always nothing has expired.
        let any = try await rows(operation, "SELECT EXISTS (SELECT 1 FROM deployments WHERE state = 'running' AND lease_until < \(seconds))") {
            try $0.decode(Bool.self)
        }
        guard any.first == true else { return [] }
        let logger = logger
        return try await transaction(operation) { connection in
            var expired: [Int64] = []
            for try await (id,) in try await connection.query("""
                SELECT id FROM deployments WHERE state = 'running' AND lease_until < \(seconds) ORDER BY id FOR UPDATE SKIP LOCKED
                """, logger: logger).decode((Int64,).self) { expired.append(id) }
            var changed: [Deployment] = []
            for id in expired {
                let deployment = try await Self.fetch(connection, DeploymentID(id), operation, logger: logger)
                let lost = "runner \(deployment.runner ?? "?") stopped renewing its lease (attempt \(deployment.attempt))"
                if case .requeue(let maximum) = policy, deployment.attempt < maximum {
                    try await connection.query("UPDATE deployments SET state = 'initialized', lease_until = NULL WHERE id = \(id)", logger: logger)
                    try await Self.append(connection, id, "\n[deploy] \(lost); queued again\n", logger: logger)
                } else {
                    try await connection.query("""
                        UPDATE deployments SET state = 'failed', reason = \(lost), finished_at = \(seconds), lease_until = NULL WHERE id = \(id)
                        """, logger: logger)
                    try await Self.append(connection, id, "\n[deploy] \(lost); failed\n", logger: logger)
                }
                changed.append(try await Self.fetch(connection, DeploymentID(id), operation, logger: logger))
            }
            if !changed.isEmpty { try await Self.announce(connection, logger: logger) }
            return changed
        }
    }

    public func deployment(_ id: DeploymentID) async throws(DeployError) -> Deployment? {
        try await rows("read deployment", "SELECT \(unescaped: Self.columns) FROM deployments WHERE id = \(id.rawValue)") {
            try Self.deployment($0)
        }.first
    }

    public func deployments(_ query: DeploymentQuery) async throws(DeployError) -> [Deployment] {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        if let project = query.project { bindings.append(project); conditions.append("project = $\(bindings.count)") }
        if let environment = query.environment { bindings.append(environment); conditions.append("environment = $\(bindings.count)") }
        if let state = query.state { bindings.append(state.rawValue); conditions.append("state = $\(bindings.count)") }
        if let before = query.before { bindings.append(before.rawValue); conditions.append("id < $\(bindings.count)") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let limit = max(1, min(query.limit, 1000))
        let sql = "SELECT \(Self.columns) FROM deployments\(filter) ORDER BY id DESC LIMIT \(limit)"
        return try await rows("list deployments", PostgresQuery(unsafeSQL: sql, binds: bindings)) { try Self.deployment($0) }
    }

    public func log(_ id: DeploymentID, after: Int, limit: Int) async throws(DeployError) -> DeploymentLog {
        let operation = "read log"
        let start = Int64(max(0, after))
        let sizes = try await rows(operation, "SELECT log_size FROM deployments WHERE id = \(id.rawValue)") { try $0.decode(Int64.self) }
        guard let size = sizes.first else { throw DeployError(.notFound, "there is no deployment \(id)", operation: operation) }
        guard start < size else { return DeploymentLog(text: "", offset: Int(min(start, size)), next: Int(min(start, size))) }
        // The chunk holding `start`, then the ones after it, whole, up to about `limit` bytes.
        let chunks = try await rows(operation, """
            SELECT byte_offset, text FROM deployment_logs
            WHERE deployment = \(id.rawValue)
              AND byte_offset >= coalesce((SELECT max(byte_offset) FROM deployment_logs WHERE deployment = \(id.rawValue) AND byte_offset <= \(start)), 0)
            ORDER BY byte_offset LIMIT 4096
            """) { try $0.decode((Int64, ByteBuffer).self) }
        var bytes: [UInt8] = []
        let first = chunks.first?.0 ?? start
        var position = first
        for (offset, chunk) in chunks {
            if !bytes.isEmpty, bytes.count + chunk.readableBytes > limit { break }
            position = offset + Int64(chunk.readableBytes)
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        let skip = Int(start - first)
        let slice = skip < bytes.count ? bytes[skip...] : []
        return DeploymentLog(text: String(decoding: slice, as: UTF8.self), offset: Int(start), next: Int(max(position, start)))
    }

    public func currentRelease(project: String, environment: String) async throws(DeployError) -> Deployment? {
        try await rows("read current release", """
            SELECT \(unescaped: Self.columns) FROM deployments
            WHERE project = \(project) AND environment = \(environment) AND state = 'succeeded' AND release IS NOT NULL
            ORDER BY finished_at DESC, id DESC LIMIT 1
            """) { try Self.deployment($0) }.first
    }
}

