@testable import ForgeWeb
import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// Pages come from Mustache templates that escape by default; markup passes unescaped only where the
/// forge made it itself.
@Suite(.timeLimit(.minutes(3))) struct TemplateTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("every template parses and renders; triple braces only for markup the forge made (Markdown, rendered templates)")
    func templatesParse() throws {
        #expect(Templates.parseError == nil)
        for name in Templates.sources.keys.sorted() {
            _ = try Templates.render(name, [:])
        }
        let trusted: Set<String> = ["body", "content", "readmeHTML", "descriptionHTML", "renderedHTML", "diffHTML", "filesHTML", "bodyHTML", "itemHTML", "lineHTML"]
        for (name, text) in Templates.sources {
            var rest = Substring(text)
            while let open = rest.range(of: "{{{") {
                guard let close = rest[open.upperBound...].range(of: "}}}") else { break }
                let key = String(rest[open.upperBound..<close.lowerBound])
                #expect(trusted.contains(key), "template \(name) shows '\(key)' unescaped")
                rest = rest[close.upperBound...]
            }
            #expect(!text.contains("{{&"), "template \(name) uses {{& }}, which does not escape")
        }
    }

    @Test("values are escaped by default: a hostile string shows as text in a page")
    func escapesByDefault() throws {
        let hostile = "\"'><script>alert(1)</script>&"
        let page = Page(title: hostile, user: hostile, csrf: hostile, template: "error",
                        context: ["code": 404, "reason": hostile, "message": hostile, "signIn": true, "next": hostile])
        let html = try page.render()
        #expect(!html.contains("<script>alert"), "\(html)")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"))
        #expect(!html.contains("\"'>"), "attribute values cannot be closed by a value")
    }

    @Test("names, messages, branches and paths from a pushed repository show as text on every code page")
    func hostileRepositoryContent() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            let marker = "<img src=x onerror=alert(1)>"
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1,
                                          json: ["name": "team/evil", "private": false, "description": "desc \(marker)"]).status == 201)
            let work = running.folder + "/evil-" + UUID().uuidString
            let name = "f\"'><img src=x onerror=alert(1)>.txt"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try Data("line \(marker)\n".utf8).write(to: URL(fileURLWithPath: work + "/" + name))
            try Data("# Title \(marker)\n".utf8).write(to: URL(fileURLWithPath: work + "/README.md"))
            _ = try await git(["init", "-q", "-b", "main"], in: work)
            _ = try await git(["add", "."], in: work)
            _ = try await git(["-c", "user.name=Eve \(marker)", "commit", "-q", "-m", "subject \(marker)"], in: work)
            _ = try await git(["branch", "b<svg/onload=alert(1)>"], in: work)
            let remote = running.base.replacingOccurrences(of: "://", with: "://\(admin.0):\(admin.1)@") + "/team/evil.git"
            _ = try await git(["push", "-q", remote, "main", "b<svg/onload=alert(1)>"], in: work)
            let commit = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
            let encoded = urlEncode(name)
            let pages = ["/team/evil", "/team/evil/-/tree/main", "/team/evil/-/commits/main", "/team/evil/-/commit/\(commit)",
                         "/team/evil/-/commit/\(commit)?style=split", "/team/evil/-/blob/main/\(encoded)", "/team/evil/-/blame/main/\(encoded)",
                         "/team/evil/-/branches", "/team/evil/-/search?q=onerror", "/team/evil/-/compare/main..." + urlEncodePath("b<svg/onload=alert(1)>"),
                         "/team/evil/-/commits/main?path=\(encoded)", "/explore/repos?q=\(urlEncode(marker))"]
            for path in pages {
                let response = try await client.send(.GET, path, user: admin.0, password: admin.1)
                #expect(response.status == 200, "\(path): \(response.status)")
                #expect(!response.body.contains("<img src=x") && !response.body.contains("<svg/onload"), "\(path) shows markup from the repository")
                #expect(response.body.contains("&lt;img src=x onerror=alert(1)&gt;") || response.body.contains("&lt;svg/onload=alert(1)&gt;"),
                        "\(path) shows the text")
            }
        }
    }
}
