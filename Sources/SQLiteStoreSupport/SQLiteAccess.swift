package import GRDB

/// How the kits' SQLite stores run their statements: writes in one immediate transaction (so that a
/// read-then-write never loses a race to another process), reads on the pool's readers, and every
/// failure turned into the store's own error type — its own errors pass through unchanged, and the
/// rest are described to `failure` (with whether the task was cancelled).
package enum SQLiteAccess {
    package static func write<T: Sendable, E: Error>(
        _ pool: DatabasePool, _ body: @escaping @Sendable (Database) throws -> T,
        failure: (_ error: any Error & Sendable, _ cancelled: Bool) -> E
    ) async throws(E) -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw MissingResult() }
                return result
            }
        } catch {
            throw mapped(error, failure)
        }
    }

    package static func read<T: Sendable, E: Error>(
        _ pool: DatabasePool, _ body: @escaping @Sendable (Database) throws -> T,
        failure: (_ error: any Error & Sendable, _ cancelled: Bool) -> E
    ) async throws(E) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw mapped(error, failure)
        }
    }

    private struct MissingResult: Error, CustomStringConvertible {
        var description: String { "the transaction returned nothing" }
    }

    private static func mapped<E: Error>(_ error: any Error, _ failure: (any Error & Sendable, Bool) -> E) -> E {
        if let own = error as? E { return own }
        let underneath: any Error & Sendable
        if let database = error as? DatabaseError {
            underneath = database
        } else if let cancelled = error as? CancellationError {
            underneath = cancelled
        } else {
            underneath = DescribedError(error)
        }
        return failure(underneath, error is CancellationError)
    }
}

/// An error known only by its description, kept as the error underneath a store's own.
package struct DescribedError: Error, Sendable, CustomStringConvertible {
    package let description: String

    package init(_ error: any Error) {
        description = "\(error)"
    }
}
