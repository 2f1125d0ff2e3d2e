import DeployKit
import ForgeKit
import ForgeKitServer
import ForgeKitTesting
import ForgeServices
import ForgeWeb
import Foundation
import NIOHTTP1
import PipelineKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Pushes `files` (path → text; `.sh` files executable) as one commit on `main` and returns its id.
func pushFiles(_ forge: RunningForge, repository: String, user: String, password: String, files: [String: String],
               message: String = "files") async throws -> String {
    try await pushFiles(base: forge.base, folder: forge.folder, repository: repository, user: user, password: password,
                        files: files, message: message)
}

/// Pushes `files` to the forge at `base`, working in a new folder inside `folder`.
func pushFiles(base: String, folder: String, repository: String, user: String, password: String, files: [String: String],
               message: String = "files") async throws -> String {
    let work = folder + "/work-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    for (name, text) in files {
        let path = work + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if name.hasSuffix(".sh") { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    }
    _ = try await git(["init", "-q", "-b", "main"], in: work)
    _ = try await git(["add", "."], in: work)
    _ = try await git(["commit", "-q", "-m", message], in: work)
    let remote = base.replacingOccurrences(of: "://", with: "://\(user):\(password)@") + "/" + repository + ".git"
    _ = try await git(["push", "-q", "-f", remote, "main"], in: work)
    return try await git(["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Waits for the run of `commit` in `repository` to end; its JSON and its log.
func finishedRun(_ client: Client, repository: String, commit: String, user: String, password: String) async throws -> ([String: Any], String) {
    for _ in 0..<600 {
        let runs = try client.json(try await client.send(.GET, "/api/v1/repos/\(repository)/-/runs", user: user, password: password))
            as? [[String: Any]] ?? []
        if let run = runs.first(where: { $0["commit"] as? String == commit }), let status = run["status"] as? String,
           !["queued", "running"].contains(status), let id = run["id"] as? Int {
            var log = ""
            var after = 0
            while true {
                let part = try client.json(try await client.send(.GET, "/api/v1/runs/\(id)/log?after=\(after)", user: user, password: password))
                    as? [String: Any] ?? [:]
                log += part["text"] as? String ?? ""
                guard let next = part["next"] as? Int, next > after else { break }
                after = next
            }
            return (run, log)
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw ForgeError(.io, "the run of \(commit) in \(repository) did not end", operation: "test")
}

/// Pipelines are code from strangers: what any account's pipeline can reach in the forge.
@Suite(.timeLimit(.minutes(5))) struct ForgeSandboxTests {
    @Test func aNonAdminsPipelineFindsNothingOfOthers() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            for name in ["alice", "mallory"] {
                let made = try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                                 json: ["name": name, "password": "\(name)-password-123"])
                #expect(made.status == 201)
            }
            // Alice's private repository, with something worth stealing.
            #expect(try await client.send(.POST, "/api/v1/repos", user: "alice", password: "alice-password-123",
                                          json: ["name": "alice/vault", "private": true]).status == 201)
            _ = try await pushFiles(forge, repository: "alice/vault", user: "alice", password: "alice-password-123",
                                    files: ["plans.txt": "ALICE-VAULT-CONTENT-5521\n"])

            // Mallory's pipeline goes looking for it, for the forge's databases and the server's environment.
            #expect(try await client.send(.POST, "/api/v1/repos", user: "mallory", password: "mallory-password-123",
                                          json: ["name": "mallory/probe"]).status == 201)
            let data = forge.folder + "/data"
            let port = URL(string: forge.base)?.port ?? 0
            let probe = """
                #!/bin/bash
                echo "== who: $(id -un) on $(uname -n)"
                echo "== data:"; ls \(data) 2>&1; ls \(data)/repositories/alice 2>&1
                cat \(data)/forge.sqlite 2>&1 | head -c 64; echo
                cat \(data)/runs.sqlite 2>&1 | head -c 64; echo
                grep -r ALICE-VAULT-CONTENT / --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr 2>/dev/null | grep -v probe.sh | head -3
                \(HostEnvironment.probe())
                echo "== forge: $( (exec 3<>/dev/tcp/127.0.0.1/\(port) && echo REACHED) 2>&1 | tail -1)"
                echo "== git: $(git log --format=%s -1) $(git status --porcelain | wc -l)"
                make -s && cat built.txt
                echo "== origin:"; for object in $(find ../repository.git/objects -type f | head -20); do chmod u+w "$object" 2>/dev/null; printf 'x' >> "$object" 2>/dev/null; done; echo tampered
                """
            let files = [
                "probe.sh": probe,
                "Makefile": "all:\n\techo built by make > built.txt\n",
                ".pipeline.yml": "name: probe\nsource: {source_class: push}\nactions:\n  - {name: probe, task: shell, kwargs: {command: ./probe.sh}}\n",
            ]
            let first = try await pushFiles(forge, repository: "mallory/probe", user: "mallory", password: "mallory-password-123",
                                            files: files, message: "probe the forge")
            let (run, log) = try await finishedRun(client, repository: "mallory/probe", commit: first, user: "mallory", password: "mallory-password-123")
            #expect(run["status"] as? String == "succeeded", "\(run)\n\(log)")
            #expect(log.contains("== who: build on sandbox"))
            #expect(!log.contains("ALICE-VAULT-CONTENT-5521"), "another user's private repository: \(log)")
            #expect(!log.contains("SQLite format 3"), "the forge's databases: \(log)")
            // No process shows any of the server's variables, only the pipeline's own.
            let seen = HostEnvironment.probed(in: log)
            #expect(seen.contains("PIPELINE_RUN_ID"), "\(log)")
            #expect(seen.isDisjoint(with: HostEnvironment.names(excluding: ["PATH", "HOME", "LANG"],
                                                                prefixes: ["PIPELINE_", "SOURCE_", "PARENT_", "DEPLOY_"])),
                    "the server's environment: \(seen)")
            #expect(log.contains("No such file or directory"))
            #expect(!log.contains("REACHED"), "with the network policy none, not even the forge on loopback: \(log)")
            #expect(log.contains("== git: probe the forge 0"), "git works on the checkout: \(log)")
            #expect(log.contains("built by make"))
            // The tampering touched only the workspace's copy: the forge's repository is whole.
            let fsck = try await git(["--git-dir", data + "/repositories/mallory/probe", "fsck", "--strict"], in: forge.folder)
            #expect(!fsck.contains("error"))

            // Only a site admin opens the network, and then the same probe reaches the forge.
            let refused = try await client.send(.PUT, "/api/v1/repos/mallory/probe/-/pipeline-network", user: "mallory",
                                                password: "mallory-password-123", json: ["network": "host"])
            #expect(refused.status == 403)
            let opened = try await client.send(.PUT, "/api/v1/repos/mallory/probe/-/pipeline-network", user: admin.0, password: admin.1,
                                               json: ["network": "host"])
            #expect(opened.status == 200)
            var again = files
            again["again.txt"] = "again\n"
            let second = try await pushFiles(forge, repository: "mallory/probe", user: "mallory", password: "mallory-password-123",
                                             files: again, message: "probe again")
            let (_, hostLog) = try await finishedRun(client, repository: "mallory/probe", commit: second, user: "mallory",
                                                     password: "mallory-password-123")
            #expect(hostLog.contains("REACHED"), "\(hostLog)")
        }
    }

    @Test func repositorySecretsReachOnlyTheirRepositorysRunsMasked() async throws {
        try await RunningForge.run { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            for name in ["with-secret", "without-secret"] {
                #expect(try await client.send(.POST, "/api/v1/repos", user: admin.0, password: admin.1, json: ["name": "team/\(name)"]).status == 201)
            }
            let put = try await client.send(.PUT, "/api/v1/repos/team/with-secret/-/secrets/DEPLOY_KEY_X", user: admin.0, password: admin.1,
                                            json: ["data": "value"])
            #expect(put.status == 400, "the forge's own variable families are refused")
            #expect(try await client.send(.PUT, "/api/v1/repos/team/with-secret/-/secrets/API_KEY", user: admin.0, password: admin.1,
                                          json: ["data": "s3cr3t-value-991"]).status == 204)
            let listed = try await client.send(.GET, "/api/v1/repos/team/with-secret/-/secrets", user: admin.0, password: admin.1)
            #expect(listed.body.contains("API_KEY") && !listed.body.contains("s3cr3t-value-991"))
            let files = [".pipeline.yml": "name: show\nsource: {source_class: push}\nactions:\n  - {name: show, task: shell, kwargs: {command: 'echo \"key=${API_KEY-unset}\"; echo \"tail=${API_KEY#s3cr3t-}\"'}}\n"]
            let withCommit = try await pushFiles(forge, repository: "team/with-secret", user: admin.0, password: admin.1, files: files)
            let (_, withLog) = try await finishedRun(client, repository: "team/with-secret", commit: withCommit, user: admin.0, password: admin.1)
            #expect(withLog.contains("key=***"), "\(withLog)")
            #expect(withLog.contains("tail=value-991"), "the command got the value")
            #expect(!withLog.contains("s3cr3t-value-991"))
            let withoutCommit = try await pushFiles(forge, repository: "team/without-secret", user: admin.0, password: admin.1, files: files)
            let (_, withoutLog) = try await finishedRun(client, repository: "team/without-secret", commit: withoutCommit, user: admin.0,
                                                        password: admin.1)
            #expect(withoutLog.contains("key=unset"), "\(withoutLog)")
        }
    }

    @Test func theDemoOfMakeRunRunsInTheSandbox() async throws {
        let folder = try RepositoryFixture.temporaryDirectory(prefix: "forge-demo")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var environment = ProcessInfo.processInfo.environment
        environment["FORGE_ADMIN_PASSWORD"] = "demo-admin-password"
        let server = try ExampleProcess("forge", ["serve", "--data", folder + "/data", "--host", "127.0.0.1", "--port", "0", "--demo"],
                                        environment: environment)
        defer { server.stop() }
        let port = try await server.waitFor(#"forge listening on http://127\.0\.0\.1:(\d+)"#)
        _ = try await server.waitFor("its first push is running its pipeline")
        let client = Client(base: "http://127.0.0.1:\(port)")
        let runs = try client.json(try await client.send(.GET, "/api/v1/repos/demo/hello/-/runs", user: "admin", password: "demo-admin-password"))
            as? [[String: Any]] ?? []
        let commit = try #require(runs.first { $0["configuration"] as? String == "test-and-deploy" }?["commit"] as? String)
        let (run, log) = try await finishedRun(client, repository: "demo/hello", commit: commit, user: "admin", password: "demo-admin-password")
        #expect(run["status"] as? String == "succeeded", "\(log)\n\(server.text)")
        #expect(log.contains("tests passed"))
        #expect(log.contains("as build on sandbox"), "the demo's test ran as the sandbox's user: \(log)")
        // The seed's pull request: its lint fails, the linter's output is commented, and main's protection blocks the merge.
        let deadline = ContinuousClock.now + .seconds(60)
        var comments: [[String: Any]] = []
        while ContinuousClock.now < deadline, !comments.contains(where: { ($0["body"] as? String)?.contains("lint: eval is not allowed") == true }) {
            try await Task.sleep(for: .milliseconds(250))
            comments = try client.json(try await client.send(.GET, "/api/v1/repos/demo/hello/issues/1/comments", user: "admin", password: "demo-admin-password"))
                as? [[String: Any]] ?? []
        }
        #expect(comments.contains { ($0["body"] as? String)?.contains("hello.sh:2:eval") == true }, "\(comments)\n\(server.text)")
        // The run's status comes from the status reporter's next pass.
        var state: String?
        while ContinuousClock.now < deadline, state != "failure" {
            try await Task.sleep(for: .milliseconds(250))
            state = (try client.json(try await client.send(.GET, "/api/v1/repos/demo/hello/commits/greeting/status", user: "admin", password: "demo-admin-password"))
                as? [String: Any])?["state"] as? String
        }
        let merge = try await client.send(.POST, "/api/v1/repos/demo/hello/pulls/1/merge", user: "admin", password: "demo-admin-password", json: ["Do": "merge"])
        #expect(merge.status == 405 && merge.body.contains("'forge/lint' is failure"), "\(merge.body)")
    }
}

/// Who may deploy what: a repository's runs and writers, its own project only.
@Suite(.timeLimit(.minutes(5))) struct ForgeDeployAuthorizationTests {
    @Test func pipelinesAndPeopleDeployOnlyTheirOwnRepository() async throws {
        try await RunningForge.run(localRunner: false) { forge in
            let client = Client(base: forge.base)
            let admin = ("admin", RunningForge.adminPassword)
            for name in ["alice", "mallory"] {
                #expect(try await client.send(.POST, "/api/v1/users", user: admin.0, password: admin.1,
                                              json: ["name": name, "password": "\(name)-password-123"]).status == 201)
            }
            let alice = ("alice", "alice-password-123"), mallory = ("mallory", "mallory-password-123")
            // Alice's repository deploys; Mallory's repository is named as the old scheme would have mapped to the same project.
            #expect(try await client.send(.POST, "/api/v1/repos", user: alice.0, password: alice.1, json: ["name": "alice/hello"]).status == 201)
            #expect(try await client.send(.POST, "/api/v1/repos", user: mallory.0, password: mallory.1, json: ["name": "alice.hello"]).status == 201)
            let record = try #require(try await forge.forge.repositories.repository(try RepositoryPath("alice/hello")))
            try await forge.forge.configureDeployment(of: record, mode: .manual, script: "true", releasesPath: forge.folder + "/releases")
            let project = Forge.deployProject(of: record)
            _ = try await pushFiles(forge, repository: "alice/hello", user: alice.0, password: alice.1, files: ["README": "alice\n"])

            // Mallory's pipeline names Alice's project: refused, nothing queued.
            let attack = ".pipeline.yml"
            let commit = try await pushFiles(forge, repository: "alice.hello", user: mallory.0, password: mallory.1,
                                             files: [attack: "name: steal\nsource: {source_class: push}\nactions:\n  - {name: d, task: deploy, kwargs: {project: \(project), branch: main}}\n"])
            let (run, log) = try await finishedRun(client, repository: "alice.hello", commit: commit, user: mallory.0, password: mallory.1)
            #expect(run["status"] as? String != "succeeded", "\(log)")
            #expect(try await forge.forge.deployments.store.deployments(DeploymentQuery(project: project, limit: 10)).isEmpty)

            // People: a reader may not deploy; the writer queues, approves, cancels; nobody acts on another repository's deployment.
            #expect(try await client.send(.POST, "/api/v1/repos/alice/hello/-/deployments", user: mallory.0, password: mallory.1,
                                          json: ["branch": "main"]).status == 403)
            let queued = try await client.send(.POST, "/api/v1/repos/alice/hello/-/deployments", user: alice.0, password: alice.1, json: ["branch": "main"])
            #expect(queued.status == 201, "\(queued.body)")
            let id = try #require((try client.json(queued) as? [String: Any])?["id"] as? Int)
            #expect((try client.json(queued) as? [String: Any])?["state"] as? String == "initialized", "a person's deployment needs no approval")
            #expect(try await client.send(.POST, "/api/v1/repos/alice.hello/-/deployments/\(id)/cancel", user: mallory.0, password: mallory.1).status == 404)
            #expect(try await client.send(.POST, "/api/v1/repos/alice/hello/-/deployments/\(id)/cancel", user: mallory.0, password: mallory.1).status == 403)
            let cancelled = try await client.send(.POST, "/api/v1/repos/alice/hello/-/deployments/\(id)/cancel", user: alice.0, password: alice.1)
            let cancelledState = (try client.json(cancelled) as? [String: Any])?["state"] as? String
            #expect(cancelled.status == 200 && cancelledState == "cancelled")
            let listed = try client.json(try await client.send(.GET, "/api/v1/repos/alice/hello/-/deployments", user: alice.0, password: alice.1))
            #expect((listed as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
            #expect((try client.json(try await client.send(.GET, "/api/v1/repos/alice.hello/-/deployments", user: mallory.0, password: mallory.1))
                as? [[String: Any]])?.isEmpty == true)
        }
    }
}
