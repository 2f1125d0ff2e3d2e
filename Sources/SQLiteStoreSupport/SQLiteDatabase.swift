import Foundation
package import GRDB
package import Logging

/// The one way the kits open an embedded SQLite store: a GRDB pool in WAL mode with a busy timeout,
/// `PRAGMA synchronous` as asked, optionally ``WALCheckpointer`` in place of SQLite's automatic
/// checkpoint, the folder created when missing, and the store's versioned migrations applied; then
/// writes in immediate transactions and reads on the pool's readers through ``SQLiteAccess``.
package final class SQLiteDatabase: Sendable {
    /// How a store wants its connections set up.
    package struct Options: Sendable {
        /// `PRAGMA synchronous`: `NORMAL` (commits survive a process crash) or `FULL` (every commit fsynced).
        package var synchronous: String = "NORMAL"
        /// Readers beside the writer.
        package var maximumReaderCount = 4
        /// `PRAGMA cache_size` in KiB (SQLite's default when nil).
        package var cacheKiB: Int?
        /// `PRAGMA mmap_size` in bytes, and temporary tables in memory, when set.
        package var memoryMapBytes: Int?
        /// Checkpoints beside the writer (see ``WALCheckpointer``) instead of SQLite's automatic one.
        package var checkpointsBesideWriter = false
        /// Runs before each such checkpoint (to sync files the rows point into).
        package var beforeCheckpoint: (@Sendable () throws -> Void)?

        package init() {}
    }

    /// The pool.
    package let pool: DatabasePool
    /// The database file.
    package let path: String
    private let checkpointer: WALCheckpointer?

    /// Opens (creating it, and its folder, when needed) the database at `path` and applies `migrator`.
    ///
    /// - Throws: whatever GRDB throws, for the store to describe in its own error type.
    package init(path: String, options: Options = Options(), migrator: DatabaseMigrator, logger: Logger) throws {
        Self.createFolder(of: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = options.maximumReaderCount
        let synchronous = options.synchronous
        let checkpointer = options.checkpointsBesideWriter
            ? WALCheckpointer(path: path, synchronous: synchronous, logger: logger, beforeCheckpoint: options.beforeCheckpoint)
            : nil
        let cacheKiB = options.cacheKiB, memoryMapBytes = options.memoryMapBytes
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            checkpointer?.install(on: db)
            if let cacheKiB { try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)") }
            if let memoryMapBytes {
                try db.execute(sql: "PRAGMA mmap_size = \(memoryMapBytes)")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        checkpointer?.attach(pool)
        try migrator.migrate(pool)
        self.path = path
        self.checkpointer = checkpointer
    }

    deinit { checkpointer?.close() }

    /// Creates the folder `path` is in, when missing (for files a store keeps beside its database).
    package static func createFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    }

    /// Runs `body` in one immediate transaction off the cooperative pool; see ``SQLiteAccess/write(_:_:failure:)``.
    package func write<T: Sendable, E: Error>(
        _ body: @escaping @Sendable (Database) throws -> T, failure: (_ error: any Error & Sendable, _ cancelled: Bool) -> E
    ) async throws(E) -> T {
        try await SQLiteAccess.write(pool, body, failure: failure)
    }

    /// Runs `body` on a reader off the cooperative pool; see ``SQLiteAccess/read(_:_:failure:)``.
    package func read<T: Sendable, E: Error>(
        _ body: @escaping @Sendable (Database) throws -> T, failure: (_ error: any Error & Sendable, _ cancelled: Bool) -> E
    ) async throws(E) -> T {
        try await SQLiteAccess.read(pool, body, failure: failure)
    }
}
