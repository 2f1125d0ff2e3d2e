import ForgeKit
import ForgeKitTesting
import ForgeServices
import Foundation
import NIOHTTP1
import Testing

/// Commit statuses with Gitea's routes and shapes; the forge's own runs set `forge/<configuration>`.
@Suite(.timeLimit(.minutes(3))) struct CommitStatusTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("statuses are reported with write and read back newest first; the combined status is the worst newest one of each context; bad input names the field")
    func reportAndRead() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/checks", "private": true]).status == 201)
            // No .pipeline.yml: only the statuses posted here.
            let commit = try await pushCodeProject(running, repository: "team/checks", user: admin.0, password: admin.1)[1]
            let api = "/api/v1/repos/team/checks"
            func post(_ body: [String: Any], to revision: String = commit, user: String? = "admin", password: String? = RunningForge.adminPassword) async throws -> Client.Answer {
                try await client.send(.POST, "\(api)/statuses/\(revision)", user: user, password: password, json: body)
            }
            let first = try await post(["state": "pending", "context": "ci/lint", "description": "linting", "target_url": "https://ci.example/1"])
            #expect(first.status == 201, "\(first.body)")
            let created = try client.json(first) as? [String: Any]
            #expect(created?["status"] as? String == "pending" && created?["context"] as? String == "ci/lint")
            #expect(created?["target_url"] as? String == "https://ci.example/1")
            #expect((created?["creator"] as? [String: Any])?["login"] as? String == "admin")
            #expect(try await post(["state": "failure", "context": "ci/lint", "description": "3 problems"]).status == 201)
            // A branch name resolves to its commit.
            #expect(try await post(["state": "success", "context": "ci/test"], to: "main").status == 201)
            #expect(try await post(["state": "warning"]).status == 201, "the context defaults to 'default'")

            let list = try await client.send(.GET, "\(api)/statuses/\(commit)?limit=2", user: admin.0, password: admin.1)
            #expect(list.status == 200 && list.headers.first(name: "X-Total-Count") == "4")
            let listed = try client.json(list) as? [[String: Any]] ?? []
            #expect(listed.map { $0["context"] as? String } == ["default", "ci/test"], "newest first")

            let combined = try client.json(try await client.send(.GET, "\(api)/commits/main/status", user: admin.0, password: admin.1)) as? [String: Any]
            #expect(combined?["state"] as? String == "failure", "ci/lint's newest is failure")
            #expect(combined?["sha"] as? String == commit && combined?["total_count"] as? Int == 3)
            let byRef = try client.json(try await client.send(.GET, "\(api)/commits/main/statuses", user: admin.0, password: admin.1)) as? [[String: Any]]
            #expect(byRef?.count == 4)
            #expect(try await post(["state": "success", "context": "ci/lint"]).status == 201)
            let fixed = try client.json(try await client.send(.GET, "\(api)/commits/\(commit)/status", user: admin.0, password: admin.1)) as? [String: Any]
            #expect(fixed?["state"] as? String == "warning", "success, success and warning combine to warning")

            // Bad input: named fields, unknown commits, no write, nobody signed in, other people's private repositories.
            let badState = try await post(["state": "great"])
            #expect(badState.status == 422 && badState.body.contains("'state'"))
            #expect(try await post(["context": "x"]).status == 422)
            let script = try await post(["state": "success", "target_url": "javascript:alert(1)"])
            #expect(script.status == 422 && script.body.contains("target_url"))
            let long = try await post(["state": "success", "context": String(repeating: "c", count: 300)])
            #expect(long.status == 422 && long.body.contains("'context'"))
            #expect(try await post(["state": "success"], to: String(repeating: "0", count: 40)).status == 404)
            #expect(try await post(["state": "success"], to: "no-such-branch").status == 404)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "rita", "password": "rita-password", "email": "r@example.com"]).status == 201)
            #expect(try await post(["state": "success"], user: "rita", password: "rita-password").status == 404, "private: not there for rita")
            #expect(try await client.send(.PUT, "\(api)/-/permissions/rita", user: admin.0, password: admin.1, json: ["level": "read"]).status == 200)
            #expect(try await post(["state": "success"], user: "rita", password: "rita-password").status == 403, "read does not report")
            #expect(try await client.send(.GET, "\(api)/statuses/\(commit)", user: "rita", password: "rita-password").status == 200)
            #expect(try await post(["state": "success"], user: nil, password: nil).status == 401)
            let total = try await client.send(.GET, "\(api)/statuses/\(commit)", user: admin.0, password: admin.1).headers.first(name: "X-Total-Count")
            #expect(total == "5", "no refused report was stored")

            // Deeper repository paths: the forge's own route.
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "a/b/deep"]).status == 201)
            let deep = try await pushProject(running, repository: "a/b/deep", user: admin.0, password: admin.1)
            #expect(try await client.send(.POST, "/api/v1/repos/a/b/deep/-/statuses/\(deep)", user: admin.0, password: admin.1,
                                          json: ["state": "success", "context": "deep"]).status == 201)
            #expect(try await client.send(.GET, "/api/v1/repos/a/b/deep/-/statuses/main", user: admin.0, password: admin.1).body.contains("\"deep\""))

            // Pages: a badge beside the commit, the checks on its page, a link only for http(s) targets.
            let session = try await client.signIn(admin.0, admin.1)
            let commits = try await client.send(.GET, "/team/checks/-/commits/main", cookie: session)
            #expect(commits.body.contains("status-badge state warning"))
            let page = try await client.send(.GET, "/team/checks/-/commit/\(commit)", cookie: session)
            #expect(page.body.contains("id=\"statuses\"") && page.body.contains("ci/test"))
            #expect(page.body.contains("href=\"https://ci.example/1\"") == false, "the newest ci/lint status has no link")
            #expect(try await client.send(.GET, "/team/checks/-/branches", cookie: session).body.contains("status-badge"))
        }
    }

    @Test("the forge's runs set forge/<configuration> on their commit: pending, then success or failure, linked to the run; passes are idempotent")
    func runsSetStatuses() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/green"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/red"]).status == 201)
            let green = try await pushProject(running, repository: "team/green", user: admin.0, password: admin.1)
            let red = try await pushProject(running, repository: "team/red", user: admin.0, password: admin.1, testCommand: "false")
            func combined(_ repository: String, _ commit: String) async throws -> [String: Any] {
                try client.json(try await client.send(.GET, "/api/v1/repos/\(repository)/commits/\(commit)/status", user: admin.0, password: admin.1))
                    as? [String: Any] ?? [:]
            }
            let deadline = ContinuousClock.now + .seconds(90)
            var states: (String?, String?) = (nil, nil)
            while ContinuousClock.now < deadline {
                states = (try await combined("team/green", green)["state"] as? String, try await combined("team/red", red)["state"] as? String)
                if states == ("success", "failure") { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(states.0 == "success" && states.1 == "failure")
            let statuses = try await combined("team/green", green)["statuses"] as? [[String: Any]] ?? []
            #expect(statuses.count == 1 && statuses.first?["context"] as? String == "forge/test-and-deploy")
            #expect((statuses.first?["target_url"] as? String)?.hasSuffix("/team/green/-/run/1") == true)
            let history = try client.json(try await client.send(.GET, "/api/v1/repos/team/green/statuses/\(green)", user: admin.0, password: admin.1))
                as? [[String: Any]] ?? []
            #expect(history.last?["status"] as? String == "pending" || history.count == 1, "pending first when the pass saw the run running")
            #expect(try await running.forge.statuses.reconcile() == 0, "nothing changed: nothing written")
        }
    }
}
