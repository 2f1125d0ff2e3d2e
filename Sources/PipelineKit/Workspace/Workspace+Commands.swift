import Foundation
import Synchronization
import PlatformSupport

#if canImport(Glibc)
import Glibc
#endif

extension Workspace {
    /// Runs `command` in the workspace's ``sandbox`` and returns how it ended and what it printed.
    ///
    /// The workspace directory (and the command's ``Command/writable`` folders) are the only places
    /// the command can write; it reaches the network of ``network`` (the sandbox's own when nil).
    /// Standard output and standard error share one pipe, so the output keeps the order in which they
    /// were written; it is streamed to `output` as it arrives (secrets masked, a line at a time) and
    /// collected in the result (the last ``Command/outputLimit`` bytes). The process gets the minimal
    /// environment described in ``Command``, not the worker's.
    ///
    /// When the command's first process exits, whatever it left running is killed: background jobs
    /// do not outlive the command. On timeout or when the calling task is cancelled, the command gets
    /// `SIGTERM`, then `SIGKILL` after ``Command/gracePeriod``, and the call throws
    /// ``PipelineError/Code/timeout`` or ``PipelineError/Code/cancelled``. A non-zero exit status is a
    /// result, not an error. Past the sandbox's output limit the command is stopped and the call
    /// throws ``PipelineError/Code/sandbox``.
    ///
    /// No blocking wait happens on Swift's cooperative pool.
    public func run(_ command: Command, output: ActionOutput) async throws(PipelineError) -> CommandResult {
        let operation = "run command"
        guard command.outputLimit > 0 else {
            throw PipelineError(.invalidConfiguration, "the output limit must be positive", operation: operation)
        }
        let directory = try prepare()
        var variables = Command.baseEnvironment(home: directory)
        variables.merge(environment) { $1 }
        variables.merge(command.environment) { $1 }
        let user = try await sandboxUser(writable: [directory] + command.writable)
        let collector = OutputCollector(limit: command.outputLimit, masker: masker, output: output)
        let exit = try await sandbox.run(
            SandboxedCommand(command.arguments, environment: variables, workingDirectory: command.workingDirectory ?? directory,
                             writable: [directory] + command.writable, network: network, user: user, timeout: command.timeout,
                             gracePeriod: command.gracePeriod)) { chunk in
            chunk.withUnsafeBytes { collector.append($0) }
        }
        let (text, truncated) = collector.finish()
        if let stop = exit.stopped { throw stop.error }
        return CommandResult(exitCode: exit.status, output: text, truncated: truncated)
    }

    /// The user the workspace's commands run as (leased on first use), with `writable` handed to it:
    /// when this process is root, the sandbox runs commands as a user id of their own, which must own
    /// what they write. Each folder is handed over once, with everything in it at that time.
    private func sandboxUser(writable: [String]) async throws(PipelineError) -> SandboxUser {
        let sandbox = self.sandbox
        let (user, pending) = try sandboxState.withLock { state throws(PipelineError) -> (SandboxUser, [String]) in
            let user: SandboxUser
            if let leased = state.user {
                user = leased
            } else {
                user = try sandbox.leaseUser()
                state.user = user
            }
            let pending = writable.filter { !state.handedOver.contains($0) }
            state.handedOver.formUnion(pending)
            return (user, pending)
        }
        guard let id = user.id, !pending.isEmpty else { return user }
        do {
            try await BlockingQueue.shared.run { () throws in
                for folder in pending { try Self.handOver(folder, to: id) }
            }
        } catch {
            sandboxState.withLock { $0.handedOver.subtract(pending) }
            throw error as? PipelineError ?? PipelineError(.io, "\(error)", operation: "run command")
        }
        return user
    }

    /// Gives `folder` and everything in it to `id` (user and group), without following symbolic links.
    private static func handOver(_ folder: String, to id: UInt32) throws(PipelineError) {
        guard lchown(folder, id, id) == 0 else {
            throw PipelineError(.io, "cannot give \(folder) to the sandbox user \(id): \(String(cString: strerror(errno)))",
                                operation: "run command")
        }
        guard let entries = FileManager.default.enumerator(atPath: folder) else { return }
        while let entry = entries.nextObject() as? String {
            _ = lchown(folder + "/" + entry, id, id)
        }
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
