import ForgeKit
import ForgeKitServer
import Foundation
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
            let alice = try await forge.accounts.createUser(NewUser(name: "alice", password: "alice-password"))
            let bob = try await forge.accounts.createUser(NewUser(name: "bob", password: "bob-password"))
            let path = try RepositoryPath("hg/project")
            _ = try await forge.repositories.create(path, kind: .hg, isPrivate: false)
            try await forge.store.setPermission(userID: alice.id, on: .repository(path), level: .write)
            try await forge.store.setPermission(userID: bob.id, on: .repository(path), level: .read)
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
