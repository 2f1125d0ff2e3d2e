extension Templates {
    /// Deployments: the list with each environment's current release, the rollback confirmation,
    /// and the settings page's Deployments section.
    static let deploy: [String: String] = [
        // A one-button form posting `action` (with hidden `fields`) to the deployments page.
        "deploy-button": """
            <form method="post" action="{{deploymentsAction}}" class="inline">{{>csrf}}\
            {{#fields}}<input type="hidden" name="{{fieldName}}" value="{{fieldValue}}">{{/fields}}\
            <button name="action" value="{{buttonAction}}" class="{{buttonAction}}" id="{{buttonID}}">{{buttonLabel}}</button></form>
            """,
        "deployments": """
            <h2>Deployments</h2>
            {{#noDeploy}}<p class="muted" id="no-deploy">This repository does not deploy.{{#setUpHref}} <a href="{{setUpHref}}">Set it up</a>.{{/setUpHref}}</p>{{/noDeploy}}
            {{#hasEnvironments}}<div class="table-scroll"><table id="environments"><tr><th>Environment</th><th>Current release</th><th>Deployed</th><th></th></tr>
            {{#environments}}<tr><td>{{environmentName}}</td><td class="mono current-release" id="current-{{environmentName}}">{{currentRelease}}</td><td>{{deployed}}</td>\
            <td>{{#rollbackHref}}<a class="rollback-link" id="rollback-{{environmentName}}" href="{{rollbackHref}}">Roll back…</a>{{/rollbackHref}}</td></tr>
            {{/environments}}</table></div>{{/hasEnvironments}}
            <div class="table-scroll"><table id="deployment-list"><tr><th>Deployment</th><th>What</th><th>Branch</th><th>Commit</th><th>Environment</th>\
            <th>State</th><th>Release</th><th>By</th><th>When</th><th></th></tr>
            {{#deployments}}<tr id="deployment-{{deploymentID}}"><td><a href="{{deploymentHref}}">#{{deploymentID}}</a></td><td class="deployment-kind">{{what}}</td>\
            <td>{{deploymentBranch}}</td><td class="mono">{{#commitHref}}<a href="{{commitHref}}">{{commitShort}}</a>{{/commitHref}}</td><td>{{deploymentEnvironment}}</td>\
            <td><span class="state {{state}}">{{state}}</span></td><td>{{release}}</td><td>{{requestedBy}}</td><td>{{when}}</td>\
            <td>{{#buttons}}{{>deploy-button}}{{/buttons}}</td></tr>
            {{/deployments}}</table></div>
            {{#deployButtons}}{{>deploy-button}} {{/deployButtons}}
            """,
        "rollback": """
            <h2>Roll {{environment}} back</h2><p>The current release is <code id="rollback-current">{{current}}</code>. \
            Rolling back switches <code>current</code> to an earlier release; nothing is rebuilt.</p>
            {{^choices}}<p id="no-releases">There is no earlier release to roll back to.</p>{{/choices}}\
            {{#hasChoices}}<form method="post" action="{{deploymentsAction}}" id="rollback-form">{{>csrf}}\
            <input type="hidden" name="action" value="rollback"><input type="hidden" name="environment" value="{{environment}}">\
            <input type="hidden" name="confirm" value="yes"><div class="table-scroll"><table id="releases"><tr><th></th><th>Release</th><th>Commit</th><th>Deployment</th><th>When</th></tr>
            {{#choices}}<tr><td><input type="radio" name="release" value="{{release}}" id="release-{{release}}"{{#newest}} checked{{/newest}} required></td>\
            <td><label for="release-{{release}}" class="mono">{{release}}</label></td><td class="mono">{{commitShort}}</td><td>#{{deploymentID}} · {{branch}}</td><td>{{when}}</td></tr>
            {{/choices}}</table></div><p><button id="confirm-rollback">Roll {{environment}} back to the chosen release</button> \
            <a href="{{deploymentsAction}}">Cancel</a></p></form>{{/hasChoices}}
            """,
        "deploy-remove": """
            <form method="post" action="{{action}}" class="inline">{{>csrf}}<input type="hidden" name="action" value="remove-deploy-{{removeKind}}">\
            <input type="hidden" name="name" value="{{removeName}}"><button>Remove</button></form>
            """,
        "deploy-settings": """
            <h2 id="deploy">Deployments</h2><p class="muted">Releases are kept under the forge's data; the scripts run in the sandbox with \
            the pipelines' network (<b>{{network}}</b>).</p><h3>Environments</h3>
            <div class="table-scroll"><table id="deploy-environments"><tr><th>Name</th><th>Variables</th><th>Secrets</th><th>Releases kept</th><th></th></tr>
            {{#deployEnvironments}}<tr><td>{{removeName}}</td><td class="mono">{{variableNames}}</td><td class="mono">{{secretNames}}</td><td>{{kept}}</td><td>{{>deploy-remove}}</td></tr>
            {{/deployEnvironments}}</table></div>
            <form method="post" action="{{action}}" id="deploy-environment-form">{{>csrf}}<input type="hidden" name="action" value="deploy-environment">
            <p><label>Name <input name="name" id="environment-name" required value="{{typedName}}"></label> \
            <label>Releases to keep (0: deploy in place) <input name="keep" id="environment-keep" type="number" min="0" max="50" value="{{typedKeep}}"></label></p>
            <p><label>Variables, NAME=value per line<br><textarea name="variables" id="environment-variables" rows="3" cols="50">{{typedVariables}}</textarea></label></p>
            <p><label>Secrets, NAME=value per line (masked in logs, never shown again; empty keeps the stored ones)<br>\
            <textarea name="secrets" id="environment-secrets" rows="2" cols="50" autocomplete="off"></textarea></label></p>
            <p><button id="save-environment">Save environment</button></p></form><h3>Branches</h3>
            <div class="table-scroll"><table id="deploy-branches"><tr><th>Branch</th><th>Mode</th><th>Environment</th><th>Script</th><th></th></tr>
            {{#deployBranches}}<tr><td>{{removeName}}</td><td>{{mode}}</td><td>{{branchEnvironment}}</td><td><code>{{script}}</code></td><td>{{>deploy-remove}}</td></tr>
            {{/deployBranches}}</table></div>
            <form method="post" action="{{action}}" id="deploy-branch-form">{{>csrf}}<input type="hidden" name="action" value="deploy-branch">
            <p><label>Branch <input name="branch" id="branch-name" required value="{{typedBranch}}"></label> \
            <label>Mode <select name="mode" id="branch-mode"><option value="auto">automatic, after a successful run</option>\
            <option value="manual"{{#typedManual}} selected{{/typedManual}}>manual, waits for approval</option></select></label> \
            <label>Environment <input name="environment" id="branch-environment" required value="{{typedEnvironment}}"></label></p>
            <p><label>Script <input name="script" id="branch-script" required size="50" placeholder="./deploy.sh" value="{{typedScript}}"></label></p>
            <p><button id="save-branch">Save branch</button></p></form>
            """,
    ]
}
