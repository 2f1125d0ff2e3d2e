import Dispatch
package import GRDB
import GRDBSQLite
package import Logging
import Synchronization
import PlatformSupport

/// Checkpoints a WAL database without making its writer wait for the disk.
///
/// SQLite's own automatic checkpoint runs on the connection that has just committed, once the WAL
/// holds 1,000 pages: that connection copies the pages into the database and fsyncs the WAL and the
/// database before it can commit again, so every write waiting behind it waits for two fsyncs. A
/// checkpoint from another connection does not block the writer, but under steady writes it never
/// catches up with the end of the WAL, so the WAL is never restarted and grows without bound.
///
/// This checkpointer does both halves: when a commit leaves the WAL at `threshold` pages or more, a
/// second connection (on a Dispatch thread, not the writer) copies what is there and fsyncs, while the
/// writer goes on committing; then the writer itself checkpoints the few pages committed meanwhile,
/// which is quick, and its next transaction restarts the WAL from its beginning. Durability does not
/// change: the same pages are synced in the same order as by SQLite's own checkpoint.
package final class WALCheckpointer: Sendable {
    private struct State {
        weak var pool: DatabasePool?
        var background: DatabaseQueue?
        var running = false
        var closed = false
        /// The WAL size at which the next checkpoint starts.
        var nextAt: Int32 = 0
    }

    private let path: String
    private let threshold: Int32
    private let restartAt: Int32
    private let synchronous: String
    private let logger: Logger
    private let beforeCheckpoint: (@Sendable () throws -> Void)?
    private let state = Mutex<State>(State())

    /// - Parameters:
    ///   - path: The database file.
    ///   - synchronous: The value of `PRAGMA synchronous` of the store's connections (`NORMAL` or
    ///     `FULL`), which decides how the checkpoint syncs.
    ///   - threshold: The WAL size, in pages, from which a commit starts a checkpoint.
    ///   - beforeCheckpoint: Runs before each checkpoint, on the checkpoint's thread (to sync files
    ///     that the database's rows point into); when it throws, that checkpoint is not made.
    package init(path: String, synchronous: String, threshold: Int = 1_000, logger: Logger,
                 beforeCheckpoint: (@Sendable () throws -> Void)? = nil) {
        self.path = path
        self.beforeCheckpoint = beforeCheckpoint
        self.synchronous = synchronous
        self.threshold = Int32(clamping: threshold)
        self.restartAt = Int32(clamping: threshold * 4)
        self.logger = logger
    }

    /// Replaces the automatic checkpoint of the writing connection `db` with this checkpointer. Call it
    /// from `Configuration.prepareDatabase`; connections opened read-only are left alone.
    package func install(on db: Database) {
        guard !db.configuration.readonly else { return }
        // The hook holds no reference: the pool's configuration, which owns the connection, keeps `self` alive.
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The pool whose writer finishes each checkpoint. Call it once the pool is open.
    package func attach(_ pool: DatabasePool) {
        state.withLock { $0.pool = pool }
    }

    /// Stops starting checkpoints; one already under way completes.
    package func close() {
        state.withLock { $0.closed = true }
    }

    fileprivate func committed(walPages: Int32) {
        guard walPages >= threshold else { return }
        let start = state.withLock { state -> Bool in
            guard !state.running, !state.closed, state.pool != nil, walPages >= state.nextAt else { return false }
            state.running = true
            return true
        }
        if start { BlockingQueue.shared.start { self.checkpoint() } }
    }

    private func checkpoint() {
        var nextAt: Int32 = 0
        defer { state.withLock { $0.running = false; $0.nextAt = nextAt } }
        do {
            guard let (pool, background) = try connections() else { return }
            try beforeCheckpoint?()
            // The bulk: copied and synced beside the writer, which keeps committing.
            let copied = try background.writeWithoutTransaction { try $0.checkpoint(.passive) }
            guard copied.walFrameCount >= restartAt else {
                // The WAL is not restarted yet: the next checkpoint waits for `threshold` more pages.
                nextAt = Int32(clamping: copied.walFrameCount) + threshold
                return
            }
            // The rest, committed during the bulk: the writer copies it between two transactions, and
            // its next transaction restarts the WAL.
            let finished = try pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
            logger.trace("WAL checkpointed", metadata: [
                "pages": "\(copied.checkpointedFrameCount)", "by the writer": "\(finished.checkpointedFrameCount - copied.checkpointedFrameCount)",
            ])
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["database": "\(path)", "error": "\(error)"])
        }
    }

    private func connections() throws -> (DatabasePool, DatabaseQueue)? {
        let (pool, existing) = state.withLock { ($0.pool, $0.background) }
        guard let pool else { return nil }
        if let existing { return (pool, existing) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let synchronous = self.synchronous
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        let background = try DatabaseQueue(path: path, configuration: configuration)
        state.withLock { $0.background = background }
        return (pool, background)
    }
}

private let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    context, _, _, pages in
    if let context {
        Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(walPages: pages)
    }
    return SQLITE_OK
}
