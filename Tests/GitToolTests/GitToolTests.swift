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

/// What `git-tool archive -o PATH` leaves at PATH, and how damage is reported.
@Suite("git-tool keeps what it does not replace and names damage as damage")
struct GitToolIntegrityTests {
    @Test("archive -o replaces a file only when the archive is complete; devices, FIFOs and links stay what they are")
    func archiveOutput() async throws {
        let fixture = try await GitToolTests.makeHistory()
        defer { fixture.remove() }
        let target = fixture.root + "/release.tar"
        try Data("what was there\n".utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o640)
        // A failure leaves the file as it was (today it was truncated and then removed).
        let failed = try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", target, "no-such-revision"])
        #expect(failed.status != 0 && failed.stderr.contains("unknown revision"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "what was there\n")
        // Success replaces it, keeping its mode, and leaves nothing beside it.
        let made = try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", target, "main"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(try GitCLI.git(["archive", "--format=tar", "main"], in: fixture.path).stdout))
        #expect((try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.hasPrefix(".release.tar") }.isEmpty)

        // A symbolic link stays a link; the file it points to is replaced.
        let link = fixture.root + "/latest.tar"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", link, "v5"]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(try GitCLI.git(["archive", "--format=tar", "v5"], in: fixture.path).stdout))

        // /dev/null is written in place and is still the device afterwards.
        #expect(try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", "/dev/null", "main"]).status == 0)
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)

        // A FIFO that the archive fails to reach stays a FIFO (today it was unlinked).
        let fifo = fixture.root + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Thread {
            let descriptor = open(fifo, O_RDONLY)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while descriptor >= 0, read(descriptor, &buffer, buffer.count) > 0 {}
            if descriptor >= 0 { close(descriptor) }
        }
        reader.start()
        let intoFIFO = try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", fifo, "no-such-revision"])
        #expect(intoFIFO.status != 0)
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)

        // A folder that cannot be written: a clear error, nothing created.
        let missing = try GitToolTests.tool(["archive", "--repo", fixture.path, "-o", fixture.root + "/no/such/folder/x.tar", "main"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot create a file beside"))
    }

    @Test("a truncated pack or a missing object is reported as damage, not as an unknown revision")
    func damage() async throws {
        let fixture = try await GitToolTests.makeHistory()
        defer { fixture.remove() }
        // Loose objects first: a commit in the middle of main's history goes missing.
        let loose = fixture.root + "/loose.git"
        _ = try GitCLI.git(["init", "-q", "--bare", loose], in: fixture.root)
        _ = try GitCLI.git(["config", "receive.unpackLimit", "1000000"], in: loose)
        _ = try GitCLI.git(["push", "-q", loose, "main"], in: fixture.path)
        let middle = try GitCLI.git(["rev-parse", "main~5"], in: loose).text.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: loose + "/objects/" + middle.prefix(2) + "/" + middle.dropFirst(2))
        for arguments in [["log", "main"], ["log", "main~8"], ["changed", "main~8", "main"]] {
            let answer = try GitToolTests.tool([arguments[0], "--repo", loose] + arguments.dropFirst())
            #expect(answer.status != 0 && answer.stderr.contains("damaged") && !answer.stderr.contains("unknown revision"),
                    "\(arguments): \(answer.stderr)")
        }
        // The tip itself missing.
        let tip = try GitCLI.git(["rev-parse", "main"], in: loose).text.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: loose + "/objects/" + tip.prefix(2) + "/" + tip.dropFirst(2))
        let archive = try GitToolTests.tool(["archive", "--repo", loose, "main"])
        #expect(archive.status != 0 && archive.stderr.contains("damaged") && archive.stderr.contains(tip), "\(archive.stderr)")
        // A name that does not exist is still just unknown.
        #expect(try GitToolTests.tool(["log", "--repo", loose, "no-such-branch"]).stderr.contains("unknown revision 'no-such-branch'"))

        // A pack cut in half.
        let packed = fixture.root + "/packed.git"
        _ = try GitCLI.git(["clone", "-q", "--bare", "--no-local", fixture.path, packed], in: fixture.root)
        _ = try GitCLI.git(["repack", "-adq"], in: packed)
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: packed + "/objects/pack").first { $0.hasSuffix(".pack") })
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: packed + "/objects/pack/" + pack))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size / 2)
        try handle.close()
        for arguments in [["log", "main"], ["archive", "main"], ["show", "main:a/b/c.txt"]] {
            let answer = try GitToolTests.tool([arguments[0], "--repo", packed] + arguments.dropFirst())
            #expect(answer.status != 0 && answer.stderr.contains("damaged") && !answer.stderr.contains("unknown revision"),
                    "\(arguments): \(answer.stderr)")
        }
    }
}
