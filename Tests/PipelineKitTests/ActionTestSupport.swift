import Foundation
import Logging
import PipelineKit
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory for one test, and contexts for running actions in a workspace inside it.
struct ActionHarness: Sendable {
    let root: String
    let workspace: Workspace
    let recorder = OutputRecorder()

    init(source: Source = ActionHarness.pushSource, environment: [String: String] = [:], secrets: [String] = []) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/pipelinekit-actions-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkdtemp($0) != nil } ?? false }
        guard made else { throw PipelineError(.io, "cannot create a temporary directory", operation: "test") }
        root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Searchable by others, as a data folder is, so that the sandbox's own user reaches the workspace.
        chmod(root, 0o711)
        workspace = Workspace(directory: root + "/workspace", source: source, environment: environment, masker: SecretMasker(secrets))
    }

    static let pushSource = Source(sourceClass: "push", attributes: ["repo": "acme/web", "branch": "main"])

    /// A context for an action named `step` of configuration `lint` in run 7.
    func context(_ kwargs: [String: Value] = [:], parent: Value = .null, event: Value = .null) -> ActionContext {
        ActionContext(run: RunID(7), configuration: "lint", actionName: "step", path: StepPath(action: 0), attempt: 1,
                      kwargs: kwargs, parent: parent, source: workspace.source, event: event, workspace: workspace,
                      output: recorder.output, logger: Logger(label: "test"))
    }

    func path(_ name: String) -> String { root + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Collects what an action writes to its output.
final class OutputRecorder: Sendable {
    private let chunks = Mutex<[String]>([])

    var output: ActionOutput {
        ActionOutput { text in self.chunks.withLock { $0.append(text) } }
    }

    var text: String { chunks.withLock { $0.joined() } }
}

/// The error `body` throws, as a `PipelineError`.
func caughtError(_ body: () async throws -> Void) async -> PipelineError? {
    do {
        try await body()
        Issue.record("no error was thrown")
        return nil
    } catch let error as PipelineError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Processes, as the tests observe them.
enum Processes {
    /// Whether `pid` is a live process (a zombie left for an init that does not reap counts as dead).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), let state = stat[close...].dropFirst(2).first else { return false }
        return state != "Z" && state != "X"
    }

    /// Waits until `pid` is dead (up to 10 s: the kill is immediate, the exit takes a moment).
    static func waitUntilDead(_ pid: pid_t) async -> Bool {
        for _ in 0..<200 where isAlive(pid) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !isAlive(pid)
    }

    /// A `sleep` duration no other process uses, so that a sandboxed process (whose process id the
    /// host does not learn) can be found by its command line: `sleep 100.123456`.
    static func marker() -> String {
        "100.\(Int.random(in: 100_000...999_999))"
    }

    /// The host's processes whose command line contains `marker`, zombies left out.
    static func running(_ marker: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(marker) && isAlive(pid)
        }
    }

    /// Waits up to 10 s until `count` processes with `marker` run.
    static func waitUntilRunning(_ marker: String, count: Int = 1) async -> Bool {
        for _ in 0..<200 where running(marker).count < count {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return running(marker).count >= count
    }

    /// Waits up to 10 s until no process with `marker` runs.
    static func waitUntilGone(_ marker: String) async -> Bool {
        for _ in 0..<200 where !running(marker).isEmpty {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return running(marker).isEmpty
    }

    /// The process id a command wrote to `path`, waiting up to 10 s for the file.
    static func pid(in path: String) async throws -> pid_t {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PipelineError(.timeout, "no pid in \(path)", operation: "test")
    }
}
