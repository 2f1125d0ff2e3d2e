import ForgeKit
import Foundation

/// Runs the real git command-line client (or any program), so tests can compare ForgeKit's answers with git's.
public enum GitCLI {
    /// What a finished process left.
    public struct Output: Sendable {
        /// The exit status.
        public let status: Int32
        /// Everything it wrote to standard output.
        public let stdout: [UInt8]
        /// Everything it wrote to standard error, as text.
        public let stderr: String
        /// Standard output as text.
        public var text: String { String(decoding: stdout, as: UTF8.self) }
        /// The non-empty lines of standard output.
        public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
    }

    /// The environment git runs with: no system or global configuration, a fixed identity, the C locale.
    public static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["GIT_AUTHOR_NAME"] = "CLI Author"
        env["GIT_AUTHOR_EMAIL"] = "cli@example.com"
        env["GIT_COMMITTER_NAME"] = "CLI Author"
        env["GIT_COMMITTER_EMAIL"] = "cli@example.com"
        env["LC_ALL"] = "C"
        return env
    }

    /// Runs `executable` (git by default) with `arguments` and waits for it.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, executable: String = "/usr/bin/git",
                    environment extra: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = environment.merging(extra) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let errData = ErrorCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: [UInt8](data), stderr: errData.finish())
    }

    /// `git ARGS` in the repository; fails the test when git fails.
    public static func git(_ arguments: [String], in directory: String) throws -> Output {
        let output = try run(arguments, in: directory)
        if output.status != 0 {
            throw ForgeError(.git, "git \(arguments.joined(separator: " ")) failed: \(output.stderr)", operation: "git cli")
        }
        return output
    }
}

/// Drains a pipe on another thread.
final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
