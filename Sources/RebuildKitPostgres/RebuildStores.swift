public import Logging
public import RebuildKit
import PostgresStoreSupport

/// Opening a rebuild store from a location, as watchers take it on their command line.
public enum RebuildStores {
    /// The rebuild store at `location`: a `postgres://` URL (``PostgresRebuildStore``, shared by several
    /// watchers and status pages) or a SQLite file (`SQLiteRebuildStore`).
    ///
    /// - Throws: ``RebuildError`` `invalidConfiguration` for another kind of URL, or what opening throws.
    public static func open(_ location: String, logger: Logger) async throws -> any RebuildStore {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(location) } catch {
            throw RebuildError(.invalidConfiguration, error.description, operation: "open rebuild store")
        }
        switch parsed {
        case .postgres(let url): return try await PostgresRebuildStore(url: url, logger: logger)
        case .sqlite(let path): return try SQLiteRebuildStore(path: path, logger: logger)
        }
    }

    /// Whether `location` names a store the kits open (for validating options before starting).
    public static func validate(_ location: String) throws(RebuildError) {
        do { _ = try StoreLocation(location) } catch {
            throw RebuildError(.invalidConfiguration, error.description, operation: "open rebuild store")
        }
    }
}
