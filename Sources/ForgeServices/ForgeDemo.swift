import DeployKit
public import ForgeKit
import Foundation
public import Logging

/// The demo `make run` shows: a repository whose pushes run a pipeline (tests, then a deployment),
/// and the pipeline seed's own example — a pull request whose change breaks the linter: its run
/// fails, the failure status and the protected `main` block the merge, and the linter's output is
/// commented on it.
public enum ForgeDemo {
    static let path = "demo/hello"

    static let files: [(String, String, Bool)] = [
        ("README.md", "# hello\n\nThe Forgeworks demo. Push a change and watch its pipeline run.\n", false),
        ("hello.sh", "#!/bin/sh\necho \"hello, ${1:-world}\"\n", true),
        ("test.sh", "#!/bin/sh\nset -e\necho \"testing as $(id -un) on $(uname -n)\"\ntest \"$(./hello.sh forge)\" = \"hello, forge\"\necho \"tests passed\"\n", true),
        ("deploy.sh", "#!/bin/bash\necho \"deploying $(git rev-parse --short HEAD 2>/dev/null || echo release) to ${DEPLOY_RELEASE_DIR:-.}\"\n", true),
        ("lint.sh", "#!/bin/sh\nif grep -n 'eval ' hello.sh test.sh deploy.sh; then echo 'lint: eval is not allowed'; exit 1; fi\necho 'lint: clean'\n", true),
        (".pipeline.yml", """
            - name: test-and-deploy
              source:
                source_class: push
                criteria: {branch: main}
              actions:
                - name: test
                  task: shell
                  kwargs: {command: ./test.sh}
                  success_handler:
                    name: deploy
                    task: deploy
            - name: lint
              source: {source_class: pull_request}
              actions:
                - name: lint
                  task: shell
                  kwargs: {command: ./lint.sh}
                  failure_handler:
                    name: comment
                    task: pull_request_comment
                    kwargs: {template: "The linter says:\\n\\n{{ parent.output|indent(4, True) }}"}

            """, false),
    ]

    /// The change of the demo's pull request: it breaks the linter.
    static let change = ("hello.sh", "#!/bin/sh\neval \"echo hello, ${1:-world}\"\n")

    /// Creates `demo/hello` on the first start and pushes its first commit with the git client, so
    /// that the push runs the pipeline as any push would; protects `main` (the lint status and an
    /// approval for merges) and opens the pull request whose change breaks the linter.
    ///
    /// - Returns: what the demo is, in a sentence for the operator.
    @discardableResult
    public static func prepare(forge: Forge, admin: ForgeUser, url: String, logger: Logger) async throws -> String {
        let path = try RepositoryPath(Self.path)
        if let existing = try await forge.repositories.repository(path) {
            return "demo repository at \(url)/\(existing.path)"
        }
        let repository = try await forge.repositories.create(path, kind: .git, description: "The Forgeworks demo", owner: admin)
        do {
            try await forge.configureDeployment(of: repository, script: "./deploy.sh",
                                                releasesPath: forge.options.dataDirectory + "/releases/demo-hello")
            try await push(forge: forge, admin: admin, url: url)
            try await forge.store.saveBranchProtection(repositoryID: repository.id, BranchProtection(
                pattern: "main", directPush: .writers, statusChecks: ["forge/lint"], requiredApprovals: 1))
            _ = try await PullRequests(repositories: forge.repositories).open(in: repository, title: "Greet through eval",
                                                                             body: "The linter should catch this.", head: "greeting", base: "main", author: admin)
        } catch {
            // Leave nothing half made: the next start tries again.
            try? await forge.repositories.delete(path)
            throw error
        }
        logger.info("demo prepared", metadata: ["repository": "\(Self.path)"])
        return "demo repository at \(url)/\(Self.path) — its first push is running its pipeline; pull request \(url)/\(Self.path)/-/pull/1 breaks the linter"
    }

    private static func push(forge: Forge, admin: ForgeUser, url: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("forge-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for (name, text, executable) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name))
            if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work + "/" + name) }
        }
        let (token, record) = try await forge.accounts.createToken(userID: admin.id, name: "demo setup")
        defer { Task { try? await forge.store.deleteToken(id: record.id, userID: admin.id) } }
        let remote = url.replacingOccurrences(of: "://", with: "://admin:\(token)@") + "/" + Self.path + ".git"
        for arguments in [["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "Start the demo"], ["push", "-q", remote, "main"]] {
            try await git(arguments, in: work)
        }
        try Data(change.1.utf8).write(to: URL(fileURLWithPath: work + "/" + change.0))
        for arguments in [["checkout", "-q", "-b", "greeting"], ["commit", "-q", "-am", "Greet through eval"], ["push", "-q", remote, "greeting"]] {
            try await git(arguments, in: work)
        }
    }

    private static func git(_ arguments: [String], in directory: String) async throws {
        guard let git = GitHTTPBackend.findExecutable("git") else {
            throw ForgeError(.notFound, "git is not installed", operation: "prepare demo")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_AUTHOR_NAME"] = "Forgeworks demo"
        environment["GIT_AUTHOR_EMAIL"] = "demo@forgeworks.invalid"
        environment["GIT_COMMITTER_NAME"] = "Forgeworks demo"
        environment["GIT_COMMITTER_EMAIL"] = "demo@forgeworks.invalid"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        let result = try await ChildProcess.run([git, "-C", directory] + arguments, environment: environment)
        guard result.status == 0 else {
            throw ForgeError(.io, "git \(arguments.first ?? "") failed with status \(result.status): \(result.error)", operation: "prepare demo")
        }
    }
}
