import ForgeKit
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

    init(source: Source = ActionHarness.pushSource, environment: [String: String] = [:], secrets: [String] = [],
         outbound: OutboundPolicy = .standard) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/pipelinekit-actions-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkdtemp($0) != nil } ?? false }
        guard made else { throw PipelineError(.io, "cannot create a temporary directory", operation: "test") }
        root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Searchable by others, as a data folder is, so that the sandbox's own user reaches the workspace.
        chmod(root, 0o711)
        workspace = Workspace(directory: root + "/workspace", source: source, environment: environment, masker: SecretMasker(secrets),
                              outbound: outbound)
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

