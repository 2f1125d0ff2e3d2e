import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// Small things a Gitea user expects of the API and pages (issue 23's first pieces).
@Suite(.timeLimit(.minutes(3))) struct APIDetailsTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("401 names the schemes the API takes; a bad limit is 400 naming it; an empty repository's history is []; NAME.git in a browser shows the repository")
    func details() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/empty"]).status == 201)

            let anonymous = try await client.send(.GET, "/api/v1/user")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers.first(name: "WWW-Authenticate")?.contains("Basic") == true)
            let wrong = try await client.send(.GET, "/api/v1/user", user: "admin", password: "wrong")
            #expect(wrong.status == 401)
            #expect(wrong.headers.first(name: "WWW-Authenticate") != nil)

            let badLimit = try await client.send(.GET, "/api/v1/repos/team/empty/-/commits?limit=abc", user: admin.0, password: admin.1)
            #expect(badLimit.status == 400)
            #expect(badLimit.body.contains("'limit'"), "\(badLimit.body)")
            #expect(try await client.send(.GET, "/api/v1/repos/team/empty/-/commits?limit=0", user: admin.0, password: admin.1).status == 400)

            let history = try await client.send(.GET, "/api/v1/repos/team/empty/-/commits", user: admin.0, password: admin.1)
            #expect(history.status == 200, "\(history.body)")
            #expect(history.body == "[]")

            let cloneURL = try await client.send(.GET, "/team/empty.git")
            #expect(cloneURL.status == 303)
            #expect(cloneURL.headers.first(name: "Location") == "/team/empty")
        }
    }
}

extension APIDetailsTests {
    @Test("a run's log followed through /api/v1/runs/ID/log arrives whole, in order, no chunk skipped or repeated")
    func liveLogFollowsEveryChunk() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/logs"]).status == 201)
            // Output in several flushes: the executor stores it as several chunks.
            let command = "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.25; done"
            _ = try await pushProject(running, repository: "team/logs", user: admin.0, password: admin.1, testCommand: "'\(command)'")
            var runID: Int?
            let deadline = ContinuousClock.now + .seconds(30)
            while runID == nil, ContinuousClock.now < deadline {
                let runs = try client.json(try await client.send(.GET, "/api/v1/repos/team/logs/-/runs", user: admin.0, password: admin.1))
                runID = (runs as? [[String: Any]])?.first?["id"] as? Int
                if runID == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let id = try #require(runID)
            var text = "", next = 0, done = false, polls = 0
            while !done, ContinuousClock.now < deadline + .seconds(30) {
                let part = try client.json(try await client.send(.GET, "/api/v1/runs/\(id)/log?after=\(next)", user: admin.0, password: admin.1))
                let object = try #require(part as? [String: Any])
                text += object["text"] as? String ?? ""
                next = object["next"] as? Int ?? next
                done = object["done"] as? Bool ?? false
                polls += 1
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(done)
            #expect(polls > 2, "the log was followed while it grew")
            let expected = (1...6).map { "line \($0)\n" }.joined()
            #expect(text.hasPrefix(expected), "\(text)")
            #expect(try await client.send(.GET, "/api/v1/runs/\(id)/log?after=abc", user: admin.0, password: admin.1).status == 400)
        }
    }
}

extension APIDetailsTests {
    @Test("pages know who is signed in, errors included; only site admins see the Users link; the current tab is marked")
    func pagesKnowTheViewer() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "bob", "password": "bob-password-123", "email": "bob@example.com"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "bob/site"]).status == 201)
            let bob = try await client.signIn("bob", "bob-password-123")
            let home = try await client.send(.GET, "/", cookie: bob)
            #expect(home.body.contains("id=\"signed-in-user\">bob<"))
            #expect(!home.body.contains("/admin/users"), "a non-admin is not offered the Users page")
            let adminHome = try await client.send(.GET, "/", cookie: try await client.signIn(admin.0, admin.1))
            #expect(adminHome.body.contains("id=\"users-link\""))

            // A missing page for a signed-in user: their name, no sign-in offer.
            let missing = try await client.send(.GET, "/bob/nothing-here", cookie: bob)
            #expect(missing.status == 404)
            #expect(missing.body.contains("id=\"signed-in-user\">bob<") && !missing.body.contains("sign-in-to-see"))
            // A form that fails (a token that does not match) still knows who is signed in.
            let refused = try await client.send(.POST, "/admin/users", form: ["_csrf": "stale"], cookie: bob)
            #expect(refused.status == 403)
            #expect(refused.body.contains("id=\"signed-in-user\">bob<"), "\(refused.body)")

            let runs = try await client.send(.GET, "/bob/site/-/runs", cookie: bob)
            #expect(runs.body.contains("href=\"/bob/site/-/runs\" id=\"runs-tab\" class=\"current\" aria-current=\"page\"")
                    || runs.body.contains("href=\"/bob/site/-/runs\" class=\"current\" aria-current=\"page\""), "\(runs.body)")
        }
    }
}

extension APIDetailsTests {
    @Test("a user created through the API needs a password; `forge admin reset-password` gives a lost admin a new one")
    func accountsCanSignIn() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            let noPassword = try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                                   json: ["name": "carol", "email": "carol@example.com"])
            #expect(noPassword.status == 422)
            #expect(noPassword.body.contains("'password'"), "\(noPassword.body)")

            var environment = ProcessInfo.processInfo.environment
            environment["FORGE_NEW_PASSWORD"] = "a-brand-new-password"
            let reset = try ExampleProcess("forge", ["admin", "reset-password", "--data", running.folder + "/data", "admin"],
                                           environment: environment)
            #expect(await reset.waitForExit(timeout: .seconds(60)) == 0, "\(reset.text)")
            #expect(reset.text.contains("user 'admin' has the new password"))
            #expect(try await client.send(.GET, "/api/v1/user", user: "admin", password: "a-brand-new-password").status == 200)

            let unknown = try ExampleProcess("forge", ["admin", "reset-password", "--data", running.folder + "/data", "nobody"],
                                             environment: environment)
            #expect(await unknown.waitForExit(timeout: .seconds(60)) != 0)
            #expect(unknown.text.contains("no user 'nobody'"), "\(unknown.text)")
        }
    }
}

extension APIDetailsTests {
    @Test("the settings page says how each webhook delivery went: failed with the reason, not 'pending'")
    func deliveriesInWords() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/hooked"]).status == 201)
            // Loopback is refused by the outbound policy: the delivery fails for good, with the reason.
            #expect(try await client.send(.POST, "/api/v1/repos/team/hooked/-/hooks", user: admin.0, password: admin.1,
                                          json: ["url": "http://127.0.0.1:9/hook"]).status == 201)
            _ = try await pushProject(running, repository: "team/hooked", user: admin.0, password: admin.1)
            let session = try await client.signIn(admin.0, admin.1)
            var page = ""
            let deadline = ContinuousClock.now + .seconds(30)
            while !page.contains("state failed"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                page = try await client.send(.GET, "/team/hooked/-/settings", cookie: session).body
            }
            #expect(page.contains("<span class=\"state failed\">failed</span>"), "\(page)")
            #expect(page.contains("delivery-error") && page.contains("refused"), "\(page)")
            #expect(!page.contains(">pending"))
        }
    }
}

extension APIDetailsTests {
    @Test("stored pipelines and webhooks can be listed and deleted through the API, not only created")
    func everythingCreatedCanBeDeleted() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/crud"]).status == 201)
            let yaml = "name: nightly\nsource: {source_class: manual}\nactions:\n  - {name: hello, task: shell, kwargs: {command: 'echo hi'}}\n"
            var put = HTTPClientRequestBody(yaml)
            put.headers = [("Content-Type", "application/yaml")]
            #expect(try await client.send(.PUT, "/api/v1/repos/team/crud/-/pipelines", user: admin.0, password: admin.1, raw: put).status == 200)
            let listed = try client.json(try await client.send(.GET, "/api/v1/repos/team/crud/-/pipelines", user: admin.0, password: admin.1))
            let names = (listed as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["nightly"])
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/crud/-/pipelines/nightly", user: admin.0, password: admin.1).status == 204)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/crud/-/pipelines/nightly", user: admin.0, password: admin.1).status == 404)
            let afterDelete = try client.json(try await client.send(.GET, "/api/v1/repos/team/crud/-/pipelines", user: admin.0, password: admin.1))
            #expect((afterDelete as? [Any])?.isEmpty == true)

            let hook = try client.json(try await client.send(.POST, "/api/v1/repos/team/crud/-/hooks", user: admin.0, password: admin.1,
                                                             json: ["url": "https://ci.example/hook"]))
            let id = try #require((hook as? [String: Any])?["id"] as? Int)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/crud/-/hooks/\(id)", user: admin.0, password: admin.1).status == 204)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/crud/-/hooks/\(id)", user: admin.0, password: admin.1).status == 404)
            let hooks = try client.json(try await client.send(.GET, "/api/v1/repos/team/crud/-/hooks", user: admin.0, password: admin.1))
            #expect((hooks as? [Any])?.isEmpty == true)
        }
    }
}

/// A raw request body with its own headers, for `Client.send(raw:)`.
struct HTTPClientRequestBody {
    var bytes: [UInt8]
    var headers: [(String, String)] = []

    init(_ text: String) {
        bytes = Array(text.utf8)
    }
}

extension APIDetailsTests {
    @Test("GET /api/v1/runs/ID: one run with its steps; a run of a private repository is a 404 to others")
    func singleRun() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1,
                                          json: ["name": "team/single", "private": true]).status == 201)
            _ = try await pushProject(running, repository: "team/single", user: admin.0, password: admin.1)
            var detail: [String: Any]?
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let runs = try client.json(try await client.send(.GET, "/api/v1/repos/team/single/-/runs", user: admin.0, password: admin.1))
                if let id = (runs as? [[String: Any]])?.first?["id"] as? Int {
                    detail = try client.json(try await client.send(.GET, "/api/v1/runs/\(id)", user: admin.0, password: admin.1)) as? [String: Any]
                    if detail?["status"] as? String == "succeeded" || detail?["status"] as? String == "failed" { break }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let run = try #require(detail)
            let steps = try #require(run["steps"] as? [[String: Any]])
            #expect(steps.first?["name"] as? String == "test")
            #expect(steps.first?["state"] as? String == "succeeded", "\(run)")
            #expect((steps.first?["result"] as? [String: Any])?["exit_code"] as? Int == 0)
            #expect(run.keys.contains("reason"), "absent fields are null, not left out")
            let id = try #require(run["id"] as? Int)
            #expect(try await client.send(.GET, "/api/v1/runs/\(id)").status == 404)
            #expect(try await client.send(.GET, "/api/v1/runs/999999", user: admin.0, password: admin.1).status == 404)
        }
    }
}
