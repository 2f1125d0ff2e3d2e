public import Foundation
public import Logging
import PostgresNIO
import PostgresStoreSupport
public import RebuildKit

/// The ``RebuildStore`` for many machines: collections, packages, builds and pending changes in
/// PostgreSQL, so that several `rebuilder watch` processes (each watching its collections) and the
/// status pages of others share one database.
///
/// A snapshot is stored in one transaction, whole or not at all, with its packages written in bulk
/// (`unnest` of arrays, a few thousand rows a statement). Environments keep the SQLite store's
/// compact form: 5 bytes per package over (name, version) pairs interned per collection.
public final class PostgresRebuildStore: RebuildStore {
    private let database: PostgresStoreDatabase
    private let logger: Logger

    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with
    /// optional `?schema=NAME&sslmode=disable|prefer|require`) and creates or migrates the store's
    /// tables. `schema` overrides the URL's.
    public init(url: String, schema: String? = nil, maximumConnections: Int = 4, patience: Duration = .seconds(30),
                logger: Logger = Logger(label: "forgeworks.rebuild.postgres")) async throws(RebuildError) {
        do throws(PostgresStoreFailure) {
            database = try await .open(url: url, schema: schema, component: "rebuild", migrations: Self.migrations,
                                       maximumConnections: maximumConnections, patience: patience, logger: logger)
        } catch {
            throw RebuildError(.store, error.description, operation: "open rebuild store")
        }
        self.logger = logger
    }

    /// Where the store lives: its URL without the password, with the schema.
    public var location: String { database.location.description }

    /// Closes the store's connections.
    public func close() { database.close() }

    static let migrations: [(name: String, statements: [String])] = [
        ("v1", [
            "CREATE TABLE collections (name TEXT PRIMARY KEY, snapshot TEXT NOT NULL, resolved_at DOUBLE PRECISION NOT NULL)",
            """
            CREATE TABLE packages (
                collection TEXT NOT NULL,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                tracked BOOLEAN NOT NULL,
                blocked BOOLEAN NOT NULL,
                manual_priority DOUBLE PRECISION NOT NULL DEFAULT 0,
                static_priority DOUBLE PRECISION NOT NULL DEFAULT 0,
                resolved BOOLEAN,
                problems TEXT NOT NULL,
                environment BYTEA NOT NULL,
                PRIMARY KEY (collection, name)
            )
            """,
            "CREATE TABLE changes (collection TEXT NOT NULL, package TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (collection, package))",
            """
            CREATE TABLE builds (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection TEXT NOT NULL,
                package TEXT NOT NULL,
                version TEXT NOT NULL,
                state TEXT NOT NULL,
                backend_id TEXT NOT NULL,
                started DOUBLE PRECISION NOT NULL,
                finished DOUBLE PRECISION,
                environment TEXT NOT NULL,
                reason TEXT
            )
            """,
            "CREATE INDEX builds_by_package ON builds (collection, package, id)",
            "CREATE INDEX builds_running ON builds (id) WHERE state = 'running'",
            """
            CREATE TABLE binary_versions (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection TEXT NOT NULL,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                UNIQUE (collection, name, version)
            )
            """,
            "CREATE TABLE snapshot_binaries (collection TEXT PRIMARY KEY, body BYTEA NOT NULL)",
        ]),
    ]

    // MARK: - Plumbing

    private func failure(_ error: any Error, _ operation: String) -> RebuildError {
        let error = PostgresStoreDatabase.underlying(error)
        if let error = error as? RebuildError { return error }
        let failure = PostgresStoreFailure(operation: operation, error)
        return RebuildError(.store, failure.message, operation: operation, underlying: failure)
    }

    private func rows<T: Sendable>(_ operation: String, _ query: PostgresQuery,
                                   _ decode: (PostgresRow) throws -> T) async throws(RebuildError) -> [T] {
        do { return try await database.rows(query, decode) } catch { throw failure(error, operation) }
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    private static func hex(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for byte in data {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func data(_ buffer: ByteBuffer?) -> Data {
        buffer.map { Data($0.readableBytesView) } ?? Data()
    }

    // MARK: - Snapshots

    public func storeSnapshot(collection: String, _ update: SnapshotUpdate) async throws(RebuildError) {
        let logger = logger
        do {
            try await database.client.withTransaction(logger: logger) { connection in
                try await Self.store(update, collection: collection, on: connection, logger: logger)
            }
        } catch {
            throw failure(error, "store snapshot")
        }
    }

    private static func store(_ update: SnapshotUpdate, collection: String, on connection: PostgresConnection, logger: Logger) async throws {
        // One snapshot of a collection at a time.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('forgeworks-rebuild:' || current_schema() || ':' || \(collection)))",
                                   logger: logger)
        var kept: [String: (Bool, Bool, Double, Double)] = [:]
        for try await (name, tracked, blocked, manual, staticPriority) in try await connection.query("""
            SELECT name, tracked, blocked, manual_priority, static_priority FROM packages WHERE collection = \(collection)
            """, logger: logger).decode((String, Bool, Bool, Double, Double).self) {
            kept[name] = (tracked, blocked, manual, staticPriority)
        }
        if update.complete {
            try await connection.query("DELETE FROM packages WHERE collection = \(collection)", logger: logger)
            try await connection.query("DELETE FROM changes WHERE collection = \(collection)", logger: logger)
        } else {
            let names = update.removed + update.packages.map(\.name)
            try await connection.query("DELETE FROM packages WHERE collection = \(collection) AND name = ANY(\(names)::text[])", logger: logger)
            try await connection.query("DELETE FROM changes WHERE collection = \(collection) AND package = ANY(\(names)::text[])", logger: logger)
        }

        // Intern every (name, version) pair the new environments and relabels need, in bulk.
        var wanted: Set<[String]> = []
        for package in update.packages {
            for entry in package.environment { wanted.insert([entry.name, entry.version]) }
        }
        for (name, relabel) in update.relabeled { wanted.insert([name, relabel.newVersion]) }
        var ids: [String: [String: Int64]] = [:]
        func load() async throws {
            for try await (id, name, version) in try await connection.query(
                "SELECT id, name, version FROM binary_versions WHERE collection = \(collection)", logger: logger
            ).decode((Int64, String, String).self) {
                ids[name, default: [:]][version] = id
            }
        }
        try await load()
        let missing = wanted.filter { ids[$0[0]]?[$0[1]] == nil }
        if !missing.isEmpty {
            let pairs = Array(missing)
            for start in stride(from: 0, to: pairs.count, by: 5000) {
                let chunk = pairs[start..<min(pairs.count, start + 5000)]
                try await connection.query("""
                    INSERT INTO binary_versions (collection, name, version)
                    SELECT \(collection), n, v FROM unnest(\(chunk.map { $0[0] })::text[], \(chunk.map { $0[1] })::text[]) AS t(n, v)
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
            try await load()
        }
        func id(_ name: String, _ version: String) throws -> UInt32 {
            guard let value = ids[name]?[version], let small = UInt32(exactly: value) else {
                throw RebuildError(.store, "no interned id for \(name) \(version)", operation: "store environment")
            }
            return small
        }

        // Relabeled binaries: every stored environment holding the old version holds the new one.
        var mapping: [UInt32: UInt32] = [:]
        for (name, relabel) in update.relabeled {
            guard let old = ids[name]?[relabel.oldVersion].flatMap({ UInt32(exactly: $0) }) else { continue }
            mapping[old] = try id(name, relabel.newVersion)
        }
        if !mapping.isEmpty {
            var names: [String] = []
            var environments: [String] = []
            for try await (name, environment) in try await connection.query(
                "SELECT name, environment FROM packages WHERE collection = \(collection)", logger: logger
            ).decode((String, ByteBuffer).self) {
                if let relabeled = EnvironmentCodec.relabel(Self.data(environment), mapping) {
                    names.append(name)
                    environments.append(Self.hex(relabeled))
                }
            }
            for start in stride(from: 0, to: names.count, by: 5000) {
                let end = min(names.count, start + 5000)
                try await connection.query("""
                    UPDATE packages p SET environment = decode(t.e, 'hex')
                    FROM unnest(\(Array(names[start..<end]))::text[], \(Array(environments[start..<end]))::text[]) AS t(n, e)
                    WHERE p.collection = \(collection) AND p.name = t.n
                    """, logger: logger)
            }
        }

        // The packages, in bulk; tracking, blocking and priorities set before are kept.
        for start in stride(from: 0, to: update.packages.count, by: 2000) {
            let chunk = update.packages[start..<min(update.packages.count, start + 2000)]
            var names: [String] = [], versions: [String] = [], tracked: [Bool] = [], blocked: [Bool] = []
            var manual: [Double] = [], staticPriority: [Double] = [], resolved: [Int] = [], problems: [String] = [], environments: [String] = []
            for package in chunk {
                let previous = kept[package.name]
                names.append(package.name)
                versions.append(package.version)
                tracked.append(previous?.0 ?? package.tracked)
                blocked.append(previous?.1 ?? package.blocked)
                manual.append(previous?.2 ?? package.manualPriority)
                staticPriority.append(previous?.3 ?? package.staticPriority)
                resolved.append(package.resolved.map { $0 ? 1 : 0 } ?? -1)
                problems.append(try Self.json(package.problems))
                environments.append(Self.hex(try EnvironmentCodec.encode(package.environment) { name, version in try id(name, version) }))
            }
            try await connection.query("""
                INSERT INTO packages (collection, name, version, tracked, blocked, manual_priority, static_priority, resolved, problems, environment)
                SELECT \(collection), n, v, t, b, m, s, CASE r WHEN -1 THEN NULL ELSE r = 1 END, p, decode(e, 'hex')
                FROM unnest(\(names)::text[], \(versions)::text[], \(tracked)::boolean[], \(blocked)::boolean[], \(manual)::float8[],
                            \(staticPriority)::float8[], \(resolved)::bigint[], \(problems)::text[], \(environments)::text[])
                     AS x(n, v, t, b, m, s, r, p, e)
                """, logger: logger)
        }

        let changed = Array(update.changes.keys)
        try await connection.query("DELETE FROM changes WHERE collection = \(collection) AND package = ANY(\(changed)::text[])", logger: logger)
        let pending = update.changes.filter { !$0.value.isEmpty }
        if !pending.isEmpty {
            var names: [String] = [], bodies: [String] = []
            for (name, list) in pending {
                names.append(name)
                bodies.append(try Self.json(list))
            }
            try await connection.query("""
                INSERT INTO changes (collection, package, body) SELECT \(collection), n, b FROM unnest(\(names)::text[], \(bodies)::text[]) AS t(n, b)
                """, logger: logger)
        }
        if let binaries = update.binaries {
            let body = ByteBuffer(bytes: Array(BinaryFingerprint.encode(binaries)))
            try await connection.query("""
                INSERT INTO snapshot_binaries (collection, body) VALUES (\(collection), \(body))
                ON CONFLICT (collection) DO UPDATE SET body = excluded.body
                """, logger: logger)
        } else {
            try await connection.query("DELETE FROM snapshot_binaries WHERE collection = \(collection)", logger: logger)
        }
        try await connection.query("""
            INSERT INTO collections (name, snapshot, resolved_at) VALUES (\(collection), \(try json(update.snapshot)), \(Date().timeIntervalSince1970))
            ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, resolved_at = excluded.resolved_at
            """, logger: logger)
    }

    public func snapshot(collection: String) async throws(RebuildError) -> SnapshotIdentity? {
        let texts = try await rows("read snapshot", "SELECT snapshot FROM collections WHERE name = \(collection)") { try $0.decode(String.self) }
        guard let text = texts.first else { return nil }
        do { return try Self.decode(SnapshotIdentity.self, text) } catch { throw failure(error, "read snapshot") }
    }

    public func binaries(collection: String) async throws(RebuildError) -> [BinaryFingerprint]? {
        let bodies = try await rows("read snapshot binaries", "SELECT body FROM snapshot_binaries WHERE collection = \(collection)") {
            try $0.decode(ByteBuffer.self)
        }
        guard let body = bodies.first else { return nil }
        return try BinaryFingerprint.decode(Self.data(body))
    }

    // MARK: - Packages

    private typealias PackageRow = (String, String, Bool, Bool, Double, Double, Bool?, String, ByteBuffer?)

    private static let packageColumns = "name, version, tracked, blocked, manual_priority, static_priority, resolved, problems"

    private func table(collection: String, ids: Set<Int64>?) async throws(RebuildError) -> [Int64: (String, String)] {
        var table: [Int64: (String, String)] = [:]
        let query: PostgresQuery = if let ids {
            "SELECT id, name, version FROM binary_versions WHERE id = ANY(\(Array(ids))::bigint[])"
        } else {
            "SELECT id, name, version FROM binary_versions WHERE collection = \(collection)"
        }
        for (id, name, version) in try await rows("read binary versions", query, { try $0.decode((Int64, String, String).self) }) {
            table[id] = (name, version)
        }
        return table
    }

    private static func package(_ row: PackageRow, collection: String, table: [Int64: (String, String)]?) throws -> PackageRecord {
        PackageRecord(collection: collection, name: row.0, version: row.1, tracked: row.2, blocked: row.3, manualPriority: row.4,
                      staticPriority: row.5, resolved: row.6, problems: try decode([String].self, row.7),
                      environment: try table.map { try EnvironmentCodec.decode(data(row.8), $0) } ?? [])
    }

    public func packages(collection: String, environments: Bool) async throws(RebuildError) -> [PackageRecord] {
        let table = environments ? try await self.table(collection: collection, ids: nil) : nil
        let columns = Self.packageColumns + (environments ? ", environment" : ", NULL::bytea")
        let rows = try await rows("read packages", "SELECT \(unescaped: columns) FROM packages WHERE collection = \(collection) ORDER BY name") {
            try $0.decode(PackageRow.self)
        }
        do { return try rows.map { try Self.package($0, collection: collection, table: table) } } catch { throw failure(error, "read packages") }
    }

    public func package(collection: String, name: String) async throws(RebuildError) -> PackageRecord? {
        let rows = try await rows("read package", """
            SELECT \(unescaped: Self.packageColumns), environment FROM packages WHERE collection = \(collection) AND name = \(name)
            """) { try $0.decode(PackageRow.self) }
        guard let row = rows.first else { return nil }
        // Only the (name, version) pairs this environment holds.
        let table = try await self.table(collection: collection, ids: EnvironmentCodec.ids(in: Self.data(row.8)))
        do { return try Self.package(row, collection: collection, table: table) } catch { throw failure(error, "read package") }
    }

    public func update(collection: String, name: String, tracked: Bool?, blocked: Bool?, manualPriority: Double?) async throws(RebuildError) {
        let updated = try await rows("update package", """
            UPDATE packages SET tracked = coalesce(\(tracked), tracked), blocked = coalesce(\(blocked), blocked),
                manual_priority = coalesce(\(manualPriority), manual_priority)
            WHERE collection = \(collection) AND name = \(name) RETURNING name
            """) { try $0.decode(String.self) }
        guard updated.count == 1 else {
            throw RebuildError(.notFound, "no package '\(name)' in collection '\(collection)'", operation: "update package")
        }
    }

    public func changes(collection: String, name: String) async throws(RebuildError) -> [DependencyChange] {
        let bodies = try await rows("read changes", "SELECT body FROM changes WHERE collection = \(collection) AND package = \(name)") {
            try $0.decode(String.self)
        }
        guard let body = bodies.first else { return [] }
        do { return try Self.decode([DependencyChange].self, body) } catch { throw failure(error, "read changes") }
    }

    public func changes(collection: String) async throws(RebuildError) -> [String: [DependencyChange]] {
        let rows = try await rows("read changes", "SELECT package, body FROM changes WHERE collection = \(collection)") {
            try $0.decode((String, String).self)
        }
        var changes: [String: [DependencyChange]] = [:]
        do {
            for (package, body) in rows { changes[package] = try Self.decode([DependencyChange].self, body) }
        } catch {
            throw failure(error, "read changes")
        }
        return changes
    }

    // MARK: - Builds

    public func startBuild(_ build: BuildRecord) async throws(RebuildError) -> BuildRecord {
        let logger = logger
        do {
            let environment = try Self.json(build.environment)
            return try await database.client.withTransaction(logger: logger) { connection in
                var stored = build
                for try await (id,) in try await connection.query("""
                    INSERT INTO builds (collection, package, version, state, backend_id, started, environment)
                    VALUES (\(build.collection), \(build.package), \(build.version), 'running', \(build.backendID),
                            \(build.started.timeIntervalSince1970), \(environment)) RETURNING id
                    """, logger: logger).decode((Int64,).self) { stored.id = id }
                stored.state = .running
                try await connection.query("""
                    UPDATE packages SET manual_priority = 0 WHERE collection = \(build.collection) AND name = \(build.package)
                    """, logger: logger)
                try await connection.query("DELETE FROM changes WHERE collection = \(build.collection) AND package = \(build.package)",
                                           logger: logger)
                return stored
            }
        } catch {
            throw failure(error, "start build")
        }
    }

    public func finishBuild(id: Int64, state: BuildState, reason: String?, at date: Date) async throws(RebuildError) {
        _ = try await rows("finish build", """
            UPDATE builds SET state = \(state.rawValue), reason = \(reason), finished = \(date.timeIntervalSince1970)
            WHERE id = \(id) AND state = 'running'
            """) { _ in () }
    }

    private static let buildColumns = "id, collection, package, version, state, backend_id, started, finished, environment, reason"

    private typealias BuildRow = (Int64, String, String, String, String, String, Double, Double?, String, String?)

    private func builds(_ operation: String, _ query: PostgresQuery) async throws(RebuildError) -> [BuildRecord] {
        let rows = try await rows(operation, query) { try $0.decode(BuildRow.self) }
        do {
            return try rows.map { row in
                BuildRecord(id: row.0, collection: row.1, package: row.2, version: row.3, state: BuildState(rawValue: row.4) ?? .failed,
                            backendID: row.5, started: Date(timeIntervalSince1970: row.6), finished: row.7.map(Date.init(timeIntervalSince1970:)),
                            environment: try Self.decode([ResolvedPackage].self, row.8), reason: row.9)
            }
        } catch {
            throw failure(error, operation)
        }
    }

    public func runningBuilds() async throws(RebuildError) -> [BuildRecord] {
        try await builds("read running builds", "SELECT \(unescaped: Self.buildColumns) FROM builds WHERE state = 'running' ORDER BY id")
    }

    public func builds(collection: String, package: String, limit: Int) async throws(RebuildError) -> [BuildRecord] {
        try await builds("read builds", """
            SELECT \(unescaped: Self.buildColumns) FROM builds WHERE collection = \(collection) AND package = \(package)
            ORDER BY id DESC LIMIT \(Int64(max(0, limit)))
            """)
    }

    public func recentBuilds(collection: String, perPackage: Int) async throws(RebuildError) -> [String: [BuildRecord]] {
        let list = try await builds("read builds", """
            SELECT \(unescaped: Self.buildColumns) FROM (
                SELECT *, row_number() OVER (PARTITION BY package ORDER BY id DESC) AS rank FROM builds WHERE collection = \(collection)
            ) ranked WHERE rank <= \(Int64(perPackage)) ORDER BY package, id DESC
            """)
        var builds: [String: [BuildRecord]] = [:]
        for build in list { builds[build.package, default: []].append(build) }
        return builds
    }
}
