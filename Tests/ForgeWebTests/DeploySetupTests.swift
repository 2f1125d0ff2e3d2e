import DeployKit
import ForgeKit
import ForgeKitTesting
import ForgeServices
import PipelineKit
import Foundation
import NIOHTTP1
import Testing

/// Setting up a repository's deploy through `/api/v1` (Gitea has no such endpoint; the shape is ours),
/// bad set-ups refused naming the field, releases listed, rollbacks from pages confirmed first.
@Suite(.timeLimit(.minutes(3))) struct DeploySetupTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("PUT/GET/DELETE …/-/deploy: admins set it up, secrets are write-only, releases live under the forge's data; bad set-ups name the field")
    func setUpThroughTheAPI() async throws {
        try await RunningForge.run { running in
            let client = Client(base: running.base)
            #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/api"]).status == 201)
            #expect(try await client.send(.GET, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1).status == 404)
            let setup: [String: Any] = [
                "branches": [["name": "main", "mode": "auto", "environment": "production", "script": "./deploy.sh"]],
                "environments": [["name": "production", "variables": ["REGION": "eu"], "secrets": ["TOKEN": "s3cret-value"], "keep_releases": 2]],
            ]
            let saved = try await client.send(.PUT, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1, json: setup)
            #expect(saved.status == 200, "\(saved.body)")
            #expect(!saved.body.contains("s3cret-value"))
            let read = try #require(try client.json(try await client.send(.GET, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1)) as? [String: Any])
            let environment = try #require((read["environments"] as? [[String: Any]])?.first)
            #expect((environment["secrets"] as? [String: String]) == ["TOKEN": ""])
            #expect((environment["variables"] as? [String: String]) == ["REGION": "eu"] && environment["keep_releases"] as? Int == 2)
            // Saved again without secrets: the stored secret stays.
            var again = setup
            again["environments"] = [["name": "production", "keep_releases": 2]]
            #expect(try await client.send(.PUT, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1, json: again).status == 200)
            let record = try #require(try await running.forge.repositories.repository(try RepositoryPath("team/api")))
            let project = try #require(try await running.forge.deployments.store.project(named: "repo-\(record.id)"))
            #expect(project.environments.first?.secrets == ["TOKEN": "s3cret-value"])
            #expect(project.environments.first?.releases?.path.hasPrefix(running.folder + "/data/releases/") == true, "\(String(describing: project.environments.first?.releases))")
            #expect(project.environments.first?.network == Sandbox.Network.none, "the pipelines' network, which only site admins open")

            // Bad set-ups: the field is named; nothing changes.
            let cases: [([String: Any], String)] = [
                (["branches": [], "environments": [["name": "../etc"]]], "environments[0].name"),
                (["branches": [["name": "main", "environment": "staging", "script": "x"]], "environments": [["name": "production"]]], "branches[0].environment"),
                (["branches": [["name": "main", "environment": "production"]], "environments": [["name": "production"]]], "branches[0].script"),
                (["branches": [], "environments": [["name": "production", "variables": ["BAD-NAME": "x"]]]], "'BAD-NAME'"),
                (["branches": [["name": "main", "mode": "sometimes", "environment": "production", "script": "x"]], "environments": [["name": "production"]]], "branches[0].mode"),
            ]
            for (body, field) in cases {
                let refused = try await client.send(.PUT, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1, json: body)
                #expect(refused.status == 400 || refused.status == 422, "\(body): \(refused.status)")
                #expect(refused.body.contains(field), "\(refused.body) should name \(field)")
            }
            #expect(try await running.forge.deployments.store.project(named: project.name)?.branches.count == 1)

            // Writers may deploy but not set up; readers of a private repository learn nothing.
            #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                          json: ["name": "wes", "password": "wes-password", "email": "w@example.com"]).status == 201)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/api/-/permissions/wes", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            #expect(try await client.send(.PUT, "/api/v1/repos/team/api/-/deploy", user: "wes", password: "wes-password", json: setup).status == 403)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/api/-/deploy", user: "wes", password: "wes-password").status == 403)
            #expect(try await client.send(.DELETE, "/api/v1/repos/team/api/-/deploy", user: admin.0, password: admin.1).status == 204)
            #expect(try await running.forge.deployments.store.project(named: project.name)?.branches.isEmpty == true)
        }
    }

    @Test("releases are listed for rollbacks with the current one marked; a rollback posted from a page without its confirmation only asks")
    func releasesAndConfirmation() async throws {
        try await RunningForge.run { running in
            let client = Client(base: running.base)
            let record = try await running.forge.repositories.create(try RepositoryPath("team/rel"), kind: .git, isPrivate: true, owner: ForgeUser?.none)
            try await running.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: running.folder + "/releases")
            _ = try await pushProject(running, repository: "team/rel", user: admin.0, password: admin.1)
            var releases: [[String: Any]] = []
            let deadline = ContinuousClock.now + .seconds(60)
            // The release's directory appears before the deployment switches `current` to it: wait for both.
            func deployed() -> Bool { releases.first?["current"] as? Bool == true }
            while !deployed(), ContinuousClock.now < deadline {
                releases = try client.json(try await client.send(.GET, "/api/v1/repos/team/rel/-/releases?environment=production", user: admin.0, password: admin.1))
                    as? [[String: Any]] ?? []
                if !deployed() { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(releases.count == 1 && releases.first?["current"] as? Bool == true)
            #expect(try await client.send(.GET, "/api/v1/repos/team/rel/-/releases", user: admin.0, password: admin.1).status == 400)

            let session = try await client.signIn(admin.0, admin.1)
            let csrf = try await client.csrf("/team/rel/-/deployments", cookie: session)
            let asked = try await client.send(.POST, "/team/rel/-/deployments", form: ["action": "rollback", "environment": "production", "_csrf": csrf], cookie: session)
            #expect(asked.status == 200 && asked.body.contains("Roll production back"))
            #expect(asked.body.contains("id=\"no-releases\""), "one release: nothing earlier to roll back to")
            let list = try await running.forge.deployments.store.deployments(.init(project: "repo-\(record.id)", limit: 10))
            #expect(list.allSatisfy { $0.kind == .deploy }, "nothing was rolled back")
        }
    }
}
