import ForgeKit
import ForgeServices
import ForgeWeb
import Foundation
import NIOHTTP1
import Testing

/// The forge in a real browser: headless Chromium through chromedriver (Debian's chromium and
/// chromium-driver, which scripts/bootstrap installs).
/// One browser at a time (`.serialized`): several Chromiums beside the rest of the suite on two cores
/// made chromedriver too slow to start.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BrowserTests {
    @Test("sign in, open a repository and a commit, and watch a pipeline run turn green after a push made with git")
    func signInBrowseAndWatchARun() async throws {
        try await RunningForge.run { forge in
            let owner = try await forge.forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            let record = try await forge.forge.repositories.create(try RepositoryPath("team/site"), kind: .git, isPrivate: true, owner: owner)
            try await forge.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: forge.folder + "/releases")

            try await WebDriver.withSession { browser in
                // Signing in.
                try await Self.signIn(browser, forge, "owner", "owner-password")
                let session = try #require(try await browser.cookies().first { $0.name == "forge_session" })
                #expect(session.httpOnly && session.sameSite == "Lax")

                // The private repository is listed; it is empty until the push.
                try await browser.findElement(css: "a.repository").click()
                try await browser.waitUntil { try await browser.currentURL().hasSuffix("/team/site") }
                #expect(try await browser.findElement(css: "#clone-url").text() == forge.base + "/team/site.git")
                #expect(try await browser.findElements(css: "#empty").count == 1)

                // A push with the git client starts the commit's pipeline; its page turns green.
                let head = try await pushProject(forge, repository: "team/site", user: "owner", password: "owner-password")
                try await browser.navigate(to: forge.base + "/team/site/-/runs")
                try await browser.waitUntil(timeout: .seconds(30)) {
                    try await browser.navigate(to: forge.base + "/team/site/-/runs")
                    return try await browser.findElements(css: "a.run-link").count == 1
                }
                try await browser.findElement(css: "a.run-link").click()
                try await browser.waitUntil(timeout: .seconds(60)) {
                    try await browser.findElement(css: "#run-status").text() == "succeeded"
                }
                #expect(try await browser.findElement(css: "#run-status").attribute("class")?.contains("succeeded") == true)
                // Each step's result as formatted JSON, and the run's commit linked.
                let result = try await browser.findElement(css: "#steps pre.result").text()
                #expect(result.contains("\"exit_code\": 0") && !result.contains("PipelineKit"), "\(result)")
                #expect(try await browser.findElement(css: "#run-commit").attribute("href")?.hasSuffix(head) == true)
                // The live log arrived through the page's polling.
                try await browser.waitUntil(timeout: .seconds(10)) { try await browser.findElement(css: "#log").text().contains("tests passed") }

                // The commit page shows the message and the diff.
                try await browser.navigate(to: forge.base + "/team/site")
                try await browser.findElement(css: "a.commit-link").click()
                try await browser.waitUntil { try await browser.currentURL().contains("/-/commit/") }
                #expect(try await browser.currentURL().hasSuffix(head))
                #expect(try await browser.findElement(css: "#commit-summary").text() == "First commit")
                #expect(try await browser.findElement(css: "#diff").text().contains("+int main(void) { return 0; }"))
                #expect(try await browser.findElement(css: "#changed").text().contains("src/main.c"))

                // Signing out: the repository is gone from the list.
                try await browser.navigate(to: forge.base + "/")
                try await browser.findElement(css: "#logout").click()
                try await browser.waitUntil { try await browser.findElements(css: "#login-link").count == 1 }
                #expect(try await !browser.pageSource().contains("team/site"))
            }
        }
    }
}

extension BrowserTests {
    /// Signs in through the form and waits for the signed-in page.
    static func signIn(_ browser: WebDriverSession, _ forge: RunningForge, _ user: String, _ password: String) async throws {
        try await browser.navigate(to: forge.base + "/login")
        try await browser.findElement(css: "#user").sendKeys(user)
        try await browser.findElement(css: "#password").sendKeys(password)
        try await browser.findElement(css: "#sign-in").click()
        try await browser.waitUntil { try await browser.pageSource().contains("id=\"logout\"") }
    }

    /// Where screenshots for the docs go when `FORGE_SCREENSHOTS` names a folder (the guide's images
    /// were taken this way: `FORGE_SCREENSHOTS=Sources/ForgeWeb/Documentation.docc/Resources`).
    static func saveScreenshot(_ browser: WebDriverSession, _ name: String) async throws {
        guard let folder = ProcessInfo.processInfo.environment["FORGE_SCREENSHOTS"], !folder.isEmpty else { return }
        try await browser.screenshot().write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    @Test("browse code: a rendered README, highlighted lines with a selected range, blame, file history and compare; no page scrolls sideways at 390 px")
    func browseCode() async throws {
        try await RunningForge.run(localRunner: false) { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1,
                                          json: ["name": "team/code", "private": false, "description": "The demo's code"]).status == 201)
            let commits = try await pushCodeProject(forge, repository: "team/code", user: admin.0, password: admin.1)
            try await WebDriver.withSession { browser in
                // The README, rendered: a table and two task-list boxes.
                try await browser.navigate(to: forge.base + "/team/code")
                #expect(try await browser.findElements(css: "#readme table td").count == 2)
                #expect(try await browser.findElements(css: "#readme input[type=checkbox]").count == 2)
                try await Self.saveScreenshot(browser, "forge-summary.png")

                // A file: highlighted by highlight.js, lines 3 to 4 selected by the address.
                try await browser.navigate(to: forge.base + "/team/code/-/blob/main/Sources/main.swift#L3-L4")
                try await browser.waitUntil { try await !browser.findElements(css: "#blob td.line span.hljs-keyword").isEmpty }
                #expect(try await browser.findElements(css: "#blob tr.selected").count == 2)
                #expect(try await browser.findElement(css: "#L3").attribute("class")?.contains("selected") == true)
                // A click on a line number selects that line.
                try await browser.findElement(css: "#L7 td.num a").click()
                try await browser.waitUntil { try await browser.currentURL().hasSuffix("#L7") }
                try await browser.waitUntil { try await browser.findElements(css: "#blob tr.selected").count == 1 }
                try await Self.saveScreenshot(browser, "forge-code.png")

                // Blame and history from the file's links.
                try await browser.findElement(css: "#blame-link").click()
                try await browser.waitUntil { try await browser.currentURL().contains("/-/blame/main/Sources/main.swift") }
                #expect(try await browser.findElements(css: "#blame td.blame-commit").count >= 2)
                try await browser.navigate(to: forge.base + "/team/code/-/blob/main/Sources/main.swift")
                try await browser.findElement(css: "#history-link").click()
                try await browser.waitUntil { try await browser.findElements(css: "#history-title").count == 1 }
                #expect(try await browser.findElements(css: "table.commits a.commit-link").count == 2)

                // Compare through its form, then follow the changed-file link into the diff.
                try await browser.navigate(to: forge.base + "/team/code/-/compare")
                try await browser.findElement(css: "#compare-base").sendKeys("v1.0")
                try await browser.findElement(css: "#compare-head").sendKeys("feature")
                try await browser.findElement(css: "form.compare-form button").click()
                try await browser.waitUntil { try await browser.currentURL().hasSuffix("/-/compare/v1.0...feature") }
                #expect(try await browser.findElement(css: "#compare-commits").text() == "1 commit")
                try await browser.findElement(css: "#changed a").click()
                try await browser.waitUntil { try await browser.currentURL().hasSuffix("#diff-0") }

                // At 390 px (a phone), no page is wider than the screen, with the signed-in header's links.
                try await browser.emulateScreen(width: 390)
                try await Self.signIn(browser, forge, admin.0, admin.1)
                for page in ["/", "/new", "/admin/users", "/team/code", "/team/code/-/settings", "/team/code/-/blob/main/Sources/main.swift", "/team/code/-/blame/main/Sources/main.swift",
                             "/team/code/-/commit/\(commits[1])", "/team/code/-/commit/\(commits[1])?style=split",
                             "/team/code/-/compare/v1.0...feature", "/team/code/-/commits", "/team/code/-/branches", "/team/code/-/runs",
                             "/team/code/-/deployments", "/team/code/-/tree/main/docs"] {
                    try await browser.navigate(to: forge.base + page)
                    _ = try await browser.findElement(css: "main")
                    #expect(try await browser.executeScript("return window.innerWidth").int == 390)
                    #expect(try await !browser.overflowsHorizontally(), "\(page) scrolls sideways at 390 px")
                }
            }
        }
    }
}

extension BrowserTests {
    @Test("a run's page follows it live: steps appear without a reload, the log ends byte for byte as stored; re-run and cancel from the page")
    func liveRunRerunAndCancel() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/live"]).status == 201)
            let command = "for i in $(seq 1 30); do echo \"line $i ünïcödé\"; sleep 0.1; done"
            _ = try await pushProject(forge, repository: "team/live", user: admin.0, password: admin.1, testCommand: "'\(command)'")
            try await WebDriver.withSession { browser in
                try await Self.signIn(browser, forge, admin.0, admin.1)
                try await browser.waitUntil(timeout: .seconds(30)) {
                    try await browser.navigate(to: forge.base + "/team/live/-/run/1")
                    return try await browser.findElements(css: "#run-status").count == 1
                }
                // Opened while the first step runs: the deploy step appears later, without a reload.
                try await browser.waitUntil(timeout: .seconds(60)) {
                    try await browser.findElement(css: "#run-status").text() == "succeeded"
                }
                // The log and the steps are polled apart (the steps once a second): wait for the table's next refresh.
                let stateScript = "return Array.from(document.querySelectorAll('#steps tbody tr td:nth-child(3)')).map(function (c) { return c.textContent; })"
                try? await browser.waitUntil(timeout: .seconds(10)) {
                    try await browser.executeScript(stateScript).array?.compactMap(\.string) == ["succeeded", "succeeded"]
                }
                let states = try await browser.executeScript(stateScript)
                #expect(states.array?.compactMap(\.string) == ["succeeded", "succeeded"])
                // The log as the browser assembled it is the stored log, byte for byte.
                let runID = try #require((try client.json(try await client.send(.GET, "/api/v1/repos/team/live/-/runs", user: admin.0, password: admin.1))
                    as? [[String: Any]])?.first?["id"] as? Int)
                let stored = try #require(try client.json(try await client.send(.GET, "/api/v1/runs/\(runID)/log?after=0", user: admin.0, password: admin.1))
                    as? [String: Any])["text"] as? String
                try await browser.waitUntil(timeout: .seconds(10)) {
                    try await browser.executeScript("return document.getElementById('log').textContent").string == stored
                }
                #expect(stored?.contains("line 30 ünïcödé") == true)

                // Re-run from the page, then cancel the new run while it runs.
                try await browser.findElement(css: "#rerun").click()
                try await browser.waitUntil { try await browser.currentURL().hasSuffix("/team/live/-/run/2") }
                try await browser.findElement(css: "#cancel-run").click()
                try await browser.waitUntil(timeout: .seconds(10)) { try await browser.findElement(css: "#run-status").text() == "cancelled" }
                #expect(try await browser.currentURL().hasSuffix("/team/live/-/run/2"))
                try await Self.saveScreenshot(browser, "forge-run.png")
            }
        }
    }
}

extension BrowserTests {
    @Test("deployments in the browser: set up on the settings page, approve the waiting deployment, deploy again, roll back to a chosen release after a confirmation")
    func deploymentSetUpApproveAndRollBack() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/shop"]).status == 201)
            try await WebDriver.withSession { browser in
                try await Self.signIn(browser, forge, admin.0, admin.1)

                // Set up: an environment keeping 3 releases, then main deploying to it by hand.
                try await browser.navigate(to: forge.base + "/team/shop/-/settings")
                try await browser.findElement(css: "#environment-name").sendKeys("production")
                try await browser.findElement(css: "#environment-keep").clear()
                try await browser.findElement(css: "#environment-keep").sendKeys("3")
                try await browser.findElement(css: "#environment-variables").sendKeys("GREETING=hello")
                try await browser.findElement(css: "#save-environment").click()
                try await browser.waitUntil { try await browser.pageSource().contains("<td>production</td>") }
                try await browser.findElement(css: "#branch-name").sendKeys("main")
                try await browser.executeScript("document.getElementById('branch-mode').value = 'manual'")
                try await browser.findElement(css: "#branch-environment").sendKeys("production")
                try await browser.findElement(css: "#branch-script").sendKeys("./deploy.sh")
                try await browser.findElement(css: "#save-branch").click()
                try await browser.waitUntil { try await browser.findElements(css: "#deploy-branches td code").count == 1 }

                // A push: its run succeeds and the deployment waits for approval.
                _ = try await pushProject(forge, repository: "team/shop", user: admin.0, password: admin.1)
                try await browser.waitUntil(timeout: .seconds(60)) {
                    try await browser.navigate(to: forge.base + "/team/shop/-/deployments")
                    return try await !browser.findElements(css: "button.start").isEmpty
                }
                try await browser.findElement(css: "button.start").click()
                try await browser.waitUntil(timeout: .seconds(60)) { try await browser.findElement(css: "#deployment-status").text() == "succeeded" }
                try await browser.navigate(to: forge.base + "/team/shop/-/deployments")
                let first = try await browser.findElement(css: "#current-production").text()
                #expect(!first.isEmpty && first != "none yet")

                // Deploy again by hand: a second release becomes current.
                try await browser.findElement(css: "#deploy-main").click()
                try await browser.waitUntil(timeout: .seconds(60)) { try await browser.findElement(css: "#deployment-status").text() == "succeeded" }
                try await browser.navigate(to: forge.base + "/team/shop/-/deployments")
                let second = try await browser.findElement(css: "#current-production").text()
                #expect(second != first)

                // Roll back: a confirmation page to choose the release, then the rollback, shown as one.
                try await browser.findElement(css: "#rollback-production").click()
                try await browser.waitUntil { try await browser.findElements(css: "#releases input[type=radio]").count == 1 }
                #expect(try await browser.findElement(css: "#rollback-current").text() == second)
                try await browser.findElement(css: "#release-\(first)").click()
                try await browser.findElement(css: "#confirm-rollback").click()
                try await browser.waitUntil(timeout: .seconds(60)) { try await browser.findElement(css: "#deployment-status").text() == "succeeded" }
                try await browser.navigate(to: forge.base + "/team/shop/-/deployments")
                #expect(try await browser.findElement(css: "#current-production").text() == first)
                #expect(try await browser.findElement(css: "#deployment-list td.deployment-kind").text() == "rollback to \(first)")
                try await Self.saveScreenshot(browser, "forge-deployments.png")
            }
        }
    }

    @Test("review to merge in the browser: a reviewer approves with a comment on a line, the page then offers the merge, which lands")
    func reviewToMerge() async throws {
        try await RunningForge.run(localRunner: false) { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/review"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "ann", "password": "ann-password", "email": "ann@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/review/-/permissions/ann", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            let work = try await PullRequestTests.Work(forge, repository: "team/review", user: admin.0, password: admin.1)
            try await work.commit(on: "topic", from: "main", ["topic.txt": "one\ntwo\n"], message: "Topic")
            #expect(try await client.send(.POST, "/api/v1/repos/team/review/branch_protections", user: admin.0, password: admin.1,
                                          json: ["rule_name": "main", "required_approvals": 1]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos/team/review/pulls", user: admin.0, password: admin.1,
                                          json: ["head": "topic", "base": "main", "title": "Topic", "body": "Please *look*."]).status == 201)
            try await WebDriver.withSession { browser in
                try await Self.signIn(browser, forge, "ann", "ann-password")
                try await browser.navigate(to: forge.base + "/team/review/-/pull/1")
                #expect(try await browser.findElement(css: "#mergeability").text().contains("needs 1 approval"))
                #expect(try await browser.findElements(css: "#merge-form").isEmpty)
                // Ann approves, with a comment on line 2 of topic.txt.
                try await browser.findElement(css: "#review-form input[value=APPROVED]").click()
                try await browser.findElement(css: "#review-path option:nth-child(2)").click()
                try await browser.findElement(css: "#review-line").sendKeys("2")
                try await browser.findElement(css: "#review-body").sendKeys("Line two is *fine*.")
                try await browser.findElement(css: "#submit-review").click()
                try await browser.waitUntil { try await browser.pageSource().contains("class=\"approver\">ann</b>") }
                #expect(try await browser.pageSource().contains("topic.txt:2"))
                try await Self.saveScreenshot(browser, "forge-pull.png")
                // Now the page offers the merge, and the merge lands.
                try await browser.findElement(css: "#merge").click()
                try await browser.waitUntil { try await browser.findElement(css: "#pull-state").text() == "merged" }
            }
            let pull = try client.json(try await client.send(.GET, "/api/v1/repos/team/review/pulls/1", user: admin.0, password: admin.1)) as? [String: Any]
            #expect(pull?["merged"] as? Bool == true)
        }
    }
}
