import DeployKit
import ForgeKit
import ForgeServices
import Foundation

/// What a person with write on a repository may do to its deployments, from the UI's buttons or
/// `/api/v1`: queue one, approve (start) one waiting for a person, cancel one, roll an environment
/// back. Every deployment named must be of the repository's own project (``Forge/deployProject(of:)``);
/// one of another project answers as one that does not exist. The caller has checked `write`.
struct DeploymentRequests {
    let controller: DeploymentController
    let repositories: RepositoryStore

    /// Performs `action` (`deploy`, `start`, `cancel`, `rollback`) with `fields` (`branch`, `commit`,
    /// `environment`, `id`, `release`) for `user`, and returns the deployment made or changed.
    ///
    /// DeployKit's errors pass through as they are: the page and the API answer them with their
    /// `HTTPResponseError` status, as DeployKit's own API does.
    func perform(_ action: String, on repository: RepositoryRecord, fields: [String: String], by user: String)
        async throws -> Deployment {
        let project = Forge.deployProject(of: repository)
        switch action {
        case "deploy":
            guard let branch = fields["branch"], !branch.isEmpty else {
                throw ForgeError(.invalidArgument, "say which branch to deploy", operation: "deploy")
            }
            var commit = fields["commit"] ?? ""
            if commit.isEmpty { commit = try await head(of: branch, in: repository) }
            return try await controller.queue(project: project, branch: branch, commit: commit,
                                              environment: fields["environment"].flatMap { $0.isEmpty ? nil : $0 }, trigger: .person(user))
        case "start":
            return try await controller.start(try own(fields["id"], project: project).id)
        case "cancel":
            return try await controller.cancel(try own(fields["id"], project: project).id, reason: "cancelled by \(user)")
        case "rollback":
            guard let environment = fields["environment"], !environment.isEmpty else {
                throw ForgeError(.invalidArgument, "say which environment to roll back", operation: "rollback")
            }
            return try await controller.rollback(project: project, environment: environment,
                                                 to: fields["release"].flatMap { $0.isEmpty ? nil : $0 }, requestedBy: user)
        default:
            throw ForgeError(.invalidArgument, "unknown deployment action '\(action)'", operation: "deployments")
        }
    }

    /// The deployment `id` names, when it is of `project`; else `notFound`, as for one that does not exist.
    private func own(_ id: String?, project: String) async throws -> Deployment {
        guard let id, let number = Int64(id), let deployment = try? await controller.deployment(DeploymentID(rawValue: number)),
              deployment.project == project else {
            throw ForgeError(.notFound, "no deployment \(id ?? "")", operation: "deployments")
        }
        return deployment
    }

    /// The commit at the tip of `branch` (a Git branch, or a Mercurial branch or bookmark).
    private func head(of branch: String, in repository: RepositoryRecord) async throws -> String {
        let directory = repositories.directory(for: repository.path)
        switch repository.kind {
        case .git:
            let git = try await repositories.open.repository(at: directory)
            return try await git.withSession { session in try session.resolveCommit("refs/heads/" + branch).hex }
        case .hg:
            let tip = try await MercurialRepository.withRepository(at: directory) { try await $0.log(try .symbol(branch), limit: 1).first }
            guard let tip else { throw ForgeError(.notFound, "no branch '\(branch)'", operation: "deploy") }
            return tip.node
        }
    }
}
