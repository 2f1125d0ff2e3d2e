extension Templates {
    /// Pull requests: the list, one pull request, and the form that opens one.
    static let review: [String: String] = [
        "pulls": """
            <h2>Pull requests <small class="muted" id="pull-total">{{total}}</small></h2>
            <div class="toolbar"><nav class="tabs">{{#filters}}<a href="{{filterHref}}"{{#filterCurrent}} class="current" aria-current="page"{{/filterCurrent}}>{{filterLabel}}</a>{{/filters}}</nav>\
            {{#signedIn}}<a id="new-pull" href="{{newHref}}">New pull request</a>{{/signedIn}}</div>
            <div class="table-scroll"><table id="pull-list"><tr><th>#</th><th>Title</th><th>Branches</th><th>State</th><th>Author</th><th>Updated</th></tr>
            {{#pulls}}<tr><td><a class="pull-link" href="{{pullHref}}">#{{pullNumber}}</a></td><td>{{pullTitle}}</td><td class="mono">{{pullHead}} → {{pullBase}}</td>\
            <td><span class="state {{pullState}}">{{pullState}}</span></td><td>{{pullAuthor}}</td><td>{{pullUpdated}}</td></tr>
            {{/pulls}}{{^pulls}}<tr><td colspan="6" class="muted">No pull requests here.</td></tr>{{/pulls}}</table></div>
            <p class="pages">{{#newer}}<a id="newer" href="{{newer}}">Newer</a> {{/newer}}{{#older}}<a id="older" href="{{older}}">Older</a>{{/older}}</p>
            """,
        "new-pull": """
            <h2>Open a pull request</h2>{{#error}}<p class="error" id="form-error">{{error}}</p>{{/error}}
            <form method="post" action="{{action}}" id="pull-form">{{>csrf}}<input type="hidden" name="action" value="open">
            <p><label>Merge <select name="head" id="pull-head">{{#heads}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/heads}}</select></label> \
            <label>into <select name="base" id="pull-base">{{#bases}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/bases}}</select></label></p>
            <p><label>Title <input name="title" id="pull-title" required maxlength="255" size="60" value="{{title}}"></label></p>
            <p><label>Description (Markdown)<br><textarea name="body" id="pull-body" rows="8" cols="70">{{body}}</textarea></label></p>
            <p><button id="open-pull">Open pull request</button></p></form>
            """,
        "pull": """
            <h2 id="pull-title">{{title}} <span class="muted">#{{number}}</span></h2>
            <p><span id="pull-state" class="state {{state}}">{{state}}</span> {{author}} wants to merge \
            <code id="pull-head-branch">{{headBranch}}</code> into <code id="pull-base-branch">{{baseBranch}}</code> · opened {{opened}}\
            {{#mergedBy}} · merged by {{mergedBy}} into <a class="mono" href="{{mergeHref}}">{{mergeShort}}</a>{{/mergedBy}}</p>
            {{#bodyHTML}}<div class="markdown" id="pull-body">{{{bodyHTML}}}</div>{{/bodyHTML}}
            {{#isOpen}}<div class="notice" id="mergeability"><p>{{>status-badge}} {{mergeText}}</p>\
            {{#hasConflicts}}<ul id="conflicts">{{#conflicts}}<li class="mono">{{.}}</li>{{/conflicts}}</ul>{{/hasConflicts}}\
            {{#canMerge}}<form method="post" action="{{action}}" id="merge-form">{{>csrf}}<input type="hidden" name="action" value="merge">\
            <label>Style <select name="style" id="merge-style">{{#styles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/styles}}</select></label> \
            {{#canDeleteBranch}}<label><input type="checkbox" name="delete_branch" value="1"> Delete {{headBranch}}</label> {{/canDeleteBranch}}<button id="merge">Merge</button></form>{{/canMerge}}</div>{{/isOpen}}
            {{#canChange}}<form method="post" action="{{action}}" class="inline">{{>csrf}}\
            {{#isOpen}}<button name="action" value="close" id="close-pull">Close</button>{{/isOpen}}\
            {{#isClosed}}<button name="action" value="reopen" id="reopen-pull">Reopen</button>{{/isClosed}}</form>{{/canChange}}
            <p id="reviewers">Approved by: {{#approvers}}<b class="approver">{{.}}</b> {{/approvers}}{{^approvers}}nobody yet{{/approvers}}\
            {{#hasRequested}} · review asked of: {{#requested}}<span class="requested">{{.}}</span> {{/requested}}{{/hasRequested}}\
             · <span id="review-state">{{reviewState}}</span></p>
            <h3>Conversation</h3><div id="conversation">{{#timeline}}<div class="timeline-item" id="{{itemID}}"><p class="muted"><b>{{itemAuthor}}</b> \
            {{#itemState}}<span class="state {{itemStateClass}}">{{itemState}}</span> {{/itemState}}{{itemWhen}}{{#itemStale}} · on an older commit{{/itemStale}}</p>\
            {{#itemHTML}}<div class="markdown">{{{itemHTML}}}</div>{{/itemHTML}}\
            {{#itemComments}}<div class="line-comment{{#lineOutdated}} outdated{{/lineOutdated}}"><p class="mono">{{linePath}}:{{lineNumber}}\
            {{#lineOutdated}} <span class="muted">(outdated)</span>{{/lineOutdated}}</p><div class="markdown">{{{lineHTML}}}</div></div>{{/itemComments}}</div>
            {{/timeline}}{{^timeline}}<p class="muted">No comments yet.</p>{{/timeline}}</div>
            {{#signedIn}}<form method="post" action="{{action}}" id="comment-form">{{>csrf}}<input type="hidden" name="action" value="comment">\
            <p><label>Comment (Markdown)<br><textarea name="body" id="comment-body" rows="4" cols="70" required></textarea></label></p><p><button id="comment">Comment</button></p></form>
            {{^isMerged}}<form method="post" action="{{action}}" id="review-form">{{>csrf}}<input type="hidden" name="action" value="review"><h3>Review</h3>\
            <p>{{#reviewEvents}}<label><input type="radio" name="event" value="{{value}}"{{#checked}} checked{{/checked}}> {{label}}</label> {{/reviewEvents}}</p>
            <p><label>On a line (optional): file <select name="path" id="review-path"><option value="">—</option>{{#changedPaths}}<option>{{.}}</option>{{/changedPaths}}</select></label> \
            <label>line <input name="line" id="review-line" type="number" min="1" size="6"></label></p>
            <p><label>Review (Markdown)<br><textarea name="body" id="review-body" rows="3" cols="70"></textarea></label></p><p><button id="submit-review">Submit review</button></p></form>{{/isMerged}}
            {{#canChange}}<form method="post" action="{{action}}" id="request-review-form" class="inline">{{>csrf}}<input type="hidden" name="action" value="request-review">\
            <label>Ask for a review from <input name="reviewer" id="reviewer" required></label> <button id="request-review">Ask</button></form>{{/canChange}}{{/signedIn}}
            <h3>Commits</h3>{{>commit-table}}{{{diffHTML}}}
            """,
    ]
}
