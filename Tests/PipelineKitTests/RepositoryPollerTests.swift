import ForgeKit
import ForgeKitTesting
import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

@Suite("RepositoryPoller on real repositories")
struct RepositoryPollerTests {
    static let zeros = String(repeating: "0", count: 40)

    @Test("the first poll records; a commit on main and a new tag give exactly two sources; no change gives none")
    func reportsMovedAndCreatedReferences() async throws {
        let upstream = try await RepositoryFixture.make(bare: true)
        defer { upstream.remove() }
        let mirrors = try RepositoryFixture.temporaryDirectory(prefix: "poller-mirrors")
        defer { try? FileManager.default.removeItem(atPath: mirrors) }
        let base = try await upstream.build { repo in try repo.commit("Base", [.write("README.md", "hello\n")]) }
        let harness = DispatchHarness(sourceClass: "poll", start: try utc("2027-01-15T08:00:00Z"))
        let poller = try RepositoryPoller(repositories: [PolledRepository(url: upstream.path, name: "acme/web")], directory: mirrors)

        #expect(await poller.poll(dispatcher: harness.dispatcher).isEmpty, "the first poll only records")
        #expect(try await harness.runs().isEmpty)

        let next = try await upstream.build { repo in
            let next = try repo.commit("Next", [.write("NEWS", "news\n")])
            try repo.tag("v1.0", at: next, message: "Version 1.0")   // annotated: the source names the commit
            return next
        }
        let sources = await poller.poll(dispatcher: harness.dispatcher)
        #expect(sources == [
            Source(sourceClass: "poll", attributes: [
                "provider": "poll", "repo": "acme/web", "clone_url": .string(upstream.path), "ref": "refs/heads/main", "branch": "main",
                "before": .string(base.hex), "after": .string(next.hex), "commit": .string(next.hex),
            ], checkout: Source.Checkout(repositoryURL: upstream.path, commit: next.hex)),
            Source(sourceClass: "poll", attributes: [
                "provider": "poll", "repo": "acme/web", "clone_url": .string(upstream.path), "ref": "refs/tags/v1.0",
                "before": .string(Self.zeros), "after": .string(next.hex), "commit": .string(next.hex),
            ], checkout: Source.Checkout(repositoryURL: upstream.path, commit: next.hex)),
        ])
        let runs = try await harness.runs()
        #expect(runs.map(\.source) == sources)
        #expect(runs.map(\.trigger) == ["poll acme/web refs/heads/main", "poll acme/web refs/tags/v1.0"])

        #expect(await poller.poll(dispatcher: harness.dispatcher).isEmpty, "nothing changed")

        // A deleted branch starts nothing and is pruned from the mirror; created again, it is new.
        try await upstream.build { repo in try repo.branch("feature", at: base) }
        #expect(await poller.poll(dispatcher: harness.dispatcher).map { $0.attributes["before"] } == [.string(Self.zeros)])
        _ = try GitCLI.git(["update-ref", "-d", "refs/heads/feature"], in: upstream.path)
        #expect(await poller.poll(dispatcher: harness.dispatcher).isEmpty)
        let mirrorNames = try FileManager.default.contentsOfDirectory(atPath: mirrors)
        try #require(mirrorNames.count == 1)
        let mirror = try await GitRepository.open(at: mirrors + "/" + mirrorNames[0])
        #expect(try await mirror.references().map(\.name) == ["refs/heads/main", "refs/tags/v1.0"])
        let again = try await upstream.build { repo in try repo.commit("Feature", on: "feature", [.write("f", "f\n")]) }
        #expect(await poller.poll(dispatcher: harness.dispatcher).map { $0.attributes["after"] } == [.string(again.hex)])
        #expect(try await harness.runs().count == 4)
    }

    @Test("polls a file:// URL every interval; a failing fetch is logged and retried without stopping the loop")
    func retriesAFailingFetch() async throws {
        let upstream = try await RepositoryFixture.make(bare: true)
        defer { upstream.remove() }
        let mirrors = try RepositoryFixture.temporaryDirectory(prefix: "poller-mirrors")
        defer { try? FileManager.default.removeItem(atPath: mirrors) }
        try await upstream.build { repo in try repo.commit("Base", [.write("README.md", "hello\n")]) }
        // The URL leads nowhere until the link is made.
        let link = upstream.root + "/link.git"
        let url = "file://" + link
        let harness = DispatchHarness(sourceClass: "poll", start: try utc("2027-01-15T08:00:00Z"))
        let poller = try RepositoryPoller(repositories: [PolledRepository(url: url, name: "acme/web")], directory: mirrors,
                                          interval: .seconds(60), clock: harness.clock)
        let loop = Task { try await poller.run(dispatcher: harness.dispatcher) }
        defer { loop.cancel() }

        await harness.clock.waitForSleepers()                                  // poll 1: the fetch failed
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: upstream.path)
        harness.clock.advance(by: .seconds(60))
        await harness.clock.waitForSleepers()                                  // poll 2: recorded
        #expect(try await harness.runs().isEmpty)

        let next = try await upstream.build { repo in try repo.commit("Next", [.write("NEWS", "news\n")]) }
        harness.clock.advance(by: .seconds(30))
        #expect(harness.clock.sleeperCount == 1, "not yet time to poll")
        harness.clock.advance(by: .seconds(30))
        await harness.clock.waitForSleepers()                                  // poll 3: main moved
        let runs = try await harness.runs()
        #expect(runs.map { $0.source.attributes["after"] } == [.string(next.hex)])
        #expect(runs.first?.source.attributes["clone_url"] == .string(url))
        #expect(runs.first?.source.checkout == Source.Checkout(repositoryURL: url, commit: next.hex))

        loop.cancel()
        let result = await loop.result
        #expect(throws: PipelineError.self) { try result.get() }
    }

    @Test("bad reference prefixes and repositories listed twice are refused")
    func validation() throws {
        for prefix in ["heads/", "refs/heads", "refs/", "refs/heads/*", "refs/../x/"] {
            #expect(throws: PipelineError.self, "\(prefix)") {
                try RepositoryPoller(repositories: [PolledRepository(url: "/srv/git/a.git", name: "a", refPrefixes: [prefix])], directory: "/tmp")
            }
        }
        let twice = PolledRepository(url: "https://user:secret@git.example.org/a.git", name: "a")
        let error = try #require(throws: PipelineError.self) {
            try RepositoryPoller(repositories: [twice, twice], directory: "/tmp")
        }
        #expect(error.code == .invalidConfiguration)
        #expect(!error.message.contains("secret"))
    }
}
