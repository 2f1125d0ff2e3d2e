import AsyncHTTPClient
import Crypto
import DeployKit
import DeployKitServer
import ForgeKitTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PipelineKit
import Synchronization
import Testing

/// The whole path through the HTTP runner API, with a real repository, bash, and release directories.
@Suite("deployments through the runner API")
struct DeploymentFlowTests {
    @Test("queued, claimed over HTTP, checkout, runner.yml and zip present, output streamed while the script runs, succeeded")
    func wholePath() async throws {
        let script = """
            echo "token is $TOKEN"
            test -f runner.yml
            test -f "$DEPLOY_COMMIT.zip"
            test -x bin/start
            cp README.md "$DEPLOY_RELEASE_DIR/deployed-readme"
            echo ready
            while [ ! -f "$HOME/go" ]; do sleep 0.02; done
            echo finished
            """
        try await DeployHarness.with(script: script) { harness in
            let runner = harness.runner()
            let running = Task { try await runner.runOnce(wait: .seconds(10)) }
            let id = try await harness.queue(commit: harness.commits[1])
            // "ready" is readable through the API while the script is still waiting for the marker.
            let log = try await harness.waitForLog(id, containing: "ready")
            #expect(try await harness.deployment(id).state == .running)
            #expect(log.contains("token is ***"))
            #expect(!log.contains("s3cr3t-t0ken"))
            #expect(!log.contains("finished"))
            // The script sees only its job folder (its HOME): the go-ahead is put there.
            _ = FileManager.default.createFile(atPath: harness.work + "/\(id)-1/go", contents: Data())
            let outcome = try await running.value
            let release = "\(id)-\(harness.commits[1].prefix(12))"
            #expect(outcome == .succeeded(release: release))

            let deployment = try await harness.deployment(id)
            #expect(deployment.state == .succeeded)
            #expect(deployment.attempt == 1 && deployment.runner == "r1" && deployment.requestedBy == "tester")
            #expect(deployment.release == release)
            let final = try await harness.waitForLog(id, containing: "deployment succeeded")
            #expect(final.contains("finished"))

            // The job directory: checkout at the commit, Polytene's runner.yml, and the archive git would make.
            let src = harness.work + "/\(id)-1/src"
            #expect(try String(contentsOfFile: src + "/README.md", encoding: .utf8) == "two\n")
            let yaml = try String(contentsOfFile: src + "/runner.yml", encoding: .utf8)
            #expect(yaml.contains(#"branch_name: "main""#))
            #expect(yaml.contains(#"commit_sha: "\#(harness.commits[1])""#))
            #expect(yaml.contains(#"repository_url: "\#(harness.fixture.path)""#))
            #expect(yaml.contains(#"environment: "prod""#))
            let zip = try Data(contentsOf: URL(fileURLWithPath: src + "/\(harness.commits[1]).zip"))
            let expected = try GitCLI.git(["archive", "--format=zip", harness.commits[1]], in: harness.fixture.path).stdout
            #expect(Array(zip) == expected)
            // The release was filled and made current.
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: harness.releases + "/current") == "releases/\(release)")
            #expect(try String(contentsOfFile: harness.releases + "/current/deployed-readme", encoding: .utf8) == "two\n")
        }
    }

    @Test("a failing command ends the script, and the failure names its line and command")
    func failingLine() async throws {
        let script = "echo first\nif false; then echo skipped; fi\ngrep -q nothing-like-this README.md\necho never\n"
        try await DeployHarness.with(script: script) { harness in
            let runner = harness.runner()
            let running = Task { try await runner.runOnce(wait: .seconds(10)) }
            let id = try await harness.queue(commit: harness.commits[0])
            let outcome = try await running.value
            let reason = "line 3 of the deploy script: `grep -q nothing-like-this README.md` exited with status 1"
            #expect(outcome == .failed(reason: reason))
            let deployment = try await harness.deployment(id)
            #expect(deployment.state == .failed)
            #expect(deployment.reason == reason)
            let log = try await harness.waitForLog(id, containing: reason)
            #expect(log.contains("first"))
            #expect(!log.contains("never"))
            // The failed release was discarded; nothing is current.
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.releases + "/releases").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: harness.releases + "/current"))
        }
    }

    @Test("cancelling a running deployment stops the script's whole process group, and the runner reports nothing")
    func cancel() async throws {
        let marker = HostProcesses.marker()
        let script = "sleep \(marker) &\necho started\nwait\necho after\n"
        try await DeployHarness.with(script: script) { harness in
            let runner = harness.runner()
            let running = Task { try await runner.runOnce(wait: .seconds(10)) }
            let id = try await harness.queue(commit: harness.commits[0])
            _ = try await harness.waitForLog(id, containing: "started")
            #expect(await HostProcesses.waitUntilRunning(marker))
            let cancelled = try await harness.request(.POST, "/api/deployments/\(id)/cancel")
            #expect(cancelled.status == 200)
            let outcome = try #require(try await running.value)
            guard case .lost(let reason) = outcome else {
                Issue.record("expected the runner to lose the deployment, got \(outcome)")
                return
            }
            #expect(reason.contains("cancelled"))
            #expect(await HostProcesses.waitUntilGone(marker))
            let deployment = try await harness.deployment(id)
            #expect(deployment.state == .cancelled)
            let log = try await harness.request(.GET, "/api/deployments/\(id)/log").body
            #expect(!log.contains("after"))
        }
    }

    @Test("a script that runs past the runner's timeout is stopped, its process group with it, and the deployment fails saying so")
    func timeout() async throws {
        let marker = HostProcesses.marker()
        try await DeployHarness.with(script: "sleep \(marker) &\nwait\n") { harness in
            var logger = Logger(label: "deploy-test-runner")
            logger.logLevel = .critical
            let runner = DeploymentRunner(connection: DeploymentClient(server: harness.base, token: harness.runnerToken),
                                          options: .init(workDirectory: harness.work, claimWait: .seconds(10), heartbeatInterval: .milliseconds(100),
                                                         timeout: .seconds(1), gracePeriod: .milliseconds(200)),
                                          logger: logger)
            let running = Task { try await runner.runOnce(wait: .seconds(10)) }
            let id = try await harness.queue(commit: harness.commits[0])
            let outcome = try await running.value
            #expect(outcome == .failed(reason: "the deploy script ran longer than 1 s and was stopped"))
            #expect(try await harness.deployment(id).state == .failed)
            #expect(await HostProcesses.waitUntilGone(marker))
            // Without --keep the job directory is gone.
            #expect(!FileManager.default.fileExists(atPath: harness.work + "/\(id)-1"))
        }
    }

    @Test("an invalid runner token gets 401; an update for a deployment the runner no longer holds gets 409")
    func refusals() async throws {
        try await DeployHarness.with(script: "sleep 30\n") { harness in
            let noToken = try await harness.request(.POST, "/api/runner/jobs")
            #expect(noToken.status == 401)
            let wrong = try await harness.request(.POST, "/api/runner/jobs", token: "not-a-runner-token")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("runner token"))
            await #expect(throws: DeployError.self) {
                _ = try await DeploymentClient(server: harness.base, token: "not-a-runner-token").claim(wait: .zero)
            }
            let empty = try await harness.request(.POST, "/api/runner/jobs?wait=0", token: harness.runnerToken)
            #expect(empty.status == 204)

            let id = try await harness.queue(commit: harness.commits[0])
            let claimed = try await harness.request(.POST, "/api/runner/jobs?wait=1", token: harness.runnerToken)
            #expect(claimed.status == 200)
            let job = try JSONDecoder().decode(DeploymentJob.self, from: Data(claimed.body.utf8))
            #expect(job.deployment.id == id && job.deployment.attempt == 1)
            #expect(job.secrets == ["TOKEN": "s3cr3t-t0ken"])
            #expect(job.script == "sleep 30\n")
            let stale = try await harness.request(.POST, "/api/runner/deployments/\(id)/logs?attempt=2", json: "x", token: harness.runnerToken)
            #expect(stale.status == 409)
            let heartbeat = try await harness.request(.POST, "/api/runner/deployments/\(id)/heartbeat?attempt=1", token: harness.runnerToken)
            #expect(heartbeat.status == 204)
            _ = try await harness.request(.POST, "/api/deployments/\(id)/cancel")
            let late = try await harness.request(.POST, "/api/runner/deployments/\(id)/heartbeat?attempt=1", token: harness.runnerToken)
            #expect(late.status == 409)
            #expect(late.body.contains("cancelled"))
            let finish = try await harness.request(.POST, "/api/runner/deployments/\(id)/finish", json: #"{"attempt": 1, "state": "succeeded"}"#,
                                                   token: harness.runnerToken)
            #expect(finish.status == 409)
            let noAttempt = try await harness.request(.POST, "/api/runner/deployments/\(id)/heartbeat", token: harness.runnerToken)
            #expect(noAttempt.status == 400)
            let badState = try await harness.request(.POST, "/api/runner/deployments/\(id)/finish", json: #"{"attempt": 1, "state": "running"}"#,
                                                     token: harness.runnerToken)
            #expect(badState.status == 400)
            // The release a runner reports is checked like every release name, and nothing is recorded.
            let next = try await harness.queue(commit: harness.commits[0])
            let again = try await harness.request(.POST, "/api/runner/jobs?wait=1", token: harness.runnerToken)
            #expect(again.status == 200)
            for release in ["../../etc", "a/b", "..", String(repeating: "x", count: 300), "rel\\u0000ease"] {
                let bad = try await harness.request(.POST, "/api/runner/deployments/\(next)/finish",
                                                    json: #"{"attempt": 1, "state": "succeeded", "release": "\#(release)"}"#, token: harness.runnerToken)
                #expect(bad.status == 400 && bad.body.contains("invalid release name"), "\(release): \(bad.status) \(bad.body)")
            }
            let unchanged = try await harness.request(.GET, "/api/deployments/\(next)")
            #expect(unchanged.body.contains("\"running\"") && !unchanged.body.contains("etc"), "\(unchanged.body)")
            let good = try await harness.request(.POST, "/api/runner/deployments/\(next)/finish",
                                                 json: #"{"attempt": 1, "state": "failed", "reason": "test", "release": "20261204-1"}"#,
                                                 token: harness.runnerToken)
            #expect(good.status == 200, "\(good.body)")
            // Bad requests to the API.
            #expect(try await harness.request(.POST, "/api/deployments", json: "{").status == 400)
            #expect(try await harness.request(.POST, "/api/deployments", json: #"{"project": "app", "branch": "main", "commit": "HEAD"}"#).status == 400)
            #expect(try await harness.request(.POST, "/api/deployments", json: #"{"project": "nope", "branch": "main", "commit": "\#(harness.commits[0])"}"#).status == 404)
            #expect(try await harness.request(.POST, "/api/deployments", json: #"{"project": "app", "branch": "feature", "commit": "\#(harness.commits[0])"}"#).status == 404)
            #expect(try await harness.request(.GET, "/api/deployments/999").status == 404)
            #expect(try await harness.request(.GET, "/api/deployments?state=bogus").status == 400)
        }
    }

    @Test("rollback switches current back to the previous release without rebuilding")
    func rollback() async throws {
        try await DeployHarness.with(script: "cp README.md \"$DEPLOY_RELEASE_DIR/built\"\n") { harness in
            let runner = harness.runner()
            for commit in harness.commits {
                let running = Task { try await runner.runOnce(wait: .seconds(10)) }
                _ = try await harness.queue(commit: commit)
                guard case .succeeded? = try await running.value else {
                    Issue.record("a deployment failed")
                    return
                }
            }
            let current = harness.releases + "/current"
            #expect(try String(contentsOfFile: current + "/built", encoding: .utf8) == "two\n")
            let running = Task { try await runner.runOnce(wait: .seconds(10)) }
            let response = try await harness.request(.POST, "/api/rollbacks", json: #"{"project": "app", "environment": "prod"}"#)
            #expect(response.status == 201, "\(response.body)")
            let outcome = try await running.value
            #expect(outcome == .succeeded(release: "1-\(harness.commits[0].prefix(12))"))
            #expect(try String(contentsOfFile: current + "/built", encoding: .utf8) == "one\n")
            let rollback = try await harness.deployment(DeploymentID(3))
            #expect(rollback.kind == .rollback(to: nil))
            #expect(rollback.commit == harness.commits[0])
            // And forward again, by name.
            let again = Task { try await runner.runOnce(wait: .seconds(10)) }
            let named = "2-\(harness.commits[1].prefix(12))"
            #expect(try await harness.request(.POST, "/api/rollbacks", json: #"{"project": "app", "environment": "prod", "release": "\#(named)"}"#).status == 201)
            #expect(try await again.value == .succeeded(release: named))
            #expect(try String(contentsOfFile: current + "/built", encoding: .utf8) == "two\n")
            #expect(try await harness.request(.POST, "/api/rollbacks", json: #"{"project": "app", "environment": "prod", "release": "../x"}"#).status == 400)
        }
    }

    @Test("a manual branch's pipeline deployment waits for a person; an auto branch's is initialized; the deploy action queues them")
    func deployAction() async throws {
        try await DeployHarness.with(script: "true\n") { harness in
            let action = DeployAction(controller: harness.controller)
            func context(branch: String) -> ActionContext {
                let source = Source(sourceClass: "push", attributes: ["branch": .string(branch)],
                                    checkout: .init(repositoryURL: harness.fixture.path, commit: harness.commits[0]))
                return ActionContext(run: RunID(1), configuration: "ci", actionName: "deploy", path: StepPath("1")!, attempt: 1,
                                     kwargs: ["project": "app"], parent: .null, source: source, event: .null,
                                     workspace: Workspace(directory: harness.directory + "/ws", source: source), output: .discarding,
                                     logger: Logger(label: "test"))
            }
            let auto = try await action.run(context(branch: "main"))
            #expect(auto["state"] == "initialized")
            let manual = try await action.run(context(branch: "release"))
            #expect(manual["state"] == "not_initialized")
            // The manual one superseded the auto one (same environment); a person starts it.
            guard case .int(let number)? = manual["deployment"] else {
                Issue.record("no deployment id in \(manual)")
                return
            }
            let id = DeploymentID(Int64(number))
            #expect(try await harness.deployment(DeploymentID(1)).state == .cancelled)
            let started = try await harness.request(.POST, "/api/deployments/\(id)/start")
            #expect(started.status == 200)
            #expect(try await harness.deployment(id).state == .initialized)
            #expect(try await harness.request(.POST, "/api/deployments/\(id)/start").status == 409)
            let none = try await action.run(context(branch: "feature"))
            #expect(none["deployment"] == .null)
            #expect(none["reason"] == "branch 'feature' of project 'app' does not deploy")
        }
    }
}

/// Collects the notifications posted to it.
final class NotificationReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
    }
    let received = Mutex<[Received]>([])

    func with(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/:kind") { [self] request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            received.withLock { $0.append(Received(path: "/" + (context.parameters.get("kind") ?? ""), headers: headers, body: String(buffer: buffer))) }
            return Response(status: .ok)
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)")
        }
    }
}

@Suite("deployment notifications")
struct NotificationTests {
    @Test("Slack and JSON webhooks hear of start, success and failure, with the log's tail and a signature")
    func notifications() async throws {
        let receiver = NotificationReceiver()
        try await receiver.with { url in
            let notifiers: [any DeploymentNotifier] = [SlackNotifier(url: url + "/slack"),
                                                       JSONWebhookNotifier(url: url + "/json", secret: "hook-secret")]
            try await DeployHarness.with(notifiers: notifiers, script: "echo \"using $TOKEN\"\ntest \"$DEPLOY_COMMIT\" != \"$BAD\"\n",
                                         variables: ["BAD": "x"]) { harness in
                let runner = harness.runner()
                let first = Task { try await runner.runOnce(wait: .seconds(10)) }
                _ = try await harness.queue(commit: harness.commits[0])
                _ = try await first.value
                #expect(await eventually { receiver.received.withLock { $0.count } == 4 })
            }
            let all = receiver.received.withLock { $0 }
            let slack = all.filter { $0.path == "/slack" }.map(\.body)
            #expect(slack.count == 2)
            #expect(slack.contains { $0.contains("app #1 main@") && $0.contains("prod started") })
            let success = try #require(slack.first { $0.contains("succeeded") })
            #expect(success.contains("using ***"))
            #expect(!success.contains("s3cr3t"))
            #expect(success.contains("\"color\":\"good\""))
            let json = all.filter { $0.path == "/json" }
            #expect(Set(json.compactMap { $0.headers["x-forgeworks-event"] }) == ["deployment.started", "deployment.succeeded"])
            for delivery in json {
                let mac = HMAC<SHA256>.authenticationCode(for: Array(delivery.body.utf8), using: SymmetricKey(data: Array("hook-secret".utf8)))
                #expect(delivery.headers["x-hub-signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
                let object = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body.utf8)) as? [String: Any])
                let deployment = try #require(object["deployment"] as? [String: Any])
                #expect(deployment["project"] as? String == "app")
                if object["event"] as? String == "succeeded" {
                    #expect((object["log_tail"] as? String)?.contains("deployment succeeded") == true)
                }
            }
        }
    }

    /// Also with a timeout under a second, which the notifier once rounded down to none at all.
    @Test("a failure notification carries the failing line", arguments: [Duration.seconds(10), .milliseconds(800)])
    func failure(timeout: Duration) async throws {
        let receiver = NotificationReceiver()
        try await receiver.with { url in
            let notifier = JSONWebhookNotifier(url: url + "/json", events: [.failed], timeout: timeout)
            try await DeployHarness.with(notifiers: [notifier], script: "echo ok\nexit 3\n") { harness in
                let runner = harness.runner()
                let running = Task { try await runner.runOnce(wait: .seconds(10)) }
                _ = try await harness.queue(commit: harness.commits[0])
                #expect(try await running.value == .failed(reason: "the deploy script exited with status 3"))
                #expect(await eventually { receiver.received.withLock { $0.count } == 1 })
            }
            let delivery = try #require(receiver.received.withLock { $0.first })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body.utf8)) as? [String: Any])
            #expect(object["event"] as? String == "failed")
            #expect((object["summary"] as? String)?.hasSuffix("failed: the deploy script exited with status 3") == true)
            #expect((object["log_tail"] as? String)?.contains("ok\n") == true)
        }
    }
}
