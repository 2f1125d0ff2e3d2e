import ForgeKit
import ForgeKitTesting
import Foundation
import Synchronization
import Testing

/// The pipeline seed's example, end to end, through the real `hamster-ci` process.
@Suite("hamster-ci end to end", .serialized)
struct HamsterCITests {
    static let secret = "it's a secret to everybody"
    static let token = "ghp_test_token_123"

    /// Runs the hamster-ci tool to its end without blocking a thread of the cooperative pool.
    static func hamster(_ arguments: [String], environment extra: [String: String] = [:]) async throws
        -> (status: Int32, text: String, stderr: String) {
        let environment = GitCLI.environment.merging(extra) { _, new in new }
        let result = try await ChildProcess.run([HamsterProcess.toolPath] + arguments, environment: environment)
        return (result.status, String(decoding: result.output, as: UTF8.self), result.error)
    }
    static var projectRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    /// The seed's flake8_diff, with Python's own compiler as the checker (flake8 is not on a new machine).
    static let checkCommand = #"flake8_diff=git diff --name-only --diff-filter=ACMR "$SOURCE_BASE_COMMIT" "$SOURCE_COMMIT" -- '*.py' | xargs -r python3 -m py_compile"#

    /// A GitHub `pull_request` webhook body, shaped as GitHub documents it.
    static func pullRequestBody(repo: String, number: Int, headSHA: String, baseSHA: String, cloneURL: String) -> [UInt8] {
        let (owner, name) = (repo.split(separator: "/").first ?? "", repo.split(separator: "/").last ?? "")
        let repository = """
        {"id": 1, "name": "\(name)", "full_name": "\(repo)", "private": false, "fork": false,
         "html_url": "https://github.example/\(repo)", "clone_url": "\(cloneURL)", "ssh_url": "git@github.example:\(repo).git",
         "default_branch": "main", "owner": {"login": "\(owner)", "id": 2}}
        """
        return Array("""
        {"action": "opened", "number": \(number),
         "pull_request": {"id": 7, "number": \(number), "state": "open", "title": "Add a module", "merged": false,
           "html_url": "https://github.example/\(repo)/pull/\(number)", "user": {"login": "contributor", "id": 3},
           "head": {"ref": "feature", "sha": "\(headSHA)", "repo": \(repository)},
           "base": {"ref": "main", "sha": "\(baseSHA)", "repo": \(repository)}},
         "repository": \(repository), "sender": {"login": "contributor", "id": 3}}
        """.utf8)
    }

    static func webhookHeaders(_ body: [UInt8], event: String = "pull_request", secret: String = secret) -> [(String, String)] {
        [("X-GitHub-Event", event), ("X-GitHub-Delivery", UUID().uuidString), ("Content-Type", "application/json"),
         ("X-Hub-Signature-256", githubSignature(body, secret: secret))]
    }

    @Test("Signed pull_request webhook → the check fails → a comment with its output is posted to the GitHub API")
    func seedExample() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let (base, head) = try await fixture.build { repo -> (ObjectID, ObjectID) in
            let base = try repo.commit("start", [.write("app/ok.py", "print('ok')\n")])
            let head = try repo.commit("add a module", on: "feature", [.write("app/broken.py", "def f(:\n    return 1\n")])
            return (base, head)
        }
        let github = try await LocalGitHubAPI()
        defer { github.stop() }
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try await HamsterProcess.start([
            "--config", Self.projectRoot + "/configurations/hamster-ci", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret,
            "--github-api", github.baseURL, "--allow-file-urls", "--task", Self.checkCommand,
            "--workspace-root", data + "/workspaces",
        ], environment: ["GITHUB_TOKEN": Self.token])
        defer { server.stop() }

        let body = Self.pullRequestBody(repo: "DT2/dt", number: 12, headSHA: head.description, baseSHA: base.description,
                                        cloneURL: "file://" + fixture.path)
        let accepted = try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: Self.webhookHeaders(body), body: body)
        #expect(accepted.status == 202, "\(accepted.body)")
        let runs = try #require(accepted.json["runs"] as? [Int])
        #expect(runs.count == 1)
        #expect(accepted.json["matched"] as? [String] == ["flake8_pull_request"])
        let runURL = server.baseURL + "/api/runs/\(runs[0])"
        try await eventually("the run to finish") {
            let status = try await httpRequest(.GET, runURL).json["status"] as? String
            return status != "queued" && status != "running"
        }
        let run = try await httpRequest(.GET, runURL).json
        #expect(run["status"] as? String == "failed", "\(run)")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["path"] as? String } == ["0", "0.f"])
        #expect(steps.map { $0["name"] as? String } == ["flake8diff", "notify_error"])
        #expect(steps.map { $0["state"] as? String } == ["succeeded", "succeeded"])
        let check = try #require(steps[0]["result"] as? [String: Any])
        #expect(check["exit_code"] as? Int != 0)
        let output = try #require(check["output"] as? String)
        #expect(output.contains("broken.py") && output.contains("SyntaxError"), "\(output)")

        let comments = github.comments
        try #require(comments.count == 1)
        #expect(comments[0].path == "/repos/DT2/dt/issues/12/comments")
        #expect(comments[0].authorization == "Bearer \(Self.token)")
        #expect(comments[0].accept == "application/vnd.github+json")
        let posted = try #require(try JSONSerialization.jsonObject(with: Data(comments[0].body.utf8)) as? [String: String])
        let expected = "Flake8 violations:\n\n" + output.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        #expect(posted["body"] == expected)

        // The token never reaches stored output.
        let logs = try await httpRequest(.GET, runURL + "/logs")
        #expect(!logs.body.contains(Self.token))
    }

    @Test("hamster-ci run: one event, locally, the run printed; a malformed configuration names file, line and field")
    func runOneEvent() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let (base, head) = try await fixture.build { repo -> (ObjectID, ObjectID) in
            let base = try repo.commit("start", [.write("ok.py", "x = 1\n")])
            let head = try repo.commit("break it", on: "feature", [.write("bad.py", "x = (\n")])
            return (base, head)
        }
        let github = try await LocalGitHubAPI()
        defer { github.stop() }
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let event = data + "/pull_request.json"
        try Data(Self.pullRequestBody(repo: "DT2/dt", number: 3, headSHA: head.description, baseSHA: base.description,
                                      cloneURL: "file://" + fixture.path)).write(to: URL(fileURLWithPath: event))
        let config = Self.projectRoot + "/configurations/hamster-ci/flake8_pull_request.json"
        // Awaited, not waited for on a blocked thread: the fake GitHub API answers from this process's
        // cooperative pool, which has one thread per core — blocking one of them for the whole run could
        // leave none to answer the comment POST.
        let result = try await Self.hamster(["run", "--config", config, "--event", event, "--github-api", github.baseURL,
                                             "--task", Self.checkCommand, "--workspace-root", data + "/ws"],
                                            environment: ["GITHUB_TOKEN": Self.token])
        #expect(result.status == 1, "a failed check fails the command: \(result.text) \(result.stderr)")
        #expect(result.text.contains("flake8_pull_request: failed"), "\(result.text)")
        #expect(result.text.contains("0 flake8diff [flake8_diff] succeeded"))
        #expect(result.text.contains("0.f notify_error [pull_request_comment] succeeded"))
        #expect(result.text.contains("bad.py"))
        #expect(github.comments.count == 1)

        try #"{"name": "broken", "source": {"source_class": "push"}, "actions": [{"name": "a", "task": "nosuchtask"}]}"#
            .write(toFile: data + "/broken.json", atomically: true, encoding: .utf8)
        let broken = try await Self.hamster(["run", "--config", data + "/broken.json", "--event", event])
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("broken.json:1: actions[0].task: unknown task 'nosuchtask'"), "\(broken.stderr)")
    }

    @Test("Bad input: a bad signature gets 401 and stores nothing; an oversized body 413; nobody listening 202; local paths refused")
    func badInput() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try await HamsterProcess.start([
            "--config", Self.projectRoot + "/configurations/hamster-ci", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret,
            "--task", Self.checkCommand, "--workspace-root", data + "/workspaces",
        ])
        defer { server.stop() }
        let sha = String(repeating: "a", count: 40)
        let body = Self.pullRequestBody(repo: "DT2/dt", number: 1, headSHA: sha, baseSHA: sha, cloneURL: "https://github.example/DT2/dt.git")

        let forged = try await httpRequest(.POST, server.baseURL + "/hooks/github",
                                           headers: Self.webhookHeaders(body, secret: "wrong secret"), body: body)
        #expect(forged.status == 401)
        // The request's log line carries its request id (context.logger).
        let refusal = server.output.split(separator: "\n").first { $0.contains("webhook refused: bad signature") }
        #expect(refusal?.contains("hb.request.id=") == true, "\(server.output)")
        var unsigned = Self.webhookHeaders(body)
        unsigned.removeAll { $0.0 == "X-Hub-Signature-256" }
        #expect(try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: unsigned, body: body).status == 401)
        #expect((try await httpRequest(.GET, server.baseURL + "/api/runs").json["runs"] as? [Any])?.count == 0)

        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 26 << 20)
        let tooLarge = try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: Self.webhookHeaders(huge), body: huge)
        #expect(tooLarge.status == 413)

        let malformed = Array("{\"action\": ".utf8)
        #expect(try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: Self.webhookHeaders(malformed), body: malformed).status == 400)

        let other = Self.pullRequestBody(repo: "someone/else", number: 1, headSHA: sha, baseSHA: sha, cloneURL: "https://github.example/x.git")
        let ignored = try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: Self.webhookHeaders(other), body: other)
        #expect(ignored.status == 202)
        #expect((ignored.json["runs"] as? [Any])?.count == 0)
        #expect(server.output.contains("no configuration listens to this event"))

        let local = Self.pullRequestBody(repo: "DT2/dt", number: 2, headSHA: sha, baseSHA: sha, cloneURL: "/etc")
        let refused = try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: Self.webhookHeaders(local), body: local)
        #expect(refused.status == 422)
        #expect((refused.json["error"] as? String)?.contains("local path") == true)

        let delivery = Self.webhookHeaders(body)
        #expect(try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: delivery, body: body).status == 202)
        let repeated = try await httpRequest(.POST, server.baseURL + "/hooks/github", headers: delivery, body: body)
        #expect(repeated.status == 200)
        #expect(repeated.json["duplicate"] as? Bool == true)
        #expect((try await httpRequest(.GET, server.baseURL + "/api/runs").json["runs"] as? [Any])?.count == 1)
    }

    @Test("Configurations stored through the API are checked, used at once, and survive a restart")
    func storedConfigurations() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["--config", Self.projectRoot + "/configurations/hamster-ci", "--db", data + "/runs.sqlite",
                         "--webhook-secret", Self.secret, "--task", Self.checkCommand, "--workspace-root", data + "/workspaces"]
        let server = try await HamsterProcess.start(arguments)
        let yaml = """
        name: nightly
        source: {source_class: manual}
        actions:
          - {name: hello, task: shell, kwargs: {command: "echo hello from a stored configuration"}}
        """
        let saved = try await httpRequest(.PUT, server.baseURL + "/api/configurations/nightly", body: Array(yaml.utf8))
        #expect(saved.status == 200, "\(saved.body)")
        let unknownTask = yaml.replacingOccurrences(of: "task: shell", with: "task: shel")
        let refused = try await httpRequest(.PUT, server.baseURL + "/api/configurations/nightly", body: Array(unknownTask.utf8))
        #expect(refused.status == 400)
        #expect((refused.json["error"] as? String)?.contains("actions[0].task: unknown task 'shel'") == true, "\(refused.body)")
        let clash = yaml.replacingOccurrences(of: "name: nightly", with: "name: flake8_pull_request")
        #expect(try await httpRequest(.PUT, server.baseURL + "/api/configurations/flake8_pull_request", body: Array(clash.utf8)).status == 409)

        let triggered = try await httpRequest(.POST, server.baseURL + "/api/runs", body: Array(#"{"configuration": "nightly"}"#.utf8))
        #expect(triggered.status == 201, "\(triggered.body)")
        let id = try #require(triggered.json["id"] as? Int)
        try await eventually("the stored configuration's run") {
            try await httpRequest(.GET, server.baseURL + "/api/runs/\(id)").json["status"] as? String == "succeeded"
        }
        let logs = try await httpRequest(.GET, server.baseURL + "/api/runs/\(id)/logs?follow=true")
        #expect(logs.body == "hello from a stored configuration\n")
        server.stop()

        let restarted = try await HamsterProcess.start(arguments)
        defer { restarted.stop() }
        let list = try #require(try await httpRequest(.GET, restarted.baseURL + "/api/configurations").json["configurations"] as? [[String: Any]])
        #expect(Set(list.compactMap { $0["name"] as? String }) == ["flake8_pull_request", "nightly"])
        #expect(list.first { $0["name"] as? String == "nightly" }?["origin"] as? String == "stored")
        #expect(try await httpRequest(.DELETE, restarted.baseURL + "/api/configurations/nightly").status == 200)
        #expect(try await httpRequest(.DELETE, restarted.baseURL + "/api/configurations/nightly").status == 404)
    }

    @Test("serve --no-worker stores runs; a separate `hamster-ci worker` process on the same database runs them")
    func separateWorker() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try """
        name: split
        source: {source_class: manual}
        actions:
          - {name: one, task: shell, kwargs: {command: "echo one"}}
          - {name: two, task: shell, kwargs: {command: "echo two"}}
        """.write(toFile: data + "/split.yml", atomically: true, encoding: .utf8)
        let server = try await HamsterProcess.start(["--config", data + "/split.yml", "--db", data + "/runs.sqlite",
                                                     "--webhook-secret", Self.secret, "--no-worker"])
        defer { server.stop() }
        let triggered = try await httpRequest(.POST, server.baseURL + "/api/runs", body: Array(#"{"configuration": "split"}"#.utf8))
        let id = try #require(triggered.json["id"] as? Int)
        #expect(triggered.json["status"] as? String == "queued")

        let worker = try ExampleProcess(executable: URL(fileURLWithPath: HamsterProcess.toolPath).path,
                                        ["worker", "--db", data + "/runs.sqlite", "--worker-id", "separate", "--workspace-root", data + "/ws"])
        defer { worker.stop() }
        try await eventually("the worker to run the chain") {
            try await httpRequest(.GET, server.baseURL + "/api/runs/\(id)").json["status"] as? String == "succeeded"
        }
        let logs = try await httpRequest(.GET, server.baseURL + "/api/runs/\(id)/logs?follow=true")
        #expect(logs.body == "one\ntwo\n")
    }

    @Test("The API is closed unless opened on purpose, on loopback only; JSON endpoints take JSON only")
    func closedAPI() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try "name: manual\nsource: {source_class: manual}\nactions:\n  - {name: noop, task: noop}\n"
            .write(toFile: data + "/c.yml", atomically: true, encoding: .utf8)
        let common = ["serve", "--port", "0", "--config", data + "/c.yml", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "HAMSTER_API_TOKEN")
        for (arguments, expected) in [([String](), "--api-token (or HAMSTER_API_TOKEN) is required"),
                                      (["--open-api", "--host", "0.0.0.0"], "only on loopback")] {
            let refused = try ExampleProcess("hamster-ci", common + arguments, environment: environment)
            let status = await refused.waitForExit()
            #expect(status != nil && status != 0)
            #expect(refused.text.contains(expected), "\(refused.text)")
        }
        let server = try await HamsterProcess.start(["--config", data + "/c.yml", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret])
        defer { server.stop() }
        let body = Array(#"{"configuration": "manual"}"#.utf8)
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let posted = try await httpRequest(.POST, server.baseURL + "/api/runs", headers: [("Content-Type", type)], body: body)
            #expect(posted.status == 415, "\(type): \(posted.status)")
        }
        #expect(try await httpRequest(.POST, server.baseURL + "/api/runs", body: body).status == 201)
    }

    @Test("kill -9 in the middle of a chain: on restart the interrupted action runs again and the chain completes")
    func crashRecovery() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let marker = HostProcesses.marker()
        let config = """
        name: crash
        source: {source_class: manual}
        actions:
          - {name: first, task: shell, kwargs: {command: "echo first"}}
          - name: second
            task: shell
            kwargs:
              command: "if [ \\"$PIPELINE_ATTEMPT\\" -gt 1 ]; then echo 'second, again'; else sleep \(marker); fi"
          - {name: third, task: shell, kwargs: {command: "echo third"}}
        """
        try config.write(toFile: data + "/crash.yml", atomically: true, encoding: .utf8)
        let arguments = ["--config", data + "/crash.yml", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret,
                         "--worker-id", "crash-test-worker", "--workspace-root", data + "/workspaces"]
        let first = try await HamsterProcess.start(arguments)
        let triggered = try await httpRequest(.POST, first.baseURL + "/api/runs", body: Array(#"{"configuration": "crash"}"#.utf8))
        #expect(triggered.status == 201, "\(triggered.body)")
        let id = try #require(triggered.json["id"] as? Int)
        try await eventually("the second action to start") { !HostProcesses.running(marker).isEmpty }
        // A moment for bubblewrap to bind its sandbox's life to the server's (it does so just after the
        // command starts; a leftover from a kill in that moment is stopped by the next start).
        try await Task.sleep(for: .milliseconds(300))
        first.crash()
        // The sandbox dies with the server that started it (bubblewrap's --die-with-parent).
        #expect(await HostProcesses.waitUntilGone(marker))

        let second = try await HamsterProcess.start(arguments)
        defer { second.stop() }
        let runURL = second.baseURL + "/api/runs/\(id)"
        try await eventually("the run to finish after the restart") {
            let status = try await httpRequest(.GET, runURL).json["status"] as? String
            return status == "succeeded" || status == "failed" || status == "errored"
        }
        let run = try await httpRequest(.GET, runURL).json
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["first", "second", "third"])
        #expect(steps.map { $0["attempts"] as? Int } == [1, 2, 1])
        #expect((steps[1]["result"] as? [String: Any])?["output"] as? String == "second, again\n")
        let log = try await httpRequest(.GET, second.baseURL + "/api/runs/\(id)/logs?follow=true").body
        #expect(log.components(separatedBy: "first\n").count == 2, "a finished action is not run again: \(log)")
    }

    @Test("SIGTERM in the middle of a chain: the running action finishes and is recorded, the server exits 0; on restart the chain completes, nothing run twice")
    func gracefulShutdown() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let marker = HostProcesses.marker()
        let config = """
        name: graceful
        source: {source_class: manual}
        actions:
          - {name: first, task: shell, kwargs: {command: "echo first"}}
          - name: second
            task: shell
            kwargs:
              command: "sleep \(marker) & pid=$!; sleep 2; kill $pid; echo second done"
          - {name: third, task: shell, kwargs: {command: "echo third"}}
        """
        try config.write(toFile: data + "/graceful.yml", atomically: true, encoding: .utf8)
        let arguments = ["--config", data + "/graceful.yml", "--db", data + "/runs.sqlite", "--webhook-secret", Self.secret,
                         "--worker-id", "graceful-test-worker", "--workspace-root", data + "/workspaces"]
        let first = try await HamsterProcess.start(arguments)
        let triggered = try await httpRequest(.POST, first.baseURL + "/api/runs", body: Array(#"{"configuration": "graceful"}"#.utf8))
        #expect(triggered.status == 201, "\(triggered.body)")
        let id = try #require(triggered.json["id"] as? Int)
        try await eventually("the second action to start") { !HostProcesses.running(marker).isEmpty }
        first.process.terminate()
        try await eventually("the server to exit", seconds: 30) { !first.process.isRunning }
        #expect(await first.process.waitUntilExit() == 0, "\(first.output)")
        #expect(first.output.contains("stopped gracefully"), "\(first.output)")

        let second = try await HamsterProcess.start(arguments)
        defer { second.stop() }
        let runURL = second.baseURL + "/api/runs/\(id)"
        try await eventually("the run to finish after the restart") {
            let status = try await httpRequest(.GET, runURL).json["status"] as? String
            return status == "succeeded" || status == "failed" || status == "errored"
        }
        let run = try await httpRequest(.GET, runURL).json
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["first", "second", "third"])
        // The action running at SIGTERM finished then: it is not run again.
        #expect(steps.map { $0["attempts"] as? Int } == [1, 1, 1])
        #expect((steps[1]["result"] as? [String: Any])?["output"] as? String == "second done\n")
    }

    @Test("/metrics: Prometheus text behind the API token, with runs queued, started and finished, step durations and HTTP requests")
    func metrics() async throws {
        let data = try FixtureBuilderDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let config = """
        name: measured
        source: {source_class: manual}
        actions:
          - {name: hello, task: shell, kwargs: {command: "echo measured"}}
        """
        try config.write(toFile: data + "/measured.yml", atomically: true, encoding: .utf8)
        let token = "metrics-test-api-token"
        let server = try await HamsterProcess.start(["--config", data + "/measured.yml", "--db", data + "/runs.sqlite",
                                                     "--webhook-secret", Self.secret, "--api-token", token,
                                                     "--workspace-root", data + "/workspaces"])
        defer { server.stop() }
        let authorization = [("Authorization", "Bearer " + token)]
        let triggered = try await httpRequest(.POST, server.baseURL + "/api/runs", headers: authorization,
                                              body: Array(#"{"configuration": "measured"}"#.utf8))
        #expect(triggered.status == 201, "\(triggered.body)")
        let id = try #require(triggered.json["id"] as? Int)
        try await eventually("the run to succeed") {
            try await httpRequest(.GET, server.baseURL + "/api/runs/\(id)", headers: authorization).json["status"] as? String == "succeeded"
        }
        #expect(try await httpRequest(.GET, server.baseURL + "/metrics").status == 401)
        #expect(try await httpRequest(.GET, server.baseURL + "/metrics", headers: [("Authorization", "Bearer wrong")]).status == 401)
        let metrics = try await httpRequest(.GET, server.baseURL + "/metrics", headers: authorization)
        #expect(metrics.status == 200)
        for line in ["forgeworks_pipeline_runs_queued_total 1", "forgeworks_pipeline_runs_started_total 1",
                     #"forgeworks_pipeline_runs_finished_total{status="succeeded"} 1"#,
                     #"forgeworks_pipeline_step_duration_seconds_count{task="shell",outcome="finished"} 1"#,
                     #"forgeworks_pipeline_steps_running{worker="#,
                     #"http_requests_total{http_route="/api/runs",http_request_method="POST",http_response_status_code="201"} 1"#] {
            #expect(metrics.body.contains(line), "\(line) in \(metrics.body)")
        }
    }
}

enum FixtureBuilderDirectory {
    static func make() throws -> String {
        try RepositoryFixture.temporaryDirectory(prefix: "hamster-ci-test")
    }
}
