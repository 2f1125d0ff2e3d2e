import ForgeKit
import ForgeKitTesting
import ForgeServices
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
            let reset = try await AccountTests.forge(["admin", "reset-password", "--data", running.folder + "/data", "admin"], environment: environment)
            #expect(reset.status == 0, "\(reset.text)")
            #expect(reset.text.contains("user 'admin' has the new password"))
            #expect(try await client.send(.GET, "/api/v1/user", user: "admin", password: "a-brand-new-password").status == 200)

            let unknown = try await AccountTests.forge(["admin", "reset-password", "--data", running.folder + "/data", "nobody"], environment: environment)
            #expect(unknown.status != 0)
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

extension APIDetailsTests {
    @Test("py-gitea, a Gitea client library from PyPI, creates a repository, reads a file, adds a webhook and lists commits")
    func giteaClientLibrary() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/admin/users", user: admin.0, password: admin.1,
                                          json: ["username": "pia", "password": "pia-password-1", "email": "pia@example.com"]).status == 201)
            let script = PythonTools.packageRoot + "/Tests/ForgeWebTests/Fixtures/gitea_client.py"
            let (status, text) = try await PythonTools.run("python", [script, running.base, "pia", "pia-password-1"])
            #expect(status == 0, "\(text)")
            #expect(text.contains("OK pia/client-made"), "\(text)")
            let made = try await running.forge.repositories.repository(try RepositoryPath("pia/client-made"))
            #expect(made?.ownerID != nil)
        }
    }
}

extension APIDetailsTests {
    @Test("Gitea's routes: contents, raw, branches, tags, commits by path, hooks edited, users and tokens; a deeper repository keeps today's routes")
    func giteaRoutes() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/code", "private": false]).status == 201)
            let commits = try await pushCodeProject(running, repository: "team/code", user: admin.0, password: admin.1)
            func json(_ path: String) async throws -> Any { try client.json(try await client.send(.GET, path, user: admin.0, password: admin.1)) }

            let file = try #require(try await json("/api/v1/repos/team/code/contents/Sources/main.swift?ref=v1.0") as? [String: Any])
            #expect(file["type"] as? String == "file" && file["encoding"] as? String == "base64")
            let decoded = Data(base64Encoded: file["content"] as? String ?? "").map { String(decoding: $0, as: UTF8.self) }
            #expect(decoded?.contains("hello, world") == true)
            let folder = try #require(try await json("/api/v1/repos/team/code/contents/docs") as? [[String: Any]])
            #expect(Set(folder.compactMap { $0["name"] as? String }) == ["guide.md", "other.txt"])
            #expect(try await client.send(.GET, "/api/v1/repos/team/code/contents/nothing").status == 404)
            #expect(try await client.send(.GET, "/api/v1/repos/team/code/raw/Sources/feature.swift?ref=feature").body == "let feature = 1\n")
            #expect(try await client.send(.GET, "/api/v1/repos/team/code/raw/feature/Sources/feature.swift").body == "let feature = 1\n")

            let branches = try await client.send(.GET, "/api/v1/repos/team/code/branches?limit=1")
            #expect(branches.headers.first(name: "X-Total-Count") == "2")
            let feature = try #require(try await json("/api/v1/repos/team/code/branches/feature") as? [String: Any])
            #expect((feature["commit"] as? [String: Any])?["id"] as? String == commits[2])
            #expect((try await json("/api/v1/repos/team/code/tags") as? [[String: Any]])?.first?["name"] as? String == "v1.0")

            let history = try await client.send(.GET, "/api/v1/repos/team/code/commits?path=Sources/main.swift&limit=1")
            #expect(history.headers.first(name: "X-Total-Count") == "2")
            #expect((try client.json(history) as? [[String: Any]])?.first?["sha"] as? String == commits[1])
            let page3 = try #require(try await json("/api/v1/repos/team/code/commits?sha=feature&page=3&limit=2") as? [Any])
            #expect(page3.isEmpty, "past the end: an empty page")
            let single = try #require(try await json("/api/v1/repos/team/code/git/commits/\(commits[2])") as? [String: Any])
            #expect((single["files"] as? [[String: Any]])?.first?["filename"] as? String == "Sources/feature.swift")

            // Hooks: create, edit, read, delete.
            let created = try await client.send(.POST, "/api/v1/repos/team/code/hooks", user: admin.0, password: admin.1,
                                                json: ["type": "gitea", "config": ["url": "https://one.example.org/h", "content_type": "json"], "events": ["push"]])
            #expect(created.status == 201)
            let id = try #require((try client.json(created) as? [String: Any])?["id"] as? Int)
            let edited = try await client.send(.PATCH, "/api/v1/repos/team/code/hooks/\(id)", user: admin.0, password: admin.1,
                                               json: ["config": ["url": "https://two.example.org/h"], "active": false])
            #expect(edited.status == 200)
            let hook = try #require(try await json("/api/v1/repos/team/code/hooks/\(id)") as? [String: Any])
            #expect((hook["config"] as? [String: String])?["url"] == "https://two.example.org/h" && hook["active"] as? Bool == false)
            #expect(try await client.send(.POST, "/api/v1/repos/team/code/hooks", user: admin.0, password: admin.1, json: ["config": ["url": "x"]]).status == 422)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/code/hooks/\(id)", user: admin.0, password: admin.1).status == 204)
            #expect(try await client.send(.GET, "/api/v1/repos/team/code/hooks", user: "nobody", password: "x").status == 401)

            // Repositories: Gitea's fields, PATCH, search.
            let repository = try #require(try await json("/api/v1/repos/team/code") as? [String: Any])
            #expect(repository["default_branch"] as? String == "main" && repository["empty"] as? Bool == false)
            #expect((repository["permissions"] as? [String: Bool])?["admin"] == true && repository["permission"] as? String == "admin")
            #expect(try await client.send(.PATCH, "/api/v1/repos/team/code", user: admin.0, password: admin.1, json: ["description": "patched"]).status == 200)
            let search = try #require(try await json("/api/v1/repos/search?q=code") as? [String: Any])
            #expect(search["ok"] as? Bool == true && (search["data"] as? [[String: Any]])?.first?["description"] as? String == "patched")

            // Users and their tokens, Gitea's way.
            #expect(try await client.send(.POST, "/api/v1/admin/users", user: admin.0, password: admin.1,
                                          json: ["username": "gus", "password": "gus-password-1", "email": "g@example.com"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/admin/users", user: admin.0, password: admin.1, json: ["username": "gus2"]).status == 422)
            #expect((try await json("/api/v1/users/gus") as? [String: Any])?["login"] as? String == "gus")
            let token = try await client.send(.POST, "/api/v1/users/gus/tokens", user: "gus", password: "gus-password-1", json: ["name": "ci", "scopes": ["write:repository"]])
            #expect(token.status == 201)
            #expect(try await client.send(.POST, "/api/v1/users/gus/tokens", user: admin.0, password: admin.1, json: ["name": "x"]).status == 403)
            #expect(try await client.send(.DELETE, "/api/v1/users/gus/tokens/ci", user: "gus", password: "gus-password-1").status == 204)
            #expect(try await client.send(.PATCH, "/api/v1/admin/users/gus", user: admin.0, password: admin.1, json: ["active": false]).status == 200)
            #expect(try await client.send(.GET, "/api/v1/user", user: "gus", password: "gus-password-1").status == 401)
            #expect(try await client.send(.DELETE, "/api/v1/admin/users/gus", user: admin.0, password: admin.1).status == 204)

            // A repository three segments deep keeps today's routes, even named like a Gitea endpoint.
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/deep/branches"]).status == 201)
            #expect((try await json("/api/v1/repos/team/deep/branches") as? [String: Any])?["full_name"] as? String == "team/deep/branches")
        }
    }
}
