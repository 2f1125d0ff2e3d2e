public import Foundation
import GRDB
public import Logging
import SQLiteStoreSupport

/// Where RebuildKit keeps collections, packages, builds and pending dependency changes. SQLite
/// (``SQLiteRebuildStore``) is the embedded default; a PostgreSQL store implements the same protocol.
public protocol RebuildStore: Sendable {
    /// Records that `collection` was resolved against a new snapshot, in one transaction: a snapshot
    /// is stored whole or not at all. Tracking, blocking and priorities set before are kept.
    func storeSnapshot(collection: String, _ update: SnapshotUpdate) async throws(RebuildError)
    /// The snapshot a collection was last resolved against.
    func snapshot(collection: String) async throws(RebuildError) -> SnapshotIdentity?
    /// The binaries of that snapshot, nil when none were stored with it.
    func binaries(collection: String) async throws(RebuildError) -> [BinaryFingerprint]?
    /// A collection's packages, by name; without `environments` their environments are left empty
    /// (reading every package's environment is the expensive part of a large collection).
    func packages(collection: String, environments: Bool) async throws(RebuildError) -> [PackageRecord]
    /// One package, with its environment.
    func package(collection: String, name: String) async throws(RebuildError) -> PackageRecord?
    /// Sets tracking, blocking or the manual priority (nil leaves a value as it is).
    func update(collection: String, name: String, tracked: Bool?, blocked: Bool?, manualPriority: Double?) async throws(RebuildError)
    /// A package's pending dependency changes.
    func changes(collection: String, name: String) async throws(RebuildError) -> [DependencyChange]
    /// Records a submitted build, resets the package's manual priority and clears its pending
    /// changes (the build's environment is the new baseline); returns it with its id.
    func startBuild(_ build: BuildRecord) async throws(RebuildError) -> BuildRecord
    /// Records how a build ended.
    func finishBuild(id: Int64, state: BuildState, reason: String?, at: Date) async throws(RebuildError)
    /// Builds still running.
    func runningBuilds() async throws(RebuildError) -> [BuildRecord]
    /// A package's builds, newest first.
    func builds(collection: String, package: String, limit: Int) async throws(RebuildError) -> [BuildRecord]
    /// Every package's newest builds (at most `perPackage` each, newest first), by package, in one read.
    func recentBuilds(collection: String, perPackage: Int) async throws(RebuildError) -> [String: [BuildRecord]]
    /// Every package's pending dependency changes, by package, in one read.
    func changes(collection: String) async throws(RebuildError) -> [String: [DependencyChange]]
}

/// What a refresh stores: a new snapshot and the package records that changed with it.
public struct SnapshotUpdate: Sendable {
    /// The snapshot resolved against.
    public var snapshot: SnapshotIdentity
    /// Its binaries, for the next incremental refresh (nil stores none).
    public var binaries: [BinaryFingerprint]?
    /// The records written. When ``complete``, every package of the collection (the others are
    /// deleted); otherwise only those that changed.
    public var packages: [PackageRecord]
    /// Packages that left the collection (incremental updates).
    public var removed: [String]
    /// Pending dependency changes (since the last build), replacing what was pending for each package
    /// named here; a package in ``packages`` but missing here has none afterwards.
    public var changes: [String: [DependencyChange]]
    /// Binaries at a new version (``IncrementalPlan/relabeled``): every stored environment that holds
    /// the old version holds the new one afterwards. Applied before ``packages`` are written.
    public var relabeled: [String: IncrementalPlan.Relabel]
    /// Whether ``packages`` is the whole collection.
    public var complete: Bool

    /// Creates an update.
    public init(snapshot: SnapshotIdentity, binaries: [BinaryFingerprint]? = nil, packages: [PackageRecord], removed: [String] = [],
                changes: [String: [DependencyChange]], relabeled: [String: IncrementalPlan.Relabel] = [:], complete: Bool) {
        self.relabeled = relabeled
        self.snapshot = snapshot
        self.binaries = binaries
        self.packages = packages
        self.removed = removed
        self.changes = changes
        self.complete = complete
    }
}

extension RebuildStore {
    /// Replaces the collection's packages with `packages` (a complete update without binaries).
    public func storeSnapshot(collection: String, snapshot: SnapshotIdentity, packages: [PackageRecord],
                              changes: [String: [DependencyChange]]) async throws(RebuildError) {
        try await storeSnapshot(collection: collection, SnapshotUpdate(snapshot: snapshot, packages: packages, changes: changes, complete: true))
    }

    /// A collection's packages with their environments.
    public func packages(collection: String) async throws(RebuildError) -> [PackageRecord] {
        try await packages(collection: collection, environments: true)
    }
}

/// The embedded ``RebuildStore``: one SQLite file in WAL mode, through GRDB.
public final class SQLiteRebuildStore: RebuildStore {
    private let database: SQLiteDatabase

    /// Opens (creating when needed) the store at `path`.
    public init(path: String, logger: Logger = Logger(label: "forgeworks.rebuild.store")) throws(RebuildError) {
        do {
            database = try SQLiteDatabase(path: path, migrator: Self.migrator, logger: logger)
        } catch {
            throw RebuildError(.store, "cannot open \(path): \(error)", operation: "open rebuild store")
        }
    }

    static var migrator: DatabaseMigrator {
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
        migrator.registerMigration("v2") { db in
            // Environments become compact blobs over interned (name, version) pairs; a collection keeps
            // its snapshot's binaries for incremental refreshes. Old JSON environments are dropped and
            // the next refresh resolves everything again.
            try db.execute(sql: """
                CREATE TABLE binary_versions (
                    id INTEGER PRIMARY KEY,
                    collection TEXT NOT NULL,
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    UNIQUE (collection, name, version)
                );
                CREATE TABLE snapshot_binaries (
                    collection TEXT PRIMARY KEY,
                    body BLOB NOT NULL
                );
                UPDATE packages SET environment = X'';
                UPDATE collections SET snapshot = '{"checksums":{}}';
                """)
        }
        return migrator
    }

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(RebuildError) -> T {
        try await database.write(body) { error, cancelled in
            RebuildError(.store, cancelled ? "cancelled: \(error)" : "\(error)", operation: operation, underlying: error)
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(RebuildError) -> T {
        try await database.read(body) { error, cancelled in
            RebuildError(.store, cancelled ? "cancelled: \(error)" : "\(error)", operation: operation, underlying: error)
        }
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public func storeSnapshot(collection: String, _ update: SnapshotUpdate) async throws(RebuildError) {
        try await write("store snapshot") { db in
            var kept: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, tracked, blocked, manual_priority, static_priority FROM packages WHERE collection = ?",
                                        arguments: [collection]) {
                kept[row["name"]] = row
            }
            if update.complete {
                try db.execute(sql: "DELETE FROM packages WHERE collection = ?", arguments: [collection])
                try db.execute(sql: "DELETE FROM changes WHERE collection = ?", arguments: [collection])
            } else {
                let delete = try db.makeStatement(sql: "DELETE FROM packages WHERE collection = ? AND name = ?")
                let deleteChanges = try db.makeStatement(sql: "DELETE FROM changes WHERE collection = ? AND package = ?")
                for name in update.removed + update.packages.map(\.name) {
                    try delete.execute(arguments: [collection, name])
                    try deleteChanges.execute(arguments: [collection, name])
                }
            }
            var interner = try Interner(db, collection: collection)
            if !update.relabeled.isEmpty { try Self.relabel(update.relabeled, db: db, collection: collection, interner: &interner) }
            let insert = try db.makeStatement(sql: """
                INSERT INTO packages (collection, name, version, tracked, blocked, manual_priority, static_priority, resolved, problems, environment)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for package in update.packages {
                let previous = kept[package.name]
                try insert.execute(arguments: [
                    collection, package.name, package.version,
                    previous.map { $0["tracked"] as Bool } ?? package.tracked,
                    previous.map { $0["blocked"] as Bool } ?? package.blocked,
                    previous.map { $0["manual_priority"] as Double } ?? package.manualPriority,
                    previous.map { $0["static_priority"] as Double } ?? package.staticPriority,
                    package.resolved, try Self.json(package.problems), try interner.encode(package.environment, in: db),
                ])
            }
            let deleteChanges = try db.makeStatement(sql: "DELETE FROM changes WHERE collection = ? AND package = ?")
            for name in update.changes.keys { try deleteChanges.execute(arguments: [collection, name]) }
            let insertChanges = try db.makeStatement(sql: "INSERT INTO changes (collection, package, body) VALUES (?, ?, ?)")
            for (name, list) in update.changes where !list.isEmpty {
                try insertChanges.execute(arguments: [collection, name, try Self.json(list)])
            }
            if let binaries = update.binaries {
                try db.execute(sql: "INSERT INTO snapshot_binaries (collection, body) VALUES (?, ?) ON CONFLICT(collection) DO UPDATE SET body = excluded.body",
                               arguments: [collection, BinaryFingerprint.encode(binaries)])
            } else {
                try db.execute(sql: "DELETE FROM snapshot_binaries WHERE collection = ?", arguments: [collection])
            }
            try db.execute(sql: "INSERT INTO collections (name, snapshot, resolved_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET snapshot = excluded.snapshot, resolved_at = excluded.resolved_at",
                           arguments: [collection, try Self.json(update.snapshot), Date().timeIntervalSince1970])
        }
    }

    public func binaries(collection: String) async throws(RebuildError) -> [BinaryFingerprint]? {
        try await read("read snapshot binaries") { db in
            guard let body = try Data.fetchOne(db, sql: "SELECT body FROM snapshot_binaries WHERE collection = ?", arguments: [collection]) else { return nil }
            return try BinaryFingerprint.decode(body)
        }
    }

    /// Environments are stored as 5 bytes per package: a little-endian 32-bit id of its (name, version)
    /// in `binary_versions`, and its distance (0 when unknown). Most environments share most of their
    /// packages, so this is about a tenth of JSON and decodes without parsing.
    private struct Interner {
        private var ids: [String: [String: Int64]] = [:]
        private let insert: Statement
        private let collection: String

        init(_ db: Database, collection: String) throws {
            self.collection = collection
            for row in try Row.fetchAll(db, sql: "SELECT id, name, version FROM binary_versions WHERE collection = ?", arguments: [collection]) {
                ids[row["name"], default: [:]][row["version"]] = row["id"]
            }
            insert = try db.makeStatement(sql: "INSERT INTO binary_versions (collection, name, version) VALUES (?, ?, ?)")
        }

        func id(name: String, version: String) -> UInt32? {
            ids[name]?[version].flatMap { UInt32(exactly: $0) }
        }

        mutating func intern(name: String, version: String, in db: Database) throws -> UInt32 {
            let id: Int64
            if let known = ids[name]?[version] {
                id = known
            } else {
                try insert.execute(arguments: [collection, name, version])
                id = db.lastInsertedRowID
                ids[name, default: [:]][version] = id
            }
            guard let small = UInt32(exactly: id) else {
                throw RebuildError(.store, "more than 4 billion binary versions interned", operation: "store environment")
            }
            return small
        }

        mutating func encode(_ environment: [ResolvedPackage], in db: Database) throws -> Data {
            try EnvironmentCodec.encode(environment) { name, version in try intern(name: name, version: version, in: db) }
        }
    }

    /// Rewrites every stored environment holding a relabeled binary's old version to hold its new
    /// one, on the stored bytes (ids are swapped; nothing is decoded).
    private static func relabel(_ relabeled: [String: IncrementalPlan.Relabel], db: Database, collection: String, interner: inout Interner) throws {
        var mapping: [UInt32: UInt32] = [:]
        for (name, relabel) in relabeled {
            guard let old = interner.id(name: name, version: relabel.oldVersion) else { continue }  // in no environment
            mapping[old] = try interner.intern(name: name, version: relabel.newVersion, in: db)
        }
        guard !mapping.isEmpty else { return }
        let update = try db.makeStatement(sql: "UPDATE packages SET environment = ? WHERE collection = ? AND name = ?")
        let rows = try Row.fetchCursor(db, sql: "SELECT name, environment FROM packages WHERE collection = ?", arguments: [collection])
        var changed: [(String, Data)] = []
        while let row = try rows.next() {
            if let bytes = EnvironmentCodec.relabel(row["environment"], mapping) { changed.append((row["name"], bytes)) }
        }
        for (name, bytes) in changed { try update.execute(arguments: [bytes, collection, name]) }
    }

    /// The (name, version) pairs of a collection's interned ids.
    private static func binaryVersions(_ db: Database, collection: String) throws -> [Int64: (String, String)] {
        var table: [Int64: (String, String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, version FROM binary_versions WHERE collection = ?", arguments: [collection]) {
            table[row["id"]] = (row["name"], row["version"])
        }
        return table
    }

    private static func decodeEnvironment(_ bytes: Data, _ table: [Int64: (String, String)]) throws -> [ResolvedPackage] {
        try EnvironmentCodec.decode(bytes, table)
    }

    public func snapshot(collection: String) async throws(RebuildError) -> SnapshotIdentity? {
        try await read("read snapshot") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT snapshot FROM collections WHERE name = ?", arguments: [collection]) else { return nil }
            return try Self.decode(SnapshotIdentity.self, text)
        }
    }

    private static func package(_ row: Row, collection: String, binaries: [Int64: (String, String)]?) throws -> PackageRecord {
        PackageRecord(collection: collection, name: row["name"], version: row["version"], tracked: row["tracked"], blocked: row["blocked"],
                      manualPriority: row["manual_priority"], staticPriority: row["static_priority"], resolved: row["resolved"],
                      problems: try decode([String].self, row["problems"]),
                      environment: try binaries.map { try decodeEnvironment(row["environment"], $0) } ?? [])
    }

    public func packages(collection: String, environments: Bool) async throws(RebuildError) -> [PackageRecord] {
        try await read("read packages") { db in
            let table = environments ? try Self.binaryVersions(db, collection: collection) : nil
            let columns = environments ? "*" : "name, version, tracked, blocked, manual_priority, static_priority, resolved, problems"
            return try Row.fetchAll(db, sql: "SELECT \(columns) FROM packages WHERE collection = ? ORDER BY name", arguments: [collection]).map {
                try Self.package($0, collection: collection, binaries: table)
            }
        }
    }

    public func package(collection: String, name: String) async throws(RebuildError) -> PackageRecord? {
        try await read("read package") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM packages WHERE collection = ? AND name = ?", arguments: [collection, name]) else { return nil }
            // Only the (name, version) pairs this environment holds.
            let ids = EnvironmentCodec.ids(in: row["environment"])
            var table: [Int64: (String, String)] = [:]
            let list = ids.map(String.init).joined(separator: ",")
            if !list.isEmpty {
                for entry in try Row.fetchAll(db, sql: "SELECT id, name, version FROM binary_versions WHERE id IN (\(list))") {
                    table[entry["id"]] = (entry["name"], entry["version"])
                }
            }
            return try Self.package(row, collection: collection, binaries: table)
        }
    }

    public func update(collection: String, name: String, tracked: Bool?, blocked: Bool?, manualPriority: Double?) async throws(RebuildError) {
        try await write("update package") { db in
            try db.execute(sql: """
                UPDATE packages SET tracked = COALESCE(?, tracked), blocked = COALESCE(?, blocked), manual_priority = COALESCE(?, manual_priority)
                WHERE collection = ? AND name = ?
                """, arguments: [tracked, blocked, manualPriority, collection, name])
            guard db.changesCount == 1 else {
                throw RebuildError(.notFound, "no package '\(name)' in collection '\(collection)'", operation: "update package")
            }
        }
    }

    public func changes(collection: String, name: String) async throws(RebuildError) -> [DependencyChange] {
        try await read("read changes") { db in
            guard let text = try String.fetchOne(db, sql: "SELECT body FROM changes WHERE collection = ? AND package = ?", arguments: [collection, name]) else { return [] }
            return try Self.decode([DependencyChange].self, text)
        }
    }

    public func startBuild(_ build: BuildRecord) async throws(RebuildError) -> BuildRecord {
        try await write("start build") { db in
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

    public func finishBuild(id: Int64, state: BuildState, reason: String?, at date: Date) async throws(RebuildError) {
        try await write("finish build") { db in
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

    public func runningBuilds() async throws(RebuildError) -> [BuildRecord] {
        try await read("read running builds") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM builds WHERE state = 'running' ORDER BY id").map(Self.build)
        }
    }

    public func recentBuilds(collection: String, perPackage: Int) async throws(RebuildError) -> [String: [BuildRecord]] {
        try await read("read builds") { db in
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

    public func changes(collection: String) async throws(RebuildError) -> [String: [DependencyChange]] {
        try await read("read changes") { db in
            var changes: [String: [DependencyChange]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT package, body FROM changes WHERE collection = ?", arguments: [collection]) {
                changes[row["package"]] = try Self.decode([DependencyChange].self, row["body"])
            }
            return changes
        }
    }

    public func builds(collection: String, package: String, limit: Int) async throws(RebuildError) -> [BuildRecord] {
        try await read("read builds") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM builds WHERE collection = ? AND package = ? ORDER BY id DESC LIMIT ?",
                             arguments: [collection, package, limit]).map(Self.build)
        }
    }
}
