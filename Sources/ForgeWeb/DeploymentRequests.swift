import DeployKit
import DeployKitServer
import ForgeKit
import ForgeServices
import Foundation
import HTTPTypes

/// What a person with write on a repository may do to its deployments, from the UI's buttons or
/// `/api/v1`: queue one, approve (start) one waiting for a person, cancel one, roll an environment
/// back. Every deployment named must be of the repository's own project (``Forge/deployProject(of:)``);
/// one of another project answers as one that does not exist. The caller has checked `write`.
struct DeploymentRequests {
    let controller: DeploymentController
    let repositories: RepositoryStore

    /// Performs `action` (`deploy`, `start`, `cancel`, `rollback`) with `fields` (`branch`, `commit`,
    /// `environment`, `id`, `release`) for `user`, and returns the deployment made or changed.
    func perform(_ action: String, on repository: RepositoryRecord, fields: [String: String], by user: String)
        async throws(ForgeError) -> Deployment {
        let project = Forge.deployProject(of: repository)
        do {
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
        } catch let error as ForgeError {
            throw error
        } catch let error as DeployError {
            // The same class of answer as DeployKit's own API gives (its HTTPResponseError status).
            let code: ForgeError.Code = switch error.status.code {
            case 404: .notFound
            case 409: .conflict
            case 403: .forbidden
            case 401: .authentication
            case 503: .cancelled
            case 400..<500: .invalidArgument
            default: .store
            }
            throw ForgeError(code, error.message, operation: error.operation, underlying: error)
        } catch {
            throw ForgeError(.store, "\(error)", operation: "deployments")
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
            let git = try await GitRepository.open(at: directory)
            return try await git.withSession { session in try session.resolveCommit("refs/heads/" + branch).hex }
        case .hg:
            let tip = try await MercurialRepository.withRepository(at: directory) { try await $0.log(try .symbol(branch), limit: 1).first }
            guard let tip else { throw ForgeError(.notFound, "no branch '\(branch)'", operation: "deploy") }
            return tip.node
        }
    }
}
