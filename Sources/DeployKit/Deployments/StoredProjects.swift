import Foundation
import Synchronization

/// How every ``DeploymentStore`` keeps projects: validated settings as JSON with sorted keys, and
/// the decoded settings cached by their stored text (every queue and claim reads a project, and
/// decoding a large one, thousands of environments, costs more than comparing its text).
package final class StoredProjects: Sendable {
    private let decoded = Mutex<[String: ProjectSettings]>([:])

    package init() {}

    /// The text to store for `project`, after ``ProjectSettings/validate()``.
    package func encode(_ project: ProjectSettings) throws(DeployError) -> String {
        try project.validate()
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(project), as: UTF8.self)
        } catch {
            throw DeployError(.invalidConfiguration, "cannot encode project '\(project.name)': \(error)", operation: "save project")
        }
    }

    /// The settings a stored text holds.
    package func decode(_ body: String) throws(DeployError) -> ProjectSettings {
        if let cached = decoded.withLock({ $0[body] }) { return cached }
        let project: ProjectSettings
        do {
            project = try JSONDecoder().decode(ProjectSettings.self, from: Data(body.utf8))
        } catch {
            throw DeployError(.store, "a stored project cannot be read: \(error)", operation: "read project")
        }
        decoded.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[body] = project
        }
        return project
    }
}
