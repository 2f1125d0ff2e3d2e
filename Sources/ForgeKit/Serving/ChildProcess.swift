import Dispatch
import PlatformSupport
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

/// glibc's file actions that `posix_spawn` applies in the child before it executes the program; GNU
/// extensions (glibc 2.29 and 2.34), which the Glibc module does not import.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func c_addchdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func c_addclosefrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

/// A child process with pipes on its standard input, output and error, for streaming: `git
/// http-backend` behind an HTTP request, `hg` commands, sandboxed pipeline commands. Started with
/// `posix_spawn` in its own process group, with SIGPIPE at its default and no descriptor of this
/// process but the ones it is given; blocking reads, writes and the final wait happen on serial
/// Dispatch queues of its own — which get threads of their own — never on Swift's cooperative pool or
/// Dispatch's width-limited global queues (a blocked read there would starve both).
///
/// Each pipe is used by one caller at a time (reads in order, writes in order); every descriptor is
/// closed once, and a process that is dropped without being waited for is killed (with its group) and reaped.
package final class ChildProcess: Sendable {
    /// How a child starts, beyond its arguments and environment.
    package struct Options: Sendable {
        /// The folder it starts in; nil keeps this process's.
        package var workingDirectory: String?
        /// Standard error shares standard output's pipe, so that the two stay in the order written.
        package var mergeStandardError = false
        /// Descriptors the child starts with besides 0, 1 and 2, made for it by the spawn.
        package var descriptors: [InheritedDescriptor] = []
        /// How many bytes of standard error are kept (the last ones), when it has a pipe of its own.
        package var errorLimit = 64 << 10

        package init(workingDirectory: String? = nil, mergeStandardError: Bool = false,
                     descriptors: [InheritedDescriptor] = [], errorLimit: Int = 64 << 10) {
            self.workingDirectory = workingDirectory
            self.mergeStandardError = mergeStandardError
            self.descriptors = descriptors
            self.errorLimit = errorLimit
        }
    }

    /// A descriptor the child inherits at a given number: the read end of a pipe holding `bytes` (at
    /// most 64 KiB, a pipe's buffer), then its end.
    package struct InheritedDescriptor: Sendable, Hashable {
        /// The bytes the child reads.
        package var bytes: [UInt8]
        /// The descriptor's number in the child (3 or more).
        package var number: Int32

        package init(bytes: [UInt8], number: Int32) {
            self.bytes = bytes
            self.number = number
        }
    }

    package let pid: Int32
    private let state: Mutex<State>
    private let errorCapture: ErrorCapture?
    private let description: String
    private let inputQueue = BlockingQueue.serial(label: "forgekit.child.input")
    private let outputQueue = BlockingQueue.serial(label: "forgekit.child.output")
    private let exitQueue = BlockingQueue.serial(label: "forgekit.child.exit")

    /// Writing to a pipe whose reader exited must fail with EPIPE rather than kill this process.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private struct State {
        var input: Int32
        var output: Int32
        var status: Int32?
    }

    /// Starts `arguments[0]` (an absolute path) with `arguments` and exactly `environment`.
    package convenience init(_ arguments: [String], environment: [String: String], errorLimit: Int = 64 << 10) throws(ForgeError) {
        try self.init(arguments, environment: environment, options: Options(errorLimit: errorLimit))
    }

    /// Starts `arguments[0]` (an absolute path) with `arguments`, exactly `environment`, and `options`.
    package init(_ arguments: [String], environment: [String: String], options: Options) throws(ForgeError) {
        let operation = "start \(arguments.first ?? "process")"
        _ = Self.ignoreBrokenPipes
        guard let program = arguments.first, program.hasPrefix("/") else {
            throw ForgeError(.misuse, "a program is started by its absolute path", operation: operation)
        }
        let numbers = options.descriptors.map(\.number)
        guard numbers.allSatisfy({ $0 > 2 && $0 < 1024 }), Set(numbers).count == numbers.count else {
            throw ForgeError(.misuse, "inherited descriptors need distinct numbers from 3 to 1023", operation: operation)
        }
        // Every descriptor made here is closed on every path out; the child's ends once spawned.
        var opened: [Int32] = []
        func pipe() throws(ForgeError) -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard c_pipe2(&ends, O_CLOEXEC) == 0 else {
                let reason = String(cString: strerror(errno))
                for descriptor in opened { close(descriptor) }
                throw ForgeError(.io, "pipe: \(reason)", operation: operation)
            }
            opened += ends
            return (ends[0], ends[1])
        }
        let input = try pipe(), output = try pipe()
        let error = options.mergeStandardError ? nil : try pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, error?.write ?? output.write, 2)
        var childEnds = [input.read, output.write] + (error.map { [$0.write] } ?? [])
        for descriptor in options.descriptors {
            guard descriptor.bytes.count <= 64 << 10 else {
                for descriptor in opened { close(descriptor) }
                throw ForgeError(.misuse, "inherited data is limited to 64 KiB", operation: operation)
            }
            let ends = try pipe()
            let written = descriptor.bytes.withUnsafeBytes { buffer in
                buffer.isEmpty ? 0 : Glibc.write(ends.write, buffer.baseAddress!, buffer.count)
            }
            close(ends.write)
            opened.removeAll { $0 == ends.write }
            guard written == descriptor.bytes.count else {
                for descriptor in opened { close(descriptor) }
                throw ForgeError(.io, "cannot fill a pipe for the child", operation: operation)
            }
            posix_spawn_file_actions_adddup2(&actions, ends.read, descriptor.number)
            childEnds.append(ends.read)
        }
        if let directory = options.workingDirectory {
            _ = c_addchdir(&actions, directory)
        }
        // Nothing else of this process reaches the child, even a descriptor opened without close-on-exec.
        _ = c_addclosefrom(&actions, (numbers.max() ?? 2) + 1)
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
        for descriptor in childEnds { close(descriptor) }
        guard result == 0 else {
            for descriptor in opened where !childEnds.contains(descriptor) { close(descriptor) }
            throw ForgeError(.io, "cannot start \(program): \(String(cString: strerror(result)))", operation: operation)
        }
        self.pid = pid
        self.description = program
        self.state = Mutex(State(input: input.write, output: output.read, status: nil))
        self.errorCapture = error.map { ErrorCapture(descriptor: $0.read, limit: options.errorLimit) }
    }

    /// Starts a child on a thread that lives as long as this process, rather than on the caller's.
    ///
    /// A child that asks to die with its parent (`PR_SET_PDEATHSIG`, as bubblewrap's
    /// `--die-with-parent` does) dies when the *thread* that started it ends, and the threads of
    /// Swift's pool and of Dispatch end when they have been idle for a while.
    package static func spawn(_ arguments: [String], environment: [String: String], options: Options) async throws(ForgeError) -> ChildProcess {
        let result: Result<ChildProcess, ForgeError> = await SpawnThread.shared.run {
            do throws(ForgeError) {
                return .success(try ChildProcess(arguments, environment: environment, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    deinit {
        let (input, output, status) = state.withLock { ($0.input, $0.output, $0.status) }
        if input >= 0 { close(input) }
        if output >= 0 { close(output) }
        if status == nil {
            kill(-pid, SIGKILL)
            let pid = self.pid
            BlockingQueue.shared.start {
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
        let failure: Int32? = await inputQueue.run {
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
        let result: Result<[UInt8], ForgeError> = await outputQueue.run {
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

    /// Reads standard output to its end on the child's own reading thread, handing each chunk to
    /// `onData` and then calling `onEnd`: for a caller that must keep draining it even while Swift's
    /// cooperative pool is busy (a child blocked on a full pipe would stall). Use it instead of
    /// ``read(maximum:)``, not beside it.
    package func drainOutput(_ onData: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable () -> Void) {
        let descriptor = state.withLock { $0.output }
        outputQueue.start {
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while descriptor >= 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                onData(Array(buffer[..<count]))
            }
            onEnd()
        }
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

    /// Returns once the child has exited, without reaping it: until ``wait(closingOutput:)`` does,
    /// its process id, and so its process group's, cannot be reused, and ``signalGroup(_:)`` still
    /// reaches what it left running.
    package func exited() async {
        if state.withLock({ $0.status }) != nil { return }
        let pid = self.pid
        await exitQueue.run {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 {
                if errno != EINTR { return }
            }
        }
    }

    /// Waits for the child to exit and reaps it; its exit code, or 128 + the signal that ended it.
    ///
    /// With `closingOutput` (the default) the read end of standard output is closed then, so that
    /// anything still in the group writing to it stops; a caller still reading it passes `false`.
    package func wait(closingOutput: Bool = true) async -> Int32 {
        if let status = state.withLock({ $0.status }) { return status }
        await exited()
        return reap(closingOutput: closingOutput)
    }

    /// Reaps the child, which has exited; its exit code, or 128 + the signal that ended it.
    private func reap(closingOutput: Bool) -> Int32 {
        let pid = self.pid
        // Reaped under the lock that ``signalGroup(_:)`` holds while it signals, so that a signal never
        // reaches a group whose id was freed and reused. The child has exited: this does not block.
        let (status, output) = state.withLock { state -> (Int32, Int32) in
            if state.status == nil {
                var raw: Int32 = 0
                var code: Int32 = 255
                while true {
                    if waitpid(pid, &raw, 0) >= 0 {
                        let signal = raw & 0x7F
                        code = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
                        break
                    }
                    if errno != EINTR { break }
                }
                state.status = code
            }
            var output: Int32 = -1
            if closingOutput {
                output = state.output
                state.output = -1
            }
            return (state.status ?? 255, output)
        }
        // Close our read end, so that anything still in the group writing to it stops.
        if output >= 0 { close(output) }
        return status
    }

    /// Whether the child has exited (reaped or not).
    package var hasExited: Bool {
        if state.withLock({ $0.status }) != nil { return true }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return errno != EINTR }
        return info.si_signo != 0
    }

    /// Sends `signal` to the child's whole process group, unless the child has been reaped.
    package func signalGroup(_ signal: Int32) {
        state.withLock { state in
            guard state.status == nil else { return }
            kill(-pid, signal)
        }
    }

    /// Stops the child's process group: `SIGTERM`, then `SIGKILL` once `gracePeriod` has passed
    /// without the child exiting.
    package func stop(gracePeriod: Duration) async {
        signalGroup(SIGTERM)
        let deadline = ContinuousClock.now + gracePeriod
        var delay = 5
        while !hasExited, ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(delay))) != nil else { break }
            delay = min(delay * 2, 100)
        }
        signalGroup(SIGKILL)
    }

    /// What the child wrote to its standard error so far (the last `errorLimit` bytes), once it closed it.
    package func standardError() async -> String {
        await errorCapture?.text() ?? ""
    }
}

/// Drains a child's standard error on a Dispatch thread, keeping the tail.
private final class ErrorCapture: Sendable {
    private let captured = Mutex<[UInt8]>([])
    private let queue = BlockingQueue.serial(label: "forgekit.child.error")

    init(descriptor: Int32, limit: Int) {
        queue.start { [self] in
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

    /// ``text()`` for a caller that may block: waits on the capture's queue until the pipe is drained.
    func textBlocking() -> String {
        queue.sync {}
        return String(decoding: captured.withLock { $0 }, as: UTF8.self)
    }

    func text() async -> String {
        // Queued behind the capture on the same serial queue: it runs once the pipe is drained.
        await queue.run {}
        return String(decoding: captured.withLock { $0 }, as: UTF8.self)
    }
}

extension ChildProcess {
    /// Runs a command to its end with no input, blocking the calling thread: its exit status,
    /// standard output (up to `limit` bytes; the rest is read and dropped) and standard error.
    ///
    /// For synchronous callers on threads of their own (command-line tools, test fixtures) — never
    /// on Swift's cooperative pool, where ``run(_:environment:limit:)`` is the form to use.
    package static func runBlocking(_ arguments: [String], environment: [String: String], workingDirectory: String? = nil,
                                    limit: Int = 64 << 20) throws(ForgeError) -> (status: Int32, output: [UInt8], error: String) {
        let process = try ChildProcess(arguments, environment: environment,
                                       options: Options(workingDirectory: workingDirectory, errorLimit: limit))
        process.closeInput()
        var output: [UInt8] = []
        let descriptor = process.state.withLock { $0.output }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while descriptor >= 0 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            output.append(contentsOf: buffer[..<min(count, max(0, limit - output.count))])
        }
        var info = siginfo_t()
        while waitid(P_PID, id_t(process.pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        let status = process.reap(closingOutput: true)
        return (status, output, process.errorCapture?.textBlocking() ?? "")
    }

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
