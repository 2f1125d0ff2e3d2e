import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `/user/settings`: the signed-in user's password and API tokens (Gitea's account and
/// applications settings on one page).
extension ForgeWebService {
    /// What the settings page says after a form: a notice, an error, or a new token to copy once.
    struct SettingsOutcome {
        var notice: String?
        var error: String?
        var newToken: (name: String, token: String, scope: TokenScope)?
        var typedTokenName = ""
    }

    func settingsPage(_ viewer: Viewer, outcome: SettingsOutcome = SettingsOutcome()) async throws -> Response {
        guard let user = viewer.user else { return Web.redirect("/login?next=/user/settings") }
        let tokens = try await store.tokens(userID: user.id).map { token in
            view(["name": token.name, "scope": token.scope.rawValue, "created": Web.relativeTime(token.createdAt),
                  "used": token.lastUsedAt.map(Web.relativeTime) ?? "never", "id": token.id])
        }
        let newToken = outcome.newToken.map { view(["name": $0.name, "token": $0.token, "scope": $0.scope.rawValue]) }
        let context = view([
            "notice": outcome.notice, "error": outcome.error, "userName": user.name, "newToken": newToken, "tokens": tokens,
            "typedTokenName": outcome.typedTokenName,
            "scopes": TokenScope.allCases.map { view(["name": $0.rawValue, "selected": $0 == .write]) },
        ])
        return Web.html(Page(title: "Settings", viewer: viewer, template: "settings", context), status: outcome.error == nil ? .ok : .badRequest)
    }

    func changeSettings(_ viewer: Viewer, _ form: [String: String], peer: String?) async throws -> Response {
        guard let user = viewer.user else { return Web.redirect("/login?next=/user/settings") }
        switch form["action"] {
        case "password":
            let new = form["new"] ?? ""
            guard new == form["confirm"] else {
                return try await settingsPage(viewer, outcome: .init(error: "The new passwords do not match."))
            }
            switch try await accounts.authenticate(name: user.name, secret: form["current"] ?? "", address: peer) {
            case .user(let checked) where checked.id == user.id: break
            case .throttled(let wait):
                return try await settingsPage(viewer, outcome: .init(error: "Too many failed attempts; try again in \(wait.retryAfterSeconds) seconds."))
            default:
                return try await settingsPage(viewer, outcome: .init(error: "The current password is wrong."))
            }
            do {
                try await accounts.setPassword(userID: user.id, new)
            } catch {
                return try await settingsPage(viewer, outcome: .init(error: error.message))
            }
            logger.notice("password changed", metadata: ["user": "\(user.name)"])
            return try await settingsPage(viewer, outcome: .init(notice: "Your password was changed."))
        case "create-token":
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let scope = TokenScope(rawValue: form["scope"] ?? "") else {
                return try await settingsPage(viewer, outcome: .init(error: "Choose read, write or admin.", typedTokenName: name))
            }
            let made: (token: String, record: APIToken)
            do {
                made = try await accounts.createToken(userID: user.id, name: name, scope: scope)
            } catch {
                return try await settingsPage(viewer, outcome: .init(error: error.message, typedTokenName: name))
            }
            return try await settingsPage(viewer, outcome: .init(newToken: (made.record.name, made.token, made.record.scope)))
        case "revoke-token":
            guard let id = Int64(form["id"] ?? "") else { throw ForgeError(.invalidArgument, "no token named", operation: "revoke token") }
            try await store.deleteToken(id: id, userID: user.id)
            return try await settingsPage(viewer, outcome: .init(notice: "The token was revoked."))
        default:
            throw ForgeError(.invalidArgument, "unknown action", operation: "settings")
        }
    }
}
