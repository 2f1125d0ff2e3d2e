extension Templates {
    /// Runs, a deployment's log, a repository's settings and groups.
    static let activity: [String: String] = [
        "runs": """
            <h2>Pipeline runs <small class="muted" id="run-total">{{total}}</small></h2><div class="table-scroll"><table id="run-list">\
            <tr><th>Run</th><th>Configuration</th><th>Status</th><th>Branch</th><th>Commit</th><th>Trigger</th><th>Started</th></tr>
            {{#runs}}<tr><td><a class="run-link" href="{{runHref}}">#{{runNumber}}</a></td><td>{{configuration}}</td><td><span class="state {{status}}">{{status}}</span></td>\
            <td>{{#branch}}<a href="{{branchHref}}">{{branch}}</a>{{/branch}}</td><td>{{#commit}}<a class="mono commit-link" href="{{commitHref}}">{{commitShort}}</a>{{/commit}}</td>\
            <td>{{trigger}}</td><td>{{started}}</td></tr>
            {{/runs}}</table></div><p class="pages">{{#newer}}<a id="newer" href="?page={{newer}}">Newer</a> {{/newer}}{{#older}}<a id="older" href="?page={{older}}">Older</a>{{/older}}</p>
            """,
        "run": """
            <h2>Run {{label}} · {{configuration}} <span id="run-status" class="state {{status}}">{{status}}</span></h2>
            <p class="muted" id="run-trigger">{{trigger}}{{#reason}} · {{reason}}{{/reason}}</p>
            {{#commit}}<p>Commit <a id="run-commit" class="mono commit-link" href="{{commitHref}}">{{commitShort}}</a>\
            {{#branch}} on <a id="run-branch" href="{{branchHref}}">{{branch}}</a>{{/branch}}</p>{{/commit}}
            {{#canWrite}}<p><form method="post" action="{{action}}" class="inline">{{>csrf}}<button name="action" value="rerun" id="rerun">Re-run</button></form> \
            {{#running}}<form method="post" action="{{action}}" class="inline">{{>csrf}}<button name="action" value="cancel" id="cancel-run">Cancel</button></form>{{/running}}</p>{{/canWrite}}
            <div class="table-scroll"><table id="steps" data-run="{{runAPI}}"><thead><tr><th>Step</th><th>Task</th><th>State</th><th>Attempts</th><th>Result</th></tr></thead><tbody>
            {{#steps}}<tr><td>{{stepName}}</td><td>{{task}}</td><td><span class="state {{state}}">{{state}}</span></td><td>{{attempts}}</td><td><pre class="result">{{shown}}</pre></td></tr>
            {{/steps}}</tbody></table></div><h3>Log</h3>{{>live-log}}
            """,
        // The log's element; /-/static/live-log.js polls its `data-log` endpoint and shows the state in `data-status`.
        "live-log": #"<pre id="log" data-log="{{logURL}}" data-status="{{statusElement}}"></pre>"#,
        "delivery": """
            {{#delivered}}<span class="state delivered">delivered{{#responseStatus}} {{responseStatus}}{{/responseStatus}}</span>{{/delivered}}\
            {{#failed}}<span class="state failed">failed{{#responseStatus}} {{responseStatus}}{{/responseStatus}}</span>{{/failed}}\
            {{#retrying}}<span class="state running">retrying (attempt {{nextAttempt}}{{#nextAt}}, next at {{nextAt}}{{/nextAt}})</span>{{/retrying}}\
            {{#queued}}<span class="state pending">queued</span>{{/queued}}\
            {{#lastError}} <span class="muted delivery-error">{{lastError}}</span>{{/lastError}}
            """,
        "deployment": """
            <h2>Deployment #{{id}} of {{branch}} to {{environment}} <span id="deployment-status" class="state {{state}}">{{state}}</span></h2>
            {{#reason}}<p class="muted">{{reason}}</p>{{/reason}}<h3>Log</h3>{{>live-log}}
            """,
        "repository-settings": """
            {{#message}}<p class="error" id="form-error">{{message}}</p>{{/message}}
            <h2>Permissions</h2><div class="table-scroll"><table id="permissions"><tr><th>User</th><th>Level</th></tr>
            {{#grants}}<tr><td>{{grantUser}}</td><td>{{grantLevel}}</td></tr>{{/grants}}</table></div>
            <form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="grant">
            <label>User <input name="user" id="grant-user" required></label>
            <label>Level <select name="level" id="grant-level"><option>read</option><option>write</option><option>admin</option><option>none</option></select></label>
            <button id="grant">Grant</button></form>
            <h2>Visibility</h2><form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="visibility">
            <label><input type="checkbox" name="private" value="1"{{#isPrivate}} checked{{/isPrivate}}> Private</label>
            <label>Allowed networks <input name="networks" value="{{networks}}" placeholder="10.0.0.0/8 ::1"></label>
            <button>Save</button></form>
            <h2>Webhooks</h2><div class="table-scroll"><table id="webhooks"><tr><th>URL</th><th>Signed</th><th>Last deliveries</th><th></th></tr>
            {{#webhooks}}<tr><td>{{url}}</td><td>{{signed}}</td><td>{{#deliveries}}{{>delivery}}<br>{{/deliveries}}</td>\
            <td><form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="delete-webhook"><input type="hidden" name="id" value="{{hookID}}"><button>Remove</button></form></td></tr>
            {{/webhooks}}</table></div>
            <form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="add-webhook">
            <label>URL <input name="url" required placeholder="https://ci.example/hook"></label> <label>Secret <input name="secret"></label>
            <button>Add webhook</button></form>
            <h2>Pipelines</h2><p>Network of the pipelines' commands: <strong id="pipeline-network">{{network}}</strong>\
            {{#isolated}} (an empty network namespace).{{/isolated}}{{^isolated}} (the host's network).{{/isolated}}\
            {{^siteAdmin}} Only site administrators change it.{{/siteAdmin}}</p>
            {{#siteAdmin}}<form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="pipeline-network">
            <label>Network <select name="network" id="pipeline-network-choice"><option{{#isolated}} selected{{/isolated}}>none</option>
            <option{{^isolated}} selected{{/isolated}}>host</option></select></label> <button>Save</button></form>{{/siteAdmin}}
            <h3>Secrets</h3><p class="muted">Variables the pipelines' commands get, masked in logs; their values are never shown again.</p>
            <div class="table-scroll"><table id="secrets"><tr><th>Name</th><th>Set</th><th></th></tr>
            {{#secrets}}<tr><td><code>{{secretName}}</code></td><td>{{secretSet}}</td><td><form method="post" action="{{action}}">{{>csrf}}\
            <input type="hidden" name="action" value="delete-secret"><input type="hidden" name="name" value="{{secretName}}"><button>Remove</button></form></td></tr>
            {{/secrets}}</table></div>
            <form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="set-secret">
            <label>Name <input name="name" id="secret-name" required pattern="[A-Za-z_][A-Za-z0-9_]*"></label>
            <label>Value <input name="value" id="secret-value" type="password" required autocomplete="off"></label> <button id="set-secret">Set secret</button></form>
            {{#isGit}}<h2 id="protected-branches">Protected branches</h2><p class="muted">A protected branch is never force-pushed or deleted; \
            pull requests into it merge only as its rule says. Site admins get no exception unless a rule lists them.</p>
            <div class="table-scroll"><table id="protections"><tr><th>Branches</th><th>Direct pushes</th><th>Required statuses</th><th>Approvals</th><th></th></tr>
            {{#protections}}<tr><td class="mono">{{protectionPattern}}</td><td>{{protectionPush}}</td><td class="mono">{{protectionChecks}}</td><td>{{protectionApprovals}}</td>\
            <td><form method="post" action="{{action}}" class="inline">{{>csrf}}<input type="hidden" name="action" value="unprotect-branch">\
            <input type="hidden" name="pattern" value="{{protectionPattern}}"><button>Remove</button></form></td></tr>
            {{/protections}}</table></div>
            <form method="post" action="{{action}}" id="protect-form">{{>csrf}}<input type="hidden" name="action" value="protect-branch">
            <p><label>Branches (a name or glob) <input name="pattern" id="protect-pattern" required value="{{typedPattern}}"></label> \
            <label>Direct pushes <select name="push" id="protect-push"><option value="none">nobody</option><option value="writers">everyone with write</option>\
            <option value="listed">only these users:</option></select></label> <input name="allowlist" id="protect-allowlist" placeholder="alice bob" value="{{typedAllowlist}}"></p>
            <p><label>Required statuses (globs; * for all) <input name="checks" id="protect-checks" value="{{typedChecks}}" placeholder="forge/* ci/lint"></label> \
            <label>Approvals <input name="approvals" id="protect-approvals" type="number" min="0" max="50" value="{{typedApprovals}}"></label></p>
            <p><label><input type="checkbox" name="dismiss_stale" value="1"> New commits dismiss approvals</label> \
            <label><input type="checkbox" name="block_rejected" value="1"> A request for changes blocks the merge</label> <button id="protect">Protect</button></p></form>{{/isGit}}
            {{#deploys}}{{>deploy-settings}}{{/deploys}}
            <h2>Danger zone</h2><form method="post" action="{{action}}">{{>csrf}}<input type="hidden" name="action" value="delete">
            <label>Type the name to delete: <input name="confirm"></label> <button>Delete this repository</button></form>
            """,
        "group": """
            <h1>{{groupPath}} <small class="muted">group</small></h1><p>{{groupDescription}}</p>{{#message}}<p class="error">{{message}}</p>{{/message}}
            {{#hasSubgroups}}<h2>Groups</h2><ul id="subgroups">{{#subgroups}}<li><a href="{{subgroupHref}}">{{subgroupName}}</a></li>{{/subgroups}}</ul>{{/hasSubgroups}}
            <h2>Repositories</h2><div class="table-scroll"><table id="group-repositories"><tr><th>Name</th><th>Kind</th><th>Your access</th></tr>
            {{#repositories}}<tr><td><a class="repository" href="{{href}}">{{path}}</a></td><td>{{kind}}</td><td>{{level}}</td></tr>
            {{/repositories}}</table></div>
            {{#administers}}<h2>Members</h2><p class="muted">Levels granted here apply to every repository inside, unless a repository grants its own.</p>
            <div class="table-scroll"><table id="members"><tr><th>User</th><th>Level</th></tr>{{#members}}<tr><td>{{memberName}}</td><td>{{memberLevel}}</td></tr>{{/members}}</table></div>
            <form method="post" action="{{membersAction}}">{{>csrf}}
            <label>User <input name="user" required></label>
            <label>Level <select name="level"><option>read</option><option>write</option><option>admin</option><option>none</option></select></label>
            <button>Grant</button></form>{{/administers}}
            """,
    ]
}
