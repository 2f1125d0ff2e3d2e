import DeployKit
import ForgeKit
import ForgeKitTesting
import ForgeServices
import Foundation
import NIOHTTP1
import Testing

/// The pipeline seed's own example on the forge alone: a pull request checked by a linter whose
/// output is commented on it when it fails; branch protection holds the merge until the fix is green
/// and someone else approves; the merge's push deploys.
@Suite(.timeLimit(.minutes(4))) struct SeedScenarioTests {
    let admin = ("admin", RunningForge.adminPassword)

    @Test("a breaking pull request: lint fails, the status shows, the merge is blocked, the linter's output is commented; the fix goes green, another user approves, the merge deploys",
          arguments: ForgeDatabase.allCases)
    func pullRequestFlow(database: ForgeDatabase) async throws {
        try await RunningForge.run(database: try database.location()) { running in
            let client = Client(base: running.base)
            let record = try await running.forge.repositories.create(try RepositoryPath("team/seed"), kind: .git, isPrivate: false, owner: ForgeUser?.none)
            try await running.forge.configureDeployment(of: record, script: "./deploy.sh", releasesPath: running.folder + "/releases")
            for name in ["ann", "wes"] {
                #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                              json: ["name": name, "password": name + "-password", "email": name + "@example.com"]).status == 201)
                #expect(try await client.send(.PUT, "/api/v1/repos/team/seed/-/permissions/\(name)", user: admin.0, password: admin.1, json: ["level": "write"]).status == 200)
            }
            // main: the code, a linter, a deploy script and the pipelines.
            let work = running.folder + "/seed-work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let files = [
                "app.py": "print('hello')\n",
                "lint.sh": "#!/bin/sh\nif grep -n 'import \\*' *.py; then echo 'lint: wildcard imports are not allowed'; exit 1; fi\necho 'lint: clean'\n",
                "deploy.sh": "#!/bin/sh\necho \"deployed $SOURCE_COMMIT\"\n",
                ".pipeline.yml": """
                    - name: lint
                      source: {source_class: pull_request}
                      actions:
                        - name: flake
                          task: shell
                          kwargs: {command: ./lint.sh}
                          failure_handler:
                            name: notify
                            task: pull_request_comment
                            kwargs: {template: "Lint failed:\\n\\n{{ parent.output|indent(4, True) }}"}
                    - name: release
                      source: {source_class: push, criteria: {branch: main}}
                      actions:
                        - {name: ship, task: deploy}

                    """,
            ]
            for (name, text) in files {
                try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name))
                if name.hasSuffix(".sh") { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work + "/" + name) }
            }
            let remote = { (user: String, password: String) in running.base.replacingOccurrences(of: "://", with: "://\(user):\(password)@") + "/team/seed.git" }
            _ = try await git(["init", "-q", "-b", "main"], in: work)
            _ = try await git(["add", "."], in: work)
            _ = try await git(["commit", "-q", "-m", "Start"], in: work)
            _ = try await git(["push", "-q", remote(admin.0, admin.1), "main"], in: work)
            let api = "/api/v1/repos/team/seed"
            #expect(try await client.send(.POST, "\(api)/branch_protections", user: admin.0, password: admin.1,
                                          json: ["rule_name": "main", "enable_status_check": true, "status_check_contexts": ["forge/lint"],
                                                 "required_approvals": 1]).status == 201)

            func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
                let deadline = ContinuousClock.now + .seconds(90)
                while ContinuousClock.now < deadline {
                    if try await condition() { return }
                    try await Task.sleep(for: .milliseconds(250))
                }
                Issue.record("timed out waiting for \(what)")
            }
            func status(_ commit: String) async throws -> String? {
                let combined = try client.json(try await client.send(.GET, "\(api)/commits/\(commit)/status", user: admin.0, password: admin.1)) as? [String: Any]
                return (combined?["total_count"] as? Int ?? 0) > 0 ? combined?["state"] as? String : nil
            }

            // Ann opens a pull request whose change breaks the lint.
            _ = try await git(["checkout", "-q", "-b", "wildcard"], in: work)
            try Data("from os import *\nprint('hello')\n".utf8).write(to: URL(fileURLWithPath: work + "/app.py"))
            _ = try await git(["commit", "-q", "-am", "Import everything"], in: work)
            _ = try await git(["push", "-q", remote("ann", "ann-password"), "wildcard"], in: work)
            let broken = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await client.send(.POST, "\(api)/pulls", user: "ann", password: "ann-password",
                                          json: ["head": "wildcard", "base": "main", "title": "Use os"]).status == 201)
            try await waitFor("the failure status") { try await status(broken) == "failure" }
            let blocked = try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"])
            #expect(blocked.status == 405 && blocked.body.contains("'forge/lint' is failure"), "\(blocked.body)")
            var seen: [[String: Any]] = []
            try await waitFor("the linter's comment") {
                seen = try client.json(try await client.send(.GET, "\(api)/issues/1/comments", user: admin.0, password: admin.1)) as? [[String: Any]] ?? []
                return seen.contains { ($0["body"] as? String)?.contains("    1:from os import *\n    lint: wildcard imports are not allowed") == true }
            }
            #expect(seen.count == 1 && (seen.first?["body"] as? String)?.contains("    1:from os import *\n    lint: wildcard imports are not allowed") == true, "\(seen)")
            #expect(seen.first?["user"] == nil, "written by the forge's pipelines, not by a user")

            // Ann pushes a fix: the pull request takes the new head, which goes green.
            try Data("import os\nprint('hello')\n".utf8).write(to: URL(fileURLWithPath: work + "/app.py"))
            _ = try await git(["commit", "-q", "-am", "Import os only"], in: work)
            _ = try await git(["push", "-q", remote("ann", "ann-password"), "wildcard"], in: work)
            let fixed = try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
            try await waitFor("the success status") { try await status(fixed) == "success" }
            let stillBlocked = try await client.send(.POST, "\(api)/pulls/1/merge", user: admin.0, password: admin.1, json: ["Do": "merge"])
            #expect(stillBlocked.status == 405 && stillBlocked.body.contains("needs 1 approval"), "\(stillBlocked.body)")

            // Wes approves; the merge goes in, and its push deploys.
            #expect(try await client.send(.POST, "\(api)/pulls/1/reviews", user: "wes", password: "wes-password", json: ["event": "APPROVED"]).status == 200)
            let merged = try await client.send(.POST, "\(api)/pulls/1/merge", user: "wes", password: "wes-password", json: ["Do": "merge"])
            #expect(merged.status == 200, "\(merged.body)")
            let mergedPull = try client.json(merged) as? [String: Any]
            let mergeCommit = try #require(mergedPull?["merge_commit_sha"] as? String)
            try await waitFor("the deployment of the merge") {
                let deployments = try await running.forge.deployments.store.deployments(.init(project: Forge.deployProject(of: record), limit: 10))
                return deployments.contains { $0.commit == mergeCommit && $0.state == .succeeded }
            }
        }
    }
}
