import AsyncHTTPClient
import ForgeKit
import ForgeKitServer
import ForgeKitTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// A forge's git surface on a loopback port: a store, accounts, repositories and `GitHTTPService`.
struct GitForge {
    let folder: String
    let store: SQLiteForgeStore
    let accounts: ForgeAccounts
    let repositories: RepositoryStore
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }

    /// The URL of `path`, with `user:secret@` when given.
    func url(_ path: String, user: String? = nil, secret: String? = nil) -> String {
        guard let user, let secret else { return "\(base)/\(path)" }
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
        return "http://\(user):\(encoded)@127.0.0.1:\(port)/\(path)"
    }

    static func run(_ body: (GitForge) async throws -> Void) async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-http")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteForgeStore(path: folder + "/forge.sqlite")
        let accounts = ForgeAccounts(store: store, hasher: PasswordHasher(logRounds: 10))
        let repositories = try RepositoryStore(root: folder + "/repositories", metadata: store)
        let backend = try GitHTTPBackend(root: repositories.root, stateDirectory: folder + "/state")
        var logger = Logger(label: "test.forge")
        logger.logLevel = .warning
        let router = Router(context: ForgeRequestContext.self)
        router.add(middleware: GitHTTPService(repositories: repositories, accounts: accounts, backend: backend, logger: logger))
        let hgBackend = try MercurialHTTPBackend(root: repositories.root, stateDirectory: folder + "/state/hg")
        router.add(middleware: MercurialHTTPService(repositories: repositories, accounts: accounts, backend: hgBackend, logger: logger))
        router.get("/healthz") { _, _ in "ok" }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(GitForge(folder: folder, store: store, accounts: accounts, repositories: repositories, port: port))
        }
    }
}

/// The git client, run off the cooperative pool, with no configuration and no prompts.
func git(_ arguments: [String], in directory: String? = nil) async throws -> (status: Int32, output: String, error: String) {
    let executable = try #require(GitHTTPBackend.findExecutable("git"))
    var environment = GitCLI.environment
    environment["GIT_TERMINAL_PROMPT"] = "0"
    environment.removeValue(forKey: "GIT_ASKPASS")
    environment.removeValue(forKey: "SSH_ASKPASS")
    let prefix = directory.map { ["-C", $0] } ?? []
    let result = try await ChildProcess.run([executable] + prefix + arguments, environment: environment)
    return (result.status, String(decoding: result.output, as: UTF8.self), result.error)
}

@discardableResult
func gitOK(_ arguments: [String], in directory: String? = nil) async throws -> String {
    let result = try await git(arguments, in: directory)
    guard result.status == 0 else {
        throw ForgeError(.git, "git \(arguments.joined(separator: " ")) failed: \(result.error)", operation: "test")
    }
    return result.output
}

/// The next push event on `events`, or nil after a few seconds.
func nextPush(_ events: AsyncStream<ForgeEvent>) async -> PushEvent? {
    await withTaskGroup(of: PushEvent?.self) { group in
        group.addTask {
            for await event in events { if case .push(let push) = event { return push } }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(10))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

@Suite(.timeLimit(.minutes(3))) struct GitHTTPTests {
    @Test func cloneAndPushWithPermissions() async throws {
        try await GitForge.run { forge in
            let alice = try await forge.accounts.createUser(NewUser(name: "alice", password: "alice-password"))
            let bob = try await forge.accounts.createUser(NewUser(name: "bob", password: "bob-password"))
            let path = try RepositoryPath("team/app")
            _ = try await forge.repositories.create(path, kind: .git, isPrivate: false)
            try await forge.store.setPermission(userID: alice.id, on: .repository(path), level: .write)
            try await forge.store.setPermission(userID: bob.id, on: .repository(path), level: .read)
            let events = forge.repositories.events.subscribe()
            let bare = forge.repositories.directory(for: path)

            // Alice pushes the first commit (and a second branch) over HTTP.
            let work = forge.folder + "/alice"
            try await gitOK(["init", "-q", "-b", "main", work])
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: work + "/README"))
            try await gitOK(["add", "README"], in: work)
            try await gitOK(["commit", "-q", "-m", "first"], in: work)
            try await gitOK(["push", "-q", forge.url("team/app.git", user: "alice", secret: "alice-password"), "main", "main:topic"], in: work)
            let first = try await gitOK(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await gitOK(["--git-dir", bare, "rev-parse", "main"]).hasPrefix(first))

            let push = try #require(await nextPush(events))
            #expect(push.pusher == "alice")
            #expect(push.repository.path == path)
            let firstID = try #require(ObjectID(hex: first))
            #expect(Set(push.updates) == [ReferenceUpdate(name: "refs/heads/main", old: .zero, new: firstID),
                                          ReferenceUpdate(name: "refs/heads/topic", old: .zero, new: firstID)])

            // Anyone may clone a public repository, with or without `.git`.
            let anonymous = forge.folder + "/anonymous"
            try await gitOK(["clone", "-q", forge.url("team/app"), anonymous])
            #expect(try String(contentsOfFile: anonymous + "/README", encoding: .utf8) == "hello\n")

            // Nobody but alice may push: anonymous gets 401, bob (read only) 403, a wrong password 401.
            try Data("changed\n".utf8).write(to: URL(fileURLWithPath: anonymous + "/README"))
            try await gitOK(["commit", "-q", "-am", "second"], in: anonymous)
            let objectsBefore = try await gitOK(["--git-dir", bare, "count-objects", "-v"])
            let refused = try await git(["push", forge.url("team/app"), "HEAD:main"], in: anonymous)
            #expect(refused.status != 0)
            #expect(refused.error.contains("could not read Username"), "challenged for credentials: \(refused.error)")
            let forbidden = try await git(["push", forge.url("team/app", user: "bob", secret: "bob-password"), "HEAD:main"], in: anonymous)
            #expect(forbidden.status != 0)
            #expect(forbidden.error.contains("403"), "\(forbidden.error)")
            let wrong = try await git(["push", forge.url("team/app", user: "alice", secret: "not-her-password"), "HEAD:main"], in: anonymous)
            #expect(wrong.status != 0)
            #expect(wrong.error.contains("Authentication failed"), "\(wrong.error)")
            #expect(try await gitOK(["--git-dir", bare, "rev-parse", "main"]).hasPrefix(first), "no reference moved")
            #expect(try await gitOK(["--git-dir", bare, "count-objects", "-v"]) == objectsBefore, "no object was written")

            // A token works in the password field, whatever the user name; a push that deletes a branch is reported.
            let (token, _) = try await forge.accounts.createToken(userID: alice.id, name: "laptop")
            try await gitOK(["push", "-q", forge.url("team/app", user: "ci", secret: token), "HEAD:main", ":topic"], in: anonymous)
            let second = try await gitOK(["rev-parse", "HEAD"], in: anonymous).trimmingCharacters(in: .whitespacesAndNewlines)
            let update = try #require(await nextPush(events))
            #expect(update.pusher == "alice")
            let secondID = try #require(ObjectID(hex: second))
            #expect(Set(update.updates) == [ReferenceUpdate(name: "refs/heads/main", old: firstID, new: secondID),
                                            ReferenceUpdate(name: "refs/heads/topic", old: firstID, new: .zero)])
            #expect(try await gitOK(["--git-dir", bare, "rev-parse", "main"]).hasPrefix(second))

            // Bob fetches what alice pushed.
            try await gitOK(["pull", "-q", forge.url("team/app", user: "bob", secret: "bob-password"), "main"], in: work)
            #expect(try String(contentsOfFile: work + "/README", encoding: .utf8) == "changed\n")
        }
    }

    @Test func privateRepositoriesAndAllowLists() async throws {
        try await GitForge.run { forge in
            let carol = try await forge.accounts.createUser(NewUser(name: "carol", password: "carol-password"))
            _ = try await forge.accounts.createUser(NewUser(name: "dave", password: "dave-password"))
            let path = try RepositoryPath("secret/app")
            _ = try await forge.repositories.create(path, kind: .git, isPrivate: true)
            try await forge.store.setPermission(userID: carol.id, on: .group(try RepositoryPath("secret")), level: .write)

            let seed = forge.folder + "/seed"
            try await gitOK(["init", "-q", "-b", "main", seed])
            try await gitOK(["commit", "-q", "--allow-empty", "-m", "empty"], in: seed)
            try await gitOK(["push", "-q", forge.url("secret/app", user: "carol", secret: "carol-password"), "main"], in: seed)

            let anonymous = try await git(["ls-remote", forge.url("secret/app")])
            #expect(anonymous.status != 0)
            #expect(anonymous.error.contains("could not read Username"), "challenged for credentials: \(anonymous.error)")
            let stranger = try await git(["ls-remote", forge.url("secret/app", user: "dave", secret: "dave-password")])
            #expect(stranger.status != 0)
            #expect(stranger.error.contains("not found") || stranger.error.contains("404"), "\(stranger.error)")
            let missing = try await git(["ls-remote", forge.url("secret/nothing", user: "dave", secret: "dave-password")])
            #expect(missing.status != 0 && (missing.error.contains("not found") || missing.error.contains("404")),
                    "a missing repository looks like a hidden one")
            #expect(try await gitOK(["ls-remote", forge.url("secret/app", user: "carol", secret: "carol-password")]).contains("refs/heads/main"))

            // An allow-list that leaves loopback out shuts out even the group's writer.
            var record = try #require(try await forge.store.repository(path))
            record.allowedNetworks = [try CIDR("10.0.0.0/8")]
            try await forge.store.updateRepository(record)
            let outside = try await git(["ls-remote", forge.url("secret/app", user: "carol", secret: "carol-password")])
            #expect(outside.status != 0)
            record.allowedNetworks = [try CIDR("127.0.0.0/8"), try CIDR("::1")]
            try await forge.store.updateRepository(record)
            #expect(try await git(["ls-remote", forge.url("secret/app", user: "carol", secret: "carol-password")]).status == 0)
        }
    }

    @Test func badRequests() async throws {
        try await GitForge.run { forge in
            _ = try await forge.repositories.create(try RepositoryPath("app"), kind: .git)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            func status(_ method: HTTPMethod, _ path: String) async throws -> (Int, String) {
                var request = HTTPClientRequest(url: forge.base + path)
                request.method = method
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), String(buffer: body))
            }
            let badNames: [(HTTPMethod, String)] = [
                (.GET, "/%2e%2e/etc/info/refs?service=git-upload-pack"), (.GET, "/a/%2E%2E/b/info/refs?service=git-upload-pack"),
                (.GET, "/a%00b/info/refs?service=git-upload-pack"), (.POST, "/%0a/git-upload-pack"),
                (.GET, "/a//b/info/refs?service=git-upload-pack"), (.GET, "/%ZZ/info/refs?service=git-upload-pack"),
                (.GET, "/.git/info/refs?service=git-upload-pack"), (.POST, "/..%2f..%2fetc/git-receive-pack"),
            ]
            for (method, path) in badNames {
                let (code, body) = try await status(method, path)
                #expect(code == 400, "\(path): \(code) \(body)")
                #expect(body.contains("not a valid repository name") || body.contains("percent-encoding"), "\(body)")
            }
            #expect(try await status(.GET, "/app/info/refs").0 == 403, "the dumb protocol is not served")
            #expect(try await status(.GET, "/app/info/refs?service=git-upload-archive").0 == 403)
            #expect(try await status(.GET, "/app/git-upload-pack").0 == 403, "wrong method")
            #expect(try await status(.GET, "/app/info/refs?service=git-receive-pack").0 == 401, "an anonymous push is challenged")
            let advertisement = try await status(.GET, "/app/info/refs?service=git-upload-pack")
            #expect(advertisement.0 == 200)
            #expect(advertisement.1.hasPrefix("001e# service=git-upload-pack"))
            #expect(try await status(.GET, "/healthz").0 == 200, "other routes still answer")

            #expect(try await status(.GET, "/nothing/here").0 == 404)
        }
    }

    @Test func largePushAndCloneStream() async throws {
        try await GitForge.run { forge in
            let owner = try await forge.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
            _ = try await forge.repositories.create(try RepositoryPath("big"), kind: .git, owner: owner)
            let work = forge.folder + "/big"
            try await gitOK(["init", "-q", "-b", "main", work])
            let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
            for file in 0..<4 {
                try random.readData(ofLength: 1 << 20).write(to: URL(fileURLWithPath: "\(work)/blob\(file).bin"))
            }
            try random.close()
            try await gitOK(["add", "."], in: work)
            try await gitOK(["commit", "-q", "-m", "4 MiB of noise"], in: work)
            let url = forge.url("big", user: "owner", secret: "owner-password")
            try await gitOK(["push", "-q", url, "main"], in: work)
            let copy = forge.folder + "/copy"
            try await gitOK(["clone", "-q", url, copy])
            for file in 0..<4 {
                #expect(FileManager.default.contentsEqual(atPath: "\(work)/blob\(file).bin", andPath: "\(copy)/blob\(file).bin"))
            }
            // Protocol version 2 and a shallow fetch go through too.
            let shallow = forge.folder + "/shallow"
            try await gitOK(["-c", "protocol.version=2", "clone", "-q", "--depth", "1", url, shallow])
            #expect(try await gitOK(["rev-parse", "HEAD"], in: shallow) == (try await gitOK(["rev-parse", "HEAD"], in: work)))
        }
    }
}
