import DeployKit
import ForgeKit
import ForgeServices
import Foundation
import HTTPTypes
import Hummingbird

/// Deployments in the UI: the list with the current release of each environment, approving, cancelling,
/// rolling back to a chosen release after a confirmation, and setting up how a repository deploys.
extension ForgeWebService {
    /// What a deployment did, in words: `deploy`, or `rollback to R` (or to the previous release).
    static func deploymentKind(_ deployment: Deployment) -> String {
        switch deployment.kind {
        case .deploy: "deploy"
        case .rollback(let release): "rollback to " + (release ?? "the previous release")
        }
    }

    /// The releases of `environment` a rollback may go to: the successful deployments that made or
    /// switched to one, newest first, one entry per release.
    func releases(of repository: RepositoryRecord, environment: String, controller: DeploymentController) async throws -> [Deployment] {
        let all = try await controller.store.deployments(DeploymentQuery(project: Forge.deployProject(of: repository), environment: environment,
                                                                         state: .succeeded, limit: 200))
        var seen = Set<String>()
        return all.filter { deployment in deployment.release.map { seen.insert($0).inserted } ?? false }
    }

    func deploymentsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, query: [String: String]) async throws -> Response {
        guard let deployments else { throw ForgeError(.notFound, "this forge deploys nothing", operation: "deployments") }
        if let environment = query["rollback"] {
            return try await rollbackPage(repository, viewer: viewer, level: level, environment: environment, controller: deployments)
        }
        let project = Forge.deployProject(of: repository)
        let list = try await deployments.store.deployments(DeploymentQuery(project: project, limit: 50))
        let settings = try await deployments.store.project(named: project)
        let action = link(repository, "deployments")
        func button(_ name: String, _ label: String, _ fields: [String: String], id: String) -> [String: Any] {
            ["buttonAction": name, "buttonLabel": label, "buttonID": id,
             "fields": fields.sorted(by: { $0.key < $1.key }).map { ["fieldName": $0.key, "fieldValue": $0.value] }]
        }
        var environments: [[String: Any]] = []
        for environment in settings?.environments ?? [] {
            let current = try await deployments.store.currentRelease(project: project, environment: environment.name)
            environments.append(view([
                "environmentName": environment.name,
                "currentRelease": current?.release ?? (environment.releases == nil ? "in place" : "none yet"),
                "deployed": current.map { "#\($0.id.rawValue) · " + Web.relativeTime($0.finishedAt ?? $0.createdAt) },
                "rollbackHref": level >= .write && environment.releases != nil ? action + "?rollback=" + urlEncode(environment.name) : nil,
            ]))
        }
        let rows = list.map { deployment -> [String: Any] in
            let id = String(deployment.id.rawValue)
            var buttons: [[String: Any]] = []
            if level >= .write {
                if deployment.state == .notInitialized { buttons.append(button("start", "Approve", ["id": id], id: "start-\(id)")) }
                if !deployment.state.isFinal { buttons.append(button("cancel", "Cancel", ["id": id], id: "cancel-\(id)")) }
            }
            return view([
                "deploymentID": id, "deploymentHref": link(repository, "deployment", id), "what": Self.deploymentKind(deployment),
                "deploymentBranch": deployment.branch, "deploymentEnvironment": deployment.environment,
                "commitHref": deployment.commit.isEmpty ? nil : link(repository, "commit", deployment.commit), "commitShort": String(deployment.commit.prefix(10)),
                "state": deployment.state.rawValue, "release": deployment.release, "requestedBy": deployment.requestedBy,
                "when": Web.relativeTime(deployment.createdAt), "buttons": buttons,
            ])
        }
        let deployButtons = level >= .write ? (settings?.branches ?? []).map {
            button("deploy", "Deploy \($0.name) to \($0.environment)", ["branch": $0.name], id: "deploy-\($0.name)")
        } : []
        let context = view([
            "deploymentsAction": action, "noDeploy": settings == nil,
            "setUpHref": level >= .admin ? link(repository, "settings") + "#deploy" : nil,
            "hasEnvironments": !environments.isEmpty, "environments": environments, "deployments": rows, "deployButtons": deployButtons,
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Deployments", active: "deployments", template: "deployments", context)
    }

    /// Choosing the release to roll `environment` back to, and confirming it.
    func rollbackPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, environment: String,
                      controller: DeploymentController) async throws -> Response {
        guard level >= .write else { throw ForgeError(.forbidden, "rolling back needs write on \(repository.path)", operation: "rollback") }
        let project = Forge.deployProject(of: repository)
        guard let settings = try await controller.store.project(named: project)?.environment(environment), settings.releases != nil else {
            throw ForgeError(.notFound, "no environment '\(environment)' that keeps releases", operation: "rollback")
        }
        let current = try await controller.store.currentRelease(project: project, environment: environment)?.release
        let choices = try await releases(of: repository, environment: environment, controller: controller).filter { $0.release != current }
        let context = view([
            "environment": environment, "current": current ?? "none", "deploymentsAction": link(repository, "deployments"),
            "hasChoices": !choices.isEmpty,
            "choices": choices.enumerated().map { index, deployment in
                ["release": deployment.release ?? "", "newest": index == 0, "commitShort": String(deployment.commit.prefix(10)),
                 "deploymentID": deployment.id.rawValue, "branch": deployment.branch,
                 "when": Web.relativeTime(deployment.finishedAt ?? deployment.createdAt)] as [String: Any]
            },
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Roll back", active: "deployments", template: "rollback", context)
    }

    // MARK: - Setting up

    /// The values of the settings page's Deployments section (`deploy-settings`): the branches that
    /// deploy and the environments, and what was typed into a refused form.
    func deploySettingsContext(_ repository: RepositoryRecord, values: [String: String]) async throws -> [String: Any]? {
        guard let setups = deploySetups else { return nil }
        let setup = try await setups.setup(of: repository) ?? DeploySetup(branches: [], environments: [])
        return view([
            "network": repository.pipelineNetwork.rawValue,
            "deployEnvironments": setup.environments.map { environment in
                ["removeKind": "environment", "removeName": environment.name, "variableNames": environment.variables.keys.sorted().joined(separator: " "),
                 "secretNames": (environment.secrets ?? [:]).keys.sorted().joined(separator: " "),
                 "kept": environment.keepReleases.map(String.init) ?? "in place"]
            },
            "deployBranches": setup.branches.map { branch in
                ["removeKind": "branch", "removeName": branch.name, "mode": branch.mode.rawValue, "branchEnvironment": branch.environment,
                 "script": branch.script]
            },
            "typedName": values["name"], "typedKeep": values["keep"] ?? "5", "typedVariables": values["variables"],
            "typedBranch": values["branch"], "typedManual": values["mode"] == "manual", "typedEnvironment": values["environment"],
            "typedScript": values["script"],
        ])
    }

    /// `NAME=value` lines as a dictionary; a line without `=` is an error naming it.
    static func assignments(_ text: String, field: String) throws(ForgeError) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let equals = line.firstIndex(of: "=") else {
                throw ForgeError(.invalidArgument, "\(field): '\(line)' is not NAME=value", operation: "set up deployments")
            }
            values[line[..<equals].trimmingCharacters(in: .whitespaces)] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// Applies one of the Deployments forms of the settings page to the stored set-up.
    func changeDeploySetup(_ repository: RepositoryRecord, form: [String: String]) async throws {
        guard let setups = deploySetups else { throw ForgeError(.notFound, "this forge deploys nothing", operation: "set up deployments") }
        var setup = try await setups.setup(of: repository) ?? DeploySetup(branches: [], environments: [])
        // Secrets read back carry no values: nil keeps the stored ones.
        for index in setup.environments.indices { setup.environments[index].secrets = nil }
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        switch form["action"] {
        case "deploy-environment":
            let keep = Int(form["keep"] ?? "5") ?? -1
            guard (0...50).contains(keep) else { throw ForgeError(.invalidArgument, "releases to keep must be from 0 to 50", operation: "set up deployments") }
            let secrets = try Self.assignments(form["secrets"] ?? "", field: "secrets")
            let environment = DeploySetup.Environment(name: name, variables: try Self.assignments(form["variables"] ?? "", field: "variables"),
                                                      secrets: secrets.isEmpty ? nil : secrets, keepReleases: keep == 0 ? nil : keep)
            if let index = setup.environments.firstIndex(where: { $0.name == name }) {
                setup.environments[index] = environment
            } else {
                setup.environments.append(environment)
            }
        case "deploy-branch":
            let branch = DeploySetup.Branch(name: (form["branch"] ?? "").trimmingCharacters(in: .whitespaces),
                                            mode: DeploymentMode(rawValue: form["mode"] ?? "") ?? .auto,
                                            environment: (form["environment"] ?? "").trimmingCharacters(in: .whitespaces), script: form["script"] ?? "")
            if let index = setup.branches.firstIndex(where: { $0.name == branch.name }) {
                setup.branches[index] = branch
            } else {
                setup.branches.append(branch)
            }
        case "remove-deploy-branch":
            setup.branches.removeAll { $0.name == name }
        case "remove-deploy-environment":
            guard !setup.branches.contains(where: { $0.environment == name }) else {
                throw ForgeError(.invalidArgument, "branches still deploy to '\(name)'; remove them first", operation: "set up deployments")
            }
            setup.environments.removeAll { $0.name == name }
        default:
            throw ForgeError(.invalidArgument, "unknown action", operation: "set up deployments")
        }
        try await setups.save(setup, for: repository)
    }
}
