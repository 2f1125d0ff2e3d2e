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
        let csrf = "<input type=\"hidden\" name=\"_csrf\" value=\"\(escape(viewer.csrf ?? ""))\">"
        var body = "<h1>Settings</h1>"
        if let notice = outcome.notice { body += "<p class=\"notice\" id=\"settings-notice\">\(escape(notice))</p>" }
        if let error = outcome.error { body += "<p class=\"error\" id=\"form-error\">\(escape(error))</p>" }
        body += "<h2>Password</h2><form method=\"post\" action=\"/user/settings\" id=\"password-form\">\(csrf)"
        body += "<input type=\"hidden\" name=\"action\" value=\"password\">"
        body += "<input type=\"text\" name=\"username\" value=\"\(escape(user.name))\" autocomplete=\"username\" hidden>"
        body += "<p><label>Current password <input type=\"password\" name=\"current\" id=\"current-password\" autocomplete=\"current-password\" required></label></p>"
        body += "<p><label>New password <input type=\"password\" name=\"new\" id=\"new-password\" autocomplete=\"new-password\" minlength=\"8\" required></label></p>"
        body += "<p><label>Repeat it <input type=\"password\" name=\"confirm\" id=\"confirm-password\" autocomplete=\"new-password\" minlength=\"8\" required></label></p>"
        body += "<p><button id=\"change-password\">Change password</button></p></form>"

        body += "<h2>API tokens</h2><p>Use a token as a password for git and hg, or as <code>Authorization: Bearer TOKEN</code> for the API. "
        body += "<b>read</b> reads, <b>write</b> also pushes and changes, <b>admin</b> also administers.</p>"
        if let made = outcome.newToken {
            body += "<div class=\"notice\" id=\"new-token\"><p>Your new \(made.scope.rawValue) token “\(escape(made.name))”. Copy it now: it is not shown again.</p>"
            body += "<p><code id=\"new-token-value\">\(escape(made.token))</code></p></div>"
        }
        let tokens = try await store.tokens(userID: user.id)
        body += "<div class=\"table-scroll\"><table id=\"tokens\"><tr><th>Name</th><th>Scope</th><th>Created</th><th>Last used</th><th></th></tr>"
        for token in tokens {
            body += "<tr><td>\(escape(token.name))</td><td>\(token.scope.rawValue)</td><td>\(Web.relativeTime(token.createdAt))</td>"
            body += "<td>\(token.lastUsedAt.map(Web.relativeTime) ?? "never")</td><td><form method=\"post\" action=\"/user/settings\" class=\"inline\">\(csrf)"
            body += "<input type=\"hidden\" name=\"action\" value=\"revoke-token\"><input type=\"hidden\" name=\"id\" value=\"\(token.id)\">"
            body += "<button class=\"revoke-token\">Revoke</button></form></td></tr>"
        }
        if tokens.isEmpty { body += "<tr><td colspan=\"5\" class=\"muted\">No tokens yet.</td></tr>" }
        body += "</table></div><form method=\"post\" action=\"/user/settings\" id=\"token-form\">\(csrf)<input type=\"hidden\" name=\"action\" value=\"create-token\">"
        body += "<p><label>Name <input name=\"name\" id=\"token-name\" required maxlength=\"100\" value=\"\(escape(outcome.typedTokenName))\"></label> "
        body += "<label>Scope <select name=\"scope\" id=\"token-scope\">"
        for scope in TokenScope.allCases {
            body += "<option value=\"\(scope.rawValue)\"\(scope == .write ? " selected" : "")>\(scope.rawValue)</option>"
        }
        body += "</select></label> <button id=\"create-token\">Create token</button></p></form>"
        return Web.html(Page(title: "Settings", viewer: viewer, body: body), status: outcome.error == nil ? .ok : .badRequest)
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
