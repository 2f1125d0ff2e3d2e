import AsyncHTTPClient
import DeployKit
import ForgeKit
import ForgeKitServer
import ForgeKitTesting
import ForgeServices
import ForgeWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PipelineKit
import Testing

/// A whole forge (`Forge`) on a loopback port, with an admin whose password is known.
struct RunningForge {
    let forge: Forge
    let base: String
    let folder: String

    static let adminPassword = "admin-password"

    static func freePort() throws -> Int {
        let (descriptor, port) = try LoopbackListener.open(backlog: 1)
        close(descriptor)
        return port
    }

    /// `database`: a `postgres://` URL for the forge's stores (SQLite files in its folder when nil).
    static func run(localRunner: Bool = true, remoteRunners: [String: String] = [:], forgeLogger: Logger? = nil,
                    signInThrottle: SignInThrottle.Policy = .init(), database: String? = nil, _ body: (RunningForge) async throws -> Void) async throws {
        // The port is chosen before the forge (its public URL names it) and bound after: an outgoing
        // connection of another test may take it meanwhile. Then the server cannot start, and the
        // forge is made again on another port.
        for _ in 1...5 {
            if try await attempt(localRunner: localRunner, remoteRunners: remoteRunners, forgeLogger: forgeLogger,
                                 signInThrottle: signInThrottle, database: database, body) { return }
        }
        Issue.record("the test forge could not bind a loopback port in 5 attempts")
    }

    /// One start on a chosen port: false when the server could not start there (nothing ran).
    private static func attempt(localRunner: Bool, remoteRunners: [String: String], forgeLogger: Logger?,
                                signInThrottle: SignInThrottle.Policy, database: String?, _ body: (RunningForge) async throws -> Void) async throws -> Bool {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-web")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try freePort()
        let base = "http://127.0.0.1:\(port)"
        var logger = Logger(label: "test.forge")
        logger.logLevel = .warning
        let forge = try await Forge.open(.init(dataDirectory: folder + "/data", publicURL: base, pipelineWorkers: 2, localRunner: localRunner,
                                               passwordHasher: PasswordHasher(logRounds: 10), signInThrottle: signInThrottle, remoteRunners: remoteRunners,
                                               database: database),
                                         logger: forgeLogger ?? logger)
        _ = try await forge.accounts.ensureAdministrator(password: adminPassword)
        try await forge.registerRemoteRunners()
        let router = Router(context: ForgeRequestContext.self)
        forge.addRoutes(to: router)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await app.runService(gracefulShutdownSignals: [])
                } catch {
                    continuation.finish()  // never started (the port was taken): no port comes
                    throw error
                }
            }
            group.addTask { await forge.runBackground() }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard await iterator.next() != nil else { return false }
            try await body(RunningForge(forge: forge, base: base, folder: folder))
            return true
        }
    }
}

/// Where a test forge keeps its stores: SQLite files in its folder, or a schema of its own in the
/// PostgreSQL server `make test` starts (`TEST_POSTGRES_URL`; without it the case is skipped, saying why).
enum ForgeDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// The `database` option for ``RunningForge/run(localRunner:remoteRunners:forgeLogger:signInThrottle:database:_:)``.
    func location() throws -> String? {
        guard self == .postgresql else { return nil }
        guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
            try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
        }
        let schema = "forge_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }
}

/// A small HTTP client for the tests: status, headers and body of one request.
struct Client {
    let base: String

    /// A client that does not follow redirects (the tests look at them).
    static let http = HTTPClient(eventLoopGroupProvider: .singleton,
                                 configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var bytes: [UInt8]
    }

    func send(_ method: HTTPMethod, _ path: String, user: String? = nil, password: String? = nil, json: Any? = nil,
              form: [String: String]? = nil, cookie: String? = nil, bearer: String? = nil,
              raw: HTTPClientRequestBody? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let raw {
            for (name, value) in raw.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: raw.bytes))
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        if let user, let password {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let text = form.map { "\($0.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: text))
        }
        let response = try await Self.http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        let bytes = Array(body.readableBytesView)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(decoding: bytes, as: UTF8.self), bytes: bytes)
    }

    /// Signs `user` in through the form; the session cookie (`forge_session=…`).
    func signIn(_ user: String, _ password: String) async throws -> String {
        let form = try await send(.GET, "/login")
        let loginCookie = try #require(form.headers["Set-Cookie"].first { $0.hasPrefix("forge_login=") })
        let token = String(loginCookie.dropFirst("forge_login=".count).prefix { $0 != ";" })
        let signedIn = try await send(.POST, "/login", form: ["user": user, "password": password, "_login": token], cookie: "forge_login=\(token)")
        #expect(signedIn.status == 303)
        let session = try #require(signedIn.headers["Set-Cookie"].first { $0.hasPrefix("forge_session=") })
        return String(session.prefix { $0 != ";" })
    }

    /// The CSRF token of the signed-in page at `path`.
    func csrf(_ path: String, cookie: String) async throws -> String {
        let page = try await send(.GET, path, cookie: cookie)
        return try #require(page.body.range(of: "name=\"_csrf\" value=\"").map { String(page.body[$0.upperBound...].prefix { $0 != "\"" }) })
    }

    func json(_ answer: Answer) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(answer.bytes))
    }
}

func git(_ arguments: [String], in directory: String) async throws -> String {
    let executable = try #require(GitHTTPBackend.findExecutable("git"))
    var environment = GitCLI.environment
    environment["GIT_TERMINAL_PROMPT"] = "0"
    let result = try await ChildProcess.run([executable, "-C", directory] + arguments, environment: environment)
    guard result.status == 0 else {
        throw ForgeError(.git, "git \(arguments.joined(separator: " ")) failed: \(result.error)", operation: "test")
    }
    return String(decoding: result.output, as: UTF8.self)
}

/// Pushes a commit with a `.pipeline.yml` (test, then deploy) and a few files to `repository`.
func pushProject(_ forge: RunningForge, repository: String, user: String, password: String, testCommand: String = "./test.sh") async throws -> String {
    let work = forge.folder + "/work-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: work + "/src", withIntermediateDirectories: true)
    let files = [
        "README.md": "# app\n",
        "src/main.c": "int main(void) { return 0; }\n",
        "test.sh": "#!/bin/sh\necho \"testing $SOURCE_BRANCH\"\necho tests passed\n",
        "deploy.sh": "#!/bin/bash\necho \"deployed to $DEPLOY_RELEASE_DIR\"\n",
        ".pipeline.yml": """
            name: test-and-deploy
            source: {source_class: push, criteria: {branch: main}}
            actions:
              - name: test
                task: shell
                kwargs: {command: \(testCommand)}
                success_handler: {name: deploy, task: deploy}

            """,
    ]
    for (name, text) in files {
        try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name))
        if name.hasSuffix(".sh") { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work + "/" + name) }
    }
    _ = try await git(["init", "-q", "-b", "main"], in: work)
    _ = try await git(["add", "."], in: work)
    _ = try await git(["commit", "-q", "-m", "First commit\n\nWith a body."], in: work)
    let remote = forge.base.replacingOccurrences(of: "://", with: "://\(user):\(password)@") + "/" + repository + ".git"
    _ = try await git(["push", "-q", remote, "main"], in: work)
    return try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite(.timeLimit(.minutes(5))) struct ForgeTests {
    @Test func pushRunsThePipelineAndDeploys() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)

            // The API creates repositories; anonymous callers and bad names are refused.
            #expect(try await client.send(.POST, "/api/v1/repos", json: ["name": "team/app"]).status == 401)
            let badName = try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "../etc"])
            #expect(badName.status == 400 && badName.body.contains("not a valid repository name"))
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "x", "type": "svn"]).status == 400)
            let created = try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1,
                                                json: ["name": "team/app", "type": "git", "private": false])
            #expect(created.status == 201)
            #expect((try client.json(created) as? [String: Any])?["clone_url"] as? String == forge.base + "/team/app.git")
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/app"]).status == 409)

            let record = try #require(try await forge.forge.repositories.repository(try RepositoryPath("team/app")))
            try await forge.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: forge.folder + "/releases")
            let head = try await pushProject(forge, repository: "team/app", user: admin.0, password: admin.1)

            // The push runs the commit's .pipeline.yml; its success deploys through the local runner.
            var runs: [[String: Any]] = []
            for _ in 0..<300 {
                runs = try client.json(try await client.send(.GET, "/api/v1/repos/team/app/-/runs", user: admin.0, password: admin.1))
                    as? [[String: Any]] ?? []
                if let status = runs.first?["status"] as? String, status != "queued" && status != "running" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(runs.count == 1)
            #expect(runs.first?["status"] as? String == "succeeded")
            #expect(runs.first?["commit"] as? String == head)
            var deployment: Deployment?
            for _ in 0..<300 {
                deployment = try await forge.forge.deployments.store.deployments(DeploymentQuery(project: Forge.deployProject(of: record), limit: 5)).first
                if let state = deployment?.state, state.isFinal { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(deployment?.state == .succeeded)
            #expect(deployment?.commit == head)
            #expect(FileManager.default.fileExists(atPath: forge.folder + "/releases/current/deploy.sh"))

            // The run's log is readable through the API, as the live log page reads it.
            let runID = try #require(runs.first?["id"] as? Int)
            let log = try client.json(try await client.send(.GET, "/api/v1/runs/\(runID)/log?after=0", user: admin.0, password: admin.1))
            #expect(((log as? [String: Any])?["text"] as? String)?.contains("tests passed") == true)

            // Reads through the API.
            let commit = try client.json(try await client.send(.GET, "/api/v1/repos/team/app/-/commits/\(head)")) as? [String: Any]
            #expect((commit?["patch"] as? String)?.contains("+int main(void) { return 0; }") == true)
            let tree = try client.json(try await client.send(.GET, "/api/v1/repos/team/app/-/tree/main?path=src")) as? [[String: Any]]
            #expect(tree?.map { $0["name"] as? String } == ["main.c"])
            let blob = try client.json(try await client.send(.GET, "/api/v1/repos/team/app/-/blob/main?path=README.md")) as? [String: Any]
            #expect(blob?["content"] as? String == "# app\n")
            #expect(try await client.send(.GET, "/api/v1/repos/team/app/-/blob/main?path=../../etc/passwd").status == 400)
            #expect(try await client.send(.GET, "/api/v1/repos/team/app/-/blob/main?path=/etc/passwd").status == 400)
            #expect(try await client.send(.GET, "/api/v1/repos/team/nothing").status == 404)
        }
    }

    @Test func aRemoteRunnerDeploysOverHTTP() async throws {
        let token = "remote-runner-token-0123456789"
        try await RunningForge.run(localRunner: false, remoteRunners: ["far-away": token]) { forge in
            let client = Client(base: forge.base)
            let record = try await forge.forge.repositories.create(try RepositoryPath("team/api"), kind: .git)
            try await forge.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: forge.folder + "/remote-releases")
            // DeployKit's deployment API is closed without its token; the runner API needs a runner's.
            #expect(try await client.send(.GET, "/api/deployments").status == 401)
            #expect(try await client.send(.POST, "/api/runner/alive").status == 401)

            var logger = Logger(label: "test.runner")
            logger.logLevel = .warning
            let runner = DeploymentRunner(connection: DeploymentClient(server: forge.base, token: token),
                                          options: .init(workDirectory: forge.folder + "/remote-work", claimWait: .seconds(2)), logger: logger)
            let running = Task { try await runner.run() }
            defer { running.cancel() }
            let head = try await pushProject(forge, repository: "team/api", user: "admin", password: RunningForge.adminPassword)
            var deployment: Deployment?
            for _ in 0..<300 {
                deployment = try await forge.forge.deployments.store.deployments(DeploymentQuery(project: Forge.deployProject(of: record), limit: 5)).first
                if let state = deployment?.state, state.isFinal { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(deployment?.state == .succeeded)
            #expect(deployment?.runner == "far-away")
            #expect(deployment?.commit == head)
        }
    }

    @Test func storedPipelinesRunWithoutAPipelineFile() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            _ = try await forge.forge.repositories.create(try RepositoryPath("team/plain"), kind: .git)
            var request = HTTPClientRequest(url: forge.base + "/api/v1/repos/team/plain/-/pipelines")
            request.method = .PUT
            request.headers.add(name: "Authorization", value: "Basic " + Data("admin:\(admin.1)".utf8).base64EncodedString())
            request.headers.add(name: "Content-Type", value: "text/plain")
            request.body = .bytes(ByteBuffer(string: "name: x\nsource: {source_class: push}\nactions: [{name: say, task: noop}]\n"))
            #expect(try await Client.http.execute(request, timeout: .seconds(10)).status == .unsupportedMediaType, "not YAML nor JSON")
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/yaml")
            request.body = .bytes(ByteBuffer(string: "name: check\nsource: {source_class: push}\nactions: [{name: say, task: shell, kwargs: {command: 'echo stored pipeline for $SOURCE_REPO'}}]\n"))
            let stored = try await Client.http.execute(request, timeout: .seconds(10))
            #expect(stored.status == .ok)
            request.body = .bytes(ByteBuffer(string: "name: broken\nsource: {source_class: push}\nactions: [{name: x, task: nosuchtask}]\n"))
            #expect(try await Client.http.execute(request, timeout: .seconds(10)).status == .badRequest, "a bad configuration is refused")

            // A push of a commit without .pipeline.yml runs the stored configuration.
            let work = forge.folder + "/plain"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try Data("x\n".utf8).write(to: URL(fileURLWithPath: work + "/x"))
            _ = try await git(["init", "-q", "-b", "main"], in: work)
            _ = try await git(["add", "."], in: work)
            _ = try await git(["commit", "-q", "-m", "plain"], in: work)
            _ = try await git(["push", "-q", forge.base.replacingOccurrences(of: "://", with: "://admin:\(admin.1)@") + "/team/plain", "main"], in: work)
            var runs: [[String: Any]] = []
            for _ in 0..<300 {
                runs = try client.json(try await client.send(.GET, "/api/v1/repos/team/plain/-/runs")) as? [[String: Any]] ?? []
                if let status = runs.first?["status"] as? String, status == "succeeded" || status == "failed" || status == "errored" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(runs.first?["configuration"] as? String == "team/plain:check")
            #expect(runs.first?["status"] as? String == "succeeded")
        }
    }

    @Test func groupsInTheUIAndAPI() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            _ = try await forge.forge.accounts.createUser(NewUser(name: "member", password: "member-password"))
            _ = try await forge.forge.repositories.create(try RepositoryPath("team/inner/secret"), kind: .git, isPrivate: true)
            #expect(try await client.send(.GET, "/api/v1/repos/team/inner/secret", user: "member", password: "member-password").status == 404)

            // A group with nothing the caller may see answers as one that does not exist: to anonymous
            // callers too, whose 404 page offers sign-in as for any page that does not exist.
            let refused = try await client.send(.PUT, "/api/v1/groups/team/-/permissions/member", user: "member", password: "member-password",
                                                json: ["level": "admin"])
            #expect(refused.status == 404)
            let hidden = try await client.send(.GET, "/team")
            let missing = try await client.send(.GET, "/no-such-group")
            #expect(hidden.status == 404 && missing.status == 404)
            #expect(hidden.body.contains("sign-in-to-see") && missing.body.contains("sign-in-to-see"))
            #expect(hidden.body.replacingOccurrences(of: "team", with: "X") == missing.body.replacingOccurrences(of: "no-such-group", with: "X"),
                    "the same page either way")
            #expect((try client.json(try await client.send(.GET, "/api/v1/groups")) as? [[String: Any]])?.isEmpty == true)
            #expect(try await client.send(.PUT, "/api/v1/groups/team/-/permissions/member", user: admin.0, password: admin.1,
                                          json: ["level": "superuser"]).status == 400)
            #expect(try await client.send(.PUT, "/api/v1/groups/nogroup/-/permissions/member", user: admin.0, password: admin.1,
                                          json: ["level": "read"]).status == 404)
            let granted = try await client.send(.PUT, "/api/v1/groups/team/-/permissions/member", user: admin.0, password: admin.1,
                                                json: ["level": "read"])
            #expect(granted.status == 200)
            let repo = try client.json(try await client.send(.GET, "/api/v1/repos/team/inner/secret", user: "member", password: "member-password"))
            #expect((repo as? [String: Any])?["permission"] as? String == "read")
            let groups = try client.json(try await client.send(.GET, "/api/v1/groups", user: "member", password: "member-password")) as? [[String: Any]]
            #expect(groups?.compactMap { $0["path"] as? String } == ["team", "team/inner"])

            // The group's page lists its groups, and its repositories for those who may see them.
            _ = try await forge.forge.repositories.create(try RepositoryPath("team/open"), kind: .git)
            let anonymous = try await client.send(.GET, "/team")
            #expect(anonymous.status == 200 && anonymous.body.contains("team/open") && !anonymous.body.contains("team/inner/secret"))
            #expect(!anonymous.body.contains("id=\"subgroups\""), "a group with nothing visible is not listed: \(anonymous.body)")
            #expect(!anonymous.body.contains("id=\"members\""), "only the group's admins see its members")
        }
    }

    @Test func pagesAndSessions() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let owner = try await forge.forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            _ = try await forge.forge.repositories.create(try RepositoryPath("team/site"), kind: .git, owner: owner)
            _ = try await forge.forge.repositories.create(try RepositoryPath("team/hidden"), kind: .git, isPrivate: true, owner: owner)
            let head = try await pushProject(forge, repository: "team/site", user: "owner", password: "owner-password")

            // Anonymous visitors see public repositories and their pages, not private ones.
            let home = try await client.send(.GET, "/")
            #expect(home.status == 200 && home.body.contains("team/site") && !home.body.contains("team/hidden"))
            #expect(home.headers["Content-Security-Policy"].first?.contains("frame-ancestors 'none'") == true)
            let summary = try await client.send(.GET, "/team/site")
            #expect(summary.body.contains(forge.base + "/team/site.git") && summary.body.contains("First commit"))
            #expect(try await client.send(.GET, "/team/hidden").status == 404)
            let commit = try await client.send(.GET, "/team/site/-/commit/\(head)")
            #expect(commit.status == 200 && commit.body.contains("<td class=\"line\">+int main(void) { return 0; }</td>"))
            #expect(try await client.send(.GET, "/team/site/-/commits/main").body.contains(String(head.prefix(10))))
            #expect(try await client.send(.GET, "/team/site/-/tree/main/src").body.contains("main.c"))
            #expect(try await client.send(.GET, "/team/site/-/blob/main/README.md").body.contains("<h1>app</h1>"))
            #expect(try await client.send(.GET, "/team/site/-/blob/main/README.md?plain=1").body.contains("# app"))
            #expect(try await client.send(.GET, "/team/site/-/branches").body.contains("main"))
            #expect(try await client.send(.GET, "/team/site/-/blob/main/..%2F..%2Fetc%2Fpasswd").status == 400)
            #expect(try await client.send(.GET, "/team/%2e%2e/-/commits").status == 400)
            let zip = try await client.send(.GET, "/team/site/-/archive/main.zip")
            #expect(zip.status == 200 && zip.bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]))
            let tar = try await client.send(.GET, "/team/site/-/archive/main.tar")
            #expect(tar.status == 200 && tar.bytes.count % 512 == 0 && String(decoding: tar.bytes[257..<262], as: UTF8.self) == "ustar")
            #expect(try await client.send(.GET, "/team/site/-/archive/nosuchrev.zip").status == 404)

            // Signing in: the form's token, then an HttpOnly, SameSite session cookie.
            let form = try await client.send(.GET, "/login")
            let loginCookie = try #require(form.headers["Set-Cookie"].first { $0.hasPrefix("forge_login=") })
            let loginToken = String(loginCookie.dropFirst("forge_login=".count).prefix { $0 != ";" })
            let refused = try await client.send(.POST, "/login", form: ["user": "owner", "password": "owner-password", "_login": "forged"],
                                                cookie: "forge_login=\(loginToken)")
            #expect(refused.status == 403, "a sign-in without the form's token is refused")
            let wrong = try await client.send(.POST, "/login", form: ["user": "owner", "password": "nope-nope", "_login": loginToken],
                                              cookie: "forge_login=\(loginToken)")
            #expect(wrong.status == 401)
            let signedIn = try await client.send(.POST, "/login", form: ["user": "owner", "password": "owner-password", "_login": loginToken],
                                                 cookie: "forge_login=\(loginToken)")
            #expect(signedIn.status == 303)
            let sessionCookie = try #require(signedIn.headers["Set-Cookie"].first { $0.hasPrefix("forge_session=") })
            #expect(sessionCookie.contains("HttpOnly") && sessionCookie.contains("SameSite=Lax"))
            let session = String(sessionCookie.prefix { $0 != ";" })
            let mine = try await client.send(.GET, "/", cookie: session)
            #expect(mine.body.contains("team/hidden"), "the owner sees the private repository")
            let csrf = try #require(mine.body.range(of: "name=\"_csrf\" value=\"").map { mine.body[$0.upperBound...].prefix { $0 != "\"" } })

            // Forms need the session's CSRF token.
            let forged = try await client.send(.POST, "/new", form: ["name": "team/forged", "type": "git"], cookie: session)
            #expect(forged.status == 403)
            #expect(try await forge.forge.repositories.repository(try RepositoryPath("team/forged")) == nil)
            let made = try await client.send(.POST, "/new", form: ["name": "owner/made", "type": "git", "_csrf": String(csrf)], cookie: session)
            #expect(made.status == 303, "a user creates repositories in their own namespace")
            #expect(try await forge.forge.repositories.repository(try RepositoryPath("owner/made")) != nil)
            // Elsewhere only with write on the group; the refusal says the same whether the name is taken or not.
            _ = try await forge.forge.accounts.createUser(NewUser(name: "stranger", password: "stranger-password"))
            for name in ["team/hidden", "team/free"] {
                let answer = try await client.send(.POST, "/api/v1/repos", user: "stranger", password: "stranger-password", json: ["name": name])
                #expect(answer.status == 403, "\(name): \(answer.body)")
                #expect(answer.body.contains("needs write on that group") && !answer.body.contains("exists"))
            }
            #expect(try await forge.forge.repositories.repository(try RepositoryPath("team/free")) == nil)
            let badName = try await client.send(.POST, "/new", form: ["name": "../../etc", "type": "git", "_csrf": String(csrf)], cookie: session)
            #expect(badName.body.contains("not a valid repository name"))

            // Settings: grant a permission through the form.
            _ = try await forge.forge.accounts.createUser(NewUser(name: "reader", password: "reader-password"))
            let grant = try await client.send(.POST, "/team/hidden/-/settings",
                                              form: ["action": "grant", "user": "reader", "level": "read", "_csrf": String(csrf)], cookie: session)
            #expect(grant.status == 303)
            #expect(try await client.send(.GET, "/team/hidden", user: "reader", password: "reader-password").status == 404,
                    "pages use sessions, not basic auth")
            let readerRepos = try client.json(try await client.send(.GET, "/api/v1/repos", user: "reader", password: "reader-password"))
            #expect((readerRepos as? [[String: Any]])?.compactMap { $0["full_name"] as? String }.contains("team/hidden") == true)

            // Signing out ends the session.
            #expect(try await client.send(.POST, "/logout", form: ["_csrf": String(csrf)], cookie: session).status == 303)
            #expect(!(try await client.send(.GET, "/", cookie: session).body.contains("team/hidden")))
        }
    }
}

/// Keeps every log line, to check what never gets logged.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            sink.append("\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ForgeSecurityTests {
    @Test func hostileRepositoriesAndSecretsInLogs() async throws {
        let logs = CapturedLogs()
        try await RunningForge.run(forgeLogger: Logger(label: "test.forge") { _ in CapturedLogs.Handler(sink: logs) }) { running in
            let forge = running.forge, folder = running.folder, base = running.base
            let client = Client(base: base)
            let password = "very-secret-password-\(UUID().uuidString.prefix(8))"
            let owner = try await forge.accounts.createUser(NewUser(name: "owner", password: password))
            _ = try await forge.repositories.create(try RepositoryPath("hostile"), kind: .git, owner: owner)
            let (token, _) = try await forge.accounts.createToken(userID: owner.id, name: "t")

            // A hostile repository: blobs over the inline limit, a tree 120 levels deep, symlinks pointing outside.
            let work = folder + "/work"
            var deep = work
            for _ in 0..<120 { deep += "/d" }
            try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
            try Data("bottom\n".utf8).write(to: URL(fileURLWithPath: deep + "/file.txt"))
            let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
            try random.readData(ofLength: 2 << 20).write(to: URL(fileURLWithPath: work + "/huge.bin"))
            try Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1).write(to: URL(fileURLWithPath: work + "/huge.txt"))
            try FileManager.default.createSymbolicLink(atPath: work + "/passwd", withDestinationPath: "/etc/passwd")
            try FileManager.default.createSymbolicLink(atPath: work + "/up", withDestinationPath: "../../../../")
            _ = try await git(["init", "-q", "-b", "main"], in: work)
            _ = try await git(["add", "."], in: work)
            _ = try await git(["commit", "-q", "-m", "hostile"], in: work)
            _ = try await git(["push", "-q", base.replacingOccurrences(of: "://", with: "://owner:\(password)@") + "/hostile.git", "main"], in: work)

            let clock = ContinuousClock()
            let started = clock.now
            let huge = try await client.send(.GET, "/hostile/-/blob/main/huge.txt", user: "owner", password: password)
            #expect(huge.status == 200 && huge.body.contains("larger than") && huge.bytes.count < 100_000, "a large file is not inlined")
            #expect(try await client.send(.GET, "/hostile/-/blob/main/huge.bin").body.contains("binary"))
            let link = try await client.send(.GET, "/hostile/-/blob/main/passwd")
            #expect(link.status == 200 && link.body.contains("/etc/passwd") && !link.body.contains("root:x:0:0"),
                    "a symlink shows its target, never the file it points to")
            let raw = try await client.send(.GET, "/hostile/-/raw/main/passwd")
            #expect(raw.body == "/etc/passwd")
            let deepPath = Array(repeating: "d", count: 120).joined(separator: "/")
            #expect(try await client.send(.GET, "/hostile/-/tree/main/\(deepPath)").body.contains("file.txt"))
            #expect(try await client.send(.GET, "/hostile/-/blob/main/\(deepPath)/file.txt").body.contains("bottom"))
            let commit = try await client.send(.GET, "/hostile/-/commits/main")
            #expect(commit.status == 200)
            let diff = try await client.send(.GET, "/hostile/-/commit/main")
            #expect(diff.status == 200 && diff.bytes.count < 3 << 20, "the diff of a huge commit is bounded")
            #expect(clock.now - started < .seconds(60))

            // Secrets never reach the logs: passwords on sign-in and git pushes, tokens on API calls.
            #expect(try await client.send(.GET, "/api/v1/user", user: "owner", password: token).status == 200)
            #expect(try await client.send(.GET, "/api/v1/user", user: "owner", password: "wrong-\(password)").status == 401)
            let login = try await client.send(.GET, "/login")
            let cookie = try #require(login.headers["Set-Cookie"].first { $0.hasPrefix("forge_login=") })
            let loginToken = String(cookie.dropFirst("forge_login=".count).prefix { $0 != ";" })
            _ = try await client.send(.POST, "/login", form: ["user": "owner", "password": password, "_login": loginToken],
                                      cookie: "forge_login=\(loginToken)")
            let text = logs.text
            #expect(text.contains("signed in"), "the logs were captured")
            #expect(!text.contains(password))
            #expect(!text.contains(token))
        }
    }
}

/// A Mercurial working copy for a test, and hg run in it as Ada with no user configuration.
struct HgWorkingCopy {
    let path: String
    let hg: String

    init(_ path: String) throws {
        hg = try #require(GitHTTPBackend.findExecutable("hg"))
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func run(_ arguments: [String]) async throws {
        let environment = ["HGRCPATH": "", "HGPLAIN": "1", "HGUSER": "Ada <ada@example.com>", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        let result = try await ChildProcess.run([hg, "--cwd", path] + arguments, environment: environment)
        guard result.status == 0 else { throw ForgeError(.io, "hg \(arguments) failed: \(result.error)", operation: "test") }
    }
}

@Suite(.timeLimit(.minutes(3))) struct ForgeMercurialTests {
    @Test func mercurialPushesRunPipelines() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: "admin", password: RunningForge.adminPassword,
                                          json: ["name": "hg/ci", "type": "hg"]).status == 201)
            let copy = try HgWorkingCopy(forge.folder + "/hg-ci")
            let work = copy.path
            func run(_ arguments: [String]) async throws { try await copy.run(arguments) }
            try await run(["init"])
            try Data("name: hg-check\nsource: {source_class: push}\nactions:\n  - {name: check, task: shell, kwargs: {command: 'cat notes.txt; echo \"on $SOURCE_BRANCH at $SOURCE_COMMIT\"'}}\n".utf8)
                .write(to: URL(fileURLWithPath: work + "/.pipeline.yml"))
            try Data("from mercurial\n".utf8).write(to: URL(fileURLWithPath: work + "/notes.txt"))
            try await run(["commit", "-A", "-m", "with a pipeline"])
            try await run(["push", forge.base.replacingOccurrences(of: "://", with: "://admin:\(RunningForge.adminPassword)@") + "/hg/ci"])
            let node = try #require(try await MercurialRepository.withRepository(at: forge.forge.repositories.directory(for: try RepositoryPath("hg/ci"))) {
                try await $0.log().first?.node
            })
            let (run, log) = try await finishedRun(client, repository: "hg/ci", commit: node, user: "admin", password: RunningForge.adminPassword)
            #expect(run["status"] as? String == "succeeded", "\(log)")
            #expect(log.contains("from mercurial") && log.contains("on default at \(node)"), "\(log)")
        }
    }

    @Test func mercurialRepositoriesInTheUIAndAPI() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let created = try await client.send(.POST, "/api/v1/repos", user: "admin", password: RunningForge.adminPassword,
                                                json: ["name": "hg/project", "type": "hg"])
            #expect(created.status == 201)
            let copy = try HgWorkingCopy(forge.folder + "/hg-work")
            let work = copy.path
            func run(_ arguments: [String]) async throws { try await copy.run(arguments) }
            try await run(["init"])
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: work + "/hello.txt"))
            try await run(["commit", "-A", "-m", "hello from hg"])
            for index in 1...3 {
                try Data("change \(index)\n".utf8).write(to: URL(fileURLWithPath: work + "/more.txt"))
                try await run(["commit", "-A", "-m", "change \(index)"])
            }
            try await run(["push", forge.base.replacingOccurrences(of: "://", with: "://admin:\(RunningForge.adminPassword)@") + "/hg/project"])
            // Paged with the whole history counted, not a lower bound.
            let paged = try await client.send(.GET, "/api/v1/repos/hg/project/-/commits?limit=1&page=2")
            #expect(paged.headers.first(name: "X-Total-Count") == "4")
            #expect((try client.json(paged) as? [[String: Any]])?.first?["message"] as? String == "change 2")

            let summary = try await client.send(.GET, "/hg/project")
            #expect(summary.status == 200 && summary.body.contains("hello from hg") && summary.body.contains(forge.base + "/hg/project"))
            let commits = try client.json(try await client.send(.GET, "/api/v1/repos/hg/project/-/commits")) as? [[String: Any]]
            let node = try #require(commits?.last?["id"] as? String)
            #expect(try await client.send(.GET, "/hg/project/-/commit/\(node)").body.contains("hello.txt"))
            #expect(try await client.send(.GET, "/hg/project/-/raw/\(node)/hello.txt").body == "hello\n")
            let zip = try await client.send(.GET, "/hg/project/-/archive/\(node).zip")
            #expect(zip.status == 200 && zip.bytes.starts(with: [0x50, 0x4B]))

            // A revision from a URL is looked up, never evaluated: a revset naming a remote connects nowhere.
            let listener = try ConnectionCounter()
            let revset = "remote(tip,'http://127.0.0.1:\(listener.port)/')"
            let encoded = revset.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            for path in ["/hg/project/-/commit/\(encoded)", "/hg/project/-/commits/\(encoded)", "/hg/project/-/raw/\(encoded)/hello.txt",
                         "/api/v1/repos/hg/project/-/commits/\(encoded)", "/api/v1/repos/hg/project/-/commits?rev=\(encoded)",
                         "/hg/project/-/archive/\(encoded).zip"] {
                let answer = try await client.send(.GET, path)
                #expect([400, 404].contains(answer.status), "\(path): \(answer.status) \(answer.body.prefix(300))")
                #expect(!answer.body.contains(forge.folder), "errors never show the server's folders: \(answer.body.prefix(300))")
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(listener.connections == 0, "the forge connected out")
            let missing = try await client.send(.GET, "/hg/project/-/raw/\(node)/no-such-file.txt")
            #expect(missing.status == 404 && !missing.body.contains(forge.folder), "\(missing.body.prefix(300))")
        }
    }
}
