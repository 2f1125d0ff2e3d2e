import ForgeKit
import ForgeServices
import ForgeWeb
import Foundation
import Testing

/// The forge in a real browser: headless Chromium through chromedriver (Debian's chromium and
/// chromium-driver, which scripts/bootstrap installs).
@Suite(.timeLimit(.minutes(5))) struct BrowserTests {
    @Test("sign in, open a repository and a commit, and watch a pipeline run turn green after a push made with git")
    func signInBrowseAndWatchARun() async throws {
        try await RunningForge.run { forge in
            let owner = try await forge.forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            let record = try await forge.forge.repositories.create(try RepositoryPath("team/site"), kind: .git, isPrivate: true, owner: owner)
            try await forge.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: forge.folder + "/releases")

            try await WebDriver.withSession { browser in
                // Signing in.
                try await browser.navigate(to: forge.base + "/login")
                try await browser.findElement(css: "#user").sendKeys("owner")
                try await browser.findElement(css: "#password").sendKeys("owner-password")
                try await browser.findElement(css: "#sign-in").click()
                try await browser.waitUntil { try await browser.pageSource().contains("id=\"logout\"") }
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
