import ForgeKit
import Foundation
import NIOHTTP1
import Testing

/// Small things a Gitea user expects of the API and pages (issue 23's first pieces).
@Suite(.timeLimit(.minutes(3))) struct APIDetailsTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("401 names the schemes the API takes; a bad limit is 400 naming it; an empty repository's history is []; NAME.git in a browser shows the repository")
    func details() async throws {
        try await RunningForge.run(localRunner: false) { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/empty"]).status == 201)

            let anonymous = try await client.send(.GET, "/api/v1/user")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers.first(name: "WWW-Authenticate")?.contains("Basic") == true)
            let wrong = try await client.send(.GET, "/api/v1/user", user: "admin", password: "wrong")
            #expect(wrong.status == 401)
            #expect(wrong.headers.first(name: "WWW-Authenticate") != nil)

            let badLimit = try await client.send(.GET, "/api/v1/repos/team/empty/-/commits?limit=abc", user: admin.0, password: admin.1)
            #expect(badLimit.status == 400)
            #expect(badLimit.body.contains("'limit'"), "\(badLimit.body)")
            #expect(try await client.send(.GET, "/api/v1/repos/team/empty/-/commits?limit=0", user: admin.0, password: admin.1).status == 400)

            let history = try await client.send(.GET, "/api/v1/repos/team/empty/-/commits", user: admin.0, password: admin.1)
            #expect(history.status == 200, "\(history.body)")
            #expect(history.body == "[]")

            let cloneURL = try await client.send(.GET, "/team/empty.git")
            #expect(cloneURL.status == 303)
            #expect(cloneURL.headers.first(name: "Location") == "/team/empty")
        }
    }
}
