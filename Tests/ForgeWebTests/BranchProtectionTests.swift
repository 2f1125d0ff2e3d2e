import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// git run in `directory` as the tests' git, with its exit status and what it wrote to stderr.
func gitAttempt(_ arguments: [String], in directory: String) async throws -> (status: Int32, error: String) {
    let executable = try #require(GitHTTPBackend.findExecutable("git"))
    var environment = GitCLI.environment
    environment["GIT_TERMINAL_PROMPT"] = "0"
    let result = try await ChildProcess.run([executable, "-C", directory] + arguments, environment: environment)
    return (result.status, "\(result.error)")
}

/// Protected branches: set up through Gitea's routes, enforced on `git push` by the real git client
/// (before any reference moves) and on merges (statuses, approvals, requests for changes).
@Suite(.timeLimit(.minutes(3))) struct BranchProtectionTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("rules through the API; pushes refused by the git client with the reason: direct, forced, deleting; admins get no bypass unless listed")
    func pushes() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/guard"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "lee", "password": "lee-password", "email": "l@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/guard/-/permissions/lee", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            let work = try await PullRequestTests.Work(running, repository: "team/guard", user: admin.0, password: admin.1)
            try await work.commit(on: "release/1", from: "main", ["r.txt": "1\n"], message: "Release one")
            let api = "/api/v1/repos/team/guard/branch_protections"

            // Rules: admins only; bad ones name the field.
            #expect(try await client.send(.POST, api, user: "lee", password: "lee-password", json: ["rule_name": "main"]).status == 403)
            let bad = try await client.send(.POST, api, user: admin.0, password: admin.1, json: ["rule_name": "has space"])
            #expect(bad.status == 422 && bad.body.contains("rule_name"))
            #expect(try await client.send(.POST, api, user: admin.0, password: admin.1, json: ["rule_name": "main", "required_approvals": 99]).status == 422)
            let created = try await client.send(.POST, api, user: admin.0, password: admin.1,
                                                json: ["rule_name": "main", "enable_push": true, "enable_push_whitelist": true, "push_whitelist_usernames": ["lee"]])
            #expect(created.status == 201, "\(created.body)")
            #expect(try await client.send(.POST, api, user: admin.0, password: admin.1, json: ["rule_name": "release/*", "enable_push": true]).status == 201)
            #expect(try await client.send(.GET, api, user: admin.0, password: admin.1).headers.first(name: "X-Total-Count") == "2")
            let one = try client.json(try await client.send(.GET, "\(api)/main", user: admin.0, password: admin.1)) as? [String: Any]
            #expect(one?["enable_push_whitelist"] as? Bool == true && one?["push_whitelist_usernames"] as? [String] == ["lee"])

            // The site admin is not listed: a direct push to main is refused, and git says why.
            let before = try await git(["ls-remote", work.remote, "refs/heads/main"], in: work.path)
            try work.write("a.txt", "changed\n")
            _ = try await git(["checkout", "-q", "main"], in: work.path)
            _ = try await git(["commit", "-q", "-am", "Direct"], in: work.path)
            let refused = try await gitAttempt(["push", work.remote, "main"], in: work.path)
            #expect(refused.status != 0 && refused.error.contains("main is a protected branch: you may not push to it directly"), "\(refused.error)")
            #expect(try await git(["ls-remote", work.remote, "refs/heads/main"], in: work.path) == before, "nothing moved")

            // Lee is listed: a fast-forward goes through, a force push and a deletion do not.
            let lee = running.base.replacingOccurrences(of: "://", with: "://lee:lee-password@") + "/team/guard.git"
            #expect(try await gitAttempt(["push", lee, "main"], in: work.path).status == 0)
            _ = try await git(["commit", "-q", "--amend", "-m", "Rewritten"], in: work.path)
            let forced = try await gitAttempt(["push", "-f", lee, "main"], in: work.path)
            #expect(forced.status != 0 && forced.error.contains("force pushes are refused"), "\(forced.error)")
            let deleted = try await gitAttempt(["push", lee, ":release/1"], in: work.path)
            #expect(deleted.status != 0 && deleted.error.contains("release/1 is a protected branch: it cannot be deleted"), "\(deleted.error)")
            // Glob rules cover their branches; other branches are free.
            try await work.commit(on: "release/1", from: "release/1", ["r.txt": "2\n"], message: "Release two")
            #expect(try await gitAttempt(["push", "-f", work.remote, "HEAD~1:refs/heads/release/1"], in: work.path).status != 0)
            try await work.commit(on: "topic", from: "main", ["t.txt": "t\n"], message: "Topic")
            #expect(try await gitAttempt(["push", "-f", work.remote, "HEAD~1:refs/heads/topic"], in: work.path).status == 0)

            // Changed and removed.
            #expect(try await client.send(.PATCH, "\(api)/main", user: admin.0, password: admin.1, json: ["enable_push": false]).status == 200)
            #expect(try await client.send(.DELETE, "\(api)/release%2F*", user: admin.0, password: admin.1).status == 204)
            #expect(try await client.send(.GET, "\(api)/release%2F*", user: admin.0, password: admin.1).status == 404)
        }
    }

    @Test("merges into a protected branch wait for its required statuses and approvals by others; stale approvals and requests for changes count as the rule says")
    func merges() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/gate"]).status == 201)
            for name in ["ann", "wes"] {
                #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                              json: ["name": name, "password": name + "-password", "email": name + "@example.com"]).status == 201)
                #expect(try await client.send(.PUT, "/api/v1/repos/team/gate/-/permissions/\(name)", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            }
            let work = try await PullRequestTests.Work(running, repository: "team/gate", user: admin.0, password: admin.1)
            let head = try await work.commit(on: "change", from: "main", ["c.txt": "1\n"], message: "Change")
            let api = "/api/v1/repos/team/gate"
            #expect(try await client.send(.POST, "\(api)/branch_protections", user: admin.0, password: admin.1,
                                          json: ["rule_name": "main", "enable_status_check": true, "status_check_contexts": ["ci/*"], "required_approvals": 1,
                                                 "dismiss_stale_approvals": true, "block_on_rejected_reviews": true]).status == 201)
            #expect(try await client.send(.POST, "\(api)/pulls", user: "ann", password: "ann-password", json: ["head": "change", "base": "main", "title": "Change"]).status == 201)
            func merge() async throws -> Client.Answer {
                try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"])
            }
            func status(_ state: String, on commit: String) async throws {
                #expect(try await client.send(.POST, "\(api)/statuses/\(commit)", user: admin.0, password: admin.1, json: ["state": state, "context": "ci/lint"]).status == 201)
            }
            var answer = try await merge()
            #expect(answer.status == 405 && answer.body.contains("'ci/*' has not been reported"), "\(answer.body)")
            try await status("failure", on: head)
            answer = try await merge()
            #expect(answer.status == 405 && answer.body.contains("'ci/lint' is failure"))
            try await status("success", on: head)
            answer = try await merge()
            #expect(answer.status == 405 && answer.body.contains("needs 1 approval"), "\(answer.body)")
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "ann", password: "ann-password", json: ["event": "APPROVED"]).status == 422,
                    "the author's approval is refused")
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password",
                                          json: ["event": "REQUEST_CHANGES", "body": "Not yet."]).status == 200)
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: admin.0, password: admin.1, json: ["event": "APPROVED"]).status == 200)
            answer = try await merge()
            #expect(answer.status == 405 && answer.body.contains("wes requested changes"), "\(answer.body)")
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password", json: ["event": "APPROVED"]).status == 200)
            // A new commit: the approvals are stale, the statuses are missing again.
            let newer = try await work.commit(on: "change", ["c.txt": "2\n"], message: "Change more")
            try await status("success", on: newer)
            answer = try await merge()
            #expect(answer.status == 405 && answer.body.contains("it has 0"), "\(answer.body)")
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password", json: ["event": "APPROVED"]).status == 200)
            answer = try await merge()
            #expect(answer.status == 200, "\(answer.body)")
        }
    }

    @Test("the settings page protects branches; a pull request's page says what its base's rule still asks for instead of offering the merge")
    func pages() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/ui"]).status == 201)
            let work = try await PullRequestTests.Work(running, repository: "team/ui", user: admin.0, password: admin.1)
            try await work.commit(on: "topic", from: "main", ["t.txt": "t\n"], message: "Topic")
            let session = try await client.signIn(admin.0, admin.1)
            let csrf = try await client.csrf("/team/ui/-/settings", cookie: session)
            let bad = try await client.send(.POST, "/team/ui/-/settings", form: ["action": "protect-branch", "pattern": "has space", "checks": "ci/lint", "_csrf": csrf], cookie: session)
            #expect(bad.status == 400 && bad.body.contains("rule_name") && bad.body.contains("value=\"ci/lint\""), "refused, with what was typed kept")
            #expect(try await client.send(.POST, "/team/ui/-/settings", form: ["action": "protect-branch", "pattern": "main", "push": "none", "checks": "ci/*",
                                                                             "approvals": "1", "_csrf": csrf], cookie: session).status == 303)
            let settings = try await client.send(.GET, "/team/ui/-/settings", cookie: session)
            #expect(settings.body.contains("<td class=\"mono\">main</td><td>nobody</td><td class=\"mono\">ci/*</td><td>1</td>"))
            #expect(try await client.send(.POST, "/api/v1/repos/team/ui/pulls", user: admin.0, password: admin.1,
                                          json: ["head": "topic", "base": "main", "title": "Topic"]).status == 201)
            let page = try await client.send(.GET, "/team/ui/-/pull/1", cookie: session)
            #expect(page.body.contains("Merging is blocked: main is protected (main): the required status &#39;ci/*&#39; has not been reported"), "\(page.body)")
            #expect(!page.body.contains("id=\"merge-form\""))
            #expect(try await client.send(.POST, "/team/ui/-/settings", form: ["action": "unprotect-branch", "pattern": "main", "_csrf": csrf], cookie: session).status == 303)
            #expect(try await client.send(.GET, "/team/ui/-/pull/1", cookie: session).body.contains("id=\"merge-form\""))
        }
    }
}
