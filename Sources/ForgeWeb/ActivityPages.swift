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
        let rows = list.map { run -> [String: Any] in
            let commit = run.source.checkout?.commit ?? run.source.attributes["commit"]?.text ?? ""
            let branch = run.source.attributes["branch"]?.text ?? ""
            return view([
                "runHref": runLink(repository, run), "runNumber": run.number ?? run.id.rawValue, "configuration": run.configurationName,
                "status": run.status.rawValue, "branch": branch, "branchHref": link(repository, "commits", branch),
                "commit": commit, "commitHref": link(repository, "commit", commit), "commitShort": String(commit.prefix(10)),
                "trigger": run.trigger, "started": Web.relativeTime(run.createdAt),
            ])
        }
        let context = view(["total": total, "runs": rows, "newer": page.page > 1 ? page.page - 1 : nil,
                            "older": page.offset + list.count < total ? page.page + 1 : nil])
        return try frame(repository, viewer: viewer, level: level, title: "Runs", active: "runs", template: "runs", context)
    }

    func runPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, id: String) async throws -> Response {
        let detail = try await repositoryRun(repository, number: id)
        let run = detail.run
        let label = "#\(run.number ?? run.id.rawValue)"
        let commit = run.source.checkout?.commit ?? run.source.attributes["commit"]?.text ?? ""
        let branch = run.source.attributes["branch"]?.text
        let steps = detail.steps.map { step -> [String: Any] in
            // The result as formatted JSON (an error as its text), never Swift's debug description.
            ["stepName": step.actionName, "task": step.task, "state": displayedState(of: step, in: run.status), "attempts": step.attempts,
             "shown": step.error ?? step.result.map(\.prettyJSONText) ?? ""]
        }
        // The steps table follows the run live (static/live-log.js polls /api/v1/runs/ID).
        let context = view([
            "label": label, "configuration": run.configurationName, "status": run.status.rawValue, "trigger": run.trigger, "reason": run.reason,
            "commit": commit, "commitHref": link(repository, "commit", commit), "commitShort": String(commit.prefix(12)),
            "branch": branch, "branchHref": branch.map { link(repository, "commits", $0) },
            "canWrite": level >= .write, "running": !run.status.isFinished, "action": runLink(repository, run),
            "runAPI": "/api/v1/runs/\(run.id.rawValue)", "steps": steps,
            "logURL": "/api/v1/runs/\(run.id.rawValue)/log", "statusElement": "run-status",
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Run \(label)", active: "runs", template: "run", context,
                         scripts: [Web.liveLogScriptPath])
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

    /// The values of the `delivery` template: delivered, failed for good (with the last error),
    /// retrying (with the attempt and when), or queued.
    func deliveryContext(_ delivery: WebhookDeliveryRecord) -> [String: Any] {
        let retrying = delivery.state == .pending && delivery.attempts > 0
        return view([
            "delivered": delivery.state == .delivered, "failed": delivery.state == .failed, "retrying": retrying,
            "queued": delivery.state == .pending && delivery.attempts == 0,
            "responseStatus": delivery.responseStatus, "lastError": delivery.state == .delivered ? nil : delivery.lastError,
            "nextAttempt": delivery.attempts + 1, "nextAt": delivery.nextAttemptAt.map { ISO8601DateFormatter().string(from: $0) },
        ])
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
        let context = view([
            "id": deployment.id.rawValue, "branch": deployment.branch, "environment": deployment.environment, "state": deployment.state.rawValue,
            "reason": deployment.reason, "logURL": "/api/v1/deployments/\(deployment.id.rawValue)/log", "statusElement": "deployment-status",
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Deployment", active: "deployments", template: "deployment", context,
                         scripts: [Web.liveLogScriptPath])
    }

    // MARK: - Settings

    func settingsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, message: String?,
                      values: [String: String] = [:]) async throws -> Response {
        var webhooks: [[String: Any]] = []
        for hook in try await store.webhooks(repositoryID: repository.id) {
            let recent = try await store.deliveries(webhookID: hook.id, limit: 5)
            webhooks.append(["url": hook.url, "signed": hook.secret == nil ? "no" : "yes", "hookID": hook.id, "deliveries": recent.map(deliveryContext)])
        }
        let context = view([
            "message": message, "action": link(repository, "settings"),
            "grants": try await store.permissions(on: .repository(repository.path)).map { ["grantUser": $0.user.name, "grantLevel": "\($0.level)"] },
            "isPrivate": repository.isPrivate, "networks": repository.allowedNetworks.map(\.description).joined(separator: " "),
            "webhooks": webhooks, "network": repository.pipelineNetwork.rawValue, "isolated": repository.pipelineNetwork == .none,
            "siteAdmin": viewer.user?.isAdmin == true,
            "secrets": try await store.secrets(repositoryID: repository.id).map { ["secretName": $0.name, "secretSet": Web.relativeTime($0.updatedAt)] },
            "deploys": try await deploySettingsContext(repository, values: values),
            "isGit": repository.kind == .git,
            "protections": try await store.branchProtections(repositoryID: repository.id).map { rule in
                let push = switch rule.directPush {
                case .none: "nobody"
                case .writers: "everyone with write"
                case .listed: rule.pushAllowlist.joined(separator: " ")
                }
                return ["protectionPattern": rule.pattern, "protectionChecks": rule.statusChecks.joined(separator: " "),
                        "protectionApprovals": rule.requiredApprovals, "protectionPush": push] as [String: Any]
            },
            "typedPattern": values["pattern"], "typedAllowlist": values["allowlist"], "typedChecks": values["checks"], "typedApprovals": values["approvals"] ?? "0",
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Settings", active: "settings", template: "repository-settings", context)
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
        var context = view([
            "groupPath": group.path.description, "groupDescription": group.description, "message": message,
            "hasSubgroups": !subgroups.isEmpty,
            "subgroups": subgroups.map { ["subgroupHref": "/" + urlEncodePath($0.path.description), "subgroupName": $0.path.name] },
            "repositories": inside.map { repository, level in
                ["href": "/" + urlEncodePath(repository.path.description), "path": repository.path.description,
                 "kind": repository.kind.rawValue, "level": "\(level)"]
            },
        ])
        if try await administers(group, viewer: viewer) {
            context["administers"] = true
            context["membersAction"] = "/" + urlEncodePath(group.path.description) + "/-/members"
            context["members"] = try await store.permissions(on: .group(group.path)).map { ["memberName": $0.user.name, "memberLevel": "\($0.level)"] }
        }
        return Web.html(Page(title: group.path.description, viewer: viewer, template: "group", context))
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
        case "pulls", "pull":
            guard repository.kind == .git else { throw ForgeError(.notFound, "pull requests are for git repositories", operation: "pull request") }
            return try await pullAction(repository, viewer: viewer, level: level, route: route, form: form, peer: peer)
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
                case "protect-branch":
                    let words = { (field: String) in (form[field] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
                    guard let approvals = Int(form["approvals"] ?? "0") else {
                        throw ForgeError(.invalidArgument, "approvals must be a number from 0 to 50", operation: "protect branch")
                    }
                    try await store.saveBranchProtection(repositoryID: repository.id, BranchProtection(
                        pattern: (form["pattern"] ?? "").trimmingCharacters(in: .whitespaces),
                        directPush: BranchProtection.DirectPush(rawValue: form["push"] ?? "") ?? .none, pushAllowlist: words("allowlist"),
                        statusChecks: words("checks"), requiredApprovals: approvals, dismissStaleApprovals: form["dismiss_stale"] == "1",
                        blockOnRejectedReviews: form["block_rejected"] == "1"))
                    return Web.redirect(link(repository, "settings") + "#protected-branches")
                case "unprotect-branch":
                    try await store.deleteBranchProtection(repositoryID: repository.id, pattern: form["pattern"] ?? "")
                    return Web.redirect(link(repository, "settings") + "#protected-branches")
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
