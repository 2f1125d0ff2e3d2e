public import ForgeKit
public import Logging
import PostgresStoreSupport

/// Opening the forge's metadata store from a location, as servers take it on their command line.
public enum ForgeMetadataStores {
    /// The metadata store at `location`: a `postgres://` URL (``PostgresForgeStore``, shared by
    /// several forge processes) or a SQLite file (`SQLiteForgeStore`).
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for another kind of URL, or what opening throws.
    public static func open(_ location: String, logger: Logger) async throws(ForgeError) -> any ForgeMetadataStore {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(location) } catch {
            throw ForgeError(.invalidArgument, error.description, operation: "open forge store")
        }
        switch parsed {
        case .postgres(let url): return try await PostgresForgeStore(url: url, logger: logger)
        case .sqlite(let path): return try SQLiteForgeStore(path: path, logger: logger)
        }
    }
}
