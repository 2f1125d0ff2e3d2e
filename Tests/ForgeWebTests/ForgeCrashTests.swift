import ForgeKit
import ForgeKitTesting
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A webhook receiver on loopback that records every delivery: its id and the commit it is about.
final class DeliveryRecorder: Sendable {
    let deliveries = Mutex<[(id: String, after: String)]>([])

    func run(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ -> Response in
            let id = request.headers[HTTPField.Name("X-GitHub-Delivery")!] ?? ""
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
            deliveries.withLock { $0.append((id, object?["after"] as? String ?? "")) }
            return Response(status: .ok)
        }
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
        }
    }
}

/// What a push the client was told succeeded becomes, also when the forge is killed right after it.
@Suite(.timeLimit(.minutes(6))) struct ForgeCrashTests {
    static let password = "crash-admin-password"

    static func start(_ folder: String, receiverPort: Int) async throws -> (ExampleProcess, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["FORGE_ADMIN_PASSWORD"] = password
        let server = try ExampleProcess("forge", ["serve", "--data", folder + "/data", "--host", "127.0.0.1", "--port", "0",
                                                  "--webhook-allow", "127.0.0.1"], environment: environment)
        let port = try await server.waitFor(#"forge listening on http://127\.0\.0\.1:(\d+)"#)
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test func pushesSurviveKill9() async throws {
        let recorder = DeliveryRecorder()
        try await recorder.run { receiverPort in
            let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-crash")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var (server, base) = try await Self.start(folder, receiverPort: receiverPort)
            var client = Client(base: base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: "admin", password: Self.password, json: ["name": "team/app"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos/team/app/-/hooks", user: "admin", password: Self.password,
                                          json: ["url": "http://127.0.0.1:\(receiverPort)/hook"]).status == 201)
            let stored = try await client.send(.PUT, "/api/v1/repos/team/app/-/pipelines", user: "admin", password: Self.password,
                                               json: ["name": "on-push", "source": ["source_class": "push"],
                                                      "actions": [["name": "note", "task": "noop"]]])
            #expect(stored.status == 200, "\(stored.body)")

            // Push, kill -9 the moment the push returns (or a little later), start again; many times over.
            var pushed: [String] = []
            for round in 0..<8 {
                let commit = try await pushFiles(base: base, folder: folder, repository: "team/app", user: "admin", password: Self.password,
                                                 files: ["round.txt": "round \(round)\n"], message: "round \(round)")
                pushed.append(commit)
                if round % 3 > 0 { try await Task.sleep(for: .milliseconds(40 * (round % 3))) }
                server.kill(SIGKILL)
                await server.waitForExit()
                (server, base) = try await Self.start(folder, receiverPort: receiverPort)
                client = Client(base: base)
            }
            defer { server.stop() }

            // Every push has exactly one run of the configuration…
            var runs: [[String: Any]] = []
            for _ in 0..<300 {
                runs = try client.json(try await client.send(.GET, "/api/v1/repos/team/app/-/runs", user: "admin", password: Self.password))
                    as? [[String: Any]] ?? []
                if Set(runs.compactMap { $0["commit"] as? String }) == Set(pushed) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let commits = runs.compactMap { $0["commit"] as? String }
            #expect(commits.count == pushed.count, "one run per push: \(commits.count) runs for \(pushed.count) pushes")
            #expect(Set(commits) == Set(pushed))
            // …and per webhook one delivery id per push, which every attempt repeats; each delivered.
            for _ in 0..<300 where Set(recorder.deliveries.withLock { $0.map(\.after) }).count < pushed.count {
                try await Task.sleep(for: .milliseconds(100))
            }
            let deliveries = recorder.deliveries.withLock { $0 }
            #expect(Set(deliveries.map(\.after)) == Set(pushed), "every push delivered at least once")
            for commit in pushed {
                let ids = Set(deliveries.filter { $0.after == commit }.map(\.id))
                #expect(ids.count == 1, "\(commit): delivery ids \(ids)")
            }
            #expect(Set(deliveries.map(\.id)).count == pushed.count)
        }
    }
}
