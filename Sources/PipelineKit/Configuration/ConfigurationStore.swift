public import Foundation

/// Configurations kept in a database, beside those loaded from files: what an API or an admin page
/// edits. ``SQLiteRunStore`` implements it (in the same file as the runs).
public protocol ConfigurationStore: Sendable {
    /// Adds or replaces the configuration with the same name.
    func saveConfiguration(_ configuration: PipelineConfiguration, now: Date) async throws(PipelineError)
    /// Removes the configuration named `name`; `false` when there was none.
    func deleteConfiguration(named name: String) async throws(PipelineError) -> Bool
    /// Every stored configuration, by name.
    func storedConfigurations() async throws(PipelineError) -> [PipelineConfiguration]
}
