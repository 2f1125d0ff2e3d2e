import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// glibc's `pipe2`, which the Glibc module does not import (it is a GNU extension): pipes created
/// close-on-exec at once, so that a child started meanwhile on another thread cannot inherit them.
@_silgen_name("pipe2")
private func c_pipe2(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// A child process with pipes on its standard input, output and error, for streaming: `git
/// http-backend` behind an HTTP request, `hg` commands. Started with `posix_spawn` in its own process
/// group, with SIGPIPE at its default; blocking reads, writes and the final wait happen on serial
/// Dispatch queues of its own — which get threads of their own — never on Swift's cooperative pool or
/// Dispatch's width-limited global queues (a blocked read there would starve both).
///
/// Each pipe is used by one caller at a time (reads in order, writes in order); every descriptor is
/// closed once, and a process that is dropped without being waited for is killed (with its group) and reaped.
package final class ChildProcess: Sendable {
    package let pid: Int32
    private let state: Mutex<State>
    private let errorCapture: ErrorCapture
    private let description: String
    private let inputQueue = DispatchQueue(label: "forgekit.child.input")
    private let outputQueue = DispatchQueue(label: "forgekit.child.output")
    private let waitQueue = DispatchQueue(label: "forgekit.child.wait")

    /// Writing to a pipe whose reader exited must fail with EPIPE rather than kill this process.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private struct State {
        var input: Int32
        var output: Int32
        var status: Int32?
    }

    /// Starts `arguments[0]` (an absolute path) with `arguments` and exactly `environment`.
    package init(_ arguments: [String], environment: [String: String], errorLimit: Int = 64 << 10) throws(ForgeError) {
        let operation = "start \(arguments.first ?? "process")"
        _ = Self.ignoreBrokenPipes
        guard let program = arguments.first, program.hasPrefix("/") else {
            throw ForgeError(.misuse, "a program is started by its absolute path", operation: operation)
        }
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], error: [Int32] = [-1, -1]
        guard c_pipe2(&input, O_CLOEXEC) == 0 else { throw ForgeError(.io, "pipe: \(String(cString: strerror(errno)))", operation: operation) }
        guard c_pipe2(&output, O_CLOEXEC) == 0 else {
            close(input[0]); close(input[1])
            throw ForgeError(.io, "pipe: \(String(cString: strerror(errno)))", operation: operation)
        }
        guard c_pipe2(&error, O_CLOEXEC) == 0 else {
            close(input[0]); close(input[1]); close(output[0]); close(output[1])
            throw ForgeError(.io, "pipe: \(String(cString: strerror(errno)))", operation: operation)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, error[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }
            .filter { !$0.key.isEmpty && !$0.key.contains("=") && !$0.key.utf8.contains(0) && !$0.value.utf8.contains(0) }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, &cArguments, &cEnvironment)
        close(input[0]); close(output[1]); close(error[1])
        guard result == 0 else {
            close(input[1]); close(output[0]); close(error[0])
            throw ForgeError(.io, "cannot start \(program): \(String(cString: strerror(result)))", operation: operation)
        }
        self.pid = pid
        self.description = program
        self.state = Mutex(State(input: input[1], output: output[0], status: nil))
        self.errorCapture = ErrorCapture(descriptor: error[0], limit: errorLimit)
    }

    deinit {
        let (input, output, status) = state.withLock { ($0.input, $0.output, $0.status) }
        if input >= 0 { close(input) }
        if output >= 0 { close(output) }
        if status == nil {
            kill(-pid, SIGKILL)
            let pid = self.pid
            DispatchQueue(label: "forgekit.child.reap").async {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
    }

    /// Writes all of `bytes` to the child's standard input.
    package func write(_ bytes: [UInt8]) async throws(ForgeError) {
        guard !bytes.isEmpty else { return }
        let descriptor = state.withLock { $0.input }
        guard descriptor >= 0 else { throw ForgeError(.misuse, "standard input is closed", operation: "write to \(description)") }
        let failure: Int32? = await Self.offPool(inputQueue) {
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return nil
        }
        if let failure {
            throw ForgeError(.io, "the child stopped reading its input (\(String(cString: strerror(failure))))",
                             operation: "write to \(description)")
        }
    }

    /// Closes the child's standard input (it sees the end of its input).
    package func closeInput() {
        let descriptor = state.withLock { state -> Int32 in
            defer { state.input = -1 }
            return state.input
        }
        if descriptor >= 0 { close(descriptor) }
    }

    /// Reads up to `maximum` bytes of the child's standard output; an empty array at its end.
    package func read(maximum: Int = 64 << 10) async throws(ForgeError) -> [UInt8] {
        let descriptor = state.withLock { $0.output }
        guard descriptor >= 0 else { return [] }
        let result: Result<[UInt8], ForgeError> = await Self.offPool(outputQueue) {
            var buffer = [UInt8](repeating: 0, count: maximum)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    return .failure(ForgeError(.io, "cannot read the output: \(String(cString: strerror(errno)))", operation: "read"))
                }
                buffer.removeSubrange(count...)
                return .success(buffer)
            }
        }
        return try result.get()
    }

    /// Reads standard output to its end, keeping at most `limit` bytes.
    package func readAll(limit: Int) async throws(ForgeError) -> (bytes: [UInt8], truncated: Bool) {
        var collected: [UInt8] = []
        var truncated = false
        while true {
            let chunk = try await read()
            if chunk.isEmpty { break }
            if collected.count + chunk.count > limit {
                collected.append(contentsOf: chunk.prefix(max(0, limit - collected.count)))
                truncated = true
            } else {
                collected.append(contentsOf: chunk)
            }
        }
        return (collected, truncated)
    }

    /// Waits for the child to exit; its exit code, or 128 + the signal that ended it.
    package func wait() async -> Int32 {
        if let status = state.withLock({ $0.status }) { return status }
        let pid = self.pid
        let status: Int32 = await Self.offPool(waitQueue) {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 {
                if errno != EINTR { return 255 }
            }
            let signal = raw & 0x7F
            return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        }
        // Close our read end, so that anything still in the group writing to it stops.
        let output = state.withLock { state -> Int32 in
            state.status = status
            defer { state.output = -1 }
            return state.output
        }
        if output >= 0 { close(output) }
        return status
    }

    /// Sends `signal` to the child's whole process group.
    package func signalGroup(_ signal: Int32) {
        guard state.withLock({ $0.status }) == nil else { return }
        kill(-pid, signal)
    }

    /// What the child wrote to its standard error so far (the last `errorLimit` bytes), once it closed it.
    package func standardError() async -> String {
        await errorCapture.text()
    }

    private static func offPool<T: Sendable>(_ queue: DispatchQueue, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}

/// Drains a child's standard error on a Dispatch thread, keeping the tail.
private final class ErrorCapture: Sendable {
    private let captured = Mutex<[UInt8]>([])
    private let queue = DispatchQueue(label: "forgekit.child.error")

    init(descriptor: Int32, limit: Int) {
        queue.async { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                captured.withLock { kept in
                    kept.append(contentsOf: buffer[..<count])
                    if kept.count > limit { kept.removeFirst(kept.count - limit) }
                }
            }
            close(descriptor)
        }
    }

    func text() async -> String {
        // Queued behind the capture on the same serial queue: it runs once the pipe is drained.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
        return String(decoding: captured.withLock { $0 }, as: UTF8.self)
    }
}

extension ChildProcess {
    /// Runs a command to its end with no input: its exit status, standard output (up to `limit` bytes)
    /// and standard error.
    package static func run(_ arguments: [String], environment: [String: String], limit: Int = 16 << 20)
        async throws(ForgeError) -> (status: Int32, output: [UInt8], error: String) {
        let process = try ChildProcess(arguments, environment: environment)
        process.closeInput()
        let (output, _) = try await process.readAll(limit: limit)
        let status = await process.wait()
        return (status, output, await process.standardError())
    }
}
