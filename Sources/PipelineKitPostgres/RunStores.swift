public import Logging
public import PipelineKit
import PostgresStoreSupport

/// Opening a run store from a location, as servers and workers take it on their command line.
public enum RunStores {
    /// The run store at `location`: a `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` URL
    /// (``PostgresRunStore``, shared by workers on many machines) or a SQLite file (`SQLiteRunStore`).
    ///
    /// - Throws: ``PipelineError`` `invalidConfiguration` for another kind of URL, or what opening throws.
    public static func open(_ location: String, logger: Logger) async throws -> any RunStore & ConfigurationStore {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(location) } catch {
            throw PipelineError(.invalidConfiguration, error.description, operation: "open run store")
        }
        switch parsed {
        case .postgres(let url): return try await PostgresRunStore(url: url, logger: logger)
        case .sqlite(let path): return try SQLiteRunStore(path: path, logger: logger)
        }
    }
}
