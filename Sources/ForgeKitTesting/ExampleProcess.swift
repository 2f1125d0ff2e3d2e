import Foundation
import ForgeKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A built executable of this package (an example such as `forge` or `deploy-server`), or any other
/// program, running as a child process of a test, its standard output and error collected.
///
/// Started through ForgeKit's process runner (posix_spawn), not Foundation's `Process`, which on
/// Linux reads past a buffer while listing the test process's descriptors (a crash now and then).
///
/// ```swift
/// let server = try ExampleProcess("forge", ["serve", "--port", "0", "--data", folder])
/// let port = try await server.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)
/// ```
public final class ExampleProcess: Sendable {
    /// The path of the executable `name` beside the test bundle (`.build/debug/NAME`).
    public static func toolPath(_ name: String) -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ".build/debug/" + name
    }

    private let child: ChildProcess
    private let name: String
    private final class Output: Sendable {
        let text = Mutex("")
        /// Whether everything the process (and whatever shares its output) printed has been read.
        let ended = Atomic(false)
    }
    private let output = Output()

    /// The process id.
    public var pid: Int32 { child.pid }
    /// What it printed so far (standard output and error together).
    public var text: String { output.text.withLock { $0 } }
    /// Whether the process still runs.
    public var isRunning: Bool { !child.hasExited }

    /// Starts `tool` with `arguments`, with this process's environment or `environment`, and at most
    /// `openFiles` open file descriptors when given (through util-linux's `prlimit`).
    public convenience init(_ tool: String, _ arguments: [String], environment: [String: String]? = nil, openFiles: Int? = nil) throws {
        let command = openFiles.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)", Self.toolPath(tool)] } ?? [Self.toolPath(tool)]
        try self.init(executable: command[0], Array(command.dropFirst()) + arguments, environment: environment, name: tool)
    }

    /// Starts any program (`executable`, an absolute path) with `arguments`, with this process's
    /// environment or `environment`; `name` is what errors call it.
    public init(executable: String, _ arguments: [String], environment: [String: String]? = nil, name: String? = nil) throws {
        self.name = name ?? URL(fileURLWithPath: executable).lastPathComponent
        child = try ChildProcess([executable] + arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                 options: ChildProcess.Options(mergeStandardError: true))
        child.closeInput()
        Task.detached { [child, output] in
            while let chunk = try? await child.read(), !chunk.isEmpty {
                output.text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
            output.ended.store(true, ordering: .releasing)
        }
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
    /// printed has been read (so ``text`` is complete); returns its status (128 + the signal when a
    /// signal ended it), or nil when it still runs after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(120)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while child.hasExited == false || !output.ended.load(ordering: .acquiring), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return child.hasExited ? await child.wait(closingOutput: false) : nil
    }

    /// Sends `signal` to the process, if it runs.
    public func kill(_ signal: Int32) {
        if isRunning { _ = Glibc.kill(child.pid, signal) }
    }

    /// Ends the process (`SIGTERM`) and waits for it, blocking the calling thread.
    public func stop() {
        if isRunning { _ = Glibc.kill(child.pid, SIGTERM) }
        _ = child.waitBlocking(closingOutput: false)
    }

    deinit { stop() }
}

/// What ``ExampleProcess/waitFor(_:seconds:)`` throws when the output never matched.
public struct ExampleProcessError: Error, CustomStringConvertible {
    /// What was expected, and what the process printed.
    public let description: String
}
