import ForgeKit
import ForgeKitTesting
import Foundation
import Testing

@Suite struct RepositoryPathTests {
    @Test func validNames() throws {
        let path = try RepositoryPath("team/tools/forge")
        #expect(path.segments == ["team", "tools", "forge"])
        #expect(path.name == "forge")
        #expect(path.parent?.description == "team/tools")
        #expect(path.ancestors.map(\.description) == ["team", "team/tools"])
        #expect(try RepositoryPath("a.b_c-d").description == "a.b_c-d")
        #expect(try RepositoryPath(url: "team/app.git").description == "team/app")
        #expect(try RepositoryPath("Info").description == "Info")
    }

    @Test(arguments: [
        "", "/etc/passwd", "../etc", "a/../b", "a/./b", "a//b", "a/", ".hidden", "-rf", "a/-x", "app.git", "app.lock",
        "a b", "a\u{0}b", "a\nb", "a\u{7f}", "tab\there", "caf\u{e9}", "api", "API/x", "admin", "team/info", "team/-",
        "a/HEAD", "a\\b", "x/objects", String(repeating: "a", count: 101), String(repeating: "a/", count: 9) + "a",
        String(repeating: "abcdefghij/", count: 19) + "abcdefghijk",
    ])
    func invalidNames(_ text: String) {
        #expect(throws: ForgeError.self) { try RepositoryPath(text) }
        do {
            _ = try RepositoryPath(text)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("not a valid repository name"))
        }
    }

    @Test func gitSuffixOnlyInURLs() {
        #expect(throws: ForgeError.self) { try RepositoryPath("app.git") }
        #expect(throws: ForgeError.self) { try RepositoryPath(url: "app.git.git") }
        #expect(throws: ForgeError.self) { try RepositoryPath(url: ".git") }
    }

    @Test func codable() throws {
        let encoded = try JSONEncoder().encode([try RepositoryPath("a/b")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["a\/b"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([RepositoryPath].self, from: Data(#"["../x"]"#.utf8)) }
    }
}

@Suite struct PermissionTests {
    let repository = RepositoryRecord(id: 1, path: try! RepositoryPath("team/app"), kind: .git, isPrivate: true, description: "",
                                      ownerID: 7, forkOf: nil, allowedNetworks: [], createdAt: Date())

    func user(_ id: Int64, admin: Bool = false, active: Bool = true) -> ForgeUser {
        ForgeUser(id: id, name: "u\(id)", email: "", isAdmin: admin, isActive: active, createdAt: Date())
    }

    @Test func kallitheaRules() throws {
        var facts = PermissionFacts(repository: repository, user: nil, repositoryLevel: nil, groupLevels: [])
        #expect(facts.effectiveLevel(from: nil) == .none)
        facts.repository.isPrivate = false
        #expect(facts.effectiveLevel(from: nil) == .read)
        facts.repository.isPrivate = true

        facts.user = user(1, admin: true)
        #expect(facts.effectiveLevel(from: nil) == .admin)
        facts.user = user(7)
        #expect(facts.effectiveLevel(from: nil) == .admin, "the owner")
        facts.user = user(2)
        #expect(facts.effectiveLevel(from: nil) == .none)
        facts.groupLevels = [.write]
        #expect(facts.effectiveLevel(from: nil) == .write, "inherited from the group")
        facts.groupLevels = [.admin, .read]
        #expect(facts.effectiveLevel(from: nil) == .read, "the nearest group wins")
        facts.repositoryLevel = AccessLevel.none
        #expect(facts.effectiveLevel(from: nil) == .none, "the repository's own grant wins over its groups")
        facts.repository.isPrivate = false
        #expect(facts.effectiveLevel(from: nil) == .read, "a public repository is readable by everyone")
        facts.repositoryLevel = .write
        facts.user = user(2, active: false)
        #expect(facts.effectiveLevel(from: nil) == .read, "a disabled user counts as anonymous")
    }

    @Test func allowList() throws {
        var facts = PermissionFacts(repository: repository, user: user(1, admin: true), repositoryLevel: nil, groupLevels: [])
        facts.repository.allowedNetworks = [try CIDR("10.0.0.0/8")]
        #expect(facts.effectiveLevel(from: IPAddress("10.1.2.3")) == .admin)
        #expect(facts.effectiveLevel(from: IPAddress("192.168.0.1")) == .none, "even an administrator, from outside")
        #expect(facts.effectiveLevel(from: nil) == .none, "an unknown address is outside")
    }
}

@Suite struct CredentialTests {
    @Test func passwordHashes() throws {
        let hasher = PasswordHasher(logRounds: 10)
        let hash = try hasher.hash("correct horse")
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(PasswordHasher.verify("correct horse", against: hash))
        #expect(!PasswordHasher.verify("correct horsE", against: hash))
        #expect(!PasswordHasher.verify("", against: hash))
        #expect(try hasher.hash("correct horse") != hash, "a new salt each time")
        for malformed in ["", "plain", "$scrypt$ln=10$x$y", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA", "$bcrypt$ln=10,r=8,p=1$AAAA$AAAA"] {
            #expect(!PasswordHasher.verify("x", against: malformed))
        }
        #expect(throws: ForgeError.self) { try hasher.hash("short") }
    }

    @Test func tokens() {
        let token = TokenGenerator.generate()
        #expect(TokenGenerator.looksLikeToken(token))
        #expect(!TokenGenerator.looksLikeToken("fwt_short"))
        #expect(TokenGenerator.digest(token).count == 64)
        #expect(TokenGenerator.generate() != token)
    }
}

@Suite struct RepositoryStoreTests {
    struct Fixture {
        let folder: String
        let store: SQLiteForgeStore
        let accounts: ForgeAccounts
        let repositories: RepositoryStore

        init() throws {
            folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-store")
            store = try SQLiteForgeStore(path: folder + "/forge.sqlite")
            accounts = ForgeAccounts(store: store, hasher: PasswordHasher(logRounds: 10))
            repositories = try RepositoryStore(root: folder + "/repositories", metadata: store)
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func usersAndTokens() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let alice = try await fixture.accounts.createUser(NewUser(name: "alice", email: "a@example.com", password: "alice-password"))
        #expect(try await fixture.accounts.authenticate(name: "alice", secret: "alice-password", address: nil).user?.id == alice.id)
        #expect(try await fixture.accounts.authenticate(name: "ALICE", secret: "alice-password", address: nil).user?.id == alice.id)
        #expect(try await fixture.accounts.authenticate(name: "alice", secret: "wrong-password", address: nil) == .rejected)
        #expect(try await fixture.accounts.authenticate(name: "nobody", secret: "alice-password", address: nil) == .rejected)
        await #expect(throws: ForgeError.self) { try await fixture.accounts.createUser(NewUser(name: "Alice", password: "another-password")) }
        await #expect(throws: ForgeError.self) { try await fixture.accounts.createUser(NewUser(name: "../x", password: "another-password")) }
        await #expect(throws: ForgeError.self) { try await fixture.accounts.createUser(NewUser(name: "bob", password: "short")) }

        let (token, record) = try await fixture.accounts.createToken(userID: alice.id, name: "ci")
        #expect(try await fixture.accounts.authenticate(token: token)?.id == alice.id)
        #expect(try await fixture.accounts.authenticate(name: "anything", secret: token, address: nil).user?.id == alice.id)
        #expect(try await fixture.store.tokens(userID: alice.id).first?.lastUsedAt != nil)
        try await fixture.store.deleteToken(id: record.id, userID: alice.id)
        #expect(try await fixture.accounts.authenticate(token: token) == nil)

        // A changed password invalidates the remembered one; a disabled user cannot sign in.
        try await fixture.accounts.setPassword(userID: alice.id, "new-password-1")
        #expect(try await fixture.accounts.authenticate(name: "alice", secret: "alice-password", address: nil) == .rejected)
        #expect(try await fixture.accounts.authenticate(name: "alice", secret: "new-password-1", address: nil).user != nil)
        var disabled = alice
        disabled.isActive = false
        try await fixture.store.updateUser(disabled)
        #expect(try await fixture.accounts.authenticate(name: "alice", secret: "new-password-1", address: nil) == .rejected)

        let (admin, generated) = try await fixture.accounts.ensureAdministrator(password: nil)
        #expect(admin.isAdmin)
        let password = try #require(generated)
        #expect(try await fixture.accounts.authenticate(name: "admin", secret: password, address: nil).user?.isAdmin == true)
        #expect(try await fixture.accounts.ensureAdministrator(password: nil).generatedPassword == nil, "created once")
    }

    @Test func gitRepositoriesLifecycle() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let events = fixture.repositories.events.subscribe()
        let owner = try await fixture.accounts.createUser(NewUser(name: "owner", password: "owner-password"))
        let path = try RepositoryPath("team/tools/app")
        let record = try await fixture.repositories.create(path, kind: .git, isPrivate: true, description: "the app", owner: owner)
        #expect(record.ownerID == owner.id)
        #expect(try await fixture.store.groups().map(\.path.description) == ["team", "team/tools"], "groups are created on the way")
        let directory = fixture.repositories.directory(for: path)
        #expect(FileManager.default.fileExists(atPath: directory + "/HEAD"))
        #expect(try await GitRepository.open(at: directory).isBare)

        // Names are taken whatever their case, by repositories and groups alike.
        await #expect(throws: ForgeError.self) { try await fixture.repositories.create(try RepositoryPath("Team/Tools/App"), kind: .git) }
        await #expect(throws: ForgeError.self) { try await fixture.repositories.create(try RepositoryPath("team/tools"), kind: .git) }
        await #expect(throws: ForgeError.self) { try await fixture.repositories.create(try RepositoryPath("team/tools/app/x"), kind: .git) }
        await #expect(throws: ForgeError.self) { try await fixture.repositories.deleteGroup(try RepositoryPath("team")) }

        // Put a commit in through a clone, then fork, rename and delete.
        let work = fixture.folder + "/work"
        _ = try GitCLI.git(["clone", "-q", directory, work], in: fixture.folder)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: work + "/README"))
        _ = try GitCLI.git(["add", "README"], in: work)
        _ = try GitCLI.git(["commit", "-q", "-m", "first"], in: work)
        _ = try GitCLI.git(["push", "-q", "origin", "HEAD:main"], in: work)

        let fork = try await fixture.repositories.fork(path, to: try RepositoryPath("owner/app"), owner: owner)
        #expect(fork.forkOf == record.id && fork.isPrivate && fork.description == "the app")
        let forked = try await GitRepository.open(at: fixture.repositories.directory(for: fork.path))
        #expect(try await forked.blob(at: "main", path: "README") == Array("hello\n".utf8))

        let renamed = try await fixture.repositories.rename(path, to: try RepositoryPath("other/app2"))
        #expect(renamed.id == record.id)
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(FileManager.default.fileExists(atPath: fixture.repositories.directory(for: renamed.path) + "/HEAD"))
        #expect(try await fixture.store.repository(path) == nil)
        await #expect(throws: ForgeError.self) { try await fixture.repositories.rename(renamed.path, to: fork.path) }

        try await fixture.repositories.delete(renamed.path)
        #expect(try await fixture.store.repository(renamed.path) == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.repositories.directory(for: renamed.path)))
        #expect(try await fixture.store.repository(fork.path)?.forkOf == nil, "a fork outlives its source")

        var seen: [String] = []
        for await event in events {
            switch event {
            case .repositoryCreated(let created): seen.append("created \(created.path)")
            case .repositoryDeleted(let deleted): seen.append("deleted \(deleted.path)")
            case .push: seen.append("push")
            }
            if seen.count == 3 { break }
        }
        #expect(seen == ["created team/tools/app", "created owner/app", "deleted other/app2"])
    }

    @Test func mercurialRepositories() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let path = try RepositoryPath("hg/project")
        let record = try await fixture.repositories.create(path, kind: .hg)
        #expect(record.kind == .hg)
        let directory = fixture.repositories.directory(for: path)
        #expect(FileManager.default.fileExists(atPath: directory + "/.hg/requires"))
        let fork = try await fixture.repositories.fork(path, to: try RepositoryPath("hg/project-fork"), owner: nil)
        #expect(FileManager.default.fileExists(atPath: fixture.repositories.directory(for: fork.path) + "/.hg/requires"))
        try await fixture.repositories.delete(path)
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func permissionsFromTheStore() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let reader = try await fixture.accounts.createUser(NewUser(name: "reader", password: "reader-password"))
        let writer = try await fixture.accounts.createUser(NewUser(name: "writer", password: "writer-password"))
        let path = try RepositoryPath("team/app")
        _ = try await fixture.repositories.create(path, kind: .git, isPrivate: true)
        try await fixture.store.setPermission(userID: reader.id, on: .repository(path), level: .read)
        try await fixture.store.setPermission(userID: writer.id, on: .group(try RepositoryPath("team")), level: .write)
        #expect(try await fixture.store.permissionFacts(repository: path, userID: reader.id)?.effectiveLevel(from: nil) == .read)
        #expect(try await fixture.store.permissionFacts(repository: path, userID: writer.id)?.effectiveLevel(from: nil) == .write)
        #expect(try await fixture.store.permissionFacts(repository: path, userID: nil)?.effectiveLevel(from: nil) == AccessLevel.none)
        #expect(try await fixture.store.permissionFacts(repository: try RepositoryPath("missing"), userID: nil) == nil)
        let listing = try await fixture.store.permissionFacts(userID: writer.id)
        #expect(listing.map { $0.effectiveLevel(from: nil) } == [.write])
        #expect(try await fixture.store.permissions(on: .repository(path)).map(\.user.name) == ["reader"])
        try await fixture.store.setPermission(userID: reader.id, on: .repository(path), level: nil)
        #expect(try await fixture.store.permissionFacts(repository: path, userID: reader.id)?.effectiveLevel(from: nil) == AccessLevel.none)
        await #expect(throws: ForgeError.self) {
            try await fixture.store.setPermission(userID: reader.id, on: .repository(try RepositoryPath("missing")), level: .read)
        }
        // Deleting a user removes their grants.
        try await fixture.store.deleteUser(id: writer.id)
        #expect(try await fixture.store.permissions(on: .group(try RepositoryPath("team"))).isEmpty)
    }
}
