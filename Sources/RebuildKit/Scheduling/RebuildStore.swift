public import Foundation
import GRDB

/// Where RebuildKit keeps collections, packages, builds and pending dependency changes. SQLite
/// (``SQLiteRebuildStore``) is the embedded default; a PostgreSQL store implements the same protocol.
public protocol RebuildStore: Sendable {
    /// Records that `collection` was resolved against `snapshot` with these packages, replacing the
    /// previous snapshot's records in one transaction: a snapshot is stored whole or not at all.
    /// Tracking, blocking and priorities set before are kept; `changes` are each package's dependency
    /// changes since its last build.
    func storeSnapshot(collection: String, snapshot: SnapshotIdentity, packages: [PackageRecord],
                       changes: [String: [DependencyChange]]) throws(RebuildError)
    /// The snapshot a collection was last resolved against.
    func snapshot(collection: String) throws(RebuildError) -> SnapshotIdentity?
    /// A collection's packages, by name.
    func packages(collection: String) throws(RebuildError) -> [PackageRecord]
    /// One package.
    func package(collection: String, name: String) throws(RebuildError) -> PackageRecord?
    /// Sets tracking, blocking or the manual priority (nil leaves a value as it is).
    func update(collection: String, name: String, tracked: Bool?, blocked: Bool?, manualPriority: Double?) throws(RebuildError)
    /// A package's pending dependency changes.
    func changes(collection: String, name: String) throws(RebuildError) -> [DependencyChange]
    /// Records a submitted build, resets the package's manual priority and clears its pending
    /// changes (the build's environment is the new baseline); returns it with its id.
    func startBuild(_ build: BuildRecord) throws(RebuildError) -> BuildRecord
    /// Records how a build ended.
    func finishBuild(id: Int64, state: BuildState, reason: String?, at: Date) throws(RebuildError)
    /// Builds still running.
    func runningBuilds() throws(RebuildError) -> [BuildRecord]
    /// A package's builds, newest first.
    func builds(collection: String, package: String, limit: Int) throws(RebuildError) -> [BuildRecord]
    /// Every package's newest builds (at most `perPackage` each, newest first), by package, in one read.
    func recentBuilds(collection: String, perPackage: Int) throws(RebuildError) -> [String: [BuildRecord]]
    /// Every package's pending dependency changes, by package, in one read.
    func changes(collection: String) throws(RebuildError) -> [String: [DependencyChange]]
}

/// The embedded ``RebuildStore``: one SQLite file in WAL mode, through GRDB.
public final class SQLiteRebuildStore: RebuildStore {
    private let pool: DatabasePool

    /// Opens (creating when needed) the store at `path`.
    public init(path: String) throws(RebuildError) {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE collections (
                        name TEXT PRIMARY KEY,
                        snapshot TEXT NOT NULL,
                        resolved_at REAL NOT NULL
                    );
                    CREATE TABLE packages (
                        collection TEXT NOT NULL,
                        name TEXT NOT NULL,
                        version TEXT NOT NULL,
                        tracked INTEGER NOT NULL,
                        blocked INTEGER NOT NULL,
                        manual_priority REAL NOT NULL DEFAULT 0,
                        static_priority REAL NOT NULL DEFAULT 0,
                        resolved INTEGER,
                        problems TEXT NOT NULL,
                        environment TEXT NOT NULL,
                        PRIMARY KEY (collection, name)
                    );
                    CREATE TABLE changes (
                        collection TEXT NOT NULL,
                        package TEXT NOT NULL,
                        body TEXT NOT NULL,
                        PRIMARY KEY (collection, package)
                    );
                    CREATE TABLE builds (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        collection TEXT NOT NULL,
                        package TEXT NOT NULL,
                        version TEXT NOT NULL,
                        state TEXT NOT NULL,
                        backend_id TEXT NOT NULL,
                        started REAL NOT NULL,
                        finished REAL,
                        environment TEXT NOT NULL,
                        reason TEXT
                    );
                    CREATE INDEX builds_by_package ON builds(collection, package, id);
                    CREATE INDEX builds_running ON builds(id) WHERE state = 'running';
                    """)
            }
            try migrator.migrate(pool)
        } catch {
            throw RebuildError(.store, "cannot open \(path): \(error)", operation: "open rebuild store")
        }
    }

    private func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(RebuildError) -> T {
        do { return try pool.write(body) } catch let error as RebuildError { throw error } catch {
            throw RebuildError(.store, "\(error)", operation: operation)
        }
    }

    private func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(RebuildError) -> T {
        do { return try pool.read(body) } catch {
            throw RebuildError(.store, "\(error)", operation: operation)
        }
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public func storeSnapshot(collection: String, snapshot: SnapshotIdentity, packages: [PackageRecord],
                              changes: [String: [DependencyChange]]) throws(RebuildError) {
        try write("store snapshot") { db in
            var kept: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, tracked, blocked, manual_priority, static_priority FROM packages WHERE collection = ?",
                                        arguments: [collection]) {
                kept[row["name"]] = row
            }
            try db.execute(sql: "DELETE FROM packages WHERE collection = ?", arguments: [collection])
            try db.execute(sql: "DELETE FROM changes WHERE collection = ?", arguments: [collection])
            let insert = try db.makeStatement(sql: """
                INSERT INTO packages (collection, name, version, tracked, blocked, manual_priority, static_priority, resolved, problems, environment)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for package in packages {
                let previous = kept[package.name]
                try insert.execute(arguments: [
                    collection, package.name, package.version,
                    previous.map { $0["tracked"] as Bool } ?? package.tracked,
                    previous.map { $0["blocked"] as Bool } ?? package.blocked,
                    previous.map { $0["manual_priority"] as Double } ?? package.manualPriority,
                    previous.map { $0["static_priority"] as Double } ?? package.staticPriority,
                    package.resolved, try Self.json(package.problems), try Self.json(package.environment),
                ])
            }
            let insertChanges = try db.makeStatement(sql: "INSERT INTO changes (collection, package, body) VALUES (?, ?, ?)")
            for (name, list) in changes where !list.isEmpty {
                try insertChanges.execute(arguments: [collection, name, try Self.json(list)])
            }
            try db.execute(sql: "INSERT INTO collections (name, snapshot, resolved_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET snapshot = excluded.snapshot, resolved_at = excluded.resolved_at",
                           arguments: [collection, try Self.json(snapshot), Date().timeIntervalSince1970])
        }
    }

    public func snapshot(collection: String) throws(RebuildError) -> SnapshotIdentity? {
        try read("read snapshot") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT snapshot FROM collections WHERE name = ?", arguments: [collection]) else { return nil }
            return try Self.decode(SnapshotIdentity.self, text)
        }
    }

    private static func package(_ row: Row, collection: String) throws -> PackageRecord {
        PackageRecord(collection: collection, name: row["name"], version: row["version"], tracked: row["tracked"], blocked: row["blocked"],
                      manualPriority: row["manual_priority"], staticPriority: row["static_priority"], resolved: row["resolved"],
                      problems: try decode([String].self, row["problems"]), environment: try decode([ResolvedPackage].self, row["environment"]))
    }

    public func packages(collection: String) throws(RebuildError) -> [PackageRecord] {
        try read("read packages") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM packages WHERE collection = ? ORDER BY name", arguments: [collection]).map {
                try Self.package($0, collection: collection)
            }
        }
    }

    public func package(collection: String, name: String) throws(RebuildError) -> PackageRecord? {
        try read("read package") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM packages WHERE collection = ? AND name = ?", arguments: [collection, name]).map {
                try Self.package($0, collection: collection)
            }
        }
    }

    public func update(collection: String, name: String, tracked: Bool?, blocked: Bool?, manualPriority: Double?) throws(RebuildError) {
        try write("update package") { db in
            try db.execute(sql: """
                UPDATE packages SET tracked = COALESCE(?, tracked), blocked = COALESCE(?, blocked), manual_priority = COALESCE(?, manual_priority)
                WHERE collection = ? AND name = ?
                """, arguments: [tracked, blocked, manualPriority, collection, name])
            guard db.changesCount == 1 else {
                throw RebuildError(.notFound, "no package '\(name)' in collection '\(collection)'", operation: "update package")
            }
        }
    }

    public func changes(collection: String, name: String) throws(RebuildError) -> [DependencyChange] {
        try read("read changes") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT body FROM changes WHERE collection = ? AND package = ?", arguments: [collection, name]) else { return [] }
            return try Self.decode([DependencyChange].self, text)
        }
    }

    public func startBuild(_ build: BuildRecord) throws(RebuildError) -> BuildRecord {
        try write("start build") { db in
            try db.execute(sql: """
                INSERT INTO builds (collection, package, version, state, backend_id, started, environment) VALUES (?, ?, ?, 'running', ?, ?, ?)
                """, arguments: [build.collection, build.package, build.version, build.backendID, build.started.timeIntervalSince1970, try Self.json(build.environment)])
            var stored = build
            stored.id = db.lastInsertedRowID
            stored.state = .running
            try db.execute(sql: "UPDATE packages SET manual_priority = 0 WHERE collection = ? AND name = ?", arguments: [build.collection, build.package])
            try db.execute(sql: "DELETE FROM changes WHERE collection = ? AND package = ?", arguments: [build.collection, build.package])
            return stored
        }
    }

    public func finishBuild(id: Int64, state: BuildState, reason: String?, at date: Date) throws(RebuildError) {
        try write("finish build") { db in
            try db.execute(sql: "UPDATE builds SET state = ?, reason = ?, finished = ? WHERE id = ? AND state = 'running'",
                           arguments: [state.rawValue, reason, date.timeIntervalSince1970, id])
        }
    }

    private static func build(_ row: Row) throws -> BuildRecord {
        BuildRecord(id: row["id"], collection: row["collection"], package: row["package"], version: row["version"],
                    state: BuildState(rawValue: row["state"]) ?? .failed, backendID: row["backend_id"],
                    started: Date(timeIntervalSince1970: row["started"]),
                    finished: (row["finished"] as Double?).map { Date(timeIntervalSince1970: $0) },
                    environment: try decode([ResolvedPackage].self, row["environment"]), reason: row["reason"])
    }

    public func runningBuilds() throws(RebuildError) -> [BuildRecord] {
        try read("read running builds") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM builds WHERE state = 'running' ORDER BY id").map(Self.build)
        }
    }

    public func recentBuilds(collection: String, perPackage: Int) throws(RebuildError) -> [String: [BuildRecord]] {
        try read("read builds") { db in
            var builds: [String: [BuildRecord]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY package ORDER BY id DESC) AS rank FROM builds WHERE collection = ?)
                WHERE rank <= ? ORDER BY package, id DESC
                """, arguments: [collection, perPackage]) {
                let build = try Self.build(row)
                builds[build.package, default: []].append(build)
            }
            return builds
        }
    }

    public func changes(collection: String) throws(RebuildError) -> [String: [DependencyChange]] {
        try read("read changes") { db in
            var changes: [String: [DependencyChange]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT package, body FROM changes WHERE collection = ?", arguments: [collection]) {
                changes[row["package"]] = try Self.decode([DependencyChange].self, row["body"])
            }
            return changes
        }
    }

    public func builds(collection: String, package: String, limit: Int) throws(RebuildError) -> [BuildRecord] {
        try read("read builds") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM builds WHERE collection = ? AND package = ? ORDER BY id DESC LIMIT ?",
                             arguments: [collection, package, limit]).map(Self.build)
        }
    }
}
