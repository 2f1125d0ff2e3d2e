import DeployKit
import DeployKitPostgres
import Foundation
import Testing

/// The stores every deployment store test runs against: SQLite, and PostgreSQL when
/// `TEST_POSTGRES_URL` names a server (`make test` starts one); without it the PostgreSQL case is
/// skipped, saying why.
enum DeploymentStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    func make() async throws -> any DeploymentStore {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-store-\(UUID().uuidString)").path
            return try SQLiteDeploymentStore(path: directory + "/deploy.sqlite")
        case .postgresql:
            guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
                try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
            }
            let schema = "d_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            return try await PostgresDeploymentStore(url: url, schema: schema, maximumConnections: 4)
        }
    }
}

/// The deployment store's rules (conformance: every store passes them).
@Suite("Deployment store conformance (SQLite, PostgreSQL)")
struct DeploymentStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func new(_ environment: String = "prod", project: String = "app", state: DeploymentState = .initialized) -> NewDeployment {
        NewDeployment(project: project, branch: "main", commit: String(repeating: "a", count: 40), environment: environment,
                      state: state, requestedBy: "test")
    }

    @Test("a newer pending deployment supersedes older pending ones of the same environment, not running ones or other environments", arguments: DeploymentStoreKind.allCases)
    func supersede(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let first = try await store.create(new(), now: t0)
        let claimed = try #require(try await store.claim(runner: "r1", projects: [], lease: .seconds(30), now: t0))
        #expect(claimed.id == first.id && claimed.state == .running && claimed.attempt == 1)
        let second = try await store.create(new(state: .notInitialized), now: t0)
        let other = try await store.create(new("stage"), now: t0)
        let third = try await store.create(new(), now: t0)
        #expect(try await store.deployment(first.id)?.state == .running)
        let superseded = try #require(try await store.deployment(second.id))
        #expect(superseded.state == .cancelled)
        #expect(superseded.reason == "superseded by deployment \(third.id)")
        #expect(try await store.deployment(other.id)?.state == .initialized)
        // prod is busy (first is running): the runner gets stage's, and nothing more until prod is free.
        #expect(try await store.claim(runner: "r2", projects: [], lease: .seconds(30), now: t0)?.id == other.id)
        #expect(try await store.claim(runner: "r2", projects: [], lease: .seconds(30), now: t0) == nil)
        _ = try await store.finish(first.id, runner: "r1", attempt: 1, state: .succeeded, reason: nil, release: nil, now: t0)
        #expect(try await store.claim(runner: "r2", projects: [], lease: .seconds(30), now: t0)?.id == third.id)
    }

    @Test("a runner only gets deployments of its projects", arguments: DeploymentStoreKind.allCases)
    func projects(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let web = try await store.create(new(project: "web"), now: t0)
        _ = try await store.create(new(project: "api"), now: t0)
        #expect(try await store.claim(runner: "r1", projects: ["web", "docs"], lease: .seconds(30), now: t0)?.id == web.id)
        #expect(try await store.claim(runner: "r1", projects: ["web", "docs"], lease: .seconds(30), now: t0) == nil)
    }

    @Test("concurrent claims never hand one deployment to two runners", arguments: DeploymentStoreKind.allCases)
    func concurrentClaims(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        var ids = Set<DeploymentID>()
        for index in 0..<120 { ids.insert(try await store.create(new("env-\(index)"), now: t0).id) }
        let t0 = self.t0
        let claims = try await withThrowingTaskGroup(of: [DeploymentID].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [DeploymentID] = []
                    while let deployment = try await store.claim(runner: "r\(worker)", projects: [], lease: .seconds(30), now: t0) {
                        mine.append(deployment.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [DeploymentID]()) { $0 += $1 }
        }
        #expect(claims.count == 120)
        #expect(Set(claims) == ids)
    }

    @Test("changes by a runner that does not hold the deployment are conflicts", arguments: DeploymentStoreKind.allCases)
    func conflicts(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let created = try await store.create(new(), now: t0)
        let claimed = try #require(try await store.claim(runner: "r1", projects: [], lease: .seconds(30), now: t0))
        await #expect(throws: DeployError.self) {
            try await store.renew(created.id, runner: "r2", attempt: claimed.attempt, lease: .seconds(30), now: self.t0)
        }
        await #expect(throws: DeployError.self) {
            _ = try await store.appendLog(created.id, runner: "r1", attempt: claimed.attempt + 1, text: "x", now: self.t0)
        }
        _ = try await store.cancel(created.id, reason: "stop", now: t0)
        do {
            _ = try await store.appendLog(created.id, runner: "r1", attempt: claimed.attempt, text: "late\n", now: t0)
            Issue.record("a cancelled deployment accepted a log line")
        } catch {
            #expect(error.code == .conflict)
            #expect(error.message.contains("cancelled"))
        }
        do {
            _ = try await store.cancel(created.id, reason: "again", now: t0)
            Issue.record("a cancelled deployment was cancelled twice")
        } catch {
            #expect(error.code == .conflict)
        }
    }

    @Test("an expired lease fails the deployment, or re-queues it until the attempts run out", arguments: DeploymentStoreKind.allCases)
    func leases(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let failing = try await store.create(new("a"), now: t0)
        _ = try await store.claim(runner: "r1", projects: [], lease: .seconds(10), now: t0)
        #expect(try await store.expireLeases(now: t0.addingTimeInterval(5), policy: .fail).isEmpty)
        let expired = try await store.expireLeases(now: t0.addingTimeInterval(11), policy: .fail)
        #expect(expired.map(\.id) == [failing.id])
        #expect(expired.first?.state == .failed)
        #expect(expired.first?.reason?.contains("runner r1 stopped renewing its lease") == true)

        let requeued = try await store.create(new("b"), now: t0)
        _ = try await store.claim(runner: "r1", projects: [], lease: .seconds(10), now: t0)
        let once = try await store.expireLeases(now: t0.addingTimeInterval(11), policy: .requeue(maxAttempts: 2))
        #expect(once.first?.state == .initialized)
        let again = try #require(try await store.claim(runner: "r2", projects: [], lease: .seconds(10), now: t0.addingTimeInterval(12)))
        #expect(again.id == requeued.id && again.attempt == 2 && again.runner == "r2")
        // The first runner's late call is refused.
        await #expect(throws: DeployError.self) {
            _ = try await store.finish(requeued.id, runner: "r1", attempt: 1, state: .succeeded, reason: nil, release: nil, now: self.t0)
        }
        let twice = try await store.expireLeases(now: t0.addingTimeInterval(30), policy: .requeue(maxAttempts: 2))
        #expect(twice.first?.state == .failed)
        let log = try await store.log(requeued.id, after: 0, limit: 1 << 20).text
        #expect(log.contains("attempt 1 on runner r1"))
        #expect(log.contains("queued again"))
        #expect(log.contains("attempt 2 on runner r2"))
    }

    @Test("logs are read from any byte offset, in order", arguments: DeploymentStoreKind.allCases)
    func logs(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let created = try await store.create(new(), now: t0)
        let claimed = try #require(try await store.claim(runner: "r1", projects: [], lease: .seconds(30), now: t0))
        let header = try await store.log(created.id, after: 0, limit: 1 << 20)
        var size = header.next
        for line in ["one\n", "twö\n", "three\n"] {
            size = try await store.appendLog(created.id, runner: "r1", attempt: claimed.attempt, text: line, now: t0)
        }
        let all = try await store.log(created.id, after: header.next, limit: 1 << 20)
        #expect(all.text == "one\ntwö\nthree\n")
        #expect(all.next == size)
        let tail = try await store.log(created.id, after: header.next + 4, limit: 1 << 20)
        #expect(tail.text == "twö\nthree\n")
        let middle = try await store.log(created.id, after: header.next + 6, limit: 1 << 20)
        #expect(middle.text == "ö\nthree\n")
        #expect(try await store.log(created.id, after: size, limit: 1 << 20).text.isEmpty)
        await #expect(throws: DeployError.self) { _ = try await store.log(DeploymentID(999), after: 0, limit: 10) }
    }

    @Test("logs keep every byte a script printed, NUL included, at exact offsets", arguments: DeploymentStoreKind.allCases)
    func logsKeepNUL(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let created = try await store.create(new(), now: t0)
        let claimed = try #require(try await store.claim(runner: "r1", projects: [], lease: .seconds(30), now: t0))
        let start = try await store.log(created.id, after: 0, limit: 1 << 20).next
        var size = start
        for text in ["before\u{0}after\n", "x\u{0}\u{0}y\n"] {
            size = try await store.appendLog(created.id, runner: "r1", attempt: claimed.attempt, text: text, now: t0)
        }
        #expect(size == start + 13 + 5)
        let all = try await store.log(created.id, after: start, limit: 1 << 20)
        #expect(all.text == "before\u{0}after\nx\u{0}\u{0}y\n")
        #expect(all.next == size)
        // From just after the first NUL: the offsets count the bytes that are there.
        #expect(try await store.log(created.id, after: start + 7, limit: 1 << 20).text == "after\nx\u{0}\u{0}y\n")
        #expect(try await store.log(created.id, after: start + 15, limit: 1 << 20).text == "\u{0}y\n")
    }

    @Test("projects are checked before they are stored", arguments: DeploymentStoreKind.allCases)
    func invalidProjects(kind: DeploymentStoreKind) async throws {
        let store = try await kind.make()
        let good = ProjectSettings(name: "web", repositoryURL: "/srv/git/web.git",
                                   branches: [BranchSettings(name: "main", mode: .auto, script: "make deploy", environment: "prod")],
                                   environments: [EnvironmentSettings(name: "prod")])
        try await store.saveProject(good)
        #expect(try await store.project(named: "web") == good)
        var cases: [(ProjectSettings, String)] = []
        var bad = good; bad.name = "../etc"; cases.append((bad, "not a valid project name"))
        bad = good; bad.branches[0].environment = "qa"; cases.append((bad, "environment 'qa', which is not defined"))
        bad = good; bad.branches[0].script = "  \n"; cases.append((bad, "empty script"))
        bad = good; bad.environments[0].variables = ["BAD-NAME": "x"]; cases.append((bad, "not a valid variable name"))
        bad = good; bad.environments[0].releases = ReleaseSettings(path: "relative/dir"); cases.append((bad, "must be absolute"))
        bad = good; bad.environments.append(EnvironmentSettings(name: "prod")); cases.append((bad, "defined twice"))
        for (project, expected) in cases {
            do {
                try await store.saveProject(project)
                Issue.record("accepted a project with: \(expected)")
            } catch {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
        #expect(try await store.projects() == [good])
    }
}

@Suite("projects file")
struct ProjectsFileTests {
    @Test("a projects file becomes validated settings")
    func parse() throws {
        let projects = try ProjectsFile.parse("""
            projects:
              - name: web
                repository: https://git.example/web.git
                branches:
                  - {name: main, mode: auto, environment: prod, script: "make deploy"}
                  - {name: release, environment: stage, script: "make stage"}
                environments:
                  - name: prod
                    variables: {RAILS_ENV: production}
                    secrets: {TOKEN: abc}
                    releases: {path: /srv/web}
                  - name: stage
            """)
        #expect(projects.count == 1)
        #expect(projects[0].branch("main")?.mode == .auto)
        #expect(projects[0].branch("release")?.mode == .manual)
        #expect(projects[0].environment("prod")?.releases == ReleaseSettings(path: "/srv/web", keep: 5))
        #expect(projects[0].environment("prod")?.secrets == ["TOKEN": "abc"])
    }

    @Test("a bad projects file is refused with the field that is wrong", arguments: [
        ("projects: [{name: web}]", "repository is missing"),
        ("projects: [{name: web, repository: /r, branches: [{name: main, mode: sometimes, environment: prod, script: x}], environments: [{name: prod}]}]", "branches"),
        ("projects: [{name: web, repository: /r, branches: [{name: main, environment: qa, script: x}]}]", "environment 'qa'"),
        ("projects: [{name: web, repository: /r}, {name: web, repository: /s}]", "defined twice"),
        ("projects: 3", "projects"),
        (": : :", "not valid YAML"),
    ])
    func bad(_ text: String, _ expected: String) throws {
        do {
            _ = try ProjectsFile.parse(text, name: "deploy.yml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.operation == "read deploy.yml")
        }
    }
}

/// Several servers on one PostgreSQL database.
@Suite("PostgreSQL deployment store: servers sharing one database")
struct PostgresDeploymentStoreTests {
    @Test("PostgreSQL: a deployment queued through one server wakes a runner waiting on another (LISTEN/NOTIFY), not its next poll")
    func crossServerWakeUp() async throws {
        guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
            try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
        }
        let schema = "x_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let storeA = try await PostgresDeploymentStore(url: url, schema: schema, maximumConnections: 2)
        let storeB = try await PostgresDeploymentStore(url: url, schema: schema, maximumConnections: 2)
        try await storeA.saveProject(ProjectSettings(
            name: "app", repositoryURL: "https://git.example/app.git",
            branches: [BranchSettings(name: "main", mode: .auto, script: "true", environment: "prod")],
            environments: [EnvironmentSettings(name: "prod")]))
        let serverA = DeploymentController(store: storeA)
        // Server B would look again only after a minute: a claim that returns sooner was woken.
        let serverB = DeploymentController(store: storeB, options: .init(pollInterval: .seconds(60)))
        try await serverB.registerRunner(name: "r1", projects: ["app"], token: "fwr_cross-server-test-token")
        let runner = try #require(try await storeB.runners().first)
        try await Task.sleep(for: .milliseconds(300))  // server B's listener connects
        let waiting = Task { try await serverB.claim(for: runner, wait: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(300))  // the claim is waiting
        let queued = try await serverA.queue(project: "app", branch: "main", commit: String(repeating: "b", count: 40), trigger: .person("test"))
        let job = try await waiting.value
        #expect(job?.deployment.id == queued.id)
    }
}
