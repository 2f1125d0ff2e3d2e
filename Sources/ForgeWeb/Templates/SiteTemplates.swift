extension Templates {
    /// Pages outside repositories: sign-in, the repository list, a new repository, users.
    static let site: [String: String] = [
        "login": """
            <h1>Sign in</h1>{{#error}}<p class="error" id="login-error">{{error}}</p>{{/error}}
            <form method="post" action="/login"><input type="hidden" name="_login" value="{{token}}">
            <input type="hidden" name="next" value="{{next}}">
            <p><label>User <input name="user" id="user" autocomplete="username" required></label></p>
            <p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
            <p><button id="sign-in">Sign in</button></p></form>
            """,
        "repositories": """
            <h1>Repositories</h1><form method="get" action="/explore/repos" class="search" role="search">\
            <input type="search" name="q" id="repo-search" value="{{search}}" placeholder="Search repositories" aria-label="Search repositories"> \
            <button>Search</button></form>
            {{#listed}}<div class="table-scroll"><table id="repositories"><tr><th>Name</th><th>Kind</th><th>Visibility</th><th>Your access</th><th>Description</th></tr>
            {{#repositories}}<tr><td><a class="repository" href="/{{href}}">{{path}}</a></td><td>{{kind}}</td><td>{{visibility}}</td><td>{{level}}</td><td>{{description}}</td></tr>
            {{/repositories}}</table></div>
            {{#previous}}<a id="newer" href="/explore/repos?page={{previous}}{{searchQuery}}">Previous</a> {{/previous}}\
            {{#next}}<a id="older" href="/explore/repos?page={{next}}{{searchQuery}}">Next</a>{{/next}}{{/listed}}
            {{^listed}}{{#search}}<p id="no-results">No repository matches “{{search}}”.</p>{{/search}}\
            {{^search}}{{#signedIn}}<p>No repositories yet. <a href="/new">Create one</a>.</p>{{/signedIn}}\
            {{^signedIn}}<p>No public repositories yet. <a href="/login">Sign in</a> to see more.</p>{{/signedIn}}{{/search}}{{/listed}}
            """,
        "new-repository": """
            <h1>New repository</h1>{{>messages}}
            <form method="post" action="/new">{{>csrf}}
            <p><label>Name <input name="name" id="new-name" placeholder="group/name" required value="{{name}}"></label></p>
            <p><label>Kind <select name="type"><option value="git">Git</option><option value="hg"{{#isHg}} selected{{/isHg}}>Mercurial</option></select></label></p>
            <p><label><input type="checkbox" name="private" value="1"{{#isPrivate}} checked{{/isPrivate}}> Private</label></p>
            <p><label>Description (Markdown) <textarea name="description" id="new-description" rows="3" cols="60">{{description}}</textarea></label></p>
            <p><button>Create</button></p></form>
            """,
        "users": """
            <h1>Users</h1>{{#message}}<p class="error">{{message}}</p>{{/message}}
            <div class="table-scroll"><table id="users"><tr><th>Name</th><th>E-mail</th><th>Admin</th><th>Active</th><th></th></tr>
            {{#accounts}}<tr><td>{{name}}</td><td>{{email}}</td><td>{{admin}}</td><td>{{active}}</td><td><form method="post" action="/admin/users">\
            {{>csrf}}<input type="hidden" name="user" value="{{name}}">\
            <button name="action" value="toggle-admin">{{adminAction}}</button> <button name="action" value="toggle-active">{{activeAction}}</button></form></td></tr>
            {{/accounts}}</table></div>
            <h2>Add a user</h2><form method="post" action="/admin/users">{{>csrf}}<input type="hidden" name="action" value="create">
            <p><label>Name <input name="user" required></label> <label>E-mail <input name="email"></label>
            <label>Password <input name="password" type="password" required></label>
            <label><input type="checkbox" name="admin" value="1"> Administrator</label> <button>Add</button></p></form>
            """,
    ]
}
