import DeployKit
import ForgeKit
import ForgeKitServer
import ForgeServices
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import NIOCore
import PipelineKit

extension ForgeWebService {
    /// A page of the pipeline runs of this repository (its scope in the run store), newest first,
    /// with how many there are in all.
    func repositoryRuns(_ repository: RepositoryRecord, page: Pagination = Pagination(page: 1, limit: 50)) async throws -> (runs: [RunRecord], total: Int) {
        guard let runs else { return ([], 0) }
        let scope = repository.path.description
        return (try await runs.runs(RunQuery(limit: page.limit, scope: scope, offset: page.offset)), try await runs.count(RunQuery(scope: scope)))
    }

    /// The run numbered `number` of this repository; 404 for any other.
    func repositoryRun(_ repository: RepositoryRecord, number text: String) async throws -> RunDetail {
        guard let runs, let number = Int64(text), let detail = try await runs.run(scope: repository.path.description, number: number) else {
            throw ForgeError(.notFound, "no run \(text) in this repository", operation: "run")
        }
        return detail
    }

    func runLink(_ repository: RepositoryRecord, _ run: RunRecord) -> String {
        link(repository, "run", String(run.number ?? run.id.rawValue))
    }

    func runsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, query: [String: String]) async throws -> Response {
        guard runs != nil else { throw ForgeError(.notFound, "this forge runs no pipelines", operation: "runs") }
        let page = Pagination(page: max(1, Int(query["page"] ?? "1") ?? 1), limit: 50)
        let (list, total) = try await repositoryRuns(repository, page: page)
        var body = "<h2>Pipeline runs <small class=\"muted\" id=\"run-total\">\(total)</small></h2><div class=\"table-scroll\"><table id=\"run-list\">"
        body += "<tr><th>Run</th><th>Configuration</th><th>Status</th><th>Branch</th><th>Commit</th><th>Trigger</th><th>Started</th></tr>"
        for run in list {
            let commit = run.source.checkout?.commit ?? run.source.attributes["commit"]?.text ?? ""
            let branch = run.source.attributes["branch"]?.text ?? ""
            body += "<tr><td><a class=\"run-link\" href=\"\(runLink(repository, run))\">#\(run.number ?? run.id.rawValue)</a></td>"
            body += "<td>\(escape(run.configurationName))</td><td><span class=\"state \(run.status.rawValue)\">\(run.status.rawValue)</span></td>"
            body += branch.isEmpty ? "<td></td>" : "<td><a href=\"\(link(repository, "commits", branch))\">\(escape(branch))</a></td>"
            body += commit.isEmpty ? "<td></td>"
                : "<td><a class=\"mono commit-link\" href=\"\(link(repository, "commit", commit))\">\(escape(String(commit.prefix(10))))</a></td>"
            body += "<td>\(escape(run.trigger))</td><td>\(Web.relativeTime(run.createdAt))</td></tr>"
        }
        body += "</table></div><p class=\"pages\">"
        if page.page > 1 { body += "<a id=\"newer\" href=\"?page=\(page.page - 1)\">Newer</a> " }
        if page.offset + list.count < total { body += "<a id=\"older\" href=\"?page=\(page.page + 1)\">Older</a>" }
        return frame(repository, viewer: viewer, level: level, title: "Runs", active: "runs", body: body + "</p>")
    }

    func runPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, id: String) async throws -> Response {
        let detail = try await repositoryRun(repository, number: id)
        let run = detail.run
        let label = "#\(run.number ?? run.id.rawValue)"
        var body = "<h2>Run \(label) · \(escape(run.configurationName)) "
        body += "<span id=\"run-status\" class=\"state \(run.status.rawValue)\">\(run.status.rawValue)</span></h2>"
        body += "<p class=\"muted\" id=\"run-trigger\">\(escape(run.trigger))\(run.reason.map { " · " + escape($0) } ?? "")</p>"
        if let commit = run.source.checkout?.commit ?? run.source.attributes["commit"]?.text, !commit.isEmpty {
            let branch = run.source.attributes["branch"]?.text.map { " on <a id=\"run-branch\" href=\"\(link(repository, "commits", $0))\">\(escape($0))</a>" } ?? ""
            body += "<p>Commit <a id=\"run-commit\" class=\"mono commit-link\" href=\"\(link(repository, "commit", commit))\">\(escape(String(commit.prefix(12))))</a>\(branch)</p>"
        }
        if level >= .write {
            let action = runLink(repository, run)
            let csrf = "<input type=\"hidden\" name=\"_csrf\" value=\"\(escape(viewer.csrf ?? ""))\">"
            body += "<p><form method=\"post\" action=\"\(action)\" class=\"inline\">\(csrf)<button name=\"action\" value=\"rerun\" id=\"rerun\">Re-run</button></form> "
            if !run.status.isFinished {
                body += "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(csrf)<button name=\"action\" value=\"cancel\" id=\"cancel-run\">Cancel</button></form>"
            }
            body += "</p>"
        }
        // The steps table follows the run live (static/live-log.js polls /api/v1/runs/ID).
        body += "<div class=\"table-scroll\"><table id=\"steps\" data-run=\"/api/v1/runs/\(run.id.rawValue)\"><thead><tr><th>Step</th><th>Task</th><th>State</th><th>Attempts</th><th>Result</th></tr></thead><tbody>"
        for step in detail.steps {
            let state = displayedState(of: step)
            body += "<tr><td>\(escape(step.actionName))</td><td>\(escape(step.task))</td><td><span class=\"state \(state)\">\(state)</span></td><td>\(step.attempts)</td>"
            // The result as formatted JSON (an error as its text), never Swift's debug description.
            let shown = step.error ?? step.result.map(\.prettyJSONText) ?? ""
            body += "<td><pre class=\"result\">\(escape(shown))</pre></td></tr>"
        }
        body += "</tbody></table></div><h3>Log</h3>" + liveLog(url: "/api/v1/runs/\(run.id.rawValue)/log", statusElement: "run-status")
        return frame(repository, viewer: viewer, level: level, title: "Run \(label)", active: "runs", body: body)
    }

    /// Re-run or cancel a run from its page (write on the repository, as through the API).
    func runAction(_ repository: RepositoryRecord, level: AccessLevel, number: String, action: String, by user: String) async throws -> Response {
        guard level >= .write else { throw ForgeError(.forbidden, "re-running and cancelling need write on \(repository.path)", operation: "run") }
        let detail = try await repositoryRun(repository, number: number)
        switch action {
        case "rerun":
            guard let (dispatcher, _) = pipelines else { throw ForgeError(.notFound, "this forge runs no pipelines", operation: "re-run") }
            return Web.redirect(runLink(repository, try await dispatcher.rerun(detail.run.id, by: user)))
        case "cancel":
            guard let runs else { throw ForgeError(.notFound, "this forge runs no pipelines", operation: "cancel") }
            _ = try await runs.cancel(detail.run.id, reason: "cancelled by \(user)", now: Date())
            return Web.redirect(runLink(repository, detail.run))
        default:
            throw ForgeError(.invalidArgument, "unknown action '\(action)'", operation: "run")
        }
    }

    /// How a delivery stands, in words: delivered, failed for good (with the last error), retrying
    /// (with the attempt and when), or queued.
    func deliveryLabel(_ delivery: WebhookDeliveryRecord) -> String {
        let status = delivery.responseStatus.map { " \($0)" } ?? ""
        let error = delivery.lastError.map { " <span class=\"muted delivery-error\">\(escape($0))</span>" } ?? ""
        switch delivery.state {
        case .delivered:
            return "<span class=\"state delivered\">delivered\(status)</span>"
        case .failed:
            return "<span class=\"state failed\">failed\(status)</span>\(error)"
        case .pending where delivery.attempts > 0:
            let when = delivery.nextAttemptAt.map { ", next at " + ISO8601DateFormatter().string(from: $0) } ?? ""
            return "<span class=\"state running\">retrying (attempt \(delivery.attempts + 1)\(when))</span>\(error)"
        case .pending:
            return "<span class=\"state pending\">queued</span>"
        }
    }

    /// The log's element and the script that fills it: `/-/static/live-log.js` polls the element's
    /// `data-log` endpoint (`{text, next, state, done}`) and appends what arrives until it says done,
    /// showing the state in the element named by `data-status`. No inline script, so the page's
    /// Content-Security-Policy allows scripts from the forge's own origin only.
    func liveLog(url: String, statusElement: String) -> String {
        "<pre id=\"log\" data-log=\"\(escape(url))\" data-status=\"\(escape(statusElement))\"></pre>"
            + "<script src=\"\(Web.liveLogScriptPath)\" defer></script>"
    }

    func deploymentPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, id: String) async throws -> Response {
        guard let deployments, let number = Int64(id) else { throw ForgeError(.notFound, "no deployment \(id)", operation: "deployment") }
        // Only a missing deployment is a 404; a store failure is the server's (the error as a value: a
        // typed catch here crashes Swift 6.3's SIL passes).
        let found: Result<Deployment, DeployError>
        do { found = .success(try await deployments.deployment(DeploymentID(rawValue: number))) } catch { found = .failure(error) }
        if case .failure(let error) = found, error.code == .notFound {
            throw ForgeError(.notFound, "no deployment \(id)", operation: "deployment")
        }
        let deployment = try found.get()
        guard deployment.project == Forge.deployProject(of: repository) else { throw ForgeError(.notFound, "no deployment \(id)", operation: "deployment") }
        var body = "<h2>Deployment #\(deployment.id.rawValue) of \(escape(deployment.branch)) to \(escape(deployment.environment)) "
        body += "<span id=\"deployment-status\" class=\"state \(deployment.state.rawValue)\">\(deployment.state.rawValue)</span></h2>"
        if let reason = deployment.reason { body += "<p class=\"muted\">\(escape(reason))</p>" }
        body += "<h3>Log</h3>" + liveLog(url: "/api/v1/deployments/\(deployment.id.rawValue)/log", statusElement: "deployment-status")
        return frame(repository, viewer: viewer, level: level, title: "Deployment", active: "deployments", body: body)
    }

    // MARK: - Settings

    func settingsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, message: String?,
                      values: [String: String] = [:]) async throws -> Response {
        let csrf = "<input type=\"hidden\" name=\"_csrf\" value=\"\(escape(viewer.csrf ?? ""))\">"
        let action = link(repository, "settings")
        var body = ""
        if let message { body += "<p class=\"error\" id=\"form-error\">\(escape(message))</p>" }
        body += "<h2>Permissions</h2><table id=\"permissions\"><tr><th>User</th><th>Level</th></tr>"
        for grant in try await store.permissions(on: .repository(repository.path)) {
            body += "<tr><td>\(escape(grant.user.name))</td><td>\(grant.level)</td></tr>"
        }
        body += """
            </table><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="grant">
            <label>User <input name="user" id="grant-user" required></label>
            <label>Level <select name="level" id="grant-level"><option>read</option><option>write</option><option>admin</option><option>none</option></select></label>
            <button id="grant">Grant</button></form>
            <h2>Visibility</h2><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="visibility">
            <label><input type="checkbox" name="private" value="1"\(repository.isPrivate ? " checked" : "")> Private</label>
            <label>Allowed networks <input name="networks" value="\(escape(repository.allowedNetworks.map(\.description).joined(separator: " ")))" placeholder="10.0.0.0/8 ::1"></label>
            <button>Save</button></form><h2>Webhooks</h2><table id="webhooks"><tr><th>URL</th><th>Signed</th><th>Last deliveries</th><th></th></tr>
            """
        for hook in try await store.webhooks(repositoryID: repository.id) {
            let recent = try await store.deliveries(webhookID: hook.id, limit: 5)
            body += "<tr><td>\(escape(hook.url))</td><td>\(hook.secret == nil ? "no" : "yes")</td><td>"
            body += recent.map(deliveryLabel).joined(separator: "<br>")
            body += "</td><td><form method=\"post\" action=\"\(action)\">\(csrf)<input type=\"hidden\" name=\"action\" value=\"delete-webhook\">"
            body += "<input type=\"hidden\" name=\"id\" value=\"\(hook.id)\"><button>Remove</button></form></td></tr>"
        }
        body += """
            </table><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="add-webhook">
            <label>URL <input name="url" required placeholder="https://ci.example/hook"></label> <label>Secret <input name="secret"></label>
            <button>Add webhook</button></form>
            """
        body += "<h2>Pipelines</h2><p>Network of the pipelines' commands: <strong id=\"pipeline-network\">\(repository.pipelineNetwork.rawValue)</strong>"
        body += repository.pipelineNetwork == .none ? " (an empty network namespace)." : " (the host's network)."
        if viewer.user?.isAdmin == true {
            body += """
                </p><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="pipeline-network">
                <label>Network <select name="network" id="pipeline-network-choice"><option\(repository.pipelineNetwork == .none ? " selected" : "")>none</option>
                <option\(repository.pipelineNetwork == .host ? " selected" : "")>host</option></select></label> <button>Save</button></form>
                """
        } else {
            body += " Only site administrators change it.</p>"
        }
        body += "<h3>Secrets</h3><p class=\"muted\">Variables the pipelines' commands get, masked in logs; their values are never shown again.</p>"
        body += "<table id=\"secrets\"><tr><th>Name</th><th>Set</th><th></th></tr>"
        for secret in try await store.secrets(repositoryID: repository.id) {
            body += "<tr><td><code>\(escape(secret.name))</code></td><td>\(Web.relativeTime(secret.updatedAt))</td><td><form method=\"post\" action=\"\(action)\">"
            body += "\(csrf)<input type=\"hidden\" name=\"action\" value=\"delete-secret\"><input type=\"hidden\" name=\"name\" value=\"\(escape(secret.name))\">"
            body += "<button>Remove</button></form></td></tr>"
        }
        body += """
            </table><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="set-secret">
            <label>Name <input name="name" id="secret-name" required pattern="[A-Za-z_][A-Za-z0-9_]*"></label>
            <label>Value <input name="value" id="secret-value" type="password" required autocomplete="off"></label> <button id="set-secret">Set secret</button></form>
            \(try await deploySettingsSection(repository, viewer: viewer, values: values))
            <h2>Danger zone</h2><form method="post" action="\(action)">\(csrf)<input type="hidden" name="action" value="delete">
            <label>Type the name to delete: <input name="confirm"></label> <button>Delete this repository</button></form>
            """
        return frame(repository, viewer: viewer, level: level, title: "Settings", active: "settings", body: body)
    }

    // MARK: - Groups

    /// Whether the viewer administers `group`: a global admin, or `admin` granted on it or a group above it.
    func administers(_ group: RepositoryGroup, viewer: Viewer) async throws(ForgeError) -> Bool {
        guard let user = viewer.user, user.isActive else { return false }
        // A token below `admin` administers nothing, groups included (as PermissionFacts caps repositories).
        if let scope = user.tokenScope, scope < .admin { return false }
        if user.isAdmin { return true }
        for path in group.path.ancestors + [group.path] {
            if try await store.permissions(on: .group(path)).contains(where: { $0.user.id == user.id && $0.level == .admin }) { return true }
        }
        return false
    }

    func groupPage(_ group: RepositoryGroup, viewer: Viewer, peer: String?, message: String?) async throws -> Response {
        let prefix = group.path.description + "/"
        let inside = try await visibleRepositories(viewer, peer: peer).filter { $0.0.path.description.hasPrefix(prefix) }
        let subgroups = try await visibleGroups(viewer, peer: peer).filter { $0.path.parent == group.path }
        var body = "<h1>\(escape(group.path.description)) <small class=\"muted\">group</small></h1><p>\(escape(group.description))</p>"
        if let message { body += "<p class=\"error\">\(escape(message))</p>" }
        if !subgroups.isEmpty {
            body += "<h2>Groups</h2><ul id=\"subgroups\">"
            for subgroup in subgroups { body += "<li><a href=\"/\(urlEncodePath(subgroup.path.description))\">\(escape(subgroup.path.name))</a></li>" }
            body += "</ul>"
        }
        body += "<h2>Repositories</h2><table id=\"group-repositories\"><tr><th>Name</th><th>Kind</th><th>Your access</th></tr>"
        for (repository, level) in inside {
            body += "<tr><td><a class=\"repository\" href=\"/\(urlEncodePath(repository.path.description))\">\(escape(repository.path.description))</a></td>"
            body += "<td>\(repository.kind.rawValue)</td><td>\(level)</td></tr>"
        }
        body += "</table>"
        if try await administers(group, viewer: viewer) {
            body += "<h2>Members</h2><p class=\"muted\">Levels granted here apply to every repository inside, unless a repository grants its own.</p>"
            body += "<table id=\"members\"><tr><th>User</th><th>Level</th></tr>"
            for grant in try await store.permissions(on: .group(group.path)) {
                body += "<tr><td>\(escape(grant.user.name))</td><td>\(grant.level)</td></tr>"
            }
            body += """
                </table><form method="post" action="/\(urlEncodePath(group.path.description))/-/members">
                <input type="hidden" name="_csrf" value="\(escape(viewer.csrf ?? ""))">
                <label>User <input name="user" required></label>
                <label>Level <select name="level"><option>read</option><option>write</option><option>admin</option><option>none</option></select></label>
                <button>Grant</button></form>
                """
        }
        return Web.html(Page(title: group.path.description, viewer: viewer, body: body))
    }

    /// Every POST below a repository: settings forms and rollbacks.
    func repositoryAction(_ request: Request, viewer: Viewer, form: [String: String], peer: String?) async throws -> Response {
        let route = try RepositoryRoute.parse(request.uri.path)
        if route.action == "members", try await store.repository(route.repository) == nil, let group = try await store.group(route.repository),
           try await canSee(group, viewer: viewer, peer: peer) {
            guard try await administers(group, viewer: viewer) else {
                throw ForgeError(.forbidden, "only the group's admins grant its permissions", operation: "group members")
            }
            do {
                guard let target = try await store.user(named: form["user"] ?? "") else {
                    throw ForgeError(.notFound, "no user '\(form["user"] ?? "")'", operation: "grant")
                }
                guard let chosen = AccessLevel(name: form["level"] ?? "") else { throw ForgeError(.invalidArgument, "unknown level", operation: "grant") }
                try await store.setPermission(userID: target.id, on: .group(group.path), level: chosen == .none ? nil : chosen)
            } catch let error as ForgeError {
                return try await groupPage(group, viewer: viewer, peer: peer, message: error.message)
            }
            return Web.redirect("/" + urlEncodePath(group.path.description))
        }
        let (repository, level) = try await readable(route.repository, viewer: viewer, peer: peer)
        let user = viewer.user?.name ?? "anonymous"
        switch route.action {
        case "run":
            return try await runAction(repository, level: level, number: route.rest.first ?? "", action: form["action"] ?? "", by: user)
        case "deployments":
            guard level >= .write else { throw ForgeError(.forbidden, "you may not deploy \(repository.path)", operation: "deployments") }
            guard let deployments else { throw ForgeError(.notFound, "this forge deploys nothing", operation: "deployments") }
            if form["action"] == "rollback", form["confirm"] != "yes" {
                // A rollback from a page happens only after its confirmation page.
                return try await rollbackPage(repository, viewer: viewer, level: level, environment: form["environment"] ?? "", controller: deployments)
            }
            let deployment = try await DeploymentRequests(controller: deployments, repositories: repositories)
                .perform(form["action"] ?? "", on: repository, fields: form, by: user)
            return Web.redirect(link(repository, "deployment", String(deployment.id.rawValue)))
        case "settings":
            guard level >= .admin else { throw ForgeError(.forbidden, "only the repository's admins change its settings", operation: "settings") }
            do {
                switch form["action"] {
                case "grant":
                    guard let target = try await store.user(named: form["user"] ?? "") else {
                        throw ForgeError(.notFound, "no user '\(form["user"] ?? "")'", operation: "grant")
                    }
                    guard let chosen = AccessLevel(name: form["level"] ?? "") else {
                        throw ForgeError(.invalidArgument, "unknown level", operation: "grant")
                    }
                    try await store.setPermission(userID: target.id, on: .repository(repository.path), level: chosen == .none ? nil : chosen)
                case "visibility":
                    var updated = repository
                    updated.isPrivate = form["private"] == "1"
                    updated.allowedNetworks = try (form["networks"] ?? "").split(separator: " ").map { try CIDR(String($0)) }
                    try await store.updateRepository(updated)
                case "add-webhook":
                    let secret = form["secret"].flatMap { $0.isEmpty ? nil : $0 }
                    _ = try await store.createWebhook(repositoryID: repository.id, url: form["url"] ?? "", secret: secret)
                case "pipeline-network":
                    guard viewer.user?.isAdmin == true else {
                        throw ForgeError(.forbidden, "only site administrators change the pipelines' network", operation: "settings")
                    }
                    guard let network = PipelineNetwork(rawValue: form["network"] ?? "") else {
                        throw ForgeError(.invalidArgument, "the network must be none or host", operation: "settings")
                    }
                    try await store.setPipelineNetwork(repositoryID: repository.id, network)
                case "set-secret":
                    try await store.setSecret(repositoryID: repository.id, name: form["name"] ?? "", value: form["value"] ?? "")
                case "delete-secret":
                    try await store.deleteSecret(repositoryID: repository.id, name: form["name"] ?? "")
                case "delete-webhook":
                    guard let id = Int64(form["id"] ?? ""),
                          try await store.webhooks(repositoryID: repository.id).contains(where: { $0.id == id }) else {
                        throw ForgeError(.notFound, "no such webhook", operation: "delete webhook")
                    }
                    try await store.deleteWebhook(id: id)
                case "deploy-environment", "deploy-branch", "remove-deploy-branch", "remove-deploy-environment":
                    try await changeDeploySetup(repository, form: form)
                    return Web.redirect(link(repository, "settings") + "#deploy")
                case "delete":
                    guard form["confirm"] == repository.path.description else {
                        throw ForgeError(.invalidArgument, "type the repository's name to delete it", operation: "delete")
                    }
                    try await repositories.delete(repository.path)
                    return Web.redirect("/")
                default:
                    throw ForgeError(.invalidArgument, "unknown settings action", operation: "settings")
                }
            } catch let error as ForgeError {
                // The error, with what was typed kept (secrets excepted).
                var typed = form
                typed["secrets"] = nil
                typed["value"] = nil
                return try await settingsPage(repository, viewer: viewer, level: level, message: error.message, values: typed)
                    .withStatus(error.status)
            }
            return Web.redirect(link(repository, "settings"))
        default:
            throw ForgeError(.notFound, "no such page", operation: "route")
        }
    }
}
