import ForgeKit
import ForgeKitServer
import ForgeKitTesting
import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The hg client, isolated from any configuration, never prompting.
func hg(_ arguments: [String], in directory: String? = nil) async throws -> (status: Int32, output: String, error: String) {
    let executable = try #require(GitHTTPBackend.findExecutable("hg"))
    var environment = ProcessInfo.processInfo.environment
    environment["HGRCPATH"] = ""
    environment["HGPLAIN"] = "1"
    environment["HGUSER"] = "Test Author <test@example.com>"
    let prefix = directory.map { ["--cwd", $0] } ?? []
    let result = try await ChildProcess.run([executable] + prefix + ["--config", "ui.interactive=false"] + arguments, environment: environment)
    return (result.status, String(decoding: result.output, as: UTF8.self), result.error)
}

@discardableResult
func hgOK(_ arguments: [String], in directory: String? = nil) async throws -> String {
    let result = try await hg(arguments, in: directory)
    guard result.status == 0 else {
        throw ForgeError(.io, "hg \(arguments.joined(separator: " ")) failed: \(result.error) \(result.output)", operation: "test")
    }
    return result.output
}

@Suite(.timeLimit(.minutes(3))) struct MercurialHTTPTests {
    @Test func cloneAndPushWithPermissions() async throws {
        try await GitForge.run { forge in
            let path = try await MercurialHTTPSecurityTests.aliceWritesBobReads(forge)
            let events = forge.repositories.events.subscribe()

            let work = forge.folder + "/alice"
            try await hgOK(["init", work])
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: work + "/README"))
            try await hgOK(["commit", "-A", "-m", "first"], in: work)
            try await hgOK(["push", forge.url("hg/project", user: "alice", secret: "alice-password")], in: work)
            let first = try await hgOK(["log", "-r", ".", "-T", "{node}"], in: work)
            let push = try #require(await nextPush(events))
            #expect(push.pusher == "alice")
            #expect(push.updates == [ReferenceUpdate(name: "refs/heads/default", old: .zero, new: try #require(ObjectID(hex: first)))])

            // Anyone clones a public repository; only alice pushes.
            let anonymous = forge.folder + "/anonymous"
            try await hgOK(["clone", forge.url("hg/project"), anonymous])
            #expect(try String(contentsOfFile: anonymous + "/README", encoding: .utf8) == "hello\n")
            try Data("changed\n".utf8).write(to: URL(fileURLWithPath: anonymous + "/README"))
            try await hgOK(["commit", "-m", "second"], in: anonymous)
            let refused = try await hg(["push", forge.url("hg/project")], in: anonymous)
            #expect(refused.status != 0)
            #expect((refused.error + refused.output).contains("authorization"), "\(refused.error) \(refused.output)")
            let forbidden = try await hg(["push", forge.url("hg/project", user: "bob", secret: "bob-password")], in: anonymous)
            #expect(forbidden.status != 0)
            #expect((forbidden.error + forbidden.output).contains("403"), "\(forbidden.error) \(forbidden.output)")
            let server = try await MercurialRepository.open(at: forge.repositories.directory(for: path))
            #expect(try await server.log().count == 1, "nothing was written")

            try await hgOK(["push", forge.url("hg/project", user: "alice", secret: "alice-password")], in: anonymous)
            let second = try await hgOK(["log", "-r", ".", "-T", "{node}"], in: anonymous)
            let update = try #require(await nextPush(events))
            #expect(update.updates == [ReferenceUpdate(name: "refs/heads/default", old: try #require(ObjectID(hex: first)),
                                                       new: try #require(ObjectID(hex: second)))])
            #expect(try await server.log().map(\.summary) == ["second", "first"])
            await server.close()

            // Private: anonymous is asked to sign in, a stranger sees nothing.
            var record = try #require(try await forge.store.repository(path))
            record.isPrivate = true
            try await forge.store.updateRepository(record)
            #expect(try await hg(["identify", forge.url("hg/project")]).status != 0)
            _ = try await forge.accounts.createUser(NewUser(name: "carol", password: "carol-password"))
            let stranger = try await hg(["identify", forge.url("hg/project", user: "carol", secret: "carol-password")])
            #expect(stranger.status != 0 && (stranger.error + stranger.output).contains("404"), "\(stranger.error)")
            #expect(try await hgOK(["identify", "-r", "default", forge.url("hg/project", user: "bob", secret: "bob-password")])
                .hasPrefix(String(second.prefix(12))))
        }
    }
}

/// One raw request to the forge: its status and body.
func rawRequest(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: [UInt8] = [],
                user: String? = nil, password: String? = nil) async throws -> (status: Int, body: String) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let user, let password {
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }
    if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let collected = try await response.body.collect(upTo: 16 << 20)
    return (Int(response.status.code), String(buffer: collected))
}


@Suite(.timeLimit(.minutes(3))) struct MercurialHTTPSecurityTests {
    /// The public hg repository `hg/project`, on which alice may write and bob may read.
    static func aliceWritesBobReads(_ forge: GitForge) async throws -> RepositoryPath {
        let alice = try await forge.accounts.createUser(NewUser(name: "alice", password: "alice-password"))
        let bob = try await forge.accounts.createUser(NewUser(name: "bob", password: "bob-password"))
        let path = try RepositoryPath("hg/project")
        _ = try await forge.repositories.create(path, kind: .hg, isPrivate: false)
        try await forge.store.setPermission(userID: alice.id, on: .repository(path), level: .write)
        try await forge.store.setPermission(userID: bob.id, on: .repository(path), level: .read)
        return path
    }

    /// A public hg repository with one changeset pushed by alice (write); bob may read.
    static func prepared(_ forge: GitForge) async throws -> (path: RepositoryPath, node: String) {
        let path = try await aliceWritesBobReads(forge)
        let work = forge.folder + "/alice-\(UUID().uuidString)"
        try await hgOK(["init", work])
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: work + "/README"))
        try await hgOK(["commit", "-A", "-m", "first"], in: work)
        try await hgOK(["phase", "--force", "--draft", "."], in: work)
        // Not publishing, so that changesets stay draft and a phase change is a push of its own.
        try "[phases]\npublish = False\n".write(toFile: forge.repositories.directory(for: path) + "/.hg/hgrc", atomically: true, encoding: .utf8)
        try await hgOK(["push", forge.url("hg/project", user: "alice", secret: "alice-password")], in: work)
        return (path, try await hgOK(["log", "-r", ".", "-T", "{node}"], in: work))
    }

    static func bookmarks(_ forge: GitForge, _ path: RepositoryPath) async throws -> [String: String] {
        try await MercurialRepository.withRepository(at: forge.repositories.directory(for: path)) { hg in
            try await hg.references().filter { $0.key.hasPrefix("refs/bookmarks/") }
        }
    }

    @Test func theAccessCheckSeesTheCommandHgwebRuns() async throws {
        try await GitForge.run { forge in
            let (path, node) = try await Self.prepared(forge)
            let url = forge.base + "/hg/project"
            let pushkey = "pushkey namespace=bookmarks,key=evil,old=,new=\(node)"

            // A repeated cmd (hgweb runs the last one) is refused.
            let repeated = try await rawRequest(url + "?cmd=capabilities&cmd=pushkey&namespace=bookmarks&key=evil&old=&new=\(node)", method: .POST)
            #expect(repeated.status == 400, "\(repeated)")
            let encoded = try await rawRequest(url + "?cmd=heads&c%6Dd=pushkey", method: .POST)
            #expect(encoded.status == 400)
            // A batch carrying pushkey needs write: anonymous is asked to sign in, bob (read) is refused.
            let anonymous = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArg-1", "cmds=" + pushkey)])
            #expect(anonymous.status == 401)
            let reader = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArg-1", "cmds=" + pushkey)],
                                              user: "bob", password: "bob-password")
            #expect(reader.status == 403)
            let inQuery = try await rawRequest(url + "?cmd=batch&cmds=" + (pushkey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                                               method: .POST)
            #expect(inQuery.status == 401)
            // The same in the body (X-HgArgs-Post), and a phase change nested in a batch inside the batch.
            let body = Array(("cmds=" + (pushkey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")).utf8)
            let posted = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArgs-Post", "\(body.count)")], body: body,
                                              user: "bob", password: "bob-password")
            #expect(posted.status == 403)
            // The inner batch's cmds as a batch argument, escaped as the hg client escapes it.
            let phase = "pushkey namespace:ephases:okey:e\(node):oold:e1:onew:e0"
            let nested = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArg-1", "cmds=batch cmds=" + phase)],
                                              user: "bob", password: "bob-password")
            #expect(nested.status == 403)
            let negative = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArgs-Post", "-1")], body: body)
            #expect(negative.status == 400)
            #expect(try await Self.bookmarks(forge, path).isEmpty, "no bookmark moved")
            let phaseNow = try await MercurialRepository.withRepository(at: forge.repositories.directory(for: path)) { try await $0.log().first?.phase }
            #expect(phaseNow == "draft", "no phase changed")

            // Reads still work, batched or not; the writer still pushes a bookmark through a batch.
            let heads = try await rawRequest(url + "?cmd=batch", method: .POST, headers: [("X-HgArg-1", "cmds=heads ;known nodes=")])
            #expect(heads.status == 200)
            let written = try await rawRequest(url + "?cmd=pushkey&namespace=bookmarks&key=release&old=&new=\(node)", method: .POST,
                                               user: "alice", password: "alice-password")
            #expect(written.status == 200, "\(written)")
            #expect(try await Self.bookmarks(forge, path) == ["refs/bookmarks/release": node])
        }
    }

    @Test func onlyTheWireProtocolIsServed() async throws {
        try await GitForge.run { forge in
            _ = try await Self.prepared(forge)
            for command in ["log", "archive&node=tip&type=zip", "static&file=style.css", "summary", "json-log", ""] {
                let answer = try await rawRequest(forge.base + "/hg/project?cmd=" + command)
                #expect(answer.status == 400 && !answer.body.contains("<html"), "cmd=\(command): \(answer)")
            }
            #expect(try await rawRequest(forge.base + "/hg/project?cmd=capabilities").status == 200)
        }
    }

    @Test func aPushCannotMakeTheServerFetchAURL() async throws {
        try await GitForge.run { forge in
            let (path, _) = try await Self.prepared(forge)
            let listener = try ConnectionCounter()
            // A bundle2 with a mandatory remote-changegroup part, as a malicious client would send.
            let script = """
                from mercurial import bundle2, ui as uimod
                import sys
                b = bundle2.bundle20(uimod.ui.load())
                b.newpart(b'remote-changegroup', mandatoryparams=[(b'url', b'http://127.0.0.1:\(listener.port)/x.hg'), (b'size', b'10')])
                sys.stdout.buffer.write(b''.join(b.getchunks()))
                """
            let python = try #require(["/usr/bin/python3", "/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) })
            let made = try await ChildProcess.run([python, "-c", script], environment: ["PATH": "/usr/bin:/bin"])
            #expect(made.status == 0, "\(made.error)")
            let answer = try await rawRequest(forge.base + "/hg/project?cmd=unbundle", method: .POST,
                                              headers: [("Content-Type", "application/mercurial-0.1"), ("X-HgArg-1", "heads=666f726365")],
                                              body: made.output, user: "alice", password: "alice-password")
            #expect(!answer.body.isEmpty)
            try await Task.sleep(for: .milliseconds(300))
            #expect(listener.connections == 0, "the server connected to the pusher's URL")
            #expect(try await MercurialRepository.withRepository(at: forge.repositories.directory(for: path)) { try await $0.log().count } == 1)
        }
    }

    @Test func bookmarkAndPhasePushesArePushEvents() async throws {
        try await GitForge.run { forge in
            let (_, node) = try await Self.prepared(forge)
            let events = forge.repositories.events.subscribe()
            let work = forge.folder + "/clone"
            try await hgOK(["clone", forge.url("hg/project"), work])
            try await hgOK(["bookmark", "-r", node, "feature"], in: work)
            // hg push exits 1 when it pushed no changeset, even when it moved a bookmark or a phase.
            let exported = try await hg(["push", "-B", "feature", forge.url("hg/project", user: "alice", secret: "alice-password")], in: work)
            #expect(exported.status <= 1 && exported.output.contains("exporting bookmark feature"), "\(exported)")
            let bookmark = try #require(await nextPush(events))
            #expect(bookmark.updates.map(\.name) == ["refs/bookmarks/feature"])
            try await hgOK(["phase", "--public", node], in: work)
            let published = try await hg(["push", forge.url("hg/project", user: "alice", secret: "alice-password")], in: work)
            #expect(published.status <= 1, "\(published)")
            let phase = try #require(await nextPush(events))
            #expect(phase.updates == [ReferenceUpdate(name: "refs/phases/draft/\(node)", old: try #require(ObjectID(hex: node)), new: .zero)])
        }
    }
}
