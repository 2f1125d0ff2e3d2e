import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension Workspace {
    /// Runs `command` in the workspace and returns how it ended and what it printed.
    ///
    /// The process runs in a session and process group of its own. Its standard output and standard
    /// error share one pipe, so the output keeps the order in which they were written; it is streamed
    /// to `output` as it arrives (secrets masked, a line at a time) and collected in the result (the
    /// last ``Command/outputLimit`` bytes). The process gets the minimal environment described in
    /// ``Command``, not the worker's.
    ///
    /// When the command's first process exits, whatever it left running in its process group is
    /// killed (`SIGKILL`): background jobs do not outlive the command. On timeout or when the calling
    /// task is cancelled, the whole group gets `SIGTERM`, then `SIGKILL` after
    /// ``Command/gracePeriod``, and the call throws ``PipelineError/Code/timeout`` or
    /// ``PipelineError/Code/cancelled``. A non-zero exit status is a result, not an error.
    ///
    /// No blocking wait happens on Swift's cooperative pool: swift-subprocess watches the process and
    /// its pipe on its own thread.
    public func run(_ command: Command, output: ActionOutput) async throws(PipelineError) -> CommandResult {
        let operation = "run command"
        guard let program = command.arguments.first, program.hasPrefix("/") else {
            throw PipelineError(.invalidConfiguration, "the program must be given as an absolute path", operation: operation)
        }
        guard command.outputLimit > 0 else {
            throw PipelineError(.invalidConfiguration, "the output limit must be positive", operation: operation)
        }
        let directory = try prepare()
        var platform = PlatformOptions()
        platform.createSession = true
        platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: command.gracePeriod)]
        var arguments = command.arguments
        if let name = command.user {
            let account = try SystemAccount(name: name)
            if geteuid() == 0 {
                if account.userID != 0 {
                    arguments = try Self.switchingUser(to: account) + arguments
                    try await handOver(directory, to: account)
                }
            } else if account.userID != geteuid() {
                throw PipelineError(.invalidConfiguration, "cannot run as '\(name)': the worker is not root", operation: operation)
            }
        }
        var variables = Command.baseEnvironment(home: directory)
        variables.merge(environment) { $1 }
        variables.merge(command.environment) { $1 }
        var entries: [[UInt8]] = []
        for (name, value) in variables {
            guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0) else {
                throw PipelineError(.invalidConfiguration, "'\(name)' is not a valid environment variable name", operation: operation)
            }
            entries.append(Array("\(name)=\(value)".utf8.filter { $0 != 0 }) + [0])
        }
        if Task.isCancelled {
            throw PipelineError(.cancelled, "the command was cancelled before it started", operation: operation)
        }

        let timedOut = OnceFlag()
        let collector = OutputCollector(limit: command.outputLimit, masker: masker, output: output)
        let status: TerminationStatus
        do {
            let result = try await Subprocess.run(
                .path(FilePath(arguments[0])), arguments: Arguments(Array(arguments.dropFirst())),
                environment: .custom(entries), workingDirectory: FilePath(command.workingDirectory ?? directory),
                platformOptions: platform, input: .none, output: .sequence, error: .combinedWithOutput
            ) { execution in
                let group = execution.processIdentifier.value
                let descriptor = execution.processIdentifier.processDescriptor
                await withTaskGroup(of: Void.self) { tasks in
                    if let timeout = command.timeout {
                        tasks.addTask {
                            guard (try? await Task.sleep(for: timeout)) != nil else { return }
                            timedOut.set()
                            await ProcessGroup.stop(group, gracePeriod: command.gracePeriod)
                        }
                    }
                    do {
                        for try await buffer in execution.standardOutput {
                            buffer.withUnsafeBytes { collector.append($0) }
                        }
                    } catch {
                        // The pipe failed; the process is still waited for and its group swept below.
                    }
                    // Wait for the first process even when this task is cancelled (the teardown stops it).
                    await Task { await ProcessGroup.waitForExit(group, descriptor: descriptor) }.value
                    ProcessGroup.signal(group, SIGKILL)
                    tasks.cancelAll()
                }
            }
            status = result.terminationStatus
        } catch {
            if Task.isCancelled {
                throw PipelineError(.cancelled, "the command was cancelled", operation: operation)
            }
            throw PipelineError(.io, "cannot run \(program): \(masker.mask("\(error)"))", operation: operation)
        }
        let (text, truncated) = collector.finish()
        if timedOut.isSet, let timeout = command.timeout {
            throw PipelineError(.timeout, "the command ran longer than \(timeout) and was stopped", operation: operation)
        }
        if Task.isCancelled {
            throw PipelineError(.cancelled, "the command was cancelled", operation: operation)
        }
        let exitCode: Int32
        switch status {
        case .exited(let code): exitCode = Int32(truncatingIfNeeded: code)
        case .signaled(let signal): exitCode = 128 + Int32(truncatingIfNeeded: signal)
        }
        return CommandResult(exitCode: exitCode, output: text, truncated: truncated)
    }

    /// The arguments that make the command run as `account`: util-linux's `setpriv`, which calls
    /// `setgroups` (the user's groups), `setgid` and `setuid` and then executes the command.
    ///
    /// Not swift-subprocess's `userID`: that forks this multithreaded process and calls glibc's
    /// `setuid` family in the child, which can deadlock on a lock another thread held at the fork
    /// (swift-subprocess issue 374). `setpriv` does it in a single-threaded process of its own.
    private static func switchingUser(to account: SystemAccount) throws(PipelineError) -> [String] {
        let candidates: [String] = ["/usr/bin/setpriv", "/bin/setpriv"]
        guard let setpriv = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw PipelineError(.io, "running a command as another user needs util-linux's setpriv", operation: "run command")
        }
        return [setpriv, "--reuid=\(account.userID)", "--regid=\(account.groupID)", "--init-groups", "--"]
    }

    /// Gives the workspace directory and everything in it to `account`, so that a command running as
    /// that user can work there.
    private func handOver(_ directory: String, to account: SystemAccount) async throws(PipelineError) {
        do {
            try await Self.offPool {
                guard lchown(directory, account.userID, account.groupID) == 0 else {
                    throw PipelineError(.io, "cannot give \(directory) to \(account.name): \(String(cString: strerror(errno)))",
                                        operation: "run command")
                }
                guard let entries = FileManager.default.enumerator(atPath: directory) else { return }
                while let entry = entries.nextObject() as? String {
                    _ = lchown(directory + "/" + entry, account.userID, account.groupID)
                }
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.io, "cannot give \(directory) to \(account.name): \(error)", operation: "run command")
        }
    }
}

/// A user from the password database.
struct SystemAccount: Sendable {
    let name: String
    let userID: uid_t
    let groupID: gid_t

    init(name: String) throws(PipelineError) {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let result = getpwnam_r(name, &entry, &buffer, buffer.count, &found)
        guard result == 0, found != nil else {
            throw PipelineError(.invalidConfiguration, "there is no user '\(name)'", operation: "run command")
        }
        self.name = name
        userID = entry.pw_uid
        groupID = entry.pw_gid
    }
}

/// A process group's signals and its leader's exit, without reaping it (swift-subprocess does).
/// Shared with DeployKit's script hooks.
package enum ProcessGroup {
    /// Sends `signal` to every process in the group led by `leader`.
    package static func signal(_ leader: Int32, _ signal: Int32) {
        _ = kill(-leader, signal)
    }

    /// Whether the group's leader has exited (it stays a zombie until it is reaped, which keeps its
    /// process id, and so the group's, from being reused).
    package static func hasExited(_ leader: Int32) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(leader), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            return errno != EINTR
        }
        return info.si_signo != 0
    }

    private static let exitQueue = DispatchQueue(label: "forgeworks.process-exit")

    /// Returns once the leader has exited.
    ///
    /// With the process's pidfd (swift-subprocess's `processDescriptor`, Linux 5.4 and later) the wait
    /// is an event: a Dispatch read source on a duplicate of the pidfd, which becomes readable when the
    /// process exits. Without one it polls, starting at 1 ms and backing off to 100 ms.
    package static func waitForExit(_ leader: Int32, descriptor: CInt = -1) async {
        if hasExited(leader) { return }
        if descriptor >= 0 {
            let duplicate = dup(descriptor)
            if duplicate >= 0 {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let source = DispatchSource.makeReadSource(fileDescriptor: duplicate, queue: exitQueue)
                    let resumed = OnceFlag()
                    source.setEventHandler {
                        guard !resumed.isSet else { return }
                        resumed.set()
                        source.cancel()
                        continuation.resume()
                    }
                    // The descriptor is closed only once Dispatch has let go of it.
                    source.setCancelHandler { close(duplicate) }
                    source.resume()
                }
                return
            }
        }
        var delay = 1
        while !hasExited(leader) {
            try? await Task.sleep(for: .milliseconds(delay))
            delay = min(delay * 2, 100)
        }
    }

    /// `SIGTERM` to the group, then `SIGKILL` once `gracePeriod` has passed without the leader exiting.
    package static func stop(_ leader: Int32, gracePeriod: Duration) async {
        signal(leader, SIGTERM)
        let deadline = ContinuousClock.now + gracePeriod
        var delay = 5
        while !hasExited(leader), ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(delay))) != nil else { break }
            delay = min(delay * 2, 100)
        }
        signal(leader, SIGKILL)
    }
}

/// A flag set once, read from any thread.
package final class OnceFlag: Sendable {
    private let value = Atomic<Bool>(false)
    package init() {}
    package func set() { value.store(true, ordering: .relaxed) }
    package var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Streams a command's output to an ``ActionOutput`` a line at a time, secrets masked, and keeps the
/// last `limit` bytes of it. Used by one task at a time.
final class OutputCollector {
    let limit: Int
    let masker: SecretMasker
    let output: ActionOutput
    /// Bytes received after the last line break, not yet written.
    private var pending: [UInt8] = []
    /// The masked output kept for the result.
    private var kept: [UInt8] = []
    private var dropped = false

    /// A partial line is written anyway once it is this long.
    static let partialLineLimit = 64 * 1024

    init(limit: Int, masker: SecretMasker, output: ActionOutput) {
        self.limit = limit
        self.masker = masker
        self.output = output
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        if let last = pending.lastIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
            emit(pending[...last])
            pending.removeSubrange(...last)
        } else if pending.count >= Self.partialLineLimit {
            // Cut before an incomplete UTF-8 sequence at the end.
            var cut = pending.count
            while cut > pending.count - 4, cut > 0, pending[cut - 1] & 0xC0 == 0x80 { cut -= 1 }
            if cut > 0, pending[cut - 1] >= 0xC0 { cut -= 1 }
            if cut == 0 { cut = pending.count }
            emit(pending[..<cut])
            pending.removeSubrange(..<cut)
        }
    }

    /// Writes what is left and returns the kept text and whether its start was dropped.
    func finish() -> (String, Bool) {
        if !pending.isEmpty {
            emit(pending[...])
            pending.removeAll()
        }
        var start = max(0, kept.count - limit)
        if start > 0 { dropped = true }
        while start < kept.count, kept[start] & 0xC0 == 0x80 { start += 1 }
        return (String(decoding: kept[start...], as: UTF8.self), dropped)
    }

    private func emit(_ bytes: ArraySlice<UInt8>) {
        let text = masker.mask(String(decoding: bytes, as: UTF8.self))
        output.write(text)
        kept.append(contentsOf: text.utf8)
        if kept.count > 2 * limit {
            kept.removeSubrange(..<(kept.count - limit))
            dropped = true
        }
    }
}
