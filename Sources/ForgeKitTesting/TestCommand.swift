import Foundation
import ForgeKit

/// Runs a program to its end for a test, through ForgeKit's process runner (posix_spawn with an
/// explicit environment) rather than Foundation's `Process`, whose `run()` on Linux reads past a
/// buffer while listing `/proc/self/fd` and crashes the test process now and then
/// (swift-corelibs-foundation#5472, in the toolchain this package builds with).
public enum TestCommand {
    /// Runs `arguments` (a program found on `PATH`, or a path, then its arguments) with `input` on its
    /// standard input; its standard output and error go through files, so that no pipe fills up.
    /// The environment is this process's, or `environment`; `workingDirectory` when given.
    public static func run(_ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
                           input: [UInt8] = []) throws -> (status: Int32, output: [UInt8], error: String) {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("test-command-\(UUID().uuidString)").path
        defer { for suffix in [".in", ".out", ".err"] { try? FileManager.default.removeItem(atPath: prefix + suffix) } }
        try Data(input).write(to: URL(fileURLWithPath: prefix + ".in"))
        let script = #"exec "$@" <"$0.in" >"$0.out" 2>"$0.err""#
        let result = try ChildProcess.runBlocking(["/bin/sh", "-c", script, prefix] + arguments,
                                                  environment: environment ?? ProcessInfo.processInfo.environment,
                                                  workingDirectory: workingDirectory)
        let output = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: prefix + ".out")))) ?? []
        let error = (try? String(contentsOfFile: prefix + ".err", encoding: .utf8)) ?? result.error
        return (result.status, output, error)
    }
}
