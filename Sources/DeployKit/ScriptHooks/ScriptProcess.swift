import PipelineKit
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one script with swift-subprocess: its own session and process group, standard output and
/// standard error on separate pipes, a timeout that stops the whole group.
enum ScriptProcess {
    private enum Piece: Sendable {
        case stdout([UInt8], Bool)
        case stderr([UInt8], Bool)
        case exited
        case timer
    }

    static func run(path: String, arguments: [String], directory: String,
                    options: ScriptHookRunner.Options) async throws(DeployError) -> ScriptResult {
        let operation = "run script"
        if Task.isCancelled { throw DeployError(.cancelled, "the hook was cancelled before \(path) started", operation: operation) }
        var platform = PlatformOptions()
        platform.createSession = true
        platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: options.gracePeriod)]
        let limit = max(1, options.outputLimit)
        let timedOut = OnceFlag()
        let collected: ExecutionResult<(stdout: ([UInt8], Bool), stderr: ([UInt8], Bool)), SequenceOutput, SequenceOutput>
        do {
            collected = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), environment: .inherit,
                workingDirectory: FilePath(directory), platformOptions: platform,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                let group = execution.processIdentifier.value
                let descriptor = execution.processIdentifier.processDescriptor
                let standardOutput = execution.standardOutput
                let standardError = execution.standardError
                return await withTaskGroup(of: Piece.self) { tasks in
                    tasks.addTask { await collect(standardOutput, limit: limit, as: Piece.stdout) }
                    tasks.addTask { await collect(standardError, limit: limit, as: Piece.stderr) }
                    tasks.addTask {
                        // Wait for the first process even when this task is cancelled (the teardown stops it),
                        // then sweep what it left in its group, so that the pipes close.
                        await Task { await ProcessGroup.waitForExit(group, descriptor: descriptor) }.value
                        _ = kill(-group, SIGKILL)
                        return .exited
                    }
                    tasks.addTask {
                        guard (try? await Task.sleep(for: options.timeout)) != nil else { return .timer }
                        timedOut.set()
                        await ProcessGroup.stop(group, gracePeriod: options.gracePeriod)
                        return .timer
                    }
                    var stdout: ([UInt8], Bool) = ([], false), stderr: ([UInt8], Bool) = ([], false)
                    var remaining = 3
                    while remaining > 0, let piece = await tasks.next() {
                        switch piece {
                        case .stdout(let bytes, let truncated): stdout = (bytes, truncated); remaining -= 1
                        case .stderr(let bytes, let truncated): stderr = (bytes, truncated); remaining -= 1
                        case .exited: remaining -= 1
                        case .timer: break
                        }
                    }
                    tasks.cancelAll()
                    return (stdout: stdout, stderr: stderr)
                }
            }
        } catch {
            if Task.isCancelled { throw DeployError(.cancelled, "the hook was cancelled while \(path) ran", operation: operation) }
            return ScriptResult(stdout: "", stderr: "\(path): cannot run: \(error)\n", statusCode: 126)
        }
        if Task.isCancelled { throw DeployError(.cancelled, "the hook was cancelled while \(path) ran", operation: operation) }
        let status: Int32
        switch collected.terminationStatus {
        case .exited(let code): status = Int32(truncatingIfNeeded: code)
        case .signaled(let signal): status = 128 + Int32(truncatingIfNeeded: signal)
        }
        let wasStopped = timedOut.isSet
        var stderr = text(collected.closureResult.stderr)
        if wasStopped { stderr += "\n[stopped: the script ran longer than \(options.timeout)]\n" }
        return ScriptResult(stdout: text(collected.closureResult.stdout), stderr: stderr, statusCode: status, timedOut: wasStopped)
    }

    /// Reads a stream to its end, keeping the last `limit` bytes.
    private static func collect(_ stream: SubprocessOutputSequence, limit: Int,
                                as piece: @Sendable ([UInt8], Bool) -> Piece) async -> Piece {
        var kept: [UInt8] = []
        var dropped = false
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { kept.append(contentsOf: $0) }
                if kept.count > 2 * limit {
                    kept.removeSubrange(..<(kept.count - limit))
                    dropped = true
                }
            }
        } catch {
            // The pipe failed; keep what arrived.
        }
        if kept.count > limit {
            kept.removeSubrange(..<(kept.count - limit))
            dropped = true
        }
        return piece(kept, dropped)
    }

    /// The kept bytes as text, starting at a character boundary, marked when the start was dropped.
    private static func text(_ captured: ([UInt8], Bool)) -> String {
        let (bytes, truncated) = captured
        var start = 0
        while truncated, start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
        let text = String(decoding: bytes[start...], as: UTF8.self)
        return truncated ? "[…]" + text : text
    }
}
