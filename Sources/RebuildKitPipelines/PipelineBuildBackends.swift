import Foundation
public import PipelineKit
public import RebuildKit
import Synchronization

/// Builds by running a shell command in a PipelineKit workspace, in its ``Sandbox`` (killed on
/// cancel or timeout), with `REBUILD_COLLECTION`, `REBUILD_PACKAGE`, `REBUILD_VERSION`,
/// `REBUILD_ARCHITECTURE` and `REBUILD_ENVIRONMENT` (a file in the workspace listing `name version`
/// per line) set. Exit status 0 is success. The output goes to `LOGS/ID.log`.
public final class ShellBuildBackend: BuildBackend {
    /// The command, run by `/bin/sh -c`.
    public let command: String
    /// Where workspaces and logs go.
    public let directory: String
    /// The longest a build may run.
    public let timeout: Duration?
    /// Where the command runs.
    public let sandbox: Sandbox

    private let builds = Mutex<[String: (task: Task<Void, Never>, status: BackendStatus)]>([:])

    /// Creates a backend.
    public init(command: String, directory: String, timeout: Duration? = nil, sandbox: Sandbox = Sandbox()) {
        self.command = command
        self.directory = directory
        self.timeout = timeout
        self.sandbox = sandbox
    }

    /// The log of build `id`.
    public func logPath(_ id: String) -> String { "\(directory)/\(id).log" }

    public func submit(_ request: BuildRequest) async throws(RebuildError) -> String {
        let id = "\(request.package)-\(UUID().uuidString.prefix(8).lowercased())"
        let source = Source(sourceClass: "rebuild", attributes: request.attributes.mapValues { Value.string($0) })
        let workspace = Workspace(directory: "\(directory)/\(id)", source: source, sandbox: sandbox)
        let environmentFile = workspace.directory + "/.rebuild-environment"
        do {
            try workspace.prepare()
            try Data(request.environment.map { "\($0.name) \($0.version)\n" }.joined().utf8).write(to: URL(fileURLWithPath: environmentFile))
            _ = FileManager.default.createFile(atPath: logPath(id), contents: nil)
        } catch {
            throw RebuildError(.backend, "cannot prepare \(directory): \(error)", operation: "submit build")
        }
        var variables = ["REBUILD_ENVIRONMENT": environmentFile]
        for (key, value) in request.attributes { variables["REBUILD_\(key.uppercased())"] = value }
        let command = Command(["/bin/sh", "-c", self.command], environment: variables, timeout: timeout)
        let log = FileHandle(forWritingAtPath: logPath(id))
        builds.withLock { $0[id] = (Task {}, .running) }
        let task = Task { [self] in
            let output = ActionOutput { text in log?.write(Data(text.utf8)) }
            let status = await Self.run(command, in: workspace, output: output)
            try? log?.close()
            workspace.remove()
            self.builds.withLock { $0[id]?.status = status }
        }
        builds.withLock { $0[id]?.task = task }
        return id
    }

    private static func run(_ command: Command, in workspace: Workspace, output: ActionOutput) async -> BackendStatus {
        do throws(PipelineError) {
            let result = try await workspace.run(command, output: output)
            return result.exitCode == 0 ? .succeeded : .failed("exit status \(result.exitCode)")
        } catch {
            return error.code == .cancelled ? .canceled : .failed(error.message)
        }
    }

    public func poll(_ id: String) async throws(RebuildError) -> BackendStatus {
        builds.withLock { $0[id]?.status } ?? .failed("unknown to this backend (the process restarted while it ran)")
    }

    public func cancel(_ id: String) async throws(RebuildError) {
        guard let task = builds.withLock({ $0[id]?.task }) else {
            throw RebuildError(.notFound, "no build '\(id)'", operation: "cancel build")
        }
        task.cancel()
        await task.value
    }
}

/// Builds by starting a PipelineKit run: a `rebuild` source (attributes `collection`, `package`,
/// `version`, `architecture`) dispatched to the configurations that match it. The run's outcome is
/// the build's. Register ``sourceType`` with the registry the configurations are loaded with, and
/// run a ``PipelineExecutor`` on the same store.
public final class PipelineBuildBackend: BuildBackend {
    /// The source type builds are dispatched as.
    public static let sourceType = SourceRegistry.SourceType(name: "rebuild", attributes: ["collection", "package", "version", "architecture"])

    private let dispatcher: PipelineDispatcher

    /// Creates a backend dispatching through `dispatcher` (whose store the executor works on).
    public init(dispatcher: PipelineDispatcher) {
        self.dispatcher = dispatcher
    }

    public func submit(_ request: BuildRequest) async throws(RebuildError) -> String {
        let source = Source(sourceClass: Self.sourceType.name, attributes: request.attributes.mapValues { Value.string($0) })
        let dispatch: PipelineDispatcher.Dispatch
        do {
            dispatch = try await dispatcher.dispatch(source: source, event: .map(source.attributes), trigger: "rebuild \(request.package)")
        } catch {
            throw RebuildError(.backend, error.message, operation: "submit build")
        }
        guard let run = dispatch.enqueued.runs.first else {
            throw RebuildError(.backend, "no pipeline configuration matches a rebuild of \(request.package)", operation: "submit build")
        }
        return String(run.id.rawValue)
    }

    public func poll(_ id: String) async throws(RebuildError) -> BackendStatus {
        guard let number = Int64(id) else { return .failed("'\(id)' is not a run id") }
        let detail: RunDetail?
        do { detail = try await dispatcher.store.run(RunID(number)) } catch {
            throw RebuildError(.backend, error.message, operation: "poll build")
        }
        guard let run = detail?.run else { return .failed("run \(id) does not exist") }
        switch run.status {
        case .queued, .running: return .running
        case .succeeded: return .succeeded
        case .cancelled: return .canceled
        default: return .failed(run.reason ?? run.status.rawValue)
        }
    }

    public func cancel(_ id: String) async throws(RebuildError) {
        guard let number = Int64(id) else { throw RebuildError(.notFound, "'\(id)' is not a run id", operation: "cancel build") }
        do { _ = try await dispatcher.store.cancel(RunID(number), reason: "rebuild cancelled", now: Date()) } catch {
            throw RebuildError(.backend, error.message, operation: "cancel build")
        }
    }
}
