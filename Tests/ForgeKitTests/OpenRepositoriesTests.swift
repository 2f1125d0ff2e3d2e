import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

/// Repositories kept open between requests stay correct: they see what later pushes wrote (new loose
/// objects, new packs, moved references), and forgetting one reopens it.
@Suite struct OpenRepositoriesTests {
    @Test("a handle kept open sees commits and packs written after it was opened; forget reopens")
    func handlesSeeLaterWrites() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let first = try await fixture.build { try $0.commit("one", [.write("a.txt", "1\n")]) }
        let cache = OpenRepositories(capacity: 2, handlesPerRepository: 2)
        let handle = try await cache.repository(at: fixture.path)
        #expect(try await handle.resolve("main") == first)

        // A second commit, then everything repacked by git itself, with the loose objects pruned.
        let second = try await fixture.build { try $0.commit("two", [.write("b.txt", "2\n")]) }
        _ = try GitCLI.git(["repack", "-a", "-d", "-q"], in: fixture.path)
        _ = try GitCLI.git(["prune-packed"], in: fixture.path)
        for _ in 0..<4 {
            let again = try await cache.repository(at: fixture.path)
            #expect(try await again.resolve("main") == second)
            #expect(try await again.blob(at: "main", path: "b.txt") == Array("2\n".utf8))
        }
        #expect(cache.count == 1)

        // Least recently used repositories are closed beyond the capacity.
        let other = try await RepositoryFixture.make(bare: true), third = try await RepositoryFixture.make(bare: true)
        defer { other.remove(); third.remove() }
        _ = try await cache.repository(at: other.path)
        _ = try await cache.repository(at: third.path)
        #expect(cache.count == 2)
        cache.forget(third.path)
        #expect(cache.count == 1)
    }
}

@Suite struct BlameTests {
    /// The commit of each line, from hunks.
    static func lines(_ blame: Blame) -> [ObjectID] {
        blame.hunks.flatMap { hunk in Array(repeating: hunk.commit, count: hunk.lineCount) }
    }

    @Test("git's blame and libgit2's name the same commit for every line, across edits and a rename; bad paths are refused")
    func blameAgrees() async throws {
        let fixture = try await RepositoryFixture.make(bare: true)
        defer { fixture.remove() }
        let (first, second, third) = try await fixture.build { repo in
            let first = try repo.commit("one", [.write("a.txt", "1\n2\n3\n4\n5\n")])
            let second = try repo.commit("two", [.write("a.txt", "1\n2 changed\n3\n4\n5\n6\n")])
            let third = try repo.commit("three", [.delete("a.txt"), .write("b.txt", "1\n2 changed\n3\n4 again\n5\n6\n")])
            return (first, second, third)
        }
        let viaGit = try await fixture.repository.blame(at: third, path: "b.txt")
        let viaLibgit2 = try await fixture.repository.withSession { try $0.blame(at: third.hex, path: "b.txt") }
        #expect(Self.lines(viaGit) == [first, second, first, third, first, second])
        #expect(Self.lines(viaLibgit2) == Self.lines(viaGit))
        #expect(viaGit.commits[second]?.summary == "two")
        #expect(viaGit.hunks.first?.originalPath == "a.txt", "followed across the rename")
        await #expect(throws: ForgeError.self) { try await fixture.repository.blame(at: third, path: "../etc/passwd") }
        await #expect(throws: ForgeError.self) { try await fixture.repository.blame(at: third, path: "missing.txt") }
    }
}
