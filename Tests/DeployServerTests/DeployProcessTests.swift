import AsyncHTTPClient
import DeployKit
import ForgeKit
import ForgeKitTesting
import PipelineKit
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// deploy-server and deploy-runner as processes.
struct DeployCluster {
    let directory: String
    let server: ExampleProcess
    let base: String
    static let runnerNames = (0..<8).map { "r\($0)" }

    static func token(_ name: String) -> String { "cluster-token-\(name)-0123456789" }

    static func start(projectsYAML: String, arguments: [String] = []) async throws -> DeployCluster {
        let directory = try RepositoryFixture.temporaryDirectory(prefix: "deploy-cluster")
        try projectsYAML.write(toFile: directory + "/projects.yml", atomically: true, encoding: .utf8)
        let runners = runnerNames.flatMap { ["--runner", "\($0)=\(token($0))"] }
        let server = try ExampleProcess("deploy-server", ["serve", "--db", directory + "/deploy.sqlite", "--port", "0", "--open-api",
                                                          "--config", directory + "/projects.yml"] + runners + arguments)
        let port = try await server.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)
        return DeployCluster(directory: directory, server: server, base: "http://127.0.0.1:\(port)")
    }

    func runner(_ name: String, heartbeat: String = "0.2") throws -> ExampleProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DEPLOY_RUNNER_TOKEN"] = Self.token(name)
        return try ExampleProcess("deploy-runner", ["--server", base, "--work-dir", directory + "/work-\(name)", "--heartbeat", heartbeat,
                                                    "--claim-wait", "5"], environment: environment)
    }

    func request(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    func deployment(_ id: Int) async throws -> Deployment {
        let response = try await request(.GET, "/api/deployments/\(id)")
        return try JSONDecoder().decode(Deployment.self, from: Data(response.body.utf8))
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("deploy-server and deploy-runner processes", .serialized)
struct DeployProcessTests {
    static func repository() async throws -> (RepositoryFixture, String) {
        let fixture = try await RepositoryFixture.make()
        let commit = try await fixture.build { repo in try repo.commit("first", [.write("README.md", "one\n")]) }
        return (fixture, commit.description)
    }

    @Test("a runner killed mid-run: its script dies with it, and when the lease expires the deployment fails — or, with attempts left, another runner finishes it")
    func killedRunner() async throws {
        let (fixture, commit) = try await Self.repository()
        defer { fixture.remove() }
        let marker = HostProcesses.marker()
        let script = """
            if [ "$DEPLOY_ATTEMPT" = 1 ]; then sleep \(marker) & echo started; wait; fi
            echo "attempt $DEPLOY_ATTEMPT done"
            """
        let yaml = """
            projects:
              - name: app
                repository: \(fixture.path)
                branches: [{name: main, environment: prod, script: \(Value.string(script).jsonText)}]
                environments: [{name: prod}]
            """
        for attempts in [1, 2] {
            let cluster = try await DeployCluster.start(projectsYAML: yaml, arguments: ["--lease", "2", "--attempts", "\(attempts)"])
            defer { cluster.stop() }
            let first = try cluster.runner("r0")
            let queued = try await cluster.request(.POST, "/api/deployments", json: #"{"project": "app", "branch": "main", "commit": "\#(commit)"}"#)
            #expect(queued.status == 201, "\(queued.body)")
            #expect(await HostProcesses.waitUntilRunning(marker))
            first.kill(SIGKILL)
            await first.waitForExit()
            // The sandbox dies with the runner (bubblewrap's --die-with-parent).
            #expect(await HostProcesses.waitUntilGone(marker))
            if attempts == 1 {
                #expect(try await eventually { try await cluster.deployment(1).state == .failed })
                let deployment = try await cluster.deployment(1)
                #expect(deployment.reason?.contains("stopped renewing its lease") == true)
                #expect(deployment.attempt == 1)
            } else {
                #expect(try await eventually { try await cluster.deployment(1).state == .initialized })
                let second = try cluster.runner("r1")
                defer { second.stop() }
                #expect(try await eventually { try await cluster.deployment(1).state == .succeeded })
                let deployment = try await cluster.deployment(1)
                #expect(deployment.attempt == 2)
                let log = try await cluster.request(.GET, "/api/deployments/1/log").body
                #expect(log.contains("queued again"))
                #expect(log.contains("attempt 2 done"))
            }
        }
    }

    @Test("SIGTERM to a runner stops its script's process group and reports the deployment failed at once")
    func terminatedRunner() async throws {
        let (fixture, commit) = try await Self.repository()
        defer { fixture.remove() }
        let marker = HostProcesses.marker()
        let yaml = """
            projects:
              - name: app
                repository: \(fixture.path)
                branches: [{name: main, environment: prod, script: "sleep \(marker) & wait"}]
                environments: [{name: prod}]
            """
        let cluster = try await DeployCluster.start(projectsYAML: yaml, arguments: ["--lease", "300"])
        defer { cluster.stop() }
        let runner = try cluster.runner("r0")
        #expect(try await cluster.request(.POST, "/api/deployments", json: #"{"project": "app", "branch": "main", "commit": "\#(commit)"}"#).status == 201)
        #expect(await HostProcesses.waitUntilRunning(marker))
        runner.kill(SIGTERM)
        #expect(await runner.waitForExit() == 0, "\(runner.text)")
        // Failed by the runner's own report, long before the 300 s lease could run out.
        let deployment = try await cluster.deployment(1)
        #expect(deployment.state == .failed)
        #expect(deployment.reason == "the runner stopped the deploy script (the runner is shutting down)")
        #expect(await HostProcesses.waitUntilGone(marker))
    }

    @Test("bad command lines and projects files are refused with the reason, and nothing is stored")
    func badInput() async throws {
        let directory = try RepositoryFixture.temporaryDirectory(prefix: "deploy-bad-input")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "projects:\n  - name: app\n    repository: /r\n    branches: [{name: main, environment: qa, script: x}]\n"
            .write(toFile: directory + "/bad.yml", atomically: true, encoding: .utf8)
        let cases: [(String, [String], String)] = [
            ("deploy-server", ["serve", "--db", directory + "/d.sqlite", "--port", "0", "--open-api", "--config", directory + "/bad.yml"],
             "branch 'main' deploys to environment 'qa', which is not defined"),
            ("deploy-server", ["configure", "--db", directory + "/d.sqlite", directory + "/missing.yml"], "cannot read"),
            ("deploy-server", ["serve", "--db", directory + "/d.sqlite", "--runner", "nameonly"], "--runner must be NAME=TOKEN"),
            ("deploy-server", ["serve", "--db", directory + "/d.sqlite", "--port", "0", "--open-api", "--runner", "r1=short"], "at least 16 characters"),
            ("deploy-server", ["serve", "--db", directory + "/d.sqlite", "--port", "0"], "--api-token (or DEPLOY_API_TOKEN) is required"),
            ("deploy-server", ["serve", "--db", directory + "/d.sqlite", "--port", "0", "--open-api", "--host", "0.0.0.0"], "only on loopback"),
            ("deploy-server", ["deploy", "--db", directory + "/d.sqlite", "nope", "main", String(repeating: "a", count: 40)], "there is no project 'nope'"),
            ("deploy-server", ["rollback", "--db", directory + "/d.sqlite", "nope", "prod"], "there is no project 'nope'"),
            ("deploy-runner", ["--server", "ftp://x", "--token", "t"], "--server must be an http:// or https:// URL"),
            ("deploy-runner", ["--server", "http://127.0.0.1:9"], "give --token or DEPLOY_RUNNER_TOKEN"),
        ]
        for (tool, arguments, expected) in cases {
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "DEPLOY_RUNNER_TOKEN")
            let process = try ExampleProcess(tool, arguments, environment: environment)
            let status = await process.waitForExit()
            #expect(status != nil && status != 0, "\(tool) \(arguments) succeeded")
            #expect(process.text.contains(expected), "\(tool) \(arguments): \(process.text)")
        }
        let store = try SQLiteDeploymentStore(path: directory + "/d.sqlite")
        #expect(try await store.projects().isEmpty)
        #expect(try await store.deployments(DeploymentQuery()).isEmpty)
    }

    @Test("8 runner processes drain 160 deployments: each runs exactly once, none is lost")
    func drain() async throws {
        let (fixture, commit) = try await Self.repository()
        defer { fixture.remove() }
        let count = 160
        let environments = (0..<count).map { "{name: env-\($0)}" }.joined(separator: ", ")
        let yaml = """
            projects:
              - name: app
                repository: \(fixture.path)
                branches: [{name: main, environment: env-0, script: "echo \\"ran $DEPLOY_ID $DEPLOY_ATTEMPT\\""}]
                environments: [\(environments)]
            """
        let cluster = try await DeployCluster.start(projectsYAML: yaml)
        defer { cluster.stop() }
        let runners = try (0..<8).map { try cluster.runner("r\($0)", heartbeat: "1") }
        defer { runners.forEach { $0.stop() } }
        for index in 0..<count {
            let queued = try await cluster.request(.POST, "/api/deployments",
                                                   json: #"{"project": "app", "branch": "main", "commit": "\#(commit)", "environment": "env-\#(index)"}"#)
            #expect(queued.status == 201)
        }
        let drained = try await eventually(seconds: 300) {
            let response = try await cluster.request(.GET, "/api/deployments?state=succeeded&limit=1000")
            let list = try JSONDecoder().decode([Deployment].self, from: Data(response.body.utf8))
            return list.count == count
        }
        #expect(drained)
        let all = try JSONDecoder().decode([Deployment].self, from: Data(try await cluster.request(.GET, "/api/deployments?limit=1000").body.utf8))
        #expect(all.count == count)
        #expect(all.allSatisfy { $0.state == .succeeded && $0.attempt == 1 })
        // Each script ran once: its log says so exactly once (the scripts see only their own folders,
        // so the log, not a shared file, is the ledger).
        for deployment in all {
            let log = try await cluster.request(.GET, "/api/deployments/\(deployment.id)/log").body
            #expect(log.components(separatedBy: "ran \(deployment.id) ").count == 2, "\(deployment.id): \(log)")
        }
        // The work was shared.
        #expect(Set(all.compactMap(\.runner)).count >= 2)
    }
}
