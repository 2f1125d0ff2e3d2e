import ForgeKit
import ForgeKitTesting
import Foundation
import NIOHTTP1
import Testing

/// A public repository with a Markdown README, a docs folder, a Swift file changed twice, a branch
/// and a tag, pushed with the git client. Returns the commits (oldest first).
func pushCodeProject(_ forge: RunningForge, repository: String, user: String, password: String) async throws -> [String] {
    let work = forge.folder + "/code-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: work + "/docs", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: work + "/Sources", withIntermediateDirectories: true)
    func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name)) }
    try write("README.md", """
        # Demo project

        | Column | Other |
        |--------|-------|
        | cell-one | cell-two |

        - [x] done item
        - [ ] open item

        ~~struck~~ and https://example.org/autolinked

        <script>alert("readme")</script><b onclick="x()">raw html</b>

        [Guide](docs/guide.md) · [Up](../../etc/passwd) · ![logo](docs/logo.png) · [Site](https://example.org/x) · [js](javascript:alert(1))

        """)
    try write("docs/guide.md", "# Guide\n\nBack to [the readme](../README.md#demo-project).\n")
    try write("Sources/main.swift", "import Foundation\n\nfunc greet() -> String {\n    return \"hello\"\n}\n")
    _ = try await git(["init", "-q", "-b", "main"], in: work)
    _ = try await git(["add", "."], in: work)
    _ = try await git(["commit", "-q", "-m", "First"], in: work)
    let first = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    try write("docs/other.txt", "unrelated\n")
    _ = try await git(["add", "."], in: work)
    _ = try await git(["commit", "-q", "-m", "Unrelated change"], in: work)
    try write("Sources/main.swift", "import Foundation\n\nfunc greet() -> String {\n    return \"hello, world\"\n}\n\nprint(greet())\n")
    _ = try await git(["commit", "-q", "-am", "Greet the world"], in: work)
    let third = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    _ = try await git(["tag", "v1.0"], in: work)
    _ = try await git(["checkout", "-q", "-b", "feature"], in: work)
    try write("Sources/feature.swift", "let feature = 1\n")
    _ = try await git(["add", "."], in: work)
    _ = try await git(["commit", "-q", "-m", "Add a feature"], in: work)
    let feature = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    let remote = forge.base.replacingOccurrences(of: "://", with: "://\(user):\(password)@") + "/" + repository + ".git"
    _ = try await git(["push", "-q", remote, "main", "feature", "v1.0"], in: work)
    return [first, third, feature]
}

/// The code views a Gitea user expects: rendered Markdown, line anchors, breadcrumbs, the branch
/// picker, file history, blame, compare, diffs and archives.
@Suite(.timeLimit(.minutes(3))) struct CodeViewTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("README and .md files render as GitHub Markdown without raw HTML; relative links resolve in the repository")
    func markdown() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1,
                                          json: ["name": "team/code", "private": false, "description": "A **bold** <i>claim</i>"]).status == 201)
            _ = try await pushCodeProject(running, repository: "team/code", user: admin.0, password: admin.1)
            let summary = try await client.send(.GET, "/team/code")
            #expect(summary.status == 200)
            let page = summary.body
            #expect(page.contains("<h1>Demo project</h1>"))
            #expect(page.contains("<td>cell-one</td>"), "tables")
            #expect(page.contains("type=\"checkbox\" checked=\"\" disabled=\"\""), "task lists")
            #expect(page.contains("<del>struck</del>"), "strikethrough")
            #expect(page.contains("<a href=\"https://example.org/autolinked\">"), "autolinks")
            #expect(!page.contains("<script>alert") && !page.contains("onclick"), "raw HTML is not passed through")
            #expect(page.contains("raw HTML omitted"))
            #expect(page.contains("href=\"/team/code/-/blob/main/docs/guide.md\""), "relative links at the shown revision")
            #expect(page.contains("href=\"/team/code/-/blob/main/etc/passwd\""), "`..` stops at the repository's root")
            #expect(page.contains("src=\"/team/code/-/raw/main/docs/logo.png\""), "images load raw")
            #expect(page.contains("href=\"https://example.org/x\""))
            #expect(!page.contains("javascript:"), "javascript: links are dropped")
            #expect(page.contains("A <strong>bold</strong>") && !page.contains("<i>claim"), "the description is Markdown too")

            // A .md file renders, with its source a click away; its links resolve from its folder.
            let guide = try await client.send(.GET, "/team/code/-/blob/main/docs/guide.md")
            #expect(guide.body.contains("<h1>Guide</h1>"))
            #expect(guide.body.contains("href=\"/team/code/-/blob/main/README.md#demo-project\""))
            let source = try await client.send(.GET, "/team/code/-/blob/main/docs/guide.md?plain=1")
            #expect(source.body.contains("id=\"L1\"") && source.body.contains("# Guide"))
            // A link to a folder shows the folder.
            let folder = try await client.send(.GET, "/team/code/-/blob/main/docs")
            #expect(folder.status == 303 && folder.headers.first(name: "Location") == "/team/code/-/tree/main/docs")
        }
    }

    @Test("files have numbered, anchored lines, breadcrumbs and a branch picker; history follows a path; blame names each line's commit")
    func filesHistoryAndBlame() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/code", "private": false]).status == 201)
            let commits = try await pushCodeProject(running, repository: "team/code", user: admin.0, password: admin.1)

            let blob = try await client.send(.GET, "/team/code/-/blob/main/Sources/main.swift")
            #expect(blob.status == 200)
            #expect(blob.body.contains("<tr id=\"L7\"><td class=\"num\"><a href=\"#L7\">7</a></td><td class=\"line\">print(greet())</td></tr>"))
            #expect(blob.body.contains("data-lang=\"swift\""))
            #expect(blob.body.contains("<script src=\"/-/static/highlight.min.js\" defer></script>"))
            #expect(blob.body.contains("<a href=\"/team/code/-/tree/main/Sources\">Sources</a> / <span>main.swift</span>"), "breadcrumbs")
            #expect(blob.body.contains("href=\"/team/code/-/blob/feature/Sources/main.swift\">feature</a>"), "the picker keeps the path")
            #expect(blob.body.contains("href=\"/team/code/-/blob/v1.0/Sources/main.swift\">v1.0</a>"), "tags too")
            let highlight = try await client.send(.GET, "/-/static/highlight.min.js")
            #expect(highlight.status == 200 && highlight.body.contains("registerLanguage(\"swift\""), "Debian's highlight.js, served by the forge")
            #expect(try await client.send(.GET, "/-/static/code.js").status == 200)

            // File history: only the commits that changed the file.
            let history = try await client.send(.GET, "/team/code/-/commits/main?path=Sources/main.swift")
            #expect(history.body.contains("History of <code>Sources/main.swift</code>"))
            #expect(history.body.contains("Greet the world") && history.body.contains("First"))
            #expect(!history.body.contains("Unrelated change"))
            let all = try await client.send(.GET, "/team/code/-/commits/main")
            #expect(all.body.contains("Unrelated change"))

            // Blame: lines 1–3 come from the first commit, line 4 and 7 from the third.
            let blame = try await client.send(.GET, "/team/code/-/blame/main/Sources/main.swift")
            #expect(blame.status == 200, "\(blame.body)")
            let rows = blame.body.components(separatedBy: "<tr id=\"L")
            func commit(ofLine line: Int) -> String? {
                // The commit cell is on the first row of each hunk; walk back to it.
                var index = line
                while index >= 1 {
                    if let range = rows[index].range(of: "/-/commit/") { return String(rows[index][range.upperBound...].prefix(40)) }
                    index -= 1
                }
                return nil
            }
            #expect(rows.count == 8)
            #expect(commit(ofLine: 1) == commits[0] && commit(ofLine: 3) == commits[0])
            #expect(commit(ofLine: 4) == commits[1] && commit(ofLine: 7) == commits[1])
            #expect(blame.body.contains("Greet the world"))
            // The cached answer is the same.
            #expect(try await client.send(.GET, "/team/code/-/blame/main/Sources/main.swift").body == blame.body)
            #expect(try await client.send(.GET, "/team/code/-/blame/main/nothing.swift").status == 404)
        }
    }

    @Test("compare shows the commits and the diff from the merge base; diffs have line numbers, anchors and a split view; .tar.gz downloads")
    func compareDiffsAndArchives() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/code", "private": false]).status == 201)
            let commits = try await pushCodeProject(running, repository: "team/code", user: admin.0, password: admin.1)

            let compare = try await client.send(.GET, "/team/code/-/compare/v1.0...feature")
            #expect(compare.status == 200, "\(compare.body)")
            #expect(compare.body.contains("1 commit<") && compare.body.contains("Add a feature") && !compare.body.contains("Greet the world"))
            #expect(compare.body.contains("<a href=\"#diff-0\">Sources/feature.swift</a>"), "the changed-file list links into the diff")
            #expect(compare.body.contains("<table class=\"diff-file\" id=\"diff-0\">"))
            #expect(compare.body.contains("<tr class=\"add\"><td class=\"num\"></td><td class=\"num\" id=\"diff-0R1\"><a href=\"#diff-0R1\">1</a></td><td class=\"line\">+let feature = 1</td></tr>"))
            let form = try await client.send(.GET, "/team/code/-/compare?base=main&head=feature")
            #expect(form.status == 303 && form.headers.first(name: "Location") == "/team/code/-/compare/main...feature")
            #expect(try await client.send(.GET, "/team/code/-/compare/main...nothing").status == 404)

            // A commit's diff, unified and side by side: the changed line with both numbers.
            let unified = try await client.send(.GET, "/team/code/-/commit/\(commits[1])")
            #expect(unified.body.contains("<tr class=\"del\"><td class=\"num\" id=\"diff-0L4\"><a href=\"#diff-0L4\">4</a></td><td class=\"num\"></td><td class=\"line\">-    return &quot;hello&quot;</td></tr>"))
            let split = try await client.send(.GET, "/team/code/-/commit/\(commits[1])?style=split")
            #expect(split.body.contains("class=\"diff split\""))
            #expect(split.body.contains("<td class=\"line del\">-    return &quot;hello&quot;</td><td class=\"num add\" id=\"diff-0R4\"><a href=\"#diff-0R4\">4</a></td><td class=\"line add\">+    return &quot;hello, world&quot;</td>"))

            // .tar.gz: a gzip stream git's own tar reads back.
            let archive = try await client.send(.GET, "/team/code/-/archive/main.tar.gz")
            #expect(archive.status == 200 && archive.headers.first(name: "Content-Type") == "application/gzip")
            let file = running.folder + "/main.tar.gz"
            try Data(archive.bytes).write(to: URL(fileURLWithPath: file))
            let listing = try await ChildProcess.run(["/bin/tar", "-tzf", file], environment: ProcessInfo.processInfo.environment)
            #expect(listing.status == 0)
            #expect(String(decoding: listing.output, as: UTF8.self).contains("code-main/Sources/main.swift"))
        }
    }
}

extension CodeViewTests {
    @Test("repositories are searchable by name; code search finds lines of the default branch, case-insensitively and bounded; a failed form keeps what was typed")
    func searchAndForms() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            for name in ["team/code", "team/other", "solo/tool"] {
                #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": name, "private": false]).status == 201)
            }
            _ = try await pushCodeProject(running, repository: "team/code", user: admin.0, password: admin.1)

            let found = try await client.send(.GET, "/explore/repos?q=TEAM")
            #expect(found.body.contains("team/code") && found.body.contains("team/other") && !found.body.contains("solo/tool"))
            #expect(try await client.send(.GET, "/?q=nothing-like-it").body.contains("id=\"no-results\""))

            let search = try await client.send(.GET, "/team/code/-/search?q=GREET")
            #expect(search.status == 200)
            #expect(search.body.contains("id=\"search-summary\">2 matching lines"), "\(search.body)")
            #expect(search.body.contains("main.swift#L3\">3</a>") && search.body.contains("main.swift#L7\">7</a>"))
            #expect(!search.body.contains("feature.swift"), "only the default branch")
            #expect(try await client.send(.GET, "/team/code/-/search?q=").body.contains("id=\"code-search\""))
            #expect(try await client.send(.GET, "/team/other/-/search?q=x").body.contains("id=\"search-empty\""))
            let tooLong = try await client.send(.GET, "/team/code/-/search?q=" + String(repeating: "a", count: 300))
            #expect(tooLong.status == 400 && tooLong.body.contains("longer than 256 bytes"))

            // A refused new repository keeps the name, kind, visibility and description typed.
            let session = try await client.signIn(admin.0, admin.1)
            let csrf = try await client.csrf("/new", cookie: session)
            let refused = try await client.send(.POST, "/new", form: ["name": "../bad", "type": "hg", "private": "1",
                                                                       "description": "kept <text>", "_csrf": csrf], cookie: session)
            #expect(refused.status == 400)
            #expect(refused.body.contains("id=\"form-error\"") && refused.body.contains("value=\"../bad\""))
            #expect(refused.body.contains("<option value=\"hg\" selected>") && refused.body.contains("value=\"1\" checked>"))
            #expect(refused.body.contains(">kept &lt;text&gt;</textarea>"))
        }
    }
}

@Suite struct CodeSearchTests {
    @Test("code search skips binary and large files and stops at its match limit, saying so")
    func limits() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let commit = try await fixture.build { repo in
            try repo.commit("files", [
                .write("a.txt", (1...50).map { "needle \($0)" }.joined(separator: "\n") + "\n"),
                .writeBytes("b.bin", Array("needle".utf8) + [0, 1, 2]),
                .write("c.txt", String(repeating: "x", count: 5000) + "NEEDLE\n"),
            ])
        }
        let all = try await fixture.repository.withSession { try $0.searchCode("Needle", at: commit.hex) }
        #expect(all.matches.count == 51 && !all.incomplete)
        #expect(!all.matches.contains { $0.path == "b.bin" })
        let bounded = try await fixture.repository.withSession {
            try $0.searchCode("needle", at: commit.hex, limits: CodeSearchLimits(largestFile: 4000, matches: 10))
        }
        #expect(bounded.matches.count == 10 && bounded.incomplete)
        let small = try await fixture.repository.withSession {
            try $0.searchCode("needle", at: commit.hex, limits: CodeSearchLimits(largestFile: 4000))
        }
        #expect(!small.matches.contains { $0.path == "c.txt" }, "larger files are skipped")
    }
}
