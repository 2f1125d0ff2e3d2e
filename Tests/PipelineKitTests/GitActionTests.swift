import ForgeKit
import ForgeKitTesting
import Foundation
import PipelineKit
import Testing

/// A repository with a base, a branch that merges cleanly, one that conflicts and one ahead of main.
struct PullRequestRepository: Sendable {
    let fixture: RepositoryFixture
    let main: ObjectID
    let feature: ObjectID
    let conflict: ObjectID
    let ahead: ObjectID

    static func make() async throws -> PullRequestRepository {
        let fixture = try await RepositoryFixture.make()
        let ids = try await fixture.build { repo in
            let base = try repo.commit("Base", [.write("README.md", "hello\n"), .write("app.py", "print(1)\n")])
            try repo.branch("feature", at: base)
            try repo.branch("conflict", at: base)
            let main = try repo.commit("Main work", [.write("NEWS", "news\n"), .write("main-only.txt", "main\n")])
            try repo.branch("ahead", at: main)
            let feature = try repo.commit("Feature work", on: "feature", [.write("feature.py", "print(2)\n")])
            let conflict = try repo.commit("Conflicting work", on: "conflict", [.write("NEWS", "other news\n")])
            let ahead = try repo.commit("Ahead", on: "ahead", [.write("later.txt", "later\n")])
            try repo.setHead("main")
            return [main, feature, conflict, ahead]
        }
        return PullRequestRepository(fixture: fixture, main: ids[0], feature: ids[1], conflict: ids[2], ahead: ids[3])
    }

    func source(commit: ObjectID, attributes: [String: Value] = [:]) -> Source {
        Source(sourceClass: "pull_request", attributes: attributes.merging(["repo": "acme/web", "number": 7]) { given, _ in given },
               checkout: Source.Checkout(repositoryURL: fixture.path, commit: commit.hex))
    }
}

@Suite("Workspace files and the mergeable action, on real repositories")
struct GitActionTests {
    @Test("files() makes src a clean working copy on the source's branch, once for concurrent callers")
    func filesOfABranch() async throws {
        let repository = try await PullRequestRepository.make()
        defer { repository.fixture.remove() }
        let harness = try ActionHarness(source: repository.source(commit: repository.feature, attributes: ["branch": "feature"]))
        defer { harness.remove() }
        async let first = harness.workspace.files()
        async let second = harness.workspace.files()
        let (a, b) = try await (first, second)
        #expect(a == harness.workspace.directory + "/src")
        #expect(a == b)
        #expect(try FileManager.default.contentsOfDirectory(atPath: a).sorted() == [".git", "README.md", "app.py", "feature.py"])
        #expect(try String(contentsOfFile: a + "/.git/HEAD", encoding: .utf8) == "ref: refs/heads/feature\n")
        #expect(try GitCLI.git(["rev-parse", "HEAD"], in: a).text == repository.feature.hex + "\n")
        #expect(try GitCLI.git(["status", "--porcelain"], in: a).text.isEmpty)
        #expect(try GitCLI.git(["rev-parse", "origin/main"], in: a).text == repository.main.hex + "\n")
        #expect(try await harness.workspace.files() == a)
    }

    @Test("the default branch's tip is checked out on it; a commit at no branch's tip on a new branch")
    func filesOfOtherCommits() async throws {
        let repository = try await PullRequestRepository.make()
        defer { repository.fixture.remove() }
        let tip = try ActionHarness(source: repository.source(commit: repository.main))
        defer { tip.remove() }
        let src = try await tip.workspace.files()
        #expect(try String(contentsOfFile: src + "/.git/HEAD", encoding: .utf8) == "ref: refs/heads/main\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: src).sorted() == [".git", "NEWS", "README.md", "app.py", "main-only.txt"])

        let base = try await repository.fixture.repository.commit("main~1").id
        let old = try ActionHarness(source: repository.source(commit: base, attributes: ["branch": "main"]))
        defer { old.remove() }
        let oldSrc = try await old.workspace.files()
        #expect(try String(contentsOfFile: oldSrc + "/.git/HEAD", encoding: .utf8) == "ref: refs/heads/forgeworks-checkout\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: oldSrc).sorted() == [".git", "README.md", "app.py"])
        #expect(try GitCLI.git(["status", "--porcelain"], in: oldSrc).text.isEmpty)
    }

    @Test("shell acquires the files first and runs in them")
    func shellInCheckout() async throws {
        let repository = try await PullRequestRepository.make()
        defer { repository.fixture.remove() }
        let harness = try ActionHarness(source: repository.source(commit: repository.feature))
        defer { harness.remove() }
        let result = try await ShellAction().run(harness.context(["command": "pwd; cat feature.py"]))
        #expect(result["output"] == .string(harness.workspace.directory + "/src\nprint(2)\n"))
    }

    @Test("a source without files, or whose repository cannot be reached, fails with the URL's credentials masked")
    func filesErrors() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let none = await caughtError { _ = try await harness.workspace.files() }
        #expect(none?.code == .invalidEvent)

        let unreachable = Source(sourceClass: "push", attributes: [:], checkout: Source.Checkout(
            repositoryURL: "http://builder:s3cr3t-t0ken@127.0.0.1:1/acme/web.git", commit: String(repeating: "a", count: 40)))
        // A payload's URL on loopback is refused by the outbound policy, credentials masked.
        let other = try ActionHarness(source: unreachable)
        defer { other.remove() }
        let refused = await caughtError { _ = try await other.workspace.files() }
        #expect(refused?.code == .invalidEvent)
        #expect(refused?.message.contains("http://***@127.0.0.1:1/acme/web.git") == true)
        #expect(refused?.message.contains("loopback") == true)
        #expect(refused?.description.contains("s3cr3t") == false)
        // Allowed, it is fetched (through the policy's proxy) and fails to connect.
        let allowed = try ActionHarness(source: unreachable, outbound: try OutboundPolicy(allowing: ["127.0.0.1"]))
        defer { allowed.remove() }
        let error = await caughtError { _ = try await allowed.workspace.files() }
        #expect(error?.code == .io)
        #expect(error?.message.contains("http://***@127.0.0.1:1/acme/web.git") == true)
        #expect(error?.description.contains("s3cr3t") == false)
    }

    @Test("mergeable: clean, conflicting, fast-forward and up-to-date heads of a local repository")
    func mergeableVerdicts() async throws {
        let repository = try await PullRequestRepository.make()
        defer { repository.fixture.remove() }
        let harness = try ActionHarness()
        defer { harness.remove() }
        func check(_ head: String) async throws -> Value {
            try await MergeableAction().run(harness.context(["repository": .string(repository.fixture.path), "base": "main", "head": .string(head)]))
        }
        #expect(try await check("feature") == ["ok": true, "mergeable": true, "conflicts": [], "state": "clean"])
        #expect(try await check("conflict") == ["ok": false, "mergeable": false, "conflicts": ["NEWS"], "state": "conflict"])
        #expect(try await check("ahead") == ["ok": true, "mergeable": true, "conflicts": [], "state": "fast_forward"])
        #expect(try await check(repository.main.hex) == ["ok": true, "mergeable": true, "conflicts": [], "state": "up_to_date"])
        let missing = await caughtError { _ = try await check("no-such-branch") }
        #expect(missing?.code == .notFound)
    }

    @Test("mergeable on the source's clone, with base and head from its base_branch and branch attributes")
    func mergeableFromSource() async throws {
        let repository = try await PullRequestRepository.make()
        defer { repository.fixture.remove() }
        let clean = try ActionHarness(source: repository.source(commit: repository.feature,
                                                               attributes: ["base_branch": "main", "branch": "feature"]))
        defer { clean.remove() }
        #expect(try await MergeableAction().run(clean.context())["state"] == "clean")

        let conflicting = try ActionHarness(source: repository.source(commit: repository.conflict, attributes: [
            "base_commit": .string(repository.main.hex), "commit": .string(repository.conflict.hex)]))
        defer { conflicting.remove() }
        let verdict = try await MergeableAction().run(conflicting.context())
        #expect(verdict["conflicts"] == ["NEWS"])
        #expect(!verdict.isTruthy)
    }
}
