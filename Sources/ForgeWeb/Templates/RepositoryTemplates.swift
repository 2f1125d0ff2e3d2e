extension Templates {
    /// A repository's frame and its summary, history and commit pages, with the tables they share.
    static let repository: [String: String] = [
        // The heading and tabs of every repository page around its `content` (another template's output).
        "repository": """
            <h1><a href="{{base}}">{{repositoryPath}}</a> <small class="muted">{{repositoryKind}}{{#repositoryPrivate}} · private{{/repositoryPrivate}}</small></h1>\
            <nav class="tabs">{{#tabs}}<a href="{{tabHref}}"{{#tabID}} id="{{tabID}}"{{/tabID}}{{#tabCurrent}} class="current" aria-current="page"{{/tabCurrent}}>{{tabLabel}}</a>{{/tabs}}</nav>
            {{{content}}}
            """,
        "commit-table": """
            <div class="table-scroll"><table class="commits"><tr><th>Commit</th><th>Message</th><th>Author</th><th>Date</th></tr>
            {{#commits}}<tr><td><a class="mono commit-link" href="{{commitHref}}">{{commitShort}}</a> {{>status-badge}}</td><td>{{commitSummary}}</td><td>{{commitAuthor}}</td><td>{{commitWhen}}</td></tr>
            {{/commits}}</table></div>
            """,
        "changeset-table": """
            <div class="table-scroll"><table class="commits"><tr><th>Changeset</th><th>Message</th><th>Branch</th><th>Author</th><th>Date</th></tr>
            {{#changesets}}<tr><td><a class="mono commit-link" href="{{changesetHref}}">{{changesetName}}</a></td><td>{{changesetSummary}}</td><td>{{changesetBranch}}</td><td>{{changesetUser}}</td><td>{{changesetWhen}}</td></tr>
            {{/changesets}}</table></div>
            """,
        "tree-table": """
            <div class="table-scroll"><table id="files"><tr><th>Name</th><th>Size</th></tr>
            {{#treeParent}}<tr><td><a href="{{treeParent}}">..</a></td><td></td></tr>{{/treeParent}}
            {{#treeEntries}}<tr><td>{{#entryHref}}<a href="{{entryHref}}">{{entryLabel}}</a>{{/entryHref}}{{^entryHref}}{{entryLabel}}{{/entryHref}}\
            {{#entryNote}} <span class="muted">{{entryNote}}</span>{{/entryNote}}</td><td>{{entrySize}}</td></tr>
            {{/treeEntries}}{{#treeMore}}<tr><td colspan="2" class="muted">{{treeMore}} more entries not shown</td></tr>{{/treeMore}}</table></div>
            """,
        // A folder's entries and README at a commit: rendered once per commit and kept.
        "files": """
            {{>tree-table}}{{>readme}}
            """,
        "readme": """
            {{#readmeName}}<section class="readme"><h2>{{readmeName}}</h2>\
            {{#readmeHTML}}<div class="markdown" id="readme">{{{readmeHTML}}}</div>{{/readmeHTML}}\
            {{^readmeHTML}}<pre id="readme">{{readmeText}}</pre>{{/readmeHTML}}</section>{{/readmeName}}
            """,
        "code-search-form": """
            <form method="get" action="{{searchAction}}" class="search" role="search"><input type="search" name="q" id="code-search" \
            value="{{searchText}}" placeholder="Search code" aria-label="Search code" required> <button>Search</button></form>
            """,
        "summary": """
            {{#descriptionHTML}}<div class="markdown description" id="description">{{{descriptionHTML}}}</div>{{/descriptionHTML}}
            <p>Clone: <code id="clone-url">{{cloneURL}}</code></p>
            {{#emptyGit}}<p id="empty">This repository is empty. Push to it:</p><pre>git remote add origin {{cloneURL}}
            git push origin main</pre>{{/emptyGit}}\
            {{#emptyHg}}<p id="empty">This repository is empty. Push to it: <code>hg push {{cloneURL}}</code></p>{{/emptyHg}}
            {{#defaultBranch}}<p>Default branch <code>{{defaultBranch}}</code> · <a href="{{compareHref}}">Compare</a> · \
            <a href="{{tarHref}}">tar.gz</a> · <a href="{{zipHref}}">zip</a></p>{{/defaultBranch}}
            {{#hasCommits}}{{>code-search-form}}<h2>Latest commits</h2>{{>commit-table}}<h2>Files</h2>{{{filesHTML}}}{{/hasCommits}}
            {{#hasChangesets}}<h2>Latest changesets</h2>{{>changeset-table}}{{/hasChangesets}}
            """,
        "commits": """
            {{#historyPath}}<h2 id="history-title">History of <code>{{historyPath}}</code> on {{revision}}</h2>{{/historyPath}}\
            {{^historyPath}}{{#isHg}}<h2>Changesets</h2>{{/isHg}}{{^isHg}}<h2>Commits on {{revision}}</h2>{{/isHg}}{{/historyPath}}
            {{#isHg}}{{>changeset-table}}{{/isHg}}{{^isHg}}{{>commit-table}}{{/isHg}}
            {{#newerHref}}<p><a id="newer" href="{{newerHref}}">Newer</a></p>{{/newerHref}}{{#olderHref}}<p><a id="older" href="{{olderHref}}">Older</a></p>{{/olderHref}}
            """,
        "status-badge": """
            {{#commitStatus}}<span class="status-badge state {{badgeClass}}" title="{{badgeTitle}}" aria-label="{{badgeState}}">{{badgeSymbol}}</span>{{/commitStatus}}
            """,
        "commit": """
            <h2 id="commit-summary">{{summary}}</h2><pre>{{message}}</pre>
            <p class="mono">commit {{commitID}} {{>status-badge}}<br>{{#parents}}parent <a href="{{parentHref}}">{{parentID}}</a><br>{{/parents}}\
            author {{authorName}} &lt;{{authorEmail}}&gt; · {{authorDate}}</p>
            <p><a href="{{browseHref}}">Browse files</a> · <a href="{{zipHref}}">zip</a> · <a href="{{tarGzHref}}">tar.gz</a> · <a href="{{tarHref}}">tar</a></p>
            {{>commit-statuses}}{{{diffHTML}}}
            """,
        "commit-statuses": """
            {{#commitStatus}}<h3>Checks</h3><div class="table-scroll"><table id="statuses"><tr><th>Context</th><th>State</th><th>Description</th><th>When</th></tr>
            {{#statuses}}<tr><td>{{#statusTarget}}<a href="{{statusTarget}}" rel="nofollow noopener noreferrer">{{statusContext}}</a>{{/statusTarget}}\
            {{^statusTarget}}{{statusContext}}{{/statusTarget}}</td><td><span class="state {{statusClass}}">{{statusState}}</span></td>\
            <td>{{statusDescription}}</td><td>{{statusWhen}}</td></tr>
            {{/statuses}}</table></div>{{/commitStatus}}
            """,
        // A commit's changed files and diff: rendered once per commit and kept.
        "diff-section": """
            {{>changed-files}}{{>diff}}{{#truncated}}<p class="muted">The diff is too large to show whole.</p>{{/truncated}}
            """,
        "changeset": """
            <h2 id="commit-summary">{{summary}}</h2><pre>{{message}}</pre>
            <p class="mono">changeset {{changesetID}}<br>branch {{branch}}<br>user {{user}}</p>
            <ul id="changed">{{#files}}<li>{{fileKind}} {{filePath}}</li>{{/files}}</ul>
            <p><a href="{{zipHref}}">zip</a> · <a href="{{tarHref}}">tar</a></p>
            """,
        "references": """
            <h2>{{heading}}</h2><div class="table-scroll"><table id="{{kind}}"><tr><th>Name</th><th>Commit</th><th>Downloads</th></tr>
            {{#references}}<tr><td><a href="{{referenceHref}}">{{referenceName}}</a> {{>status-badge}}</td><td class="mono"><a href="{{targetHref}}">{{targetShort}}</a></td>\
            <td><a href="{{zipHref}}">zip</a> <a href="{{tarGzHref}}">tar.gz</a> <a href="{{tarHref}}">tar</a></td></tr>
            {{/references}}</table></div>
            """,
    ]
}
