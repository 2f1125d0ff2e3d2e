import DeployKit
import ForgeKit
import ForgeKitServer
import ForgeKitTesting
import ForgeServices
import Foundation
import NIOHTTP1
import PipelineKit
import Testing

/// Pull requests between branches of one repository, through Gitea's routes and the pages: opened,
/// read, edited, closed and reopened, merged in four styles (merge, rebase, squash, fast-forward only); what cannot be merged is refused.
@Suite(.timeLimit(.minutes(3))) struct PullRequestTests {
    let admin = ("admin", RunningForge.adminPassword)

    /// A working copy of `repository` with `main` pushed; `branch(…)` commits files on a branch and pushes it.
    struct Work {
        let path: String
        let remote: String

        /// `existing`: a repository that has commits already (a fork), fetched rather than started.
        init(_ running: RunningForge, repository: String, user: String, password: String, existing: Bool = false) async throws {
            path = running.folder + "/pr-" + UUID().uuidString
            remote = running.base.replacingOccurrences(of: "://", with: "://\(user):\(password)@") + "/" + repository + ".git"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            _ = try await git(["init", "-q", "-b", "main"], in: path)
            if existing {
                _ = try await git(["fetch", "-q", remote, "+refs/heads/*:refs/remotes/forge/*"], in: path)
                return
            }
            try write("README.md", "# Project\n\nfirst line\n")
            try write("a.txt", "a\n")
            _ = try await git(["add", "."], in: path)
            _ = try await git(["commit", "-q", "-m", "Start"], in: path)
            _ = try await git(["push", "-q", remote, "main"], in: path)
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name))
        }

        /// Commits `files` on `branch` (made from `from`) and pushes it; returns the new tip.
        @discardableResult
        func commit(on branch: String, from: String? = nil, _ files: [String: String], message: String) async throws -> String {
            // What the forge made (merge commits) comes back first.
            _ = try await git(["fetch", "-q", remote, "+refs/heads/*:refs/remotes/forge/*"], in: path)
            if let from { _ = try await git(["checkout", "-q", "-B", branch, from], in: path) } else { _ = try await git(["checkout", "-q", branch], in: path) }
            for (name, text) in files { try write(name, text) }
            _ = try await git(["add", "."], in: path)
            _ = try await git(["commit", "-q", "-m", message], in: path)
            _ = try await git(["push", "-q", "-f", remote, branch], in: path)
            return try await git(["rev-parse", "HEAD"], in: path).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("open, read, edit and merge through Gitea's routes: fast-forward, merge commit and squash (rebase has its own test); conflicts, repeats, unknown styles and strangers refused")
    func throughTheAPI() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/pr"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "rita", "password": "rita-password", "email": "r@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/pr/-/permissions/rita", user: admin.0, password: admin.1, json: ["level": "read"]).status == 200)
            let work = try await Work(running, repository: "team/pr", user: admin.0, password: admin.1)
            let feature = try await work.commit(on: "feature", from: "main", ["feature.txt": "new\n"], message: "Add a feature")
            let api = "/api/v1/repos/team/pr"
            func json(_ answer: Client.Answer) throws -> [String: Any] { try client.json(answer) as? [String: Any] ?? [:] }

            // Open: by anyone who can read; bad requests name the field.
            let opened = try await client.send(.POST, "\(api)/pulls", user: "rita", password: "rita-password",
                                               json: ["head": "feature", "base": "main", "title": "Add a feature", "body": "It **adds** one."])
            #expect(opened.status == 201, "\(opened.body)")
            let pull = try json(opened)
            #expect(pull["number"] as? Int == 1 && pull["state"] as? String == "open" && pull["mergeable"] as? Bool == true)
            #expect((pull["head"] as? [String: Any])?["sha"] as? String == feature)
            #expect((pull["user"] as? [String: Any])?["login"] as? String == "rita")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1,
                                          json: ["head": "feature", "base": "main", "title": "Again"]).status == 409)
            let same = try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "main", "base": "main", "title": "x"])
            #expect(same.status == 422 && same.body.contains("'head'"))
            let missing = try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "nope", "base": "main", "title": "x"])
            #expect(missing.status == 404 && missing.body.contains("'head'"))
            let expression = try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "feature", "base": "main~0", "title": "x"])
            #expect(expression.status == 404 && expression.body.contains("'base'"), "a revision expression names no branch")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "feature", "base": "main"]).status == 422)
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1,
                                          json: ["head": "feature", "base": "main", "title": String(repeating: "t", count: 300)]).status == 422)

            // Read: the list, one, its commits and files.
            let list = try await client.send(.GET, "\(api)/pulls?state=all", user: admin.0, password: admin.1)
            #expect(list.status == 200 && list.headers.first(name: "X-Total-Count") == "1")
            #expect(try await client.send(.GET, "\(api)/pulls?state=sideways", user: admin.0, password: admin.1).status == 422)
            let commits = try client.json(try await client.send(.GET, "\(api)/pulls/1/commits", user: admin.0, password: admin.1)) as? [[String: Any]]
            #expect(commits?.map { $0["sha"] as? String } == [feature])
            let files = try client.json(try await client.send(.GET, "\(api)/pulls/1/files", user: admin.0, password: admin.1)) as? [[String: Any]]
            #expect(files?.map { $0["filename"] as? String } == ["feature.txt"] && files?.first?["status"] as? String == "added")
            #expect(try await client.send(.GET, "\(api)/pulls/9", user: admin.0, password: admin.1).status == 404)
            #expect(try await client.send(.GET, "\(api)/pulls/1/merge", user: admin.0, password: admin.1).status == 404, "not merged yet")

            // Edit: its author may; a reader who is not cannot merge or edit.
            let edited = try await client.send(.PATCH, "\(api)/pulls/1", user: "rita", password: "rita-password", json: ["title": "Add the feature"])
            let editedPull = try json(edited)
            #expect(edited.status == 201 && editedPull["title"] as? String == "Add the feature")
            #expect(try await client.send(.POST, "\(api)/pulls/1/merge", user: "rita", password: "rita-password", json: ["Do": "merge"]).status == 403)
            #expect(try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "octopus"]).status == 422)

            // Fast-forward: main moves to the head; the move is a push in the outbox; merging again is refused.
            let merged = try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "fast-forward-only"])
            #expect(merged.status == 200, "\(merged.body)")
            let mergedPull = try json(merged)
            #expect(mergedPull["merged"] as? Bool == true && mergedPull["merge_commit_sha"] as? String == feature)
            #expect(try await client.send(.GET, "\(api)/pulls/1/merge", user: admin.0, password: admin.1).status == 204)
            let branch = try json(try await client.send(.GET, "\(api)/branches/main", user: admin.0, password: admin.1))
            #expect((branch["commit"] as? [String: Any])?["id"] as? String == feature)
            let pushes = try await running.forge.store.pushes(after: 0, limit: 100)
            #expect(pushes.last?.event.pusher == "admin" && pushes.last?.event.updates.first?.name == "refs/heads/main"
                    && pushes.last?.event.updates.first?.new.hex == feature)
            #expect(try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"]).status == 405)
            let nothing = try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "feature", "base": "main", "title": "Again"])
            #expect(nothing.status == 422 && nothing.body.contains("no commits"), "a head already in its base brings nothing: \(nothing.body)")
            #expect(try await client.send(.PATCH, "\(api)/pulls/1", user: admin.0, password: admin.1, json: ["state": "open"]).status == 409)

            // A merge commit when the base has moved on (where a fast-forward is refused).
            _ = try await work.commit(on: "main", from: feature, ["a.txt": "a, changed on main\n"], message: "Main moves on")
            let side = try await work.commit(on: "side", from: "HEAD~1", ["side.txt": "side\n"], message: "Side work")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "side", "base": "main", "title": "Side"]).status == 201)
            let notFast = try await client.send(.POST, "\(api)/pulls/2/merge", user: admin.0, password: admin.1, json: ["Do": "fast-forward-only"])
            #expect(notFast.status == 405 && notFast.body.contains("fast-forward"))
            let mergeCommit = try await client.send(.POST, "\(api)/pulls/2/merge", user: admin.0, password: admin.1,
                                                    json: ["Do": "merge", "delete_branch_after_merge": true])
            #expect(mergeCommit.status == 200, "\(mergeCommit.body)")
            let mergeSHA = try #require((try json(mergeCommit))["merge_commit_sha"] as? String)
            let parents = try await git(["--git-dir", running.forge.repositories.directory(for: try RepositoryPath("team/pr")), "rev-list", "--parents", "-n", "1", mergeSHA],
                                        in: work.path).split(separator: " ").dropFirst().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(parents.count == 2 && parents.last == side)
            #expect(try await client.send(.GET, "\(api)/branches/side", user: admin.0, password: admin.1).status == 404, "the head branch was deleted")

            // Conflicts are named and refused; squash makes one commit.
            _ = try await work.commit(on: "main", from: mergeSHA, ["README.md": "# Project\n\nmain's line\n"], message: "Main edits the README")
            _ = try await work.commit(on: "clash", from: mergeSHA, ["README.md": "# Project\n\nclash's line\n"], message: "Clash edits it too")
            let clash = try json(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "clash", "base": "main", "title": "Clash"]))
            #expect(clash["mergeable"] as? Bool == false)
            let refused = try await client.send(.POST, "\(api)/pulls/3/merge", user: admin.0, password: admin.1, json: ["Do": "merge"])
            #expect(refused.status == 405 && refused.body.contains("README.md"))
            _ = try await work.commit(on: "many", from: "main", ["one.txt": "1\n"], message: "One")
            _ = try await work.commit(on: "many", ["two.txt": "2\n"], message: "Two")
            #expect(try await client.send(.POST, "\(api)/pulls", user: "rita", password: "rita-password",
                                          json: ["head": "many", "base": "main", "title": "Two files", "body": "Both."]).status == 201)
            let squashed = try await client.send(.POST, "\(api)/pulls/4/merge", user: admin.0, password: admin.1, json: ["Do": "squash"])
            #expect(squashed.status == 200, "\(squashed.body)")
            let squashSHA = try #require((try json(squashed))["merge_commit_sha"] as? String)
            let shown = try await git(["--git-dir", running.forge.repositories.directory(for: try RepositoryPath("team/pr")), "show", "-s", "--format=%P|%an|%s", squashSHA], in: work.path)
            let fields = shown.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
            #expect(fields.count == 3 && !fields[0].contains(" ") && fields[1] == "rita" && fields[2] == "Two files (#4)")

            // Close and reopen; Mercurial repositories have none.
            #expect(try await client.send(.PATCH, "\(api)/pulls/3", user: admin.0, password: admin.1, json: ["state": "closed"]).status == 201)
            #expect(try await client.send(.GET, "\(api)/pulls", user: admin.0, password: admin.1).headers.first(name: "X-Total-Count") == "0")
            #expect(try await client.send(.GET, "\(api)/pulls?state=closed", user: admin.0, password: admin.1).headers.first(name: "X-Total-Count") == "4")
            #expect(try await client.send(.PATCH, "\(api)/pulls/3", user: admin.0, password: admin.1, json: ["state": "open"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/merc", "type": "hg"]).status == 201)
            let hg = try await client.send(.GET, "/api/v1/repos/team/merc/pulls", user: admin.0, password: admin.1)
            #expect(hg.status == 404 && hg.body.contains("git repositories"))
        }
    }

    @Test("the pages: the list, a pull request with its description, commits, diff and mergeability, opened and merged from forms")
    func throughThePages() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/web"]).status == 201)
            let work = try await Work(running, repository: "team/web", user: admin.0, password: admin.1)
            let tip = try await work.commit(on: "topic", from: "main", ["topic.txt": "<b>topic</b>\n"], message: "Topic <i>work</i>")
            let session = try await client.signIn(admin.0, admin.1)
            let form = try await client.send(.GET, "/team/web/-/pulls/new?head=topic", cookie: session)
            #expect(form.status == 200 && form.body.contains("id=\"pull-form\""))
            let csrf = try await client.csrf("/team/web/-/pulls/new", cookie: session)
            let refused = try await client.send(.POST, "/team/web/-/pulls", form: ["head": "topic", "base": "main", "title": "", "body": "kept <text>", "_csrf": csrf], cookie: session)
            #expect(refused.status == 400 && refused.body.contains("kept &lt;text&gt;"), "a refused form keeps what was typed")
            let opened = try await client.send(.POST, "/team/web/-/pulls", form: ["head": "topic", "base": "main", "title": "Topic <script>",
                                                                                "body": "Adds **topic**.<script>alert(1)</script>", "_csrf": csrf], cookie: session)
            #expect(opened.status == 303 && opened.headers.first(name: "Location") == "/team/web/-/pull/1")
            let page = try await client.send(.GET, "/team/web/-/pull/1", cookie: session)
            #expect(page.status == 200)
            #expect(page.body.contains("Topic &lt;script&gt;") && !page.body.contains("<script>alert"))
            #expect(page.body.contains("<strong>topic</strong>"), "the description is Markdown")
            #expect(page.body.contains("merges cleanly") && page.body.contains("id=\"merge-form\""))
            #expect(page.body.contains(String(tip.prefix(10))) && page.body.contains("topic.txt") && page.body.contains("&lt;b&gt;topic&lt;/b&gt;"))
            let list = try await client.send(.GET, "/team/web/-/pulls", cookie: session)
            #expect(list.body.contains("href=\"/team/web/-/pull/1\"") && list.body.contains("aria-current=\"page\">Pull requests"))
            let merged = try await client.send(.POST, "/team/web/-/pull/1", form: ["action": "merge", "style": "squash", "_csrf": csrf], cookie: session)
            #expect(merged.status == 303)
            let after = try await client.send(.GET, "/team/web/-/pull/1", cookie: session)
            #expect(after.body.contains("id=\"pull-state\" class=\"state merged\"") && after.body.contains("merged by admin"))
            #expect(try await client.send(.GET, "/team/web/-/pulls?state=closed", cookie: session).body.contains("#1"))
        }
    }

    @Test("reviews: approvals by others only, line comments outdated when their line changes, stale approvals after a push, conversation and review requests; on the page too")
    func reviews() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/rev"]).status == 201)
            for (name, level) in [("rita", "read"), ("wes", "write")] {
                #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                              json: ["name": name, "password": name + "-password", "email": name + "@example.com"]).status == 201)
                #expect(try await client.send(.PUT, "/api/v1/repos/team/rev/-/permissions/\(name)", user: admin.0, password: admin.1, json: ["level": level]).status == 200)
            }
            let work = try await Work(running, repository: "team/rev", user: admin.0, password: admin.1)
            _ = try await work.commit(on: "change", from: "main", ["change.txt": "one\ntwo\n"], message: "A change")
            let api = "/api/v1/repos/team/rev"
            #expect(try await client.send(.POST, "\(api)/pulls", user: "rita", password: "rita-password",
                                          json: ["head": "change", "base": "main", "title": "A change"]).status == 201)

            let own = try await client.send(.POST, "\(api)/pulls/1/reviews", user: "rita", password: "rita-password", json: ["event": "APPROVED"])
            #expect(own.status == 422 && own.body.contains("author"))
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "rita", password: "rita-password", json: ["event": "COMMENT"]).status == 422,
                    "a comment review needs a body")
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: admin.0, password: admin.1, json: ["event": "SHRUG"]).status == 422)
            let approval = try await client.send(.POST, "\(api)/pulls/1/reviews", user: admin.0, password: admin.1, json: ["event": "APPROVED", "body": "Fine."])
            let approved = try client.json(approval) as? [String: Any]
            #expect(approval.status == 200 && approved?["state"] as? String == "APPROVED")
            let changes = try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password",
                                                json: ["event": "REQUEST_CHANGES", "body": "One thing.",
                                                       "comments": [["path": "change.txt", "new_position": 1, "body": "Say *uno*."]]])
            #expect(changes.status == 200)
            let requested = try client.json(changes) as? [String: Any]
            let reviewID = try #require(requested?["id"] as? Int)
            #expect(requested?["comments_count"] as? Int == 1)
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password",
                                          json: ["event": "COMMENT", "body": "x", "comments": [["path": "change.txt", "body": "no line"]]]).status == 422)
            func lineComments() async throws -> [[String: Any]] {
                try client.json(try await client.send(.GET, "\(api)/pulls/1/reviews/\(reviewID)/comments", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
            }
            #expect(try await lineComments().first?["outdated"] as? Bool == false)

            // Conversation and review requests.
            #expect(try await client.send(.POST, "\(api)/issues/1/comments", user: "rita", password: "rita-password", json: ["body": "Thanks!"]).status == 201)
            #expect(try await client.send(.POST, "\(api)/issues/1/comments", user: "rita", password: "rita-password", json: ["body": "  "]).status == 422)
            #expect(try await client.send(.GET, "\(api)/issues/1/comments", user: admin.0, password: admin.1).headers.first(name: "X-Total-Count") == "1")
            let asked = try await client.send(.POST, "\(api)/pulls/1/requested_reviewers", user: "rita", password: "rita-password", json: ["reviewers": ["wes"]])
            #expect(asked.status == 201 && asked.body.contains("\"login\":\"wes\""))
            #expect(try await client.send(.POST, "\(api)/pulls/1/requested_reviewers", user: "rita", password: "rita-password",
                                          json: ["reviewers": ["nobody"]]).status == 422)

            // A new commit on the head: the approval is stale, the comment on the changed line outdated.
            _ = try await work.commit(on: "change", ["change.txt": "uno\ntwo\n"], message: "Say uno")
            let reviews = try client.json(try await client.send(.GET, "\(api)/pulls/1/reviews", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
            #expect(reviews.count == 2 && reviews.first?["stale"] as? Bool == true)
            #expect(try await lineComments().first?["outdated"] as? Bool == true)

            // The page shows it all, and takes comments and reviews from its forms.
            let session = try await client.signIn("wes", "wes-password")
            let page = try await client.send(.GET, "/team/rev/-/pull/1", cookie: session)
            #expect(page.body.contains("Approved by: <b class=\"approver\">admin</b>"))
            #expect(page.body.contains("requested changes") && page.body.contains("change.txt:1") && page.body.contains("(outdated)"))
            #expect(page.body.contains("<span id=\"review-state\">rejected: changes requested</span>"), "Kallithea's rejected")
            #expect(page.body.components(separatedBy: "review asked of").count == 2, "the requested reviewers once")
            #expect(page.body.contains("<em>uno</em>") && page.body.contains("Thanks!") && page.body.contains("on an older commit"))
            let csrf = try await client.csrf("/team/rev/-/pull/1", cookie: session)
            #expect(try await client.send(.POST, "/team/rev/-/pull/1", form: ["action": "comment", "body": "Looks **better**", "_csrf": csrf], cookie: session).status == 303)
            #expect(try await client.send(.POST, "/team/rev/-/pull/1", form: ["action": "review", "event": "APPROVED", "body": "", "_csrf": csrf], cookie: session).status == 303)
            let after = try await client.send(.GET, "/team/rev/-/pull/1", cookie: session)
            #expect(after.body.contains("<strong>better</strong>") && after.body.contains("<b class=\"approver\">wes</b>"))
            #expect(after.body.contains("<span id=\"review-state\">approved</span>"), "wes's approval replaces his request for changes")
        }
    }

    @Test("py-gitea, a Gitea client library from PyPI, opens a pull request, posts a status on its head and merges it")
    func giteaClient() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/py"]).status == 201)
            let work = try await Work(running, repository: "team/py", user: admin.0, password: admin.1)
            try await work.commit(on: "tweak", from: "main", ["tweak.txt": "tweak\n"], message: "Tweak")
            let script = PythonTools.packageRoot + "/Tests/ForgeWebTests/Fixtures/gitea_pull.py"
            let (status, text) = try await PythonTools.run("python", [script, running.base, admin.0, admin.1, "team/py", "tweak", "main"])
            #expect(status == 0, "\(text)")
            #expect(text.contains("OK 1 "), "\(text)")
            let pull = try await running.forge.store.pullRequest(repositoryID: try #require(try await running.forge.store.repository(try RepositoryPath("team/py"))).id, number: 1)
            #expect(pull?.state == .merged)
        }
    }

    @Test("merges racing pushes to their base: no accepted push is lost, and a merge lands on the base it read or fails cleanly (409)")
    func mergeRacingPushes() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/race"]).status == 201)
            let work = try await Work(running, repository: "team/race", user: admin.0, password: admin.1)
            let bare = running.forge.repositories.directory(for: try RepositoryPath("team/race"))
            func contains(_ commit: String, in tip: String) async throws -> Bool {
                try await gitAttempt(["--git-dir", bare, "merge-base", "--is-ancestor", commit, tip], in: work.path).status == 0
            }
            var outcomes: [String: Int] = [:]
            for round in 1...6 {
                let head = try await work.commit(on: "r\(round)", from: "forge/main", ["r\(round).txt": "\(round)\n"], message: "Round \(round)")
                #expect(try await client.send(.POST, "/api/v1/repos/team/race/pulls", user: admin.0, password: admin.1,
                                              json: ["head": "r\(round)", "base": "main", "title": "Round \(round)"]).status == 201)
                _ = try await git(["checkout", "-q", "-B", "main", "forge/main"], in: work.path)
                try work.write("main\(round).txt", "\(round)\n")
                _ = try await git(["add", "."], in: work.path)
                _ = try await git(["commit", "-q", "-m", "Main \(round)"], in: work.path)
                let pushed = try await git(["rev-parse", "HEAD"], in: work.path).trimmingCharacters(in: .whitespacesAndNewlines)
                async let merge = client.send(.POST, "/api/v1/repos/team/race/pulls/\(round)/merge", user: admin.0, password: admin.1, json: ["Do": "merge"])
                async let push = gitAttempt(["push", work.remote, "main"], in: work.path)
                let (merged, pushResult) = try await (merge, push)
                #expect([200, 409].contains(merged.status), "\(merged.body)")
                let tip = try await git(["--git-dir", bare, "rev-parse", "refs/heads/main"], in: work.path).trimmingCharacters(in: .whitespacesAndNewlines)
                if pushResult.status == 0 { #expect(try await contains(pushed, in: tip), "an accepted push is on main") }
                if merged.status == 200 {
                    #expect(try await contains(head, in: tip), "a merged head is on main")
                    let sha = try #require((try client.json(merged) as? [String: Any])?["merge_commit_sha"] as? String)
                    #expect(try await contains(sha, in: tip))
                }
                #expect(pushResult.status == 0 || merged.status == 200, "one of them went in")
                outcomes["merge \(merged.status), push \(pushResult.status == 0 ? "ok" : "refused")", default: 0] += 1
                _ = try await git(["fetch", "-q", work.remote, "+refs/heads/*:refs/remotes/forge/*"], in: work.path)
            }
            #expect(outcomes.values.reduce(0, +) == 6, "\(outcomes)")
        }
    }

    @Test("a pull request whose head is pushed into its base by hand is recorded as merged")
    func mergedByAPush() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/hand"]).status == 201)
            let work = try await Work(running, repository: "team/hand", user: admin.0, password: admin.1)
            let head = try await work.commit(on: "topic", from: "main", ["t.txt": "t\n"], message: "Topic")
            #expect(try await client.send(.POST, "/api/v1/repos/team/hand/pulls", user: admin.0, password: admin.1,
                                          json: ["head": "topic", "base": "main", "title": "Topic"]).status == 201)
            _ = try await git(["push", "-q", work.remote, "topic:main"], in: work.path)
            let deadline = ContinuousClock.now + .seconds(30)
            var pull: [String: Any] = [:]
            while ContinuousClock.now < deadline, pull["merged"] as? Bool != true {
                try await Task.sleep(for: .milliseconds(200))
                pull = try client.json(try await client.send(.GET, "/api/v1/repos/team/hand/pulls/1", user: admin.0, password: admin.1)) as? [String: Any] ?? [:]
            }
            #expect(pull["merged"] as? Bool == true && pull["merge_commit_sha"] as? String == head && pull["state"] as? String == "closed")
            #expect((pull["merged_by"] as? [String: Any])?["login"] as? String == "admin")
        }
    }

    @Test("a rebase replays the head's commits on the moved base, keeping authors and messages; merge commits and conflicting replays are refused (405)")
    func rebase() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/rebase"]).status == 201)
            let work = try await Work(running, repository: "team/rebase", user: admin.0, password: admin.1)
            let api = "/api/v1/repos/team/rebase"
            let bare = running.forge.repositories.directory(for: try RepositoryPath("team/rebase"))
            _ = try await work.commit(on: "topic", from: "main", ["one.txt": "1\n"], message: "One")
            _ = try await git(["commit", "-q", "--allow-empty", "--author=Ann Author <ann@example.com>", "-m", "Two by Ann"], in: work.path)
            _ = try await work.commit(on: "topic", ["three.txt": "3\n"], message: "Three")
            let baseMoved = try await work.commit(on: "main", from: "forge/main", ["main.txt": "m\n"], message: "Main moves on")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "topic", "base": "main", "title": "T"]).status == 201)
            let rebased = try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "rebase"])
            #expect(rebased.status == 200, "\(rebased.body)")
            let log = try await git(["--git-dir", bare, "log", "--format=%s|%an|%P", "main"], in: work.path)
                .split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
            #expect(log.prefix(4).map { $0[0] } == ["Three", "Two by Ann", "One", "Main moves on"], "\(log)")
            #expect(log[1][1] == "Ann Author", "the author is kept")
            #expect(log.prefix(4).allSatisfy { !$0[2].contains(" ") }, "a line of commits, no merge")
            #expect(log[2][2] == baseMoved, "replayed on the moved base")
            #expect(try await git(["--git-dir", bare, "show", "main:three.txt"], in: work.path) == "3\n")

            // A head with a merge commit, and one whose replay conflicts: refused, nothing moves.
            _ = try await work.commit(on: "side", from: "forge/main", ["s.txt": "s\n"], message: "Side")
            _ = try await work.commit(on: "other", from: "forge/main", ["o.txt": "o\n"], message: "Other")
            _ = try await git(["checkout", "-q", "side"], in: work.path)
            _ = try await git(["merge", "-q", "--no-edit", "other"], in: work.path)
            _ = try await git(["push", "-q", work.remote, "side"], in: work.path)
            _ = try await work.commit(on: "main", from: "forge/main", ["later.txt": "l\n"], message: "Later")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "side", "base": "main", "title": "M"]).status == 201)
            let tip = try await git(["--git-dir", bare, "rev-parse", "main"], in: work.path)
            let refused = try await client.send(.POST, "\(api)/pulls/2/merge", user: admin.0, password: admin.1, json: ["Do": "rebase"])
            #expect(refused.status == 405 && refused.body.contains("merge commit"), "\(refused.body)")
            _ = try await work.commit(on: "clash", from: "forge/main~1", ["later.txt": "clash\n"], message: "Clash")
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "clash", "base": "main", "title": "C"]).status == 201)
            let conflicting = try await client.send(.POST, "\(api)/pulls/3/merge", user: admin.0, password: admin.1, json: ["Do": "rebase"])
            #expect(conflicting.status == 405 && conflicting.body.contains("later.txt"), "\(conflicting.body)")
            #expect(try await git(["--git-dir", bare, "rev-parse", "main"], in: work.path) == tip, "nothing moved")
        }
    }

    @Test("a pull request from a fork: opened as OWNER:BRANCH, its head kept in the base as refs/pull/N/head and followed when the fork moves; it runs the base branch's pipelines without the repository's secrets and deploys nothing; merged into the base; private forks, strangers' forks and pushes to refs/pull refused",
          arguments: ForgeDatabase.allCases)
    func fromAFork(database: ForgeDatabase) async throws {
        try await RunningForge.run(database: try database.location()) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/base"]).status == 201)
            for name in ["fay", "gus"] {
                #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                              json: ["name": name, "password": name + "-password", "email": name + "@example.com"]).status == 201)
                #expect(try await client.send(.PUT, "/api/v1/repos/team/base/-/permissions/\(name)", user: admin.0, password: admin.1,
                                              json: ["level": "read"]).status == 200)
            }
            #expect(try await client.send(.PUT, "/api/v1/repos/team/base/-/secrets/API_TOKEN", user: admin.0, password: admin.1,
                                          json: ["data": "base-secret-4411"]).status == 204)
            // The base's pipelines: one shows whether the secret reached it and comments its output; one would deploy.
            let basePipelines = """
                - name: check
                  source: {source_class: pull_request}
                  actions:
                    - name: show
                      task: shell
                      kwargs: {command: 'echo "token=[${API_TOKEN-unset}] fork-file=[$(cat fork.txt 2>/dev/null)]"'}
                      success_handler: {name: say, task: pull_request_comment, kwargs: {template: "{{ parent.output }}"}}
                - name: ship
                  source: {source_class: pull_request}
                  actions: [{name: deploy, task: deploy}]

                """
            let work = try await Work(running, repository: "team/base", user: admin.0, password: admin.1)
            try await work.commit(on: "main", [".pipeline.yml": basePipelines], message: "Pipelines")
            let base = try #require(try await running.forge.store.repository(try RepositoryPath("team/base")))
            let fay = try #require(try await running.forge.store.user(named: "fay"))
            let gus = try #require(try await running.forge.store.user(named: "gus"))
            let fork = try await running.forge.repositories.fork(base.path, to: try RepositoryPath("fay/base"), owner: fay)
            _ = try await running.forge.repositories.fork(base.path, to: try RepositoryPath("fay/hidden"), owner: fay, isPrivate: true)
            // Fay's branch changes the pipelines to print the secret: they must not run.
            let forkWork = try await Work(running, repository: "fay/base", user: "fay", password: "fay-password", existing: true)
            let evil = """
                - name: evil
                  source: {source_class: pull_request}
                  actions: [{name: leak, task: shell, kwargs: {command: 'echo "leaked=$API_TOKEN"'}}]

                """
            let first = try await forkWork.commit(on: "patch", from: "forge/main", ["fork.txt": "from the fork\n", ".pipeline.yml": evil], message: "Patch")
            let api = "/api/v1/repos/team/base"
            let opened = try await client.send(.POST, "\(api)/pulls", user: "fay", password: "fay-password",
                                               json: ["head": "fay:patch", "base": "main", "title": "From my fork"])
            #expect(opened.status == 201, "\(opened.body)")
            let pull = try client.json(opened) as? [String: Any] ?? [:]
            let head = pull["head"] as? [String: Any] ?? [:]
            #expect(head["label"] as? String == "fay/base:patch" && head["sha"] as? String == first && head["repo_id"] as? Int == Int(fork.id), "\(head)")
            #expect((head["repo"] as? [String: Any])?["full_name"] as? String == "fay/base")
            #expect(pull["mergeable"] as? Bool == true)
            let kept = try await git(["--git-dir", running.forge.repositories.directory(for: base.path), "rev-parse", "refs/pull/1/head"], in: running.folder)
            #expect(kept.trimmingCharacters(in: .whitespacesAndNewlines) == first)
            // The run: the base's pipelines on the fork's code, without the secret; the comment says so; no deployment.
            try await waitUntil { [.succeeded, .failed].contains(try await running.forge.runs.runs(RunQuery(configuration: "check", limit: 5)).first?.status) }
            let check = try #require(try await running.forge.runs.runs(RunQuery(configuration: "check", limit: 5)).first)
            let logged = try client.json(try await client.send(.GET, "/api/v1/runs/\(check.id.rawValue)/log", user: admin.0, password: admin.1)) as? [String: Any]
            let log = logged?["text"] as? String ?? ""
            #expect(check.status == .succeeded && check.source.attributes["commit"]?.text == first, "\(check.status) \(log)")
            #expect(log.contains("token=[unset] fork-file=[from the fork]"), "\(log)")
            #expect(!log.contains("leaked") && !log.contains("base-secret-4411"))
            let runs = try await running.forge.runs.runs(RunQuery(limit: 20))
            #expect(Set(runs.map(\.configurationName)) == ["check", "ship"], "only the base's pipelines run: \(runs.map(\.configurationName))")
            try await waitUntil { [.failed, .errored].contains(try await running.forge.runs.runs(RunQuery(configuration: "ship", limit: 5)).first?.status) }
            let shipID = try #require(runs.first { $0.configurationName == "ship" }?.id)
            let ship = try #require(try await running.forge.runs.run(shipID))
            #expect(ship.steps.contains { "\($0)".contains("a pull request from a fork deploys nothing") }, "\(ship.steps)")
            #expect(try await running.forge.deployments.store.deployments(.init(project: Forge.deployProject(of: base), limit: 10)).isEmpty)
            try await waitUntil {
                let comments = try client.json(try await client.send(.GET, "\(api)/issues/1/comments", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
                return comments.contains { ($0["body"] as? String)?.contains("token=[unset]") == true }
            }

            // The fork moves: the base fetches its new head, and the pull request follows.
            let second = try await forkWork.commit(on: "patch", ["fork.txt": "second\n"], message: "More")
            try await waitUntil { try await running.forge.store.pullRequest(repositoryID: base.id, number: 1)?.headCommit == second }
            let moved = try await git(["--git-dir", running.forge.repositories.directory(for: base.path), "rev-parse", "refs/pull/1/head"], in: running.folder)
            #expect(moved.trimmingCharacters(in: .whitespacesAndNewlines) == second)
            let files = try client.json(try await client.send(.GET, "\(api)/pulls/1/files", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
            #expect(Set(files.compactMap { $0["filename"] as? String }) == [".pipeline.yml", "fork.txt"])

            // Refused: a private fork its owner did not open it from, a repository of another network,
            // and pushes to the forge's references.
            _ = try await Work(running, repository: "fay/hidden", user: "fay", password: "fay-password", existing: true).commit(on: "secret", from: "forge/main",
                                                                                                               ["s.txt": "s\n"], message: "S")
            try await running.forge.store.setPermission(userID: gus.id, on: .repository(try RepositoryPath("fay/hidden")), level: .read)
            let hidden = try await client.send(.POST, "\(api)/pulls", user: "gus", password: "gus-password",
                                               json: ["head": "fay/hidden:secret", "base": "main", "title": "Leak"])
            #expect(hidden.status == 404 && hidden.body.contains("'head'"), "a private fork read-only to gus: \(hidden.body)")
            #expect(try await client.send(.POST, "\(api)/pulls", user: "fay", password: "fay-password",
                                          json: ["head": "fay/hidden:secret", "base": "main", "title": "Mine"]).status == 201, "its owner may")
            #expect(try await client.send(.POST, "/api/v1/repos", user: "fay", password: "fay-password", json: ["name": "fay/unrelated"]).status == 201)
            _ = try await Work(running, repository: "fay/unrelated", user: "fay", password: "fay-password")
            let unrelated = try await client.send(.POST, "\(api)/pulls", user: "fay", password: "fay-password",
                                                  json: ["head": "fay/unrelated:main", "base": "main", "title": "Other"])
            #expect(unrelated.status == 422 && unrelated.body.contains("not a fork"), "\(unrelated.body)")
            let pushed = try await gitAttempt(["push", work.remote, "+main:refs/pull/1/head"], in: work.path)
            #expect(pushed.status != 0 && pushed.error.contains("kept by the forge"), "\(pushed.error)")

            // Merged by a writer of the base: the fork's commits land on main.
            let merged = try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge", "delete_branch_after_merge": true])
            #expect(merged.status == 200, "\(merged.body)")
            let tip = try await git(["--git-dir", running.forge.repositories.directory(for: base.path), "rev-parse", "refs/heads/main"], in: running.folder)
            #expect(try await gitAttempt(["--git-dir", running.forge.repositories.directory(for: base.path), "merge-base", "--is-ancestor", second,
                                          tip.trimmingCharacters(in: .whitespacesAndNewlines)], in: running.folder).status == 0)
            let forkBranch = try await git(["--git-dir", running.forge.repositories.directory(for: fork.path), "rev-parse", "refs/heads/patch"], in: running.folder)
            #expect(forkBranch.trimmingCharacters(in: .whitespacesAndNewlines) == second, "the fork's branch is the fork's")
            let page = try await client.send(.GET, "/team/base/-/pull/1", user: admin.0, password: admin.1)
            #expect(page.status == 200 && page.body.contains("fay/base:patch"))
        }
    }

    /// Waits up to a minute for `condition`.
    func waitUntil(_ what: String = #function, line: Int = #line, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting (line \(line))")
    }

    @Test("closing, merging, reviews and comments run the configurations that name the action, with what the event says; a configuration naming none runs on opened, synchronize and reopened only",
          arguments: ForgeDatabase.allCases)
    func eventSources(database: ForgeDatabase) async throws {
        try await RunningForge.run(localRunner: false, database: try database.location()) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/events"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "vera", "password": "vera-password", "email": "v@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/events/-/permissions/vera", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            let work = try await Work(running, repository: "team/events", user: admin.0, password: admin.1)
            let pipelines = """
                - {name: default, source: {source_class: pull_request}, actions: [{name: a, task: noop}]}
                - {name: on-close, source: {source_class: pull_request, criteria: {action: closed}}, actions: [{name: a, task: noop}]}
                - {name: on-merge, source: {source_class: pull_request, criteria: {action: closed, merged: "true"}}, actions: [{name: a, task: noop}]}
                - {name: on-approval, source: {source_class: pull_request, criteria: {action: reviewed, review_state: approved}},
                   actions: [{name: a, task: noop}]}
                - {name: on-retest, source: {source_class: pull_request, criteria: {action: commented, comment_body: /retest}},
                   actions: [{name: a, task: noop}]}

                """
            try await work.commit(on: "topic", from: "main", [".pipeline.yml": pipelines, "t.txt": "t\n"], message: "Topic")
            let api = "/api/v1/repos/team/events"
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "topic", "base": "main", "title": "T"]).status == 201)
            func runs() async throws -> [String: [RunRecord]] {
                _ = try await running.forge.pullTrigger.dispatchPending()
                return Dictionary(grouping: try await running.forge.runs.runs(RunQuery(limit: 100)), by: \.configurationName)
            }
            #expect(try await runs().mapValues(\.count) == ["default": 1])
            // A comment, a review that is no approval, an edit: nothing named them.
            #expect(try await client.send(.POST, "\(api)/issues/1/comments", user: "vera", password: "vera-password", json: ["body": "hello"]).status == 201)
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "vera", password: "vera-password", json: ["event": "COMMENT", "body": "hm"]).status == 200)
            #expect(try await client.send(.PATCH, "\(api)/pulls/1", user: admin.0, password: admin.1, json: ["title": "T2"]).status == 201)
            #expect(try await runs().mapValues(\.count) == ["default": 1])
            #expect(try await client.send(.POST, "\(api)/issues/1/comments", user: "vera", password: "vera-password", json: ["body": "/retest"]).status == 201)
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "vera", password: "vera-password", json: ["event": "APPROVED", "body": "fine"]).status == 200)
            var all = try await runs()
            #expect(all.mapValues(\.count) == ["default": 1, "on-retest": 1, "on-approval": 1])
            #expect(all["on-retest"]?.first?.source.attributes["sender"]?.text == "vera")
            #expect(all["on-approval"]?.first?.source.attributes["review_body"]?.text == "fine")
            // Closing and reopening: on-close once, the default again (reopened).
            #expect(try await client.send(.PATCH, "\(api)/pulls/1", user: admin.0, password: admin.1, json: ["state": "closed"]).status == 201)
            #expect(try await client.send(.PATCH, "\(api)/pulls/1", user: admin.0, password: admin.1, json: ["state": "open"]).status == 201)
            all = try await runs()
            #expect(all.mapValues(\.count) == ["default": 2, "on-retest": 1, "on-approval": 1, "on-close": 1])
            #expect(all["on-close"]?.first?.source.attributes["merged"] == .bool(false))
            #expect(all["default"]?.map { $0.source.attributes["action"]?.text } == ["reopened", "opened"])
            // The merge: closed with merged true, by its merger.
            #expect(try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"]).status == 200)
            all = try await runs()
            #expect(all.mapValues(\.count) == ["default": 2, "on-retest": 1, "on-approval": 1, "on-close": 2, "on-merge": 1])
            let merge = try #require(all["on-merge"]?.first)
            #expect(merge.source.attributes["merged"] == .bool(true) && merge.source.attributes["state"]?.text == "merged")
            #expect(merge.source.attributes["sender"]?.text == "admin")
            // Each event is queued once: another pass adds nothing.
            #expect(try await runs().values.map(\.count).reduce(0, +) == 7)
        }
    }

    @Test("pull request events go to webhooks as GitHub's pull_request, pull_request_review and issue_comment bodies, which PipelineKit's decoder reads")
    func webhooks() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/hooked"]).status == 201)
            let repository = try #require(try await running.forge.store.repository(try RepositoryPath("team/hooked")))
            // A webhook to a closed port: its deliveries stay queued and are read here.
            let hook = try await running.forge.store.createWebhook(repositoryID: repository.id, url: "https://hooks.example.org/forge", secret: nil)
            let work = try await Work(running, repository: "team/hooked", user: admin.0, password: admin.1)
            try await work.commit(on: "topic", from: "main", ["t.txt": "1\n"], message: "Topic")
            let api = "/api/v1/repos/team/hooked"
            #expect(try await client.send(.POST, "\(api)/pulls", user: admin.0, password: admin.1, json: ["head": "topic", "base": "main", "title": "Topic"]).status == 201)
            let newer = try await work.commit(on: "topic", ["t.txt": "2\n"], message: "More")
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, try await running.forge.store.pullRequest(repositoryID: repository.id, number: 1)?.headCommit != newer {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await client.send(.POST, "\(api)/issues/1/comments", user: admin.0, password: admin.1, json: ["body": "Looks fine"]).status == 201)
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: admin.0, password: admin.1, json: ["event": "COMMENT", "body": "ok"]).status == 200)
            #expect(try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"]).status == 200)
            _ = try await running.forge.webhooks.enqueuePullEvents()
            let deliveries = try await running.forge.store.deliveries(webhookID: hook.id, limit: 50).reversed().filter { $0.event != "push" }
            #expect(deliveries.map(\.event) == ["pull_request", "pull_request", "issue_comment", "pull_request_review", "pull_request"], "\(deliveries.map(\.event))")
            let sources = deliveries.filter { $0.event == "pull_request" }.compactMap { delivery -> Source? in
                try? WebhookDecoder.decode(provider: .github, headers: ["X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery.guid],
                                           body: delivery.payload).source
            }
            #expect(sources.map { $0.attributes["action"]?.text } == ["opened", "synchronized", "closed"])
            #expect(sources[1].attributes["commit"]?.text == newer && sources[1].attributes["number"]?.text == "1")
            #expect(sources.last?.attributes["merged"] == .bool(true))
            let comment = try #require(deliveries.first { $0.event == "issue_comment" })
            let commentBody = try JSONSerialization.jsonObject(with: Data(comment.payload)) as? [String: Any]
            #expect((commentBody?["comment"] as? [String: Any])?["body"] as? String == "Looks fine")
            let review = try #require(deliveries.first { $0.event == "pull_request_review" })
            let reviewBody = try JSONSerialization.jsonObject(with: Data(review.payload)) as? [String: Any]
            #expect((reviewBody?["review"] as? [String: Any])?["state"] as? String == "commented")
            #expect((reviewBody?["review"] as? [String: Any])?["body"] as? String == "ok")
            // Queued once: a second pass queues nothing new.
            _ = try await running.forge.webhooks.enqueuePullEvents()
            #expect(try await running.forge.store.deliveries(webhookID: hook.id, limit: 50).filter { $0.event != "push" }.count == 5)
        }
    }
}
