extension Templates {
    /// File views: trees, files, blame, code search, compare, and diffs.
    static let code: [String: String] = [
        "picker": """
            <details class="picker" id="ref-picker"><summary>{{pickerKind}}: <b>{{pickerLabel}}</b></summary><div class="menu">\
            {{#hasBranches}}<div class="menu-title">Branches</div>{{/hasBranches}}\
            {{#pickerBranches}}<a class="ref{{#refCurrent}} current{{/refCurrent}}" href="{{refHref}}">{{refName}}</a>{{/pickerBranches}}\
            {{#hasTags}}<div class="menu-title">Tags</div>{{/hasTags}}\
            {{#pickerTags}}<a class="ref{{#refCurrent}} current{{/refCurrent}}" href="{{refHref}}">{{refName}}</a>{{/pickerTags}}</div></details>
            """,
        "breadcrumbs": """
            <nav class="breadcrumbs" id="breadcrumbs"><a href="{{crumbsRoot}}">{{crumbsName}}</a>\
            {{#crumbs}} / {{#crumbHref}}<a href="{{crumbHref}}">{{crumbName}}</a>{{/crumbHref}}{{^crumbHref}}<span>{{crumbName}}</span>{{/crumbHref}}{{/crumbs}}</nav>
            """,
        "tree": """
            <div class="toolbar">{{>picker}}{{>breadcrumbs}}<a href="{{historyHref}}">History</a></div>
            {{{filesHTML}}}
            """,
        "code-table": """
            <div class="code-scroll"><table class="code" id="blob"{{#language}} data-lang="{{language}}"{{/language}}><tbody>
            {{#lines}}<tr id="L{{n}}"><td class="num"><a href="#L{{n}}">{{n}}</a></td><td class="line">{{text}}</td></tr>
            {{/lines}}</tbody></table></div>
            """,
        "blob": """
            <div class="toolbar">{{>picker}}{{>breadcrumbs}}</div><p class="file-actions">\
            {{#markdown}}{{#renderedHTML}}<a id="source-link" href="?plain=1">Source</a> · {{/renderedHTML}}{{^renderedHTML}}<a id="rendered-link" href="?">Rendered</a> · {{/renderedHTML}}{{/markdown}}\
            <a href="{{rawHref}}">Raw</a> · <a id="blame-link" href="{{blameHref}}">Blame</a> · <a id="history-link" href="{{historyHref}}">History</a>\
            {{#size}} · <span class="muted">{{size}} bytes</span>{{/size}}</p>
            {{#renderedHTML}}<div class="markdown" id="rendered">{{{renderedHTML}}}</div>{{/renderedHTML}}\
            {{#showCode}}{{>code-table}}{{/showCode}}\
            {{#binary}}<p class="muted" id="blob-binary">This file is binary or larger than {{largest}} bytes; download it raw.</p>{{/binary}}
            """,
        "blame": """
            <div class="toolbar">{{>breadcrumbs}}</div><p class="file-actions"><a href="{{blobHref}}">Normal view</a> · <a href="{{historyHref}}">History</a></p>
            <div class="code-scroll"><table class="code blame" id="blame"{{#language}} data-lang="{{language}}"{{/language}}><tbody>
            {{#hunks}}{{#hunkLines}}<tr id="L{{n}}"{{#hunkStart}} class="hunk-start"{{/hunkStart}}>\
            {{#hunkStart}}<td class="blame-commit" rowspan="{{rows}}"><a class="mono" href="{{commitHref}}">{{commitShort}}</a> {{commitSummary}}<br>\
            <span class="muted">{{commitAuthor}}{{#commitWhen}} · {{commitWhen}}{{/commitWhen}}</span></td>{{/hunkStart}}\
            <td class="num"><a href="#L{{n}}">{{n}}</a></td><td class="line">{{text}}</td></tr>
            {{/hunkLines}}{{/hunks}}</tbody></table></div>
            """,
        "search": """
            <h2>Search the code</h2>{{>code-search-form}}
            {{#noCommits}}<p id="search-empty">This repository has no commits to search yet.</p>{{/noCommits}}\
            {{#searched}}<p id="search-summary">{{matchCount}} matching line{{^oneMatch}}s{{/oneMatch}} in {{filesSearched}} files searched\
            {{#incomplete}} (the search stopped at its limit; narrow it down){{/incomplete}}</p>{{/searched}}
            {{#files}}<h3 class="search-file"><a href="{{fileHref}}">{{filePath}}</a></h3><div class="code-scroll"><table class="code search-results"><tbody>
            {{#matches}}<tr><td class="num"><a href="{{fileHref}}#L{{line}}">{{line}}</a></td><td class="line">{{text}}</td></tr>
            {{/matches}}</tbody></table></div>
            {{/files}}
            """,
        "compare": """
            {{#compared}}<h2>Compare <code>{{base}}</code>{{operator}}<code>{{head}}</code></h2>{{/compared}}{{^compared}}<h2>Compare revisions</h2>{{/compared}}\
            <form method="get" action="{{compareAction}}" class="compare-form"><label>Base <input name="base" id="compare-base" value="{{base}}" required></label> \
            <label>Compare <input name="head" id="compare-head" value="{{head}}" required></label> <button>Compare</button></form>
            {{#compared}}<h3 id="compare-commits">{{commitCount}} commit{{^oneCommit}}s{{/oneCommit}}</h3>{{>commit-table}}{{>changed-files}}{{>diff}}\
            {{#truncated}}<p class="muted">The diff is too large to show whole.</p>{{/truncated}}{{/compared}}
            """,
        "changed-files": """
            <h3>{{changeCount}} changed file{{^oneChange}}s{{/oneChange}}</h3>\
            <p class="diff-style"><a id="unified-link" href="?style=unified">Unified</a> · <a id="split-link" href="?style=split">Side by side</a></p>
            <ul id="changed">{{#changes}}<li><span class="mono change-{{changeKind}}">{{changeKind}}</span> \
            {{#changeAnchor}}<a href="#{{changeAnchor}}">{{changePath}}</a>{{/changeAnchor}}{{^changeAnchor}}{{changePath}}{{/changeAnchor}}</li>{{/changes}}</ul>
            """,
        // One table per file; each row a list of cells: a line number (with its anchor) or a line's text.
        "diff": """
            <div id="diff" class="diff {{diffStyle}}">{{#diffFiles}}<table class="diff-file" id="{{fileAnchor}}"><thead><tr><th colspan="{{columns}}" class="file-name">\
            <a href="#{{fileAnchor}}">{{diffPath}}</a></th></tr></thead><tbody>
            {{#hasNotes}}<tr><td colspan="{{columns}}" class="muted">{{#fileNotes}}{{.}}<br>{{/fileNotes}}</td></tr>{{/hasNotes}}\
            {{#diffHunks}}<tr class="hunk"><td colspan="{{columns}}">{{hunkHeader}}</td></tr>
            {{#rows}}<tr{{#rowClass}} class="{{rowClass}}"{{/rowClass}}>{{#cells}}{{#number}}<td class="{{cellClass}}"{{#anchor}} id="{{anchor}}"{{/anchor}}>\
            {{#anchor}}<a href="#{{anchor}}">{{value}}</a>{{/anchor}}</td>{{/number}}{{^number}}<td class="{{cellClass}}">{{text}}</td>{{/number}}{{/cells}}</tr>
            {{/rows}}{{/diffHunks}}</tbody></table>{{/diffFiles}}</div>
            """,
    ]
}
