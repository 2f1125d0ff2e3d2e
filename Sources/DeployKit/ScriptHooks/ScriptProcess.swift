import Foundation
import PipelineKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one script of a runbook through PipelineKit's ``Sandbox``: isolated when the runbook asks
/// for it, otherwise as this process (``Sandbox/Isolation/unsafeNone``, with the runner's
/// environment, in the runbook directory). Standard output and standard error are kept apart (the
/// last bytes of each); a timeout stops the script's whole process group.
enum ScriptProcess {
    static func run(path: String, arguments: [String], directory: String, runbook: Runbook,
                    options: ScriptHookRunner.Options) async throws(DeployError) -> ScriptResult {
        let operation = "run script"
        if Task.isCancelled { throw DeployError(.cancelled, "the hook was cancelled before \(path) started", operation: operation) }
        let limit = max(1, options.outputLimit)
        var sandbox: Sandbox
        var command: SandboxedCommand
        var scratch: String?
        var lease: SandboxUser?
        if let isolation = runbook.sandbox {
            sandbox = options.sandbox
            sandbox.network = isolation.network
            sandbox.limits.output = nil
            sandbox.readOnlyPaths += ([directory, (path as NSString).deletingLastPathComponent] + isolation.readOnly)
                .map { ($0 as NSString).standardizingPath }
            let made: String
            let user: SandboxUser
            do {
                made = try Self.temporaryDirectory()
                user = try sandbox.leaseUser()
            } catch let error as DeployError {
                return ScriptResult(stdout: "", stderr: "\(path): cannot run: \(error.message)\n", statusCode: 126)
            } catch {
                return ScriptResult(stdout: "", stderr: "\(path): cannot run: \(error)\n", statusCode: 126)
            }
            if let id = user.id { chown(made, id, id) }
            lease = user
            scratch = made
            command = SandboxedCommand([path] + arguments, environment: Command.baseEnvironment(home: made), workingDirectory: made,
                                       writable: [made], user: user, timeout: options.timeout, gracePeriod: options.gracePeriod)
        } else {
            sandbox = Sandbox.unsafeUnconfined(limits: Sandbox.Limits())
            command = SandboxedCommand([path] + arguments, environment: ProcessInfo.processInfo.environment, workingDirectory: directory,
                                       writable: [], timeout: options.timeout, gracePeriod: options.gracePeriod)
        }
        defer {
            if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
            lease?.release()
        }
        var standardOutput: [UInt8] = []
        var dropped = false
        let exit: Sandbox.Exit
        do {
            exit = try await sandbox.run(command, errors: .separate(keepingLast: limit)) { chunk in
                standardOutput += chunk
                if standardOutput.count > 2 * limit {
                    standardOutput.removeFirst(standardOutput.count - limit)
                    dropped = true
                }
            }
        } catch let error where error.code == .cancelled {
            throw DeployError(.cancelled, "the hook was cancelled while \(path) ran", operation: operation)
        } catch {
            return ScriptResult(stdout: text(standardOutput, limit: limit, dropped: dropped),
                                stderr: "\(path): cannot run: \(error.message)\n", statusCode: 126)
        }
        var errorText = text(exit.standardError, limit: limit, dropped: exit.standardError.count >= limit)
        let timedOut = exit.stopped != nil
        if timedOut { errorText += "\n[stopped: the script ran longer than \(options.timeout)]\n" }
        return ScriptResult(stdout: text(standardOutput, limit: limit, dropped: dropped), stderr: errorText, statusCode: exit.status,
                            timedOut: timedOut)
    }

    /// A new folder of this process only, for a sandboxed script to work in.
    private static func temporaryDirectory() throws(DeployError) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/hookd-script-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkdtemp($0) != nil } ?? false }
        guard made else {
            throw DeployError(.io, "cannot make a folder in \(base): \(String(cString: strerror(errno)))", operation: "run script")
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The last `limit` bytes as text, starting at a character boundary, marked when the start was dropped.
    private static func text(_ bytes: [UInt8], limit: Int, dropped: Bool) -> String {
        var kept = bytes.count > limit ? Array(bytes.suffix(limit)) : bytes
        let truncated = dropped || bytes.count > limit
        var start = 0
        while truncated, start < kept.count, kept[start] & 0xC0 == 0x80 { start += 1 }
        kept.removeFirst(start)
        let text = String(decoding: kept, as: UTF8.self)
        return truncated ? "[…]" + text : text
    }
}
