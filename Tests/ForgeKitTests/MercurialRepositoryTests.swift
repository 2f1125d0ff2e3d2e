import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

@Suite struct MercurialRepositoryTests {
    /// A repository with three changesets, a branch and a bookmark, made with the hg client.
    func makeRepository(_ folder: String) throws -> String {
        let path = folder + "/repo"
        let hg = try #require(GitHTTPBackend.findExecutable("hg"))
        let environment = ["HGRCPATH": "", "HGPLAIN": "1", "HGUSER": "Ada <ada@example.com>"]
        func run(_ arguments: [String]) throws {
            let output = try GitCLI.run(["--cwd", path] + arguments, executable: hg, environment: environment)
            if output.status != 0 { throw ForgeError(.io, "hg \(arguments) failed: \(output.stderr)", operation: "test") }
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try run(["init"])
        try Data("one\n".utf8).write(to: URL(fileURLWithPath: path + "/a.txt"))
        try FileManager.default.createDirectory(atPath: path + "/dir", withIntermediateDirectories: true)
        try Data("deep\n".utf8).write(to: URL(fileURLWithPath: path + "/dir/b.txt"))
        try run(["commit", "-A", "-m", "first\n\nbody", "-d", "1700000000 -3600"])
        try Data("two\n".utf8).write(to: URL(fileURLWithPath: path + "/a.txt"))
        try run(["rm", "dir/b.txt"])
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: path + "/c.txt"))
        try run(["commit", "-A", "-m", "second"])
        try run(["bookmark", "-r", ".", "feature"])
        try run(["branch", "stable"])
        try run(["commit", "-m", "on stable"])
        return path
    }

    @Test func readsThroughTheCommandServer() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "hg-read")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let repository = try await MercurialRepository.open(at: try makeRepository(folder))

        let log = try await repository.log()
        #expect(log.map(\.summary) == ["on stable", "second", "first"])
        #expect(log[2].message == "first\n\nbody")
        #expect(log[2].date == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(log[2].timeZoneOffsetSeconds == 3600)
        #expect(log[2].user == "Ada <ada@example.com>")
        #expect(log[0].branch == "stable" && log[1].bookmarks == ["feature"])
        #expect(log[0].parents == [log[1].node])
        #expect(try await repository.log(.symbol("0"), limit: 1).map(\.revision) == [0])

        let changes = try await repository.changedFiles("1")
        #expect(Set(changes) == [MercurialFileChange(path: "a.txt", kind: .modified), MercurialFileChange(path: "c.txt", kind: .added),
                                 MercurialFileChange(path: "dir/b.txt", kind: .removed)])
        #expect(try await repository.file(at: "0", path: "a.txt") == Array("one\n".utf8))
        #expect(try await repository.file(at: "feature", path: "a.txt") == Array("two\n".utf8))
        #expect(try await repository.file(at: "0", path: "dir/b.txt") == Array("deep\n".utf8))

        let references = try await repository.references()
        #expect(references["refs/heads/stable"] == log[0].node)
        #expect(references["refs/bookmarks/feature"] == log[1].node)
        #expect(references["refs/heads/default"] == log[1].node)

        // Bad input: missing files and revisions, traversal, option-like revisions, patterns.
        await #expect(throws: ForgeError.self) { try await repository.file(at: "0", path: "missing.txt") }
        await #expect(throws: ForgeError.self) { try await repository.file(at: "no-such-rev", path: "a.txt") }
        for bad in ["../etc/passwd", "/etc/passwd", "dir//b.txt", ""] {
            await #expect(throws: ForgeError.self) { try await repository.file(at: "0", path: bad) }
        }
        await #expect(throws: ForgeError.self) { try await repository.log(try .symbol("--config=x")) }
        // A revision from a URL is a symbol, never a revset: a revset naming a remote names nothing here.
        await #expect(throws: ForgeError.self) { try await repository.log(try .symbol("remote(tip, 'http://127.0.0.1:9/')")) }
        await #expect(throws: ForgeError.self) { try await repository.log(try .symbol("0 or 1")) }
        await #expect(throws: ForgeError.self) { try await repository.file(at: "all()", path: "a.txt") }
        #expect(try await repository.log(try .ancestors(of: "feature")).count == 2)
        #expect(try await repository.log(try .symbol(log[1].node)).map(\.node) == [log[1].node])
        #expect(try await repository.log(try .symbol(String(log[1].node.prefix(8)))).map(\.node) == [log[1].node])
        #expect(try await repository.file(at: "0", path: "a.txt") == Array("one\n".utf8), "the server still answers")

        // An archive streams to a descriptor; tar lists what the revision holds.
        let archive = folder + "/out.tar"
        let descriptor = open(archive, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await repository.archive("1", format: "tar", toDescriptor: descriptor, prefix: "project")
        close(descriptor)
        let listing = try GitCLI.run(["-tf", archive], executable: "/usr/bin/tar")
        #expect(Set(listing.lines) == ["project/.hg_archival.txt", "project/a.txt", "project/c.txt"])
        await #expect(throws: ForgeError.self) {
            try await repository.archive("1", format: "rar", toDescriptor: descriptor)
        }
        await repository.close()
        await #expect(throws: ForgeError.self) { try await repository.log() }
    }

    @Test func notARepository() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "hg-none")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect(throws: ForgeError.self) { try await MercurialRepository.open(at: folder) }
    }
}
