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

    func csrfField(_ viewer: Viewer) -> String { "<input type=\"hidden\" name=\"_csrf\" value=\"\(escape(viewer.csrf ?? ""))\">" }

    func deploymentsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, query: [String: String]) async throws -> Response {
        guard let deployments else { throw ForgeError(.notFound, "this forge deploys nothing", operation: "deployments") }
        if let environment = query["rollback"] {
            return try await rollbackPage(repository, viewer: viewer, level: level, environment: environment, controller: deployments)
        }
        let project = Forge.deployProject(of: repository)
        let list = try await deployments.store.deployments(DeploymentQuery(project: project, limit: 50))
        let settings = try await deployments.store.project(named: project)
        let action = link(repository, "deployments")
        func button(_ name: String, _ label: String, _ fields: [String: String], id: String) -> String {
            var form = "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(csrfField(viewer))"
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                form += "<input type=\"hidden\" name=\"\(escape(key))\" value=\"\(escape(value))\">"
            }
            return form + "<button name=\"action\" value=\"\(name)\" class=\"\(name)\" id=\"\(escape(id))\">\(escape(label))</button></form>"
        }
        var body = "<h2>Deployments</h2>"
        if settings == nil {
            body += "<p class=\"muted\" id=\"no-deploy\">This repository does not deploy."
            body += level >= .admin ? " <a href=\"\(link(repository, "settings"))#deploy\">Set it up</a>.</p>" : "</p>"
        }
        if let settings, !settings.environments.isEmpty {
            body += "<div class=\"table-scroll\"><table id=\"environments\"><tr><th>Environment</th><th>Current release</th><th>Deployed</th><th></th></tr>"
            for environment in settings.environments {
                let current = try await deployments.store.currentRelease(project: project, environment: environment.name)
                body += "<tr><td>\(escape(environment.name))</td><td class=\"mono current-release\" id=\"current-\(escape(environment.name))\">"
                body += "\(escape(current?.release ?? (environment.releases == nil ? "in place" : "none yet")))</td>"
                body += "<td>\(current.map { "#\($0.id.rawValue) · " + Web.relativeTime($0.finishedAt ?? $0.createdAt) } ?? "")</td><td>"
                if level >= .write, environment.releases != nil {
                    body += "<a class=\"rollback-link\" id=\"rollback-\(escape(environment.name))\" href=\"\(action)?rollback=\(urlEncode(environment.name))\">Roll back…</a>"
                }
                body += "</td></tr>"
            }
            body += "</table></div>"
        }
        body += "<div class=\"table-scroll\"><table id=\"deployment-list\"><tr><th>Deployment</th><th>What</th><th>Branch</th><th>Commit</th><th>Environment</th>"
        body += "<th>State</th><th>Release</th><th>By</th><th>When</th><th></th></tr>"
        for deployment in list {
            let id = String(deployment.id.rawValue)
            body += "<tr id=\"deployment-\(id)\"><td><a href=\"\(link(repository, "deployment", id))\">#\(id)</a></td>"
            body += "<td class=\"deployment-kind\">\(escape(Self.deploymentKind(deployment)))</td><td>\(escape(deployment.branch))</td><td class=\"mono\">"
            body += deployment.commit.isEmpty ? "" : "<a href=\"\(link(repository, "commit", deployment.commit))\">\(escape(String(deployment.commit.prefix(10))))</a>"
            body += "</td><td>\(escape(deployment.environment))</td><td><span class=\"state \(deployment.state.rawValue)\">\(deployment.state.rawValue)</span></td>"
            body += "<td>\(escape(deployment.release ?? ""))</td><td>\(escape(deployment.requestedBy))</td><td>\(Web.relativeTime(deployment.createdAt))</td><td>"
            if level >= .write {
                if deployment.state == .notInitialized { body += button("start", "Approve", ["id": id], id: "start-\(id)") }
                if !deployment.state.isFinal { body += button("cancel", "Cancel", ["id": id], id: "cancel-\(id)") }
            }
            body += "</td></tr>"
        }
        body += "</table></div>"
        if level >= .write, let settings {
            for branch in settings.branches {
                body += button("deploy", "Deploy \(branch.name) to \(branch.environment)", ["branch": branch.name], id: "deploy-\(branch.name)") + " "
            }
        }
        return frame(repository, viewer: viewer, level: level, title: "Deployments", active: "deployments", body: body)
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
        var body = "<h2>Roll \(escape(environment)) back</h2><p>The current release is <code id=\"rollback-current\">\(escape(current ?? "none"))</code>. "
        body += "Rolling back switches <code>current</code> to an earlier release; nothing is rebuilt.</p>"
        guard !choices.isEmpty else {
            body += "<p id=\"no-releases\">There is no earlier release to roll back to.</p>"
            return frame(repository, viewer: viewer, level: level, title: "Roll back", active: "deployments", body: body)
        }
        body += "<form method=\"post\" action=\"\(link(repository, "deployments"))\" id=\"rollback-form\">\(csrfField(viewer))"
        body += "<input type=\"hidden\" name=\"action\" value=\"rollback\"><input type=\"hidden\" name=\"environment\" value=\"\(escape(environment))\">"
        body += "<input type=\"hidden\" name=\"confirm\" value=\"yes\"><div class=\"table-scroll\"><table id=\"releases\"><tr><th></th><th>Release</th><th>Commit</th><th>Deployment</th><th>When</th></tr>"
        for (index, deployment) in choices.enumerated() {
            let release = deployment.release ?? ""
            body += "<tr><td><input type=\"radio\" name=\"release\" value=\"\(escape(release))\" id=\"release-\(escape(release))\"\(index == 0 ? " checked" : "") required></td>"
            body += "<td><label for=\"release-\(escape(release))\" class=\"mono\">\(escape(release))</label></td><td class=\"mono\">\(escape(String(deployment.commit.prefix(10))))</td>"
            body += "<td>#\(deployment.id.rawValue) · \(escape(deployment.branch))</td><td>\(Web.relativeTime(deployment.finishedAt ?? deployment.createdAt))</td></tr>"
        }
        body += "</table></div><p><button id=\"confirm-rollback\">Roll \(escape(environment)) back to the chosen release</button> "
        body += "<a href=\"\(link(repository, "deployments"))\">Cancel</a></p></form>"
        return frame(repository, viewer: viewer, level: level, title: "Roll back", active: "deployments", body: body)
    }

    // MARK: - Setting up

    /// The Deployments part of the settings page: the branches that deploy and the environments.
    func deploySettingsSection(_ repository: RepositoryRecord, viewer: Viewer, values: [String: String]) async throws -> String {
        guard let setups = deploySetups else { return "" }
        let setup = try await setups.setup(of: repository) ?? DeploySetup(branches: [], environments: [])
        let action = link(repository, "settings"), csrf = csrfField(viewer)
        func remove(_ kind: String, _ name: String) -> String {
            "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(csrf)<input type=\"hidden\" name=\"action\" value=\"remove-deploy-\(kind)\">"
                + "<input type=\"hidden\" name=\"name\" value=\"\(escape(name))\"><button>Remove</button></form>"
        }
        var html = "<h2 id=\"deploy\">Deployments</h2><p class=\"muted\">Releases are kept under the forge's data; the scripts run in the sandbox with "
        html += "the pipelines' network (<b>\(repository.pipelineNetwork.rawValue)</b>).</p><h3>Environments</h3>"
        html += "<div class=\"table-scroll\"><table id=\"deploy-environments\"><tr><th>Name</th><th>Variables</th><th>Secrets</th><th>Releases kept</th><th></th></tr>"
        for environment in setup.environments {
            html += "<tr><td>\(escape(environment.name))</td><td class=\"mono\">\(environment.variables.keys.sorted().map { escape($0) }.joined(separator: " "))</td>"
            html += "<td class=\"mono\">\((environment.secrets ?? [:]).keys.sorted().map { escape($0) }.joined(separator: " "))</td>"
            html += "<td>\(environment.keepReleases.map(String.init) ?? "in place")</td><td>\(remove("environment", environment.name))</td></tr>"
        }
        html += "</table></div><form method=\"post\" action=\"\(action)\" id=\"deploy-environment-form\">\(csrf)<input type=\"hidden\" name=\"action\" value=\"deploy-environment\">"
        html += "<p><label>Name <input name=\"name\" id=\"environment-name\" required value=\"\(escape(values["name"] ?? ""))\"></label> "
        html += "<label>Releases to keep (0: deploy in place) <input name=\"keep\" id=\"environment-keep\" type=\"number\" min=\"0\" max=\"50\" value=\"\(escape(values["keep"] ?? "5"))\"></label></p>"
        html += "<p><label>Variables, NAME=value per line<br><textarea name=\"variables\" id=\"environment-variables\" rows=\"3\" cols=\"50\">\(escape(values["variables"] ?? ""))</textarea></label></p>"
        html += "<p><label>Secrets, NAME=value per line (masked in logs, never shown again; empty keeps the stored ones)<br>"
        html += "<textarea name=\"secrets\" id=\"environment-secrets\" rows=\"2\" cols=\"50\" autocomplete=\"off\"></textarea></label></p>"
        html += "<p><button id=\"save-environment\">Save environment</button></p></form><h3>Branches</h3>"
        html += "<div class=\"table-scroll\"><table id=\"deploy-branches\"><tr><th>Branch</th><th>Mode</th><th>Environment</th><th>Script</th><th></th></tr>"
        for branch in setup.branches {
            html += "<tr><td>\(escape(branch.name))</td><td>\(branch.mode.rawValue)</td><td>\(escape(branch.environment))</td>"
            html += "<td><code>\(escape(branch.script))</code></td><td>\(remove("branch", branch.name))</td></tr>"
        }
        let manual = (values["mode"] ?? "auto") == "manual"
        html += "</table></div><form method=\"post\" action=\"\(action)\" id=\"deploy-branch-form\">\(csrf)<input type=\"hidden\" name=\"action\" value=\"deploy-branch\">"
        html += "<p><label>Branch <input name=\"branch\" id=\"branch-name\" required value=\"\(escape(values["branch"] ?? ""))\"></label> "
        html += "<label>Mode <select name=\"mode\" id=\"branch-mode\"><option value=\"auto\">automatic, after a successful run</option>"
        html += "<option value=\"manual\"\(manual ? " selected" : "")>manual, waits for approval</option></select></label> "
        html += "<label>Environment <input name=\"environment\" id=\"branch-environment\" required value=\"\(escape(values["environment"] ?? ""))\"></label></p>"
        html += "<p><label>Script <input name=\"script\" id=\"branch-script\" required size=\"50\" placeholder=\"./deploy.sh\" value=\"\(escape(values["script"] ?? ""))\"></label></p>"
        return html + "<p><button id=\"save-branch\">Save branch</button></p></form>"
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
