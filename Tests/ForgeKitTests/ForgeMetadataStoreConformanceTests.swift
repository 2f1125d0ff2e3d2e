import ForgeKit
import ForgeKitPostgres
import Foundation
import Testing

/// The metadata stores every conformance test runs against: SQLite, and PostgreSQL when
/// `TEST_POSTGRES_URL` names a server (`make test` starts one); without it the PostgreSQL case is
/// skipped, saying why.
enum MetadataStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// A new, empty store: a file of its own, or a schema of its own in the test server's database.
    func make() async throws -> any ForgeMetadataStore {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("forge-metadata-\(UUID().uuidString)").path
            return try SQLiteForgeStore(path: folder + "/forge.sqlite")
        case .postgresql:
            guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
                try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
            }
            let schema = "f_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            return try await PostgresForgeStore(url: url, schema: schema, maximumConnections: 8)
        }
    }
}

private func code(of body: () async throws -> some Any) async -> ForgeError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as ForgeError {
        return error.code
    } catch {
        return nil
    }
}

private func commit(_ n: Int) -> String { String(repeating: String(n % 10), count: 40) }
private func oid(_ n: Int) -> ObjectID { ObjectID(hex: commit(n))! }

/// What every ``ForgeMetadataStore`` must do, run against each implementation: the same answers,
/// the same refusals (with the same error codes), the same order.
@Suite("Forge metadata store conformance (SQLite, PostgreSQL): accounts, namespaces, permissions, webhooks, pull requests, statuses, outboxes")
struct ForgeMetadataStoreConformanceTests {
    @Test("Users and tokens: names unique without regard to case, scopes, revocation, deletion", arguments: MetadataStoreKind.allCases)
    func usersAndTokens(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let bob = try await store.createUser(name: "bob", email: "b@example.com", passwordHash: "hash-b", isAdmin: false)
        let alice = try await store.createUser(name: "Alice", email: "a@example.com", passwordHash: nil, isAdmin: true)
        #expect(await code { try await store.createUser(name: "BOB", email: "", passwordHash: nil, isAdmin: false) } == .conflict)
        #expect(await code { try await store.createUser(name: "-bad", email: "", passwordHash: nil, isAdmin: false) } == .invalidArgument)
        #expect(try await store.user(named: "ALICE")?.id == alice.id)
        #expect(try await store.users().map(\.name) == ["Alice", "bob"])
        #expect(try await store.credentials(named: "Bob")?.passwordHash == "hash-b")
        try await store.setPasswordHash(userID: bob.id, "hash-2")
        #expect(try await store.credentials(named: "bob")?.passwordHash == "hash-2")
        var changed = bob
        changed.email = "new@example.com"
        changed.isActive = false
        try await store.updateUser(changed)
        #expect(try await store.user(id: bob.id) == changed)
        #expect(await code { try await store.setPasswordHash(userID: 999_999, nil) } == .notFound)

        let token = try await store.createToken(userID: alice.id, name: "ci", digest: "digest-1", scope: .write)
        #expect(await code { try await store.createToken(userID: alice.id, name: "", digest: "digest-x", scope: .read) } == .invalidArgument)
        #expect(await code { try await store.createToken(userID: bob.id, name: "dup", digest: "digest-1", scope: .read) } == .conflict)
        let authenticated = try await store.user(tokenDigest: "digest-1")
        #expect(authenticated?.id == alice.id)
        #expect(authenticated?.tokenScope == .write)
        #expect(try await store.tokens(userID: alice.id).first?.lastUsedAt != nil, "use is recorded")
        #expect(try await store.user(tokenDigest: "unknown") == nil)
        #expect(await code { try await store.deleteToken(id: token.id, userID: bob.id) } == .notFound, "only the owner revokes")
        try await store.deleteToken(id: token.id, userID: alice.id)
        #expect(try await store.user(tokenDigest: "digest-1") == nil)

        _ = try await store.createToken(userID: bob.id, name: "gone", digest: "digest-2", scope: .read)
        try await store.deleteUser(id: bob.id)
        #expect(try await store.user(tokenDigest: "digest-2") == nil, "a deleted user's tokens go with them")
        #expect(await code { try await store.deleteUser(id: bob.id) } == .notFound)
    }

    @Test("Groups and repositories share one namespace without regard to case; groups are made on the way; only empty groups go",
          arguments: MetadataStoreKind.allCases)
    func namespaces(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let owner = try await store.createUser(name: "owner", email: "", passwordHash: nil, isAdmin: false)
        let app = try await store.insertRepository(path: try RepositoryPath("team/web/app"), kind: .git, isPrivate: true, description: "d",
                                                   ownerID: owner.id, forkOf: nil)
        #expect(try await store.groups().map(\.path.description) == ["team", "team/web"])
        #expect(await code { try await store.insertRepository(path: try RepositoryPath("TEAM/web/APP"), kind: .git, isPrivate: false,
                                                              description: "", ownerID: nil, forkOf: nil) } == .conflict)
        #expect(await code { try await store.insertRepository(path: try RepositoryPath("Team"), kind: .hg, isPrivate: false,
                                                              description: "", ownerID: nil, forkOf: nil) } == .conflict)
        #expect(await code { try await store.createGroup(try RepositoryPath("team/web/app"), description: "") } == .conflict)
        #expect(await code { try await store.createGroup(try RepositoryPath("team/web/app/inner"), description: "") } == .conflict)
        #expect(await code { try await store.createGroup(try RepositoryPath("TEAM"), description: "") } == .conflict)
        let fork = try await store.insertRepository(path: try RepositoryPath("owner/app"), kind: .git, isPrivate: false, description: "",
                                                    ownerID: owner.id, forkOf: app.id)
        #expect(try await store.repository(try RepositoryPath("Team/Web/App"))?.id == app.id)
        #expect(try await store.repository(id: fork.id)?.forkOf == app.id)
        #expect(try await store.repositories().map(\.path.description) == ["owner/app", "team/web/app"])

        // `_` in a name is not a LIKE wildcard: a_b is empty although axb holds a repository.
        _ = try await store.createGroup(try RepositoryPath("a_b"), description: "underscore")
        _ = try await store.insertRepository(path: try RepositoryPath("axb/x"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        try await store.deleteGroup(try RepositoryPath("a_b"))
        #expect(await code { try await store.deleteGroup(try RepositoryPath("Team")) } == .conflict, "not empty, whatever the case")
        #expect(await code { try await store.deleteGroup(try RepositoryPath("nowhere")) } == .notFound)

        var record = app
        record.description = "changed"
        record.isPrivate = false
        record.allowedNetworks = [try CIDR("10.0.0.0/8"), try CIDR("192.168.1.0/24")]
        try await store.updateRepository(record)
        try await store.setPipelineNetwork(repositoryID: app.id, .host)
        let read = try await store.repository(id: app.id)
        #expect(read?.description == "changed")
        #expect(read?.allowedNetworks == record.allowedNetworks)
        #expect(read?.pipelineNetwork == .host)

        let renamed = try await store.renameRepository(id: app.id, to: try RepositoryPath("other/app"))
        #expect(renamed.path.description == "other/app")
        #expect(try await store.group(try RepositoryPath("other")) != nil)
        _ = try await store.renameRepository(id: app.id, to: try RepositoryPath("other/App"))
        #expect(await code { try await store.renameRepository(id: app.id, to: try RepositoryPath("owner/app")) } == .conflict)
        try await store.deleteRepository(id: fork.id)
        #expect(try await store.repository(id: fork.id) == nil)
        #expect(await code { try await store.deleteRepository(id: fork.id) } == .notFound)
    }

    @Test("Permissions on repositories and groups give the same facts one at a time and in listings", arguments: MetadataStoreKind.allCases)
    func permissions(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let carol = try await store.createUser(name: "carol", email: "", passwordHash: nil, isAdmin: false)
        let dave = try await store.createUser(name: "dave", email: "", passwordHash: nil, isAdmin: false)
        let path = try RepositoryPath("org/sub/tool")
        _ = try await store.insertRepository(path: path, kind: .git, isPrivate: true, description: "", ownerID: nil, forkOf: nil)
        _ = try await store.insertRepository(path: try RepositoryPath("elsewhere"), kind: .git, isPrivate: true, description: "", ownerID: nil, forkOf: nil)
        try await store.setPermission(userID: carol.id, on: .group(try RepositoryPath("ORG")), level: .read)
        try await store.setPermission(userID: carol.id, on: .group(try RepositoryPath("org/sub")), level: .admin)
        try await store.setPermission(userID: dave.id, on: .repository(path), level: .write)
        try await store.setPermission(userID: dave.id, on: .repository(path), level: .read)
        #expect(await code { try await store.setPermission(userID: carol.id, on: .group(try RepositoryPath("none")), level: .read) } == .notFound)
        #expect(await code { try await store.setPermission(userID: 424_242, on: .repository(path), level: .read) } == .notFound)

        let facts = try #require(try await store.permissionFacts(repository: path, userID: carol.id))
        #expect(facts.groupLevels == [.read, .admin])
        #expect(facts.repositoryLevel == nil)
        let daves = try #require(try await store.permissionFacts(repository: try RepositoryPath("Org/Sub/Tool"), userID: dave.id))
        #expect(daves.repositoryLevel == .read)
        #expect(try await store.permissions(on: .repository(path)).map { [$0.user.name, "\($0.level)"] } == [["dave", "\(AccessLevel.read)"]])
        let listing = try await store.permissionFacts(userID: carol.id)
        #expect(listing.map(\.repository.path.description) == ["elsewhere", "org/sub/tool"])
        #expect(listing.last?.groupLevels == facts.groupLevels)
        #expect(try await store.permissionFacts(userID: nil).allSatisfy { $0.user == nil })
        #expect(try await store.permissionFacts(repository: try RepositoryPath("missing"), userID: carol.id) == nil)

        try await store.setPermission(userID: dave.id, on: .repository(path), level: nil)
        #expect(try await store.permissions(on: .repository(path)).isEmpty)
        try await store.deleteUser(id: carol.id)
        #expect(try await store.permissions(on: .group(try RepositoryPath("org/sub"))).isEmpty)
    }

    @Test("Secrets and webhooks: checked values, idempotent deliveries, due order, attempts", arguments: MetadataStoreKind.allCases)
    func secretsAndWebhooks(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let repository = try await store.insertRepository(path: try RepositoryPath("hooked"), kind: .git, isPrivate: false, description: "",
                                                          ownerID: nil, forkOf: nil)
        try await store.setSecret(repositoryID: repository.id, name: "TOKEN", value: "one")
        try await store.setSecret(repositoryID: repository.id, name: "TOKEN", value: "two")
        try await store.setSecret(repositoryID: repository.id, name: "API_KEY", value: "k")
        #expect(await code { try await store.setSecret(repositoryID: repository.id, name: "BAD", value: "a\u{0}b") } == .invalidArgument)
        #expect(await code { try await store.setSecret(repositoryID: 999_999, name: "X", value: "x") } == .notFound)
        #expect(try await store.secrets(repositoryID: repository.id).map(\.name) == ["API_KEY", "TOKEN"])
        #expect(try await store.secretValues(repositoryID: repository.id) == ["TOKEN": "two", "API_KEY": "k"])
        try await store.deleteSecret(repositoryID: repository.id, name: "API_KEY")
        #expect(await code { try await store.deleteSecret(repositoryID: repository.id, name: "API_KEY") } == .notFound)

        #expect(await code { try await store.createWebhook(repositoryID: repository.id, url: "ftp://example.com/", secret: nil) } == .invalidArgument)
        #expect(await code { try await store.createWebhook(repositoryID: repository.id, url: "https://example.com/", secret: "") } == .invalidArgument)
        let hook = try await store.createWebhook(repositoryID: repository.id, url: "https://example.com/hook", secret: "s3cret")
        let quiet = try await store.createWebhook(repositoryID: repository.id, url: "https://example.org/hook", secret: nil)
        var off = quiet
        off.isActive = false
        try await store.updateWebhook(off)
        #expect(try await store.webhooks(repositoryID: repository.id) == [hook, off])

        let payload = Array("{\"a\":1}\u{0}".utf8)
        let first = try #require(try await store.enqueueDelivery(webhookID: hook.id, event: "push", payload: payload, guid: "g-1"))
        #expect(try await store.enqueueDelivery(webhookID: hook.id, event: "push", payload: [], guid: "g-1") == nil, "queueing is idempotent")
        _ = try await store.enqueueDelivery(webhookID: quiet.id, event: "push", payload: [], guid: "g-1")
        let second = try #require(try await store.enqueueDelivery(webhookID: hook.id, event: "pull_request", payload: [1, 2], guid: nil))
        let due = try await store.dueDeliveries(now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.map(\.0.id) == [first.id, second.id], "an inactive webhook's deliveries wait")
        #expect(due.first?.0.payload == payload)
        #expect(due.first?.1 == hook)

        try await store.recordAttempt(deliveryID: first.id, status: 500, error: "server error", delivered: false, retryAt: Date().addingTimeInterval(3600))
        try await store.recordAttempt(deliveryID: second.id, status: 200, error: nil, delivered: true, retryAt: nil)
        #expect(try await store.dueDeliveries(now: Date().addingTimeInterval(1), limit: 10).isEmpty)
        let log = try await store.deliveries(webhookID: hook.id, limit: 10)
        #expect(log.map(\.state) == [.delivered, .pending])
        #expect(log.last?.attempts == 1)
        #expect(log.last?.responseStatus == 500)
        #expect(log.last?.lastError == "server error")
        #expect(log.first?.deliveredAt != nil)
        try await store.deleteWebhook(id: hook.id)
        #expect(try await store.deliveries(webhookID: hook.id, limit: 10).isEmpty)
    }

    @Test("Pull requests: numbered per repository, one open per head and base, edits and merges recorded as events in order",
          arguments: MetadataStoreKind.allCases)
    func pullRequests(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let author = try await store.createUser(name: "author", email: "", passwordHash: nil, isAdmin: false)
        let merger = try await store.createUser(name: "merger", email: "", passwordHash: nil, isAdmin: false)
        let one = try await store.insertRepository(path: try RepositoryPath("one"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        let two = try await store.insertRepository(path: try RepositoryPath("two"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        func new(_ head: String, _ title: String = "Change") -> NewPullRequest {
            NewPullRequest(title: title, body: "**why**", headBranch: head, baseBranch: "main", headCommit: commit(1), baseCommit: commit(2))
        }
        let first = try await store.createPullRequest(repositoryID: one.id, new("feature"), authorID: author.id)
        let second = try await store.createPullRequest(repositoryID: one.id, new("fix"), authorID: nil)
        let elsewhere = try await store.createPullRequest(repositoryID: two.id, new("feature"), authorID: author.id)
        #expect([first.number, second.number, elsewhere.number] == [1, 2, 1])
        #expect(first.author?.name == "author")
        #expect(second.author == nil)
        #expect(await code { try await store.createPullRequest(repositoryID: one.id, new("feature"), authorID: nil) } == .conflict)
        #expect(await code { try await store.createPullRequest(repositoryID: one.id, new("feature", ""), authorID: nil) } == .invalidArgument)
        #expect(await code { try await store.createPullRequest(repositoryID: 999_999, new("x"), authorID: nil) } == .notFound)

        let closed = try await store.updatePullRequest(id: second.id, title: "Fix it", body: "", state: .closed, headCommit: commit(3), actorID: author.id)
        #expect(closed.state == .closed)
        #expect(closed.title == "Fix it")
        _ = try await store.updatePullRequest(id: second.id, title: "Fix it", body: "", state: .open, headCommit: commit(3), actorID: author.id)
        _ = try await store.updatePullRequest(id: second.id, title: "Fix it again", body: "b", state: .open, headCommit: commit(3), actorID: nil)
        #expect(await code { try await store.updatePullRequest(id: second.id, title: "x", body: "", state: .merged, headCommit: commit(3), actorID: nil) }
                == .invalidArgument)

        #expect(try await store.recordPullRequestHeads(repositoryID: one.id, branch: "feature", commit: commit(4)) == 1)
        #expect(try await store.recordPullRequestHeads(repositoryID: one.id, branch: "feature", commit: commit(4)) == 0, "the same head again is no change")
        let merged = try await store.markPullRequestMerged(id: first.id, mergeCommit: commit(5), headCommit: commit(4), mergedByID: merger.id)
        #expect(merged.state == .merged)
        #expect(merged.mergedBy?.name == "merger")
        #expect(merged.mergeCommit == commit(5))
        #expect(merged.mergedAt != nil)
        #expect(await code { try await store.markPullRequestMerged(id: first.id, mergeCommit: commit(5), headCommit: commit(4), mergedByID: nil) } == .conflict)
        #expect(await code { try await store.updatePullRequest(id: first.id, title: "x", body: "", state: .open, headCommit: commit(4), actorID: nil) } == .conflict)

        #expect(try await store.pullRequests(repositoryID: one.id, states: [.open], limit: 10, offset: 0).map(\.number) == [2])
        #expect(try await store.pullRequests(repositoryID: one.id, states: nil, limit: 10, offset: 0).map(\.number) == [2, 1])
        #expect(try await store.pullRequests(repositoryID: one.id, states: [.closed, .merged], limit: 1, offset: 0).map(\.number) == [1])
        #expect(try await store.pullRequestCount(repositoryID: one.id, states: [.open, .merged]) == 2)
        #expect(try await store.pullRequestCount(repositoryID: two.id, states: [.merged]) == 0)
        #expect(try await store.pullRequest(repositoryID: one.id, number: 2)?.id == second.id)
        #expect(try await store.pullRequest(id: elsewhere.id)?.repositoryID == two.id)

        let events = try await store.pullEvents(after: 0, limit: 100)
        #expect(events.map { "\($0.pullID):\($0.action)" } == [
            "\(first.id):opened", "\(second.id):opened", "\(elsewhere.id):opened", "\(second.id):closed", "\(second.id):reopened",
            "\(second.id):edited", "\(first.id):synchronize", "\(first.id):merged",
        ])
        #expect(events.map(\.id) == events.map(\.id).sorted())
        #expect(try await store.pullEvents(after: events[5].id, limit: 1).map(\.id) == [events[6].id])

        // From a fork: the same branch name is another head; the fork's branch moving moves only its pull requests.
        let fork = try await store.insertRepository(path: try RepositoryPath("forks/one"), kind: .git, isPrivate: false, description: "",
                                                    ownerID: author.id, forkOf: one.id)
        var fromFork = new("fix")
        fromFork.headRepositoryID = fork.id
        let forked = try await store.createPullRequest(repositoryID: one.id, fromFork, authorID: author.id)
        #expect(forked.headRepositoryID == fork.id && forked.isFromFork && forked.headReference == "refs/pull/3/head")
        #expect(try await store.pullRequest(id: second.id)?.headRepositoryID == nil)
        #expect(await code { try await store.createPullRequest(repositoryID: one.id, fromFork, authorID: nil) } == .conflict)
        #expect(try await store.openPullRequests(headRepositoryID: fork.id, branch: "fix").map(\.id) == [forked.id])
        #expect(try await store.openPullRequests(headRepositoryID: one.id, branch: "fix").map(\.id) == [second.id])
        #expect(try await store.recordPullRequestHeads(repositoryID: fork.id, branch: "fix", commit: commit(6)) == 1)
        #expect(try await store.pullRequest(id: forked.id)?.headCommit == commit(6))
        #expect(try await store.pullRequest(id: second.id)?.headCommit == commit(3), "the base's own branch of that name did not move")
        _ = try await store.updatePullRequest(id: forked.id, title: "x", body: "", state: .closed, headCommit: commit(6), actorID: nil)
        #expect(try await store.openPullRequests(headRepositoryID: fork.id, branch: "fix").isEmpty)

        let toDispatch = try await store.pullRequestsToDispatch(limit: 10)
        #expect(toDispatch.map(\.pull.id) == [second.id, elsewhere.id])
        #expect(toDispatch.allSatisfy { $0.dispatched == nil })
        try await store.markPullRequestDispatched(id: second.id, commit: commit(3))
        #expect(try await store.pullRequestsToDispatch(limit: 10).map(\.pull.id) == [elsewhere.id])
    }

    @Test("Reviews, line comments and review requests", arguments: MetadataStoreKind.allCases)
    func reviews(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let author = try await store.createUser(name: "author", email: "", passwordHash: nil, isAdmin: false)
        let reviewer = try await store.createUser(name: "reviewer", email: "", passwordHash: nil, isAdmin: false)
        let other = try await store.createUser(name: "other", email: "", passwordHash: nil, isAdmin: false)
        let repository = try await store.insertRepository(path: try RepositoryPath("r"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        let pull = try await store.createPullRequest(repositoryID: repository.id, NewPullRequest(title: "t", body: "", headBranch: "h", baseBranch: "main",
                                                                                                   headCommit: commit(1), baseCommit: commit(2)), authorID: author.id)
        try await store.setReviewRequests(pullID: pull.id, userIDs: [reviewer.id, other.id, reviewer.id])
        #expect(try await store.reviewRequests(pullID: pull.id).map(\.name) == ["other", "reviewer"])
        let note = try await store.addPullComment(pullID: pull.id, NewPullComment(body: "looks fine", commit: commit(1)), authorID: other.id, reviewID: nil)
        #expect(note.author?.name == "other")
        #expect(await code { try await store.addPullComment(pullID: pull.id, NewPullComment(body: "", commit: commit(1)), authorID: nil, reviewID: nil) }
                == .invalidArgument)
        #expect(await code { try await store.addPullComment(pullID: 999_999, NewPullComment(body: "x", commit: commit(1)), authorID: nil, reviewID: nil) }
                == .notFound)
        let review = try await store.addPullReview(pullID: pull.id, state: .changesRequested, body: "please", commit: commit(1), authorID: reviewer.id,
                                                   comments: [NewPullComment(body: "typo", path: "src/a.swift", line: 12, commit: commit(1))])
        #expect(review.state == .changesRequested)
        #expect(review.author?.name == "reviewer")
        #expect(await code { try await store.addPullReview(pullID: pull.id, state: .approved, body: "", commit: "abc", authorID: reviewer.id,
                                                           comments: []) } == .invalidArgument)
        #expect(try await store.reviewRequests(pullID: pull.id).map(\.name) == ["other"], "a review answers its request")
        let comments = try await store.pullComments(pullID: pull.id)
        #expect(comments.map(\.body) == ["looks fine", "typo"])
        #expect(comments.last?.path == "src/a.swift")
        #expect(comments.last?.line == 12)
        #expect(comments.last?.reviewID == review.id)
        #expect(try await store.pullReviews(pullID: pull.id).map(\.id) == [review.id])
        let events = try await store.pullEvents(after: 0, limit: 10)
        #expect(events.map(\.action) == ["opened", "commented", "reviewed"])
        #expect(events.map(\.subjectID) == [nil, note.id, review.id], "a comment's and a review's events name them")
        try await store.deleteUser(id: reviewer.id)
        #expect(try await store.pullReviews(pullID: pull.id).first?.author == nil, "a deleted user's review stays, without its author")
    }

    @Test("Branch rules and commit statuses: newest per context, per run, pending runs", arguments: MetadataStoreKind.allCases)
    func rulesAndStatuses(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "ci", email: "", passwordHash: nil, isAdmin: false)
        let repository = try await store.insertRepository(path: try RepositoryPath("s"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        let rule = BranchProtection(pattern: "release/*", directPush: .none, statusChecks: ["forge/*"], requiredApprovals: 2)
        try await store.saveBranchProtection(repositoryID: repository.id, rule)
        try await store.saveBranchProtection(repositoryID: repository.id, BranchProtection(pattern: "main"))
        var changed = rule
        changed.requiredApprovals = 1
        try await store.saveBranchProtection(repositoryID: repository.id, changed)
        #expect(try await store.branchProtections(repositoryID: repository.id) == [BranchProtection(pattern: "main"), changed])
        #expect(await code { try await store.saveBranchProtection(repositoryID: 999_999, BranchProtection(pattern: "x")) } == .notFound)
        try await store.deleteBranchProtection(repositoryID: repository.id, pattern: "main")
        #expect(await code { try await store.deleteBranchProtection(repositoryID: repository.id, pattern: "main") } == .notFound)

        _ = try await store.createCommitStatus(repositoryID: repository.id, commit: commit(1), NewCommitStatus(state: .pending, context: "forge/lint"),
                                               creatorID: nil, runID: 7)
        let lint = try await store.createCommitStatus(repositoryID: repository.id, commit: commit(1),
                                                      NewCommitStatus(state: .failure, context: "forge/lint", description: "E501", targetURL: ""),
                                                      creatorID: nil, runID: 7)
        #expect(lint.targetURL == nil)
        let build = try await store.createCommitStatus(repositoryID: repository.id, commit: commit(1),
                                                       NewCommitStatus(state: .success, context: "build", targetURL: "https://ci.example/1"),
                                                       creatorID: user.id, runID: nil)
        #expect(build.creator?.name == "ci")
        _ = try await store.createCommitStatus(repositoryID: repository.id, commit: commit(2), NewCommitStatus(state: .pending, context: "forge/test"),
                                               creatorID: nil, runID: 8)
        #expect(await code { try await store.createCommitStatus(repositoryID: repository.id, commit: "abc123", NewCommitStatus(state: .success),
                                                                creatorID: nil, runID: nil) } == .invalidArgument)
        #expect(await code { try await store.createCommitStatus(repositoryID: repository.id, commit: commit(1),
                                                                NewCommitStatus(state: .success, targetURL: "javascript:alert(1)"),
                                                                creatorID: nil, runID: nil) } == .invalidArgument)
        #expect(await code { try await store.createCommitStatus(repositoryID: 999_999, commit: commit(1), NewCommitStatus(state: .success),
                                                                creatorID: nil, runID: nil) } == .notFound)

        #expect(try await store.commitStatusCount(repositoryID: repository.id, commit: commit(1)) == 3)
        #expect(try await store.commitStatuses(repositoryID: repository.id, commit: commit(1), limit: 2, offset: 0).map(\.id) == [build.id, lint.id])
        let latest = try await store.latestCommitStatuses(repositoryID: repository.id, commits: [commit(1), commit(2), commit(3), "short"])
        #expect(latest[commit(1)]?.map(\.context) == ["build", "forge/lint"])
        #expect(latest[commit(1)]?.map(\.state) == [.success, .failure])
        #expect(latest[commit(2)]?.count == 1)
        #expect(latest[commit(3)] == nil)
        #expect(try await store.runStatuses(runIDs: [7, 8, 9]) == [7: .failure, 8: .pending])
        #expect(try await store.pendingRunStatuses(limit: 10).map(\.runID) == [8])
    }

    @Test("The push outbox keeps any reference name, skips deleted repositories, and its cursors never go back", arguments: MetadataStoreKind.allCases)
    func pushOutbox(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let kept = try await store.insertRepository(path: try RepositoryPath("kept"), kind: .hg, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        let gone = try await store.insertRepository(path: try RepositoryPath("gone"), kind: .git, isPrivate: false, description: "", ownerID: nil, forkOf: nil)
        let odd = "refs/bookmarks/a b\n100%\u{7}"
        let date = Date(timeIntervalSince1970: 1_700_000_000.5)
        let first = try await store.recordPush(PushEvent(repository: kept, pusher: "alice",
                                                         updates: [ReferenceUpdate(name: odd, old: .zero, new: oid(1)),
                                                                   ReferenceUpdate(name: "refs/heads/main", old: oid(2), new: oid(3))], date: date))
        _ = try await store.recordPush(PushEvent(repository: gone, pusher: nil, updates: [ReferenceUpdate(name: "refs/heads/x", old: .zero, new: oid(4))],
                                                 date: date))
        let third = try await store.recordPush(PushEvent(repository: kept, pusher: nil, updates: [ReferenceUpdate(name: "refs/tags/v1", old: oid(5), new: .zero)],
                                                         date: date))
        try await store.deleteRepository(id: gone.id)
        let pushes = try await store.pushes(after: 0, limit: 10)
        #expect(pushes.map(\.id) == [first, third])
        #expect(pushes.first?.event.updates.first?.name == odd)
        #expect(pushes.first?.event.updates.last == ReferenceUpdate(name: "refs/heads/main", old: oid(2), new: oid(3)))
        #expect(pushes.first?.event.pusher == "alice")
        #expect(pushes.first?.event.date == date)
        #expect(pushes.first?.event.repository == kept)
        #expect(try await store.pushes(after: first, limit: 10).map(\.id) == [third])

        #expect(try await store.pushCursor(consumer: "webhooks") == 0)
        try await store.setPushCursor(consumer: "webhooks", to: third)
        try await store.setPushCursor(consumer: "webhooks", to: first)
        #expect(try await store.pushCursor(consumer: "webhooks") == third, "a cursor never goes back")
        #expect(try await store.pushCursor(consumer: "pipelines") == 0)
    }

    @Test("Sessions end when they expire, when signed out, and for deactivated users", arguments: MetadataStoreKind.allCases)
    func sessions(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        var user = try await store.createUser(name: "web", email: "", passwordHash: nil, isAdmin: false)
        let now = Date()
        try await store.createSession(digest: "live", userID: user.id, csrfToken: "csrf-1", expiresAt: now.addingTimeInterval(3600))
        try await store.createSession(digest: "old", userID: user.id, csrfToken: "csrf-2", expiresAt: now.addingTimeInterval(-1))
        #expect(try await store.session(digest: "live", now: now)?.csrfToken == "csrf-1")
        #expect(try await store.session(digest: "old", now: now) == nil)
        user.isActive = false
        try await store.updateUser(user)
        #expect(try await store.session(digest: "live", now: now) == nil)
        user.isActive = true
        try await store.updateUser(user)
        try await store.deleteSession(digest: "live", now: now)
        #expect(try await store.session(digest: "live", now: now) == nil)
        #expect(await code { try await store.createSession(digest: "x", userID: 999_999, csrfToken: "c", expiresAt: now) } == .conflict)
    }

    @Test("Under concurrency: pull requests get every number once, and a reader following the outboxes by id misses nothing",
          arguments: MetadataStoreKind.allCases)
    func concurrency(kind: MetadataStoreKind) async throws {
        let store = try await kind.make()
        let repository = try await store.insertRepository(path: try RepositoryPath("busy"), kind: .git, isPrivate: false, description: "",
                                                          ownerID: nil, forkOf: nil)
        let writers = 8, each = 20
        // A reader follows the push outbox by id while eight writers record pushes and open pull requests.
        // It stops when it has seen them all, or a minute after it started (a push it skipped is never seen).
        let reader = Task {
            var cursor: Int64 = 0
            var seen: [Int64] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while seen.count < writers * each, ContinuousClock.now < deadline {
                let batch = try await store.pushes(after: cursor, limit: 7)
                guard let last = batch.last else { await Task.yield(); continue }
                seen += batch.map(\.id)
                cursor = last.id
            }
            return seen
        }
        let numbers = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var numbers: [Int64] = []
                    for n in 0..<each {
                        _ = try await store.recordPush(PushEvent(repository: repository, pusher: "w\(writer)",
                                                                 updates: [ReferenceUpdate(name: "refs/heads/w\(writer)-\(n)", old: .zero, new: oid(n))],
                                                                 date: Date()))
                        let pull = try await store.createPullRequest(repositoryID: repository.id,
                                                                     NewPullRequest(title: "w\(writer) \(n)", body: "", headBranch: "w\(writer)-\(n)",
                                                                                    baseBranch: "main", headCommit: commit(n), baseCommit: commit(0)),
                                                                     authorID: nil)
                        numbers.append(pull.number)
                    }
                    return numbers
                }
            }
            var all: [Int64] = []
            for try await part in group { all += part }
            return all
        }
        #expect(numbers.sorted() == Array(1...Int64(writers * each)))
        let seen = try await reader.value
        let recorded = try await store.pushes(after: 0, limit: 1000).map(\.id)
        #expect(recorded.count == writers * each)
        #expect(seen == recorded, "the reader saw every push once, in order")
        let opened = try await store.pullEvents(after: 0, limit: 1000)
        #expect(opened.count == writers * each)
    }
}
