extension Templates {
    /// `/user/settings`: the password and API tokens.
    static let account: [String: String] = [
        "settings": """
            <h1>Settings</h1>{{#notice}}<p class="notice" id="settings-notice">{{notice}}</p>{{/notice}}{{#error}}<p class="error" id="form-error">{{error}}</p>{{/error}}
            <h2>Password</h2><form method="post" action="/user/settings" id="password-form">{{>csrf}}<input type="hidden" name="action" value="password">
            <input type="text" name="username" value="{{userName}}" autocomplete="username" hidden>
            <p><label>Current password <input type="password" name="current" id="current-password" autocomplete="current-password" required></label></p>
            <p><label>New password <input type="password" name="new" id="new-password" autocomplete="new-password" minlength="8" required></label></p>
            <p><label>Repeat it <input type="password" name="confirm" id="confirm-password" autocomplete="new-password" minlength="8" required></label></p>
            <p><button id="change-password">Change password</button></p></form>
            <h2>API tokens</h2><p>Use a token as a password for git and hg, or as <code>Authorization: Bearer TOKEN</code> for the API. \
            <b>read</b> reads, <b>write</b> also pushes and changes, <b>admin</b> also administers.</p>
            {{#newToken}}<div class="notice" id="new-token"><p>Your new {{scope}} token “{{name}}”. Copy it now: it is not shown again.</p>
            <p><code id="new-token-value">{{token}}</code></p></div>{{/newToken}}
            <div class="table-scroll"><table id="tokens"><tr><th>Name</th><th>Scope</th><th>Created</th><th>Last used</th><th></th></tr>
            {{#tokens}}<tr><td>{{name}}</td><td>{{scope}}</td><td>{{created}}</td><td>{{used}}</td><td><form method="post" action="/user/settings" class="inline">{{>csrf}}\
            <input type="hidden" name="action" value="revoke-token"><input type="hidden" name="id" value="{{id}}"><button class="revoke-token">Revoke</button></form></td></tr>
            {{/tokens}}{{^tokens}}<tr><td colspan="5" class="muted">No tokens yet.</td></tr>{{/tokens}}
            </table></div><form method="post" action="/user/settings" id="token-form">{{>csrf}}<input type="hidden" name="action" value="create-token">
            <p><label>Name <input name="name" id="token-name" required maxlength="100" value="{{typedTokenName}}"></label> <label>Scope <select name="scope" id="token-scope">\
            {{#scopes}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/scopes}}</select></label> <button id="create-token">Create token</button></p></form>
            """,
    ]
}
