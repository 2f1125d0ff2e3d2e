import AsyncHTTPClient
import DeployKit
import DeployKitServer
import ForgeKit
import ForgeKitTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A deployment server (controller + HTTP service on a loopback port), a git repository with two
/// commits, and a scratch directory — for tests that go through the real HTTP runner API.
struct DeployHarness: Sendable {
    let directory: String
    let base: String
    let controller: DeploymentController
    let fixture: RepositoryFixture
    let commits: [String]
    let runnerToken = "runner-token-0123456789"

    var releases: String { directory + "/srv" }
    var work: String { directory + "/work" }

    /// Starts everything, runs `body`, and stops everything.
    static func with(options: DeploymentController.Options = .init(lease: .seconds(20), pollInterval: .milliseconds(50)),
                     notifiers: [any DeploymentNotifier] = [], script: String, variables: [String: String] = [:],
                     _ body: @escaping @Sendable (DeployHarness) async throws -> Void) async throws {
        let directory = try RepositoryFixture.temporaryDirectory(prefix: "deploy-harness")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = try await RepositoryFixture.make()
        defer { fixture.remove() }
        let first = try await fixture.build { repo in
            try repo.commit("first", [.write("README.md", "one\n"), .executable("bin/start", "#!/bin/sh\necho start\n")])
        }
        let second = try await fixture.build { repo in try repo.commit("second", [.write("README.md", "two\n")]) }
        var logger = Logger(label: "deploy-test")
        logger.logLevel = .critical
        let store = try SQLiteDeploymentStore(path: directory + "/deploy.sqlite", logger: logger)
        let controller = DeploymentController(store: store, options: options, notifiers: notifiers, logger: logger)
        try await store.saveProject(ProjectSettings(
            name: "app", repositoryURL: fixture.path,
            branches: [BranchSettings(name: "main", mode: .auto, script: script, environment: "prod"),
                       BranchSettings(name: "release", mode: .manual, script: script, environment: "prod")],
            environments: [EnvironmentSettings(name: "prod", variables: variables, secrets: ["TOKEN": "s3cr3t-t0ken"],
                                               releases: ReleaseSettings(path: directory + "/srv", keep: 3))]))
        let harness = DeployHarness(directory: directory, base: "", controller: controller, fixture: fixture,
                                    commits: [first.description, second.description])
        try await controller.registerRunner(name: "r1", projects: ["app"], token: harness.runnerToken)

        let router = Router()
        DeploymentHTTPService(controller: controller, logger: logger).addRoutes(to: router)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            group.addTask { await controller.runLeaseExpiry() }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(DeployHarness(directory: directory, base: "http://127.0.0.1:\(port)", controller: controller,
                                         fixture: fixture, commits: harness.commits))
        }
    }

    /// A runner talking HTTP to the server, keeping its job directories.
    func runner(token: String? = nil, heartbeat: Duration = .milliseconds(100)) -> DeploymentRunner {
        var logger = Logger(label: "deploy-test-runner")
        logger.logLevel = .critical
        return DeploymentRunner(connection: DeploymentClient(server: base, token: token ?? runnerToken),
                                options: .init(workDirectory: work, claimWait: .seconds(10), heartbeatInterval: heartbeat,
                                               keepWorkDirectories: true, retryDelay: .milliseconds(100)),
                                logger: logger)
    }

    /// An HTTP request to the server.
    func request(_ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: buffer), response.headers)
    }

    /// Queues a deployment over HTTP and returns its id.
    func queue(commit: String, branch: String = "main") async throws -> DeploymentID {
        let response = try await request(.POST, "/api/deployments", json: #"{"project": "app", "branch": "\#(branch)", "commit": "\#(commit)", "requested_by": "tester"}"#)
        #expect(response.status == 201, "\(response.body)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        return DeploymentID(Int64(try #require(object["id"] as? Int)))
    }

    /// Reads the log over HTTP (long polls) until it contains `text`; returns the whole log so far.
    func waitForLog(_ id: DeploymentID, containing text: String, attempts: Int = 120) async throws -> String {
        var log = "", offset = 0
        for _ in 0..<attempts {
            let response = try await request(.GET, "/api/deployments/\(id)/log?after=\(offset)&wait=1")
            #expect(response.status == 200)
            log += response.body
            offset = Int(response.headers.first(name: "X-Log-Next") ?? "") ?? offset
            if log.contains(text) { return log }
        }
        Issue.record("the log never contained '\(text)': \(log)")
        return log
    }

    /// The deployment as the API shows it.
    func deployment(_ id: DeploymentID) async throws -> Deployment {
        let response = try await request(.GET, "/api/deployments/\(id)")
        #expect(response.status == 200, "\(response.body)")
        return try JSONDecoder().decode(Deployment.self, from: Data(response.body.utf8))
    }
}

/// Polls `condition` every 50 ms for up to `seconds`; returns whether it became true.
func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
