import ForgeKit
import Foundation

/// The Python tools from PyPI the tests drive (py-gitea, schemathesis), in a virtual environment made
/// by `scripts/python-tools` the first time a test asks.
enum PythonTools {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The environment's folder (`…/bin/python`, `…/bin/schemathesis`).
    static func folder() async throws -> String {
        let result = try await ChildProcess.run(["/bin/bash", packageRoot + "/scripts/python-tools", packageRoot + "/.build/python-tools"],
                                                environment: ProcessInfo.processInfo.environment)
        let output = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, !output.isEmpty else {
            throw ForgeError(.io, "scripts/python-tools failed (\(result.status)): \(result.error)", operation: "python tools")
        }
        return output
    }

    /// Runs a tool of the environment with `arguments`: its exit status and its output and errors together.
    static func run(_ tool: String, _ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, text: String) {
        let folder = try await folder()
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        environment["PYTHONUNBUFFERED"] = "1"
        let result = try await ChildProcess.run([folder + "/bin/" + tool] + arguments, environment: environment, limit: 16 << 20)
        return (result.status, String(decoding: result.output, as: UTF8.self) + result.error)
    }
}
