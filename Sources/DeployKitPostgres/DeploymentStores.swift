public import DeployKit
public import Logging
import PostgresStoreSupport

/// Opening a deployment store from a location, as servers take it on their command line.
public enum DeploymentStores {
    /// The deployment store at `location`: a `postgres://` URL (``PostgresDeploymentStore``, shared by
    /// several servers) or a SQLite file (`SQLiteDeploymentStore`).
    ///
    /// - Throws: ``DeployError`` `invalidConfiguration` for another kind of URL, or what opening throws.
    public static func open(_ location: String, logger: Logger) async throws -> any DeploymentStore {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(location) } catch {
            throw DeployError(.invalidConfiguration, error.description, operation: "open deployment store")
        }
        switch parsed {
        case .postgres(let url): return try await PostgresDeploymentStore(url: url, logger: logger)
        case .sqlite(let path): return try SQLiteDeploymentStore(path: path, logger: logger)
        }
    }
}
