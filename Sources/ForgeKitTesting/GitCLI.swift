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

    /// Runs `executable` (git by default) with `arguments` and waits for it, blocking the calling
    /// thread. Started by ForgeKit's process runner (posix_spawn, the working directory set in the
    /// child): Foundation's `Process` changes the whole test process's directory while it starts a
    /// child, and on Linux reads past a buffer while listing its descriptors, which crashed suites.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, executable: String = "/usr/bin/git",
                    environment extra: [String: String] = [:]) throws -> Output {
        let result = try ChildProcess.runBlocking([executable] + arguments, environment: environment.merging(extra) { _, new in new },
                                                  workingDirectory: directory, limit: .max)
        return Output(status: result.status, stdout: result.output, stderr: result.error)
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
