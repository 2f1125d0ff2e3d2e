import ForgeKit
import ForgeKitTesting
import ForgeServices
import Foundation
import NIOHTTP1
import Testing

/// The settings page (password, tokens), token scopes where actions happen (API and git), and
/// `forge admin create-user`.
@Suite(.timeLimit(.minutes(3))) struct AccountTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("a user changes their password on the settings page; a wrong current password or a mismatch changes nothing")
    func changePassword() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "dana", "password": "first-password", "email": "d@example.com"]).status == 201)
            let session = try await client.signIn("dana", "first-password")
            let csrf = try await client.csrf("/user/settings", cookie: session)
            let wrong = try await client.send(.POST, "/user/settings", form: ["action": "password", "current": "not-it", "new": "second-password",
                                                                             "confirm": "second-password", "_csrf": csrf], cookie: session)
            #expect(wrong.status == 400 && wrong.body.contains("The current password is wrong."))
            let mismatch = try await client.send(.POST, "/user/settings", form: ["action": "password", "current": "first-password", "new": "second-password",
                                                                                "confirm": "other-password", "_csrf": csrf], cookie: session)
            #expect(mismatch.status == 400 && mismatch.body.contains("do not match"))
            let short = try await client.send(.POST, "/user/settings", form: ["action": "password", "current": "first-password", "new": "short",
                                                                             "confirm": "short", "_csrf": csrf], cookie: session)
            #expect(short.status == 400)
            #expect(try await client.send(.GET, "/api/v1/user", user: "dana", password: "first-password").status == 200)

            let changed = try await client.send(.POST, "/user/settings", form: ["action": "password", "current": "first-password", "new": "second-password",
                                                                               "confirm": "second-password", "_csrf": csrf], cookie: session)
            #expect(changed.status == 200 && changed.body.contains("Your password was changed."))
            #expect(try await client.send(.GET, "/api/v1/user", user: "dana", password: "second-password").status == 200)
            #expect(try await client.send(.GET, "/api/v1/user", user: "dana", password: "first-password").status == 401)
            // Without the form's token nothing changes.
            let forged = try await client.send(.POST, "/user/settings", form: ["action": "password", "current": "second-password", "new": "third-password",
                                                                              "confirm": "third-password"], cookie: session)
            #expect(forged.status == 403)
        }
    }

    @Test("tokens made on the settings page are shown once and act within their scope: read reads and clones, write pushes, only admin administers")
    func tokenScopes() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/app"]).status == 201)
            let session = try await client.signIn(admin.0, admin.1)
            let csrf = try await client.csrf("/user/settings", cookie: session)
            func make(_ scope: String) async throws -> String {
                let page = try await client.send(.POST, "/user/settings", form: ["action": "create-token", "name": "laptop-\(scope)", "scope": scope, "_csrf": csrf],
                                                 cookie: session)
                #expect(page.body.contains("id=\"new-token\""))
                return try #require(page.body.range(of: "<code id=\"new-token-value\">").map { String(page.body[$0.upperBound...].prefix { $0 != "<" }) })
            }
            let read = try await make("read"), write = try await make("write"), full = try await make("admin")
            let listed = try await client.send(.GET, "/user/settings", cookie: session)
            #expect(!listed.body.contains(read) && listed.body.contains("laptop-read"), "a token is shown only once")

            // read: reads, but changes nothing — not even for a site admin.
            #expect(try await client.send(.GET, "/api/v1/repos/team/app", bearer: read).status == 200)
            let refused = try await client.send(.POST, "/api/v1/repos", json: ["name": "team/other"], bearer: read)
            #expect(refused.status == 403 && refused.body.contains("scope is read"))
            #expect(try await client.send(.GET, "/api/v1/users", bearer: read).status == 403, "not a site admin through a read token")
            // write: changes what the user may write, but uses no site-admin power and administers nothing.
            let inGroup = try await client.send(.POST, "/api/v1/repos", json: ["name": "team/other"], bearer: write)
            #expect(inGroup.status == 403, "creating in any group is a site admin's power: \(inGroup.body)")
            #expect(try await client.send(.GET, "/api/v1/users", bearer: write).status == 403)
            #expect(try await client.send(.POST, "/api/v1/repos", json: ["name": "team/other"], bearer: full).status == 201)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/other", bearer: write).status == 403)
            #expect(try await client.send(.POST, "/api/v1/repos/team/app/-/hooks", json: ["url": "https://example.org/hook"], bearer: write).status == 403)
            // admin: everything the user may do.
            #expect(try await client.send(.GET, "/api/v1/users", bearer: full).status == 200)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/other", bearer: full).status == 204)

            // git: a read token clones, cannot push; a write token pushes.
            await #expect(throws: (any Error).self) {
                _ = try await pushProject(running, repository: "team/app", user: "admin", password: read)
            }
            let head = try await pushProject(running, repository: "team/app", user: "admin", password: write)
            let clone = running.folder + "/clone-\(UUID().uuidString)"
            let remote = running.base.replacingOccurrences(of: "://", with: "://admin:\(read)@") + "/team/app.git"
            _ = try await git(["clone", "-q", remote, clone], in: running.folder)
            #expect(try await git(["rev-parse", "HEAD"], in: clone).hasPrefix(head))

            // A token cannot mint a stronger one; the API lists and revokes tokens.
            let escalate = try await client.send(.POST, "/api/v1/user/tokens", json: ["name": "more", "scope": "admin"], bearer: write)
            #expect(escalate.status == 403)
            let made = try await client.send(.POST, "/api/v1/user/tokens", json: ["name": "gitea-style", "scopes": ["read:repository"]], bearer: write)
            #expect(made.status == 201)
            let madeJSON = try #require(try client.json(made) as? [String: Any])
            #expect(madeJSON["scope"] as? String == "read" && (madeJSON["sha1"] as? String)?.isEmpty == false)
            let list = try #require(try client.json(try await client.send(.GET, "/api/v1/user/tokens", bearer: full)) as? [[String: Any]])
            #expect(list.count == 4 && list.allSatisfy { $0["sha1"] == nil && $0["token"] == nil })
            let id = try #require(madeJSON["id"] as? Int)
            #expect(try await client.send(.DELETE, "/api/v1/user/tokens/\(id)", bearer: full).status == 204)
            #expect(try await client.send(.DELETE, "/api/v1/user/tokens/\(id)", bearer: full).status == 404)

            // Revoked on the settings page: the token stops working.
            let tokens = try await client.send(.GET, "/user/settings", cookie: session).body
            let readID = try #require(tokens.range(of: "laptop-read</td>").flatMap { range in
                tokens[range.upperBound...].range(of: "name=\"id\" value=\"").map { String(tokens[$0.upperBound...].prefix { $0 != "\"" }) }
            })
            let revoked = try await client.send(.POST, "/user/settings", form: ["action": "revoke-token", "id": readID, "_csrf": csrf], cookie: session)
            #expect(revoked.body.contains("The token was revoked."))
            #expect(try await client.send(.GET, "/api/v1/user", bearer: read).status == 401)
        }
    }

    /// Runs `forge ARGUMENTS…` to its end (through ForgeKit's posix_spawn runner): its status and its output.
    static func forge(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, text: String) {
        let result = try await ChildProcess.run([ExampleProcess.toolPath("forge")] + arguments, environment: environment)
        return (result.status, String(decoding: result.output, as: UTF8.self) + result.error)
    }

    @Test("`forge admin create-user` adds a user who can sign in; a taken name is refused")
    func createUserOnTheCommandLine() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            var environment = ProcessInfo.processInfo.environment
            environment["FORGE_NEW_PASSWORD"] = "erin-password-1"
            let created = try await Self.forge(["admin", "create-user", "--data", running.folder + "/data", "--email", "erin@example.com", "erin"],
                                               environment: environment)
            #expect(created.status == 0, "\(created.text)")
            #expect(created.text.contains("created user 'erin'"))
            #expect(try await client.send(.GET, "/api/v1/user", user: "erin", password: "erin-password-1").status == 200)
            environment["FORGE_NEW_PASSWORD"] = nil
            let generated = try await Self.forge(["admin", "create-user", "--data", running.folder + "/data", "--admin", "frank"], environment: environment)
            #expect(generated.status == 0, "\(generated.text)")
            let password = try #require(generated.text.range(of: "with the password ").map { String(generated.text[$0.upperBound...].prefix { !$0.isWhitespace }) })
            let frank = try #require(try client.json(try await client.send(.GET, "/api/v1/user", user: "frank", password: password)) as? [String: Any])
            #expect(frank["is_admin"] as? Bool == true, "\(frank)")
            let taken = try await Self.forge(["admin", "create-user", "--data", running.folder + "/data", "erin"], environment: environment)
            #expect(taken.status != 0)
        }
    }
}

extension AccountTests {
    @Test("a token below admin administers no group, even for a group admin; a user's e-mail address shows only to them and site admins")
    func groupScopesAndAddresses() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            _ = try await running.forge.repositories.createGroup(try RepositoryPath("crew"))
            for (name, email) in [("gail", "gail@example.com"), ("hank", "hank@example.com")] {
                #expect(try await client.send(.POST, "/api/v1/admin/users", user: admin.0, password: admin.1,
                                              json: ["username": name, "password": "\(name)-password-1", "email": email]).status == 201)
            }
            #expect(try await client.send(.PUT, "/api/v1/groups/crew/-/permissions/gail", user: admin.0, password: admin.1,
                                          json: ["level": "admin"]).status == 200)
            func token(_ scope: String) async throws -> String {
                let made = try await client.send(.POST, "/api/v1/user/tokens", user: "gail", password: "gail-password-1", json: ["name": scope, "scope": scope])
                return try #require((try client.json(made) as? [String: Any])?["sha1"] as? String)
            }
            let write = try await token("write"), full = try await token("admin")
            #expect(try await client.send(.PUT, "/api/v1/groups/crew/-/permissions/hank", json: ["level": "admin"], bearer: write).status == 403)
            #expect(try await client.send(.PUT, "/api/v1/groups/crew/-/permissions/hank", json: ["level": "read"], bearer: full).status == 200)

            func email(of name: String, user: String? = nil, password: String? = nil) async throws -> String? {
                (try client.json(try await client.send(.GET, "/api/v1/users/\(name)", user: user, password: password)) as? [String: Any])?["email"] as? String
            }
            #expect(try await email(of: "gail") == "gail@noreply.invalid", "anonymous callers get a placeholder")
            #expect(try await email(of: "gail", user: "hank", password: "hank-password-1") == "gail@noreply.invalid", "so do other users")
            #expect(try await email(of: "gail", user: "gail", password: "gail-password-1") == "gail@example.com")
            #expect(try await email(of: "gail", user: admin.0, password: admin.1) == "gail@example.com")
        }
    }
}
