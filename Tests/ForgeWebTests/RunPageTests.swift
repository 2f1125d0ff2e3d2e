import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// Runs numbered per repository, paged, re-run and cancelled from the page and the API with the same
/// permission checks.
@Suite(.timeLimit(.minutes(3))) struct RunPageTests {
    let admin = ("admin", RunningForge.adminPassword)

    /// Polls the repository's runs until `count` are listed; returns them (newest first).
    func waitForRuns(_ client: Client, _ repository: String, count: Int) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let runs = try client.json(try await client.send(.GET, "/api/v1/repos/\(repository)/-/runs", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
            if runs.count >= count { return runs }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ForgeError(.cancelled, "fewer than \(count) runs of \(repository) after 30 s", operation: "test")
    }

    func waitForStatus(_ client: Client, run id: Int, _ wanted: Set<String>) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let run = try #require(try client.json(try await client.send(.GET, "/api/v1/runs/\(id)", user: admin.0, password: admin.1)) as? [String: Any])
            if let status = run["status"] as? String, wanted.contains(status) { return run }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ForgeError(.cancelled, "run \(id) did not reach \(wanted)", operation: "test")
    }

    @Test("runs are numbered per repository; a failed command's step says failed; re-run and cancel from the page and the API; readers may do neither")
    func numbersRerunAndCancel() async throws {
        try await RunningForge.run { running in
            let client = Client(base: running.base)
            for name in ["team/one", "team/two"] {
                #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": name, "private": true]).status == 201)
            }
            _ = try await pushProject(running, repository: "team/one", user: admin.0, password: admin.1, testCommand: "'echo broken; exit 3'")
            _ = try await pushProject(running, repository: "team/two", user: admin.0, password: admin.1, testCommand: "'sleep 60'")
            let one = try #require(try await waitForRuns(client, "team/one", count: 1).first)
            let two = try #require(try await waitForRuns(client, "team/two", count: 1).first)
            #expect(one["number"] as? Int == 1 && two["number"] as? Int == 1, "each repository counts from 1")
            #expect(one["branch"] as? String == "main")
            let oneID = try #require(one["id"] as? Int), twoID = try #require(two["id"] as? Int)

            // The failed command: its step is failed, the log has its output; the page is /-/run/1.
            let failed = try await waitForStatus(client, run: oneID, ["failed"])
            let steps = try #require(failed["steps"] as? [[String: Any]])
            #expect(steps.first?["state"] as? String == "failed", "\(steps)")
            let session = try await client.signIn(admin.0, admin.1)
            let page = try await client.send(.GET, "/team/one/-/run/1", cookie: session)
            #expect(page.status == 200 && page.body.contains("<span class=\"state failed\">failed</span>"))
            #expect(page.body.contains("&quot;exit_code&quot;: 3"))
            #expect(try await client.send(.GET, "/team/one/-/run/2", cookie: session).status == 404)
            #expect(try await client.send(.GET, "/team/two/-/run/1", cookie: session).body.contains("id=\"cancel-run\""))

            // Re-run from the page: number 2, same commit, said who asked.
            let csrf = try await client.csrf("/team/one/-/run/1", cookie: session)
            let rerun = try await client.send(.POST, "/team/one/-/run/1", form: ["action": "rerun", "_csrf": csrf], cookie: session)
            #expect(rerun.status == 303 && rerun.headers.first(name: "Location") == "/team/one/-/run/2")
            let runs = try await waitForRuns(client, "team/one", count: 2)
            #expect(runs.first?["number"] as? Int == 2 && runs.first?["commit"] as? String == one["commit"] as? String)
            #expect((runs.first?["trigger"] as? String)?.contains("re-run of #1 by admin") == true)

            // Cancel through the API: 200 and cancelled; again: 409.
            let cancelled = try await client.send(.POST, "/api/v1/runs/\(twoID)/cancel", user: admin.0, password: admin.1)
            #expect(cancelled.status == 200, "\(cancelled.body)")
            let cancelledRun = try client.json(cancelled) as? [String: Any]
            #expect(cancelledRun?["status"] as? String == "cancelled")
            let stepStates = (cancelledRun?["steps"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
            #expect(!stepStates.contains("running") && !stepStates.contains("queued"), "no step of a cancelled run runs on: \(stepStates)")
            #expect(try await client.send(.POST, "/api/v1/runs/\(twoID)/cancel", user: admin.0, password: admin.1).status == 409)
            let again = try await client.send(.POST, "/api/v1/runs/\(twoID)/rerun", user: admin.0, password: admin.1)
            let againJSON = try client.json(again) as? [String: Any]
            #expect(again.status == 201 && againJSON?["number"] as? Int == 2)

            // A reader sees runs but may neither re-run nor cancel, on the page or through the API.
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "rita", "password": "rita-password", "email": "r@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/one/-/permissions/rita", user: admin.0, password: admin.1, json: ["level": "read"]).status == 200)
            #expect(try await client.send(.GET, "/api/v1/runs/\(oneID)", user: "rita", password: "rita-password").status == 200)
            #expect(try await client.send(.POST, "/api/v1/runs/\(oneID)/rerun", user: "rita", password: "rita-password").status == 403)
            #expect(try await client.send(.POST, "/api/v1/runs/\(oneID)/cancel", user: "rita", password: "rita-password").status == 403)
            let rita = try await client.signIn("rita", "rita-password")
            let readerPage = try await client.send(.GET, "/team/one/-/run/1", cookie: rita)
            #expect(readerPage.status == 200 && !readerPage.body.contains("id=\"rerun\""))
            let ritaCSRF = try await client.csrf("/team/one/-/run/1", cookie: rita)
            #expect(try await client.send(.POST, "/team/one/-/run/1", form: ["action": "rerun", "_csrf": ritaCSRF], cookie: rita).status == 403)
            // Someone who cannot read the repository does not learn the run exists.
            #expect(try await client.send(.POST, "/api/v1/runs/\(twoID)/rerun", user: "rita", password: "rita-password").status == 404)
            #expect(try await waitForRuns(client, "team/one", count: 2).count == 2, "nothing more was queued")
        }
    }

    @Test("lists page with page and limit, X-Total-Count and Link; bad values are 400 naming them")
    func pagination() async throws {
        try await RunningForge.run { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/paged"]).status == 201)
            _ = try await pushProject(running, repository: "team/paged", user: admin.0, password: admin.1, testCommand: "'true'")
            let first = try #require(try await waitForRuns(client, "team/paged", count: 1).first?["id"] as? Int)
            _ = try await waitForStatus(client, run: first, ["succeeded"])
            for _ in 0..<4 {
                #expect(try await client.send(.POST, "/api/v1/runs/\(first)/rerun", user: admin.0, password: admin.1).status == 201)
            }
            let page = try await client.send(.GET, "/api/v1/repos/team/paged/-/runs?limit=2&page=2", user: admin.0, password: admin.1)
            #expect(page.status == 200)
            #expect(page.headers.first(name: "X-Total-Count") == "5")
            let link = page.headers.first(name: "Link") ?? ""
            #expect(link.contains("</api/v1/repos/team/paged/-/runs?page=3&limit=2>; rel=\"next\""), "\(link)")
            #expect(link.contains("page=1&limit=2>; rel=\"prev\"") && link.contains("page=3&limit=2>; rel=\"last\""))
            let numbers = (try client.json(page) as? [[String: Any]])?.compactMap { $0["number"] as? Int }
            #expect(numbers == [3, 2])
            let badPage = try await client.send(.GET, "/api/v1/repos/team/paged/-/runs?page=0", user: admin.0, password: admin.1)
            #expect(badPage.status == 400 && badPage.body.contains("'page'"))
            let session = try await client.signIn(admin.0, admin.1)
            let html = try await client.send(.GET, "/team/paged/-/runs", cookie: session)
            #expect(html.body.contains("id=\"run-total\">5<") && html.body.contains("href=\"/team/paged/-/run/5\""))
        }
    }
}
