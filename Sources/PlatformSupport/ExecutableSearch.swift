import Foundation

/// Finding a program on `PATH`, written once for the git backend, the script hooks and the sandbox.
package enum ExecutableSearch {
    /// The search path used when the process has no `PATH`.
    package static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The process's own `PATH`, or ``defaultPath``.
    package static var processPath: String {
        ProcessInfo.processInfo.environment["PATH"] ?? defaultPath
    }

    /// The first path `folder/name` on `path` (absolute folders only) that `accept` takes; by
    /// default the first executable one.
    package static func find(_ name: String, path: String = processPath,
                             accept: (String) -> Bool = { access($0, X_OK) == 0 }) -> String? {
        guard !name.isEmpty, !name.contains("/") else { return nil }
        for folder in path.split(separator: ":") where folder.hasPrefix("/") {
            let candidate = "\(folder)/\(name)"
            if accept(candidate) { return candidate }
        }
        return nil
    }
}
