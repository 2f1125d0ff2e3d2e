import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

/// Runs the built git-tool and git on the same repository and compares what they print.
@Suite("git-tool prints what git prints")
struct GitToolTests {
    static var toolPath: String {
        // Test bundles sit next to the built products.
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("git-tool").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ".build/debug/git-tool"
    }

    static func tool(_ arguments: [String]) throws -> GitCLI.Output {
        try GitCLI.run(arguments, executable: toolPath)
    }

    /// A history with merges, renames, a file replaced by a directory, quoted names and a few hundred commits.
    static func makeHistory() async throws -> RepositoryFixture {
        let fixture = try await RepositoryFixture.make(bare: true)
        try await fixture.build { repo in
            try repo.commit("root", [.write("a/b/c.txt", "c\n"), .write("tab\tname", "t\n"), .write("ünï.txt", "u\n"), .executable("run", "#!/bin/sh\n")])
            for round in 0..<60 {
                try repo.commit("main \(round)", [.write("a/b/c.txt", "c \(round)\n"), .write("log/\(round % 7).txt", "\(round)\n")])
                if round % 10 == 0 {
                    let base = try repo.tip("main")!
                    try repo.branch("topic\(round)", at: base)
                    try repo.commit("topic \(round)", on: "topic\(round)", [.write("topic/\(round).txt", "t\n"), .write("a/x", "x\n")])
                    try repo.commit("main side \(round)", [.write("side.txt", "\(round)\n")])
                    try repo.merge("topic\(round)", into: "main")
                }
                if round == 30 {
                    try repo.commit("dir to file", [.delete("a/b"), .write("a/b", "file now\n"), .rename("run", to: "bin/run")])
                }
                if round == 40 { try repo.commit("empty", []) }
                if round % 20 == 5 { try repo.tag("v\(round)", at: try repo.tip("main")!, message: "release \(round)") }
            }
        }
        return fixture
    }

    @Test("log, log --name-only, -n and paths match git log")
    func log() async throws {
        let fixture = try await Self.makeHistory()
        defer { fixture.remove() }
        let cases: [([String], [String])] = [
            (["log", "--repo", fixture.path, "main"], ["log", "--format=%H", "main"]),
            (["log", "--repo", fixture.path, "--name-only", "main"], ["log", "--format=%H", "--name-only", "--no-renames", "main"]),
            (["log", "--repo", fixture.path, "-n", "17", "--name-only", "v5..main"], ["log", "--format=%H", "--name-only", "--no-renames", "-n", "17", "v5..main"]),
            (["log", "--repo", fixture.path, "--first-parent", "main"], ["log", "--format=%H", "--first-parent", "main"]),
            (["log", "--repo", fixture.path, "--name-only", "main", "--", "a"], ["log", "--format=%H", "--name-only", "--no-renames", "main", "--", "a"]),
        ]
        for (ours, theirs) in cases {
            let tool = try Self.tool(ours)
            let git = try GitCLI.git(theirs, in: fixture.path)
            #expect(tool.status == 0, "\(tool.stderr)")
            #expect(tool.stdout == git.stdout, "\(ours)")
        }
    }

    @Test("changed equals git diff --name-only --no-renames")
    func changed() async throws {
        let fixture = try await Self.makeHistory()
        defer { fixture.remove() }
        for (from, to) in [("v5", "main"), ("main~20", "main~3"), ("main", "v25"), ("v45", "v45")] {
            let tool = try Self.tool(["changed", "--repo", fixture.path, from, to])
            let git = try GitCLI.git(["diff", "--name-only", "--no-renames", from, to], in: fixture.path)
            #expect(tool.status == 0, "\(tool.stderr)")
            #expect(tool.stdout == git.stdout, "\(from) \(to)")
        }
    }

    @Test("archive applies the commit's .gitattributes as git archive does: export-ignore, eol, ident, nested files, macros")
    func archiveAttributes() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        try await fixture.build { builder in
            _ = try builder.commit("attributes", [
                .write(".gitattributes", "[attr]private export-ignore\n*.bat text eol=crlf\n*.id ident\nsecret export-ignore\n"
                       + "/drop.txt export-ignore\nlocal.* text eol=lf\n*.c whitespace=trail diff=cpp\ngen/[a-m]*.out private\n"
                       + "*.dat binary\n*.cfg -diff\n*.lf text eol=lf\n*.raw -text\nbuild/ export-ignore\nlogs/** export-ignore\n"
                       + "**/cache export-ignore\n"),
                .write("build/out.o", "a directory-only pattern, in a bare repository\n"),
                .write("src/build/gen.c", "also ignored: the pattern has no slash inside\n"),
                .write("src/build.txt", "kept\n"),
                .write("logs/a/b.log", "ignored by logs/**\n"),
                .write("deep/er/cache/x", "ignored by **/cache\n"),
                .write("table.dat", "text that the binary macro marks binary in a zip\n"),
                .write("settings.cfg", "plain text, -diff\n"),
                .write("mixed.lf", "stored\r\nwith a CRLF\n"),
                .write("kept.raw", "left\r\nalone\n"),
                .write("gen/alpha.out", "a macro hides this\n"),
                .write("gen/zulu.out", "outside the character class: kept\n"),
                .write("run.bat", "echo one\necho two\n"),
                .write("mixed.bat", "already\r\ncrlf\n"),
                .write("version.id", "$Id$\nrest\n"),
                .write("drop.txt", "left out\n"),
                .write("keep/drop.txt", "kept: the pattern is anchored\n"),
                .write("secret/key", "hidden\n"),
                .write("sub/.gitattributes", "*.txt text eol=crlf\nhidden.txt export-ignore\n"),
                .write("sub/note.txt", "nested rules\n"),
                .write("sub/hidden.txt", "nested export-ignore\n"),
                .write("sub/deeper/more.txt", "inherited\n"),
                .writeBytes("sub/binary.txt", [0, 1, 2, 10, 3]),
                .write("plain.c", "int main(void) { return 0; }\n"),
            ])
        }
        for format in ["tar", "zip"] {
            let ours = fixture.root + "/ours." + format, theirs = fixture.root + "/git." + format
            let tool = try Self.tool(["archive", "--repo", fixture.path, "--format", format, "-o", ours, "main"])
            #expect(tool.status == 0, "\(tool.stderr)")
            let git = try GitCLI.git(["archive", "--format=" + format, "-o", theirs, "main"], in: fixture.path)
            #expect(git.status == 0)
            let compared = try GitCLI.run(["cmp", ours, theirs], executable: "/usr/bin/env")
            #expect(compared.status == 0, "\(format): \(compared.text)")
        }
        let listing = try GitCLI.run(["tar", "tf", fixture.root + "/ours.tar"], executable: "/usr/bin/env")
        #expect(!listing.text.contains("secret/") && !listing.text.contains("sub/hidden.txt") && listing.text.contains("keep/drop.txt"))
        #expect(!listing.text.split(separator: "\n").contains("drop.txt"))
        #expect(!listing.text.contains("build/") && listing.text.contains("src/build.txt") && !listing.text.contains("cache/x"))
    }

    @Test("show prints a blob's bytes; archive equals git archive")
    func showAndArchive() async throws {
        let fixture = try await Self.makeHistory()
        defer { fixture.remove() }
        for expression in ["main:a/b/c.txt", "v5:a/b/c.txt", "main:ünï.txt", "main:bin/run"] {
            let tool = try Self.tool(["show", "--repo", fixture.path, expression])
            let git = try GitCLI.git(["show", expression], in: fixture.path)
            #expect(tool.stdout == git.stdout, "\(expression)")
        }
        let tar = try Self.tool(["archive", "--repo", fixture.path, "--format", "tar", "main"])
        let gitTar = try GitCLI.git(["archive", "--format=tar", "main"], in: fixture.path)
        #expect(tar.status == 0 && tar.stdout == gitTar.stdout)
        let out = fixture.root + "/out.zip"
        let zip = try Self.tool(["archive", "--repo", fixture.path, "--format", "zip", "-o", out, "v25"])
        #expect(zip.status == 0, "\(zip.stderr)")
        let theirs = fixture.root + "/git.zip"
        let gitZip = try GitCLI.git(["archive", "--format=zip", "-o", theirs, "v25"], in: fixture.path)
        #expect(gitZip.status == 0)
        // Member names, order, Unix modes, CRCs, timestamps, sizes and the comment (the commit id) must agree.
        let summary = "import zipfile,sys\nfor f in sys.argv[1:]:\n z=zipfile.ZipFile(f)\n print(z.comment.decode())\n for i in z.infolist(): print(i.filename, oct(i.external_attr>>16), i.CRC, i.date_time, i.file_size, i.create_system)\n print('--')"
        let compared = try GitCLI.run(["python3", "-c", summary, out, theirs], executable: "/usr/bin/env")
        let halves = compared.text.components(separatedBy: "--\n")
        #expect(compared.status == 0 && halves.count == 3 && halves[0] == halves[1] && !halves[0].isEmpty, "\(compared.text)")
        let bytesEqual = try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: theirs))
        #expect(bytesEqual)
    }

    @Test("mergeable reports fast-forward, clean and conflict with exit codes")
    func mergeable() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        try await fixture.build { repo in
            let base = try repo.commit("base", [.write("f", "1\n")])
            try repo.branch("ff", at: base)
            try repo.commit("ff", on: "ff", [.write("g", "g\n")])
            try repo.branch("other", at: base)
            try repo.commit("other", on: "other", [.write("f", "other\n")])
            try repo.commit("main", [.write("f", "main\n")])
            try repo.branch("clean", at: base)
            try repo.commit("clean", on: "clean", [.write("h", "h\n")])
        }
        let ff = try Self.tool(["mergeable", "--repo", fixture.path, "ff~1", "ff"])
        #expect(ff.status == 0 && ff.text == "fast-forward\n")
        let clean = try Self.tool(["mergeable", "--repo", fixture.path, "main", "clean"])
        #expect(clean.status == 0 && clean.text == "clean\n")
        let conflict = try Self.tool(["mergeable", "--repo", fixture.path, "main", "other"])
        #expect(conflict.status == 1 && conflict.text == "conflict\nf\n")
    }

    @Test("bad input: unknown revision, missing repository, bad flags go to stderr with a non-zero status")
    func badInput() async throws {
        let fixture = try await Self.makeHistory()
        defer { fixture.remove() }
        let unknown = try Self.tool(["changed", "--repo", fixture.path, "nope", "main"])
        #expect(unknown.status != 0 && unknown.stdout.isEmpty && unknown.stderr.contains("unknown revision 'nope'"))
        let missing = try Self.tool(["log", "--repo", fixture.root + "/missing"])
        #expect(missing.status != 0 && missing.stderr.contains("no git repository"))
        let badFlag = try Self.tool(["log", "--repo", fixture.path, "-n", "-3"])
        #expect(badFlag.status != 0 && badFlag.stdout.isEmpty)
        let badFormat = try Self.tool(["archive", "--repo", fixture.path, "--format", "rar", "main"])
        #expect(badFormat.status != 0 && badFormat.stderr.contains("rar"))
        let traversal = try Self.tool(["show", "--repo", fixture.path, "main:../../etc/passwd"])
        #expect(traversal.status != 0 && traversal.stdout.isEmpty)
    }

    @Test("clone from a path and from smart HTTP with credentials (git http-backend behind basic auth)")
    func clone() async throws {
        let fixture = try await Self.makeHistory()
        defer { fixture.remove() }
        let local = fixture.root + "/local-clone"
        let byPath = try Self.tool(["clone", fixture.path, local])
        #expect(byPath.status == 0, "\(byPath.stderr)")
        #expect(try GitCLI.git(["rev-parse", "HEAD"], in: local).text == GitCLI.git(["rev-parse", "main"], in: fixture.path).text)
        #expect(FileManager.default.fileExists(atPath: local + "/a/b"))

        let server = try SmartHTTPServer(projectRoot: fixture.root, username: "alice", password: "s3cret")
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/repo.git"
        let refused = try GitCLI.run(["clone", url, fixture.root + "/no-auth"], executable: Self.toolPath)
        #expect(refused.status != 0 && refused.stderr.contains("credentials"))
        let wrong = try GitCLI.run(["clone", url, fixture.root + "/wrong-auth"], executable: Self.toolPath,
                                   environment: ["GIT_TOOL_USERNAME": "alice", "GIT_TOOL_PASSWORD": "wrong"])
        #expect(wrong.status != 0 && wrong.stderr.contains("refused"))
        let http = try GitCLI.run(["clone", "--bare", url, fixture.root + "/http-clone.git"], executable: Self.toolPath,
                                  environment: ["GIT_TOOL_USERNAME": "alice", "GIT_TOOL_PASSWORD": "s3cret"])
        #expect(http.status == 0, "\(http.stderr)")
        #expect(try GitCLI.git(["rev-parse", "main"], in: fixture.root + "/http-clone.git").text == GitCLI.git(["rev-parse", "main"], in: fixture.path).text)
    }
}
