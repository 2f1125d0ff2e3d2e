import Foundation
import ForgeKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A built executable of this package (an example such as `forge` or `deploy-server`) running as a
/// child process of a test, its standard output and error collected.
///
/// ```swift
/// let server = try ExampleProcess("forge", ["serve", "--port", "0", "--data", folder])
/// let port = try await server.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)
/// ```
public final class ExampleProcess: @unchecked Sendable {
    /// The path of the executable `name` beside the test bundle (`.build/debug/NAME`).
    public static func toolPath(_ name: String) -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/" + name
    }

    /// The child, started with ForgeKit's process runner (posix_spawn with an explicit environment)
    /// rather than Foundation's `Process`, whose `run()` crashed under the parallel tests (a bad
    /// pointer in its memcpy while tests started processes at once).
    private let child: ChildProcess
    private let name: String
    private final class Output: Sendable {
        let text = Mutex("")
        /// Whether everything the process (and whatever shares its output) printed has been read.
        let ended = Atomic(false)
    }
    private let output = Output()
    /// What it printed so far (standard output and error together).
    public var text: String { output.text.withLock { $0 } }
    /// The process id.
    public var processIdentifier: Int32 { child.pid }
    /// Whether the process still runs.
    public var isRunning: Bool { !child.hasExited }

    /// Starts `tool` with `arguments`, with this process's environment or `environment`, and at most
    /// `openFiles` open file descriptors when given (through util-linux's `prlimit`).
    public convenience init(_ tool: String, _ arguments: [String], environment: [String: String]? = nil, openFiles: Int? = nil) throws {
        let command = openFiles.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)", Self.toolPath(tool)] } ?? [Self.toolPath(tool)]
        try self.init(executable: command[0], Array(command.dropFirst()) + arguments, environment: environment, name: tool)
    }

    /// Starts the program at `executable` (an absolute path) with `arguments`, this process's
    /// environment or `environment`, in `workingDirectory` when given. Its standard input is closed
    /// at once, unless `keepInputOpen` (then ``closeInput()`` closes it).
    public init(executable: String, _ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
                name: String? = nil, keepInputOpen: Bool = false) throws {
        self.name = name ?? URL(fileURLWithPath: executable).lastPathComponent
        child = try ChildProcess([executable] + arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                 options: ChildProcess.Options(workingDirectory: workingDirectory, mergeStandardError: true))
        if !keepInputOpen { child.closeInput() }
        // Drained on the child's own thread, never waiting for Swift's pool: a test that blocks the
        // pool must not leave the child stuck on a full pipe.
        child.drainOutput({ [output] bytes in output.text.withLock { $0 += String(decoding: bytes, as: UTF8.self) } },
                          onEnd: { [output] in output.ended.store(true, ordering: .releasing) })
    }

    /// Waits up to `seconds` for output matching `pattern` and returns its first capture group (the
    /// whole match when it has none).
    public func waitFor(_ pattern: String, seconds: Double = 60) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while text.range(of: pattern, options: .regularExpression) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let range = text.range(of: pattern, options: .regularExpression) else {
            throw ExampleProcessError(description: "no '\(pattern)' in the output of \(name): \(text)")
        }
        let regex = try NSRegularExpression(pattern: pattern)
        let match = String(text[range])
        guard let result = regex.firstMatch(in: match, range: NSRange(match.startIndex..., in: match)), result.numberOfRanges > 1,
              let capture = Range(result.range(at: 1), in: match) else { return match }
        return String(match[capture])
    }

    /// Waits, without blocking a thread of Swift's pool, until the process has ended and all it
    /// printed has been read (so ``text`` is complete); returns its status (128 + the signal for one
    /// a signal ended), or nil when it still runs after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(120)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning || !output.ended.load(ordering: .acquiring), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isRunning ? nil : await child.wait(closingOutput: false)
    }

    /// Closes the process's standard input (its end of file).
    public func closeInput() { child.closeInput() }

    /// Asks the process to end (`SIGTERM`), without waiting.
    public func terminate() { kill(SIGTERM) }

    /// Waits for the process to end, without blocking a thread of Swift's pool; its status (128 +
    /// the signal for one a signal ended).
    public func waitUntilExit() async -> Int32 {
        while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return await child.wait(closingOutput: false)
    }

    /// Sends `signal` to the process (not to what it started), if it runs.
    public func kill(_ signal: Int32) {
        if isRunning { _ = Glibc.kill(child.pid, signal) }
    }

    /// Ends the process (`SIGTERM`, then `SIGKILL` to its group after 10 seconds) and waits for it.
    public func stop() {
        guard isRunning else { return }
        _ = Glibc.kill(child.pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while isRunning, ContinuousClock.now < deadline { usleep(5_000) }
        if isRunning { child.signalGroup(SIGKILL) }
    }

    deinit { stop() }
}

/// What ``ExampleProcess/waitFor(_:seconds:)`` throws when the output never matched.
public struct ExampleProcessError: Error, CustomStringConvertible {
    /// What was expected, and what the process printed.
    public let description: String
}
