import Foundation
import PipelineKit
import RebuildKit
import RebuildKitPipelines
import Testing

/// `PipelineBuildBackend` against a real SQLite run store and executor running shell actions.
@Suite("builds through PipelineKit configurations")
struct PipelineBackendTests {
    static let configurations = """
        - name: rebuild-app
          source: {source_class: rebuild, criteria: {package: app}}
          actions: [{name: build, task: shell, kwargs: {command: 'echo "building $SOURCE_PACKAGE $SOURCE_VERSION"'}}]
        - name: rebuild-broken
          source: {source_class: rebuild, criteria: {package: broken}}
          actions: [{name: build, task: shell, kwargs: {command: 'exit 3'}}]
        - name: rebuild-slow
          source: {source_class: rebuild, criteria: {package: slow}}
          actions: [{name: build, task: shell, kwargs: {command: 'sleep 30'}}]

        """

    func request(_ package: String) -> BuildRequest {
        BuildRequest(collection: "test", package: package, version: "1.0-1", architecture: "amd64",
                     environment: [ResolvedPackage(name: "gcc", version: "12", distance: 1)])
    }

    func wait(_ backend: PipelineBuildBackend, _ id: String) async throws -> BackendStatus {
        for _ in 0..<400 {
            let status = try await backend.poll(id)
            if status != .running { return status }
            try await Task.sleep(for: .milliseconds(25))
        }
        return try await backend.poll(id)
    }

    @Test("submit, poll to success or failure, cancel, and refuse what no configuration matches")
    func lifecycle() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-pipeline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sources = SourceRegistry.standard
        sources.register(PipelineBuildBackend.sourceType)
        let actions = ActionRegistry.standard()
        let loaded = try ConfigurationLoader(sources: sources, tasks: actions.names).load(text: Self.configurations, file: "rebuild.yml")
        let store = try SQLiteRunStore(path: directory + "/runs.sqlite")
        let dispatcher = PipelineDispatcher(store: store, configurations: ConfigurationIndex(loaded))
        let executor = PipelineExecutor(store: store, actions: actions,
                                        options: .init(concurrency: 2, pollInterval: .milliseconds(20), workspaceRoot: directory + "/workspaces"))
        let running = Task { try await executor.run() }
        defer { running.cancel() }
        let backend = PipelineBuildBackend(dispatcher: dispatcher)

        let app = try await backend.submit(request("app"))
        #expect(try await wait(backend, app) == .succeeded)
        let number = try #require(Int64(app))
        let detail = try #require(try await store.run(RunID(number)))
        #expect(detail.run.source.attributes["package"] == .string("app"))
        let log = try await store.logs(run: detail.run.id, after: 0, limit: 100).map(\.text).joined()
        #expect(log.contains("building app 1.0-1"))

        let broken = try await backend.submit(request("broken"))
        guard case .failed = try await wait(backend, broken) else {
            Issue.record("a failing build command is a failed build")
            return
        }

        let slow = try await backend.submit(request("slow"))
        try await Task.sleep(for: .milliseconds(200))
        try await backend.cancel(slow)
        #expect(try await wait(backend, slow) == .canceled)

        await #expect(throws: RebuildError.self, "nothing matches") { try await backend.submit(request("unknown")) }
        #expect(try await backend.poll("999999") == .failed("run 999999 does not exist"))
        #expect(try await backend.poll("not-a-number") == .failed("'not-a-number' is not a run id"))
        await #expect(throws: RebuildError.self) { try await backend.cancel("not-a-number") }
    }
}
