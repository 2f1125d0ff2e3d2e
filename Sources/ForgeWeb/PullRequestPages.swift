import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird

/// Pull request pages: the list (`/-/pulls`), one pull request with its commits, diff, statuses and
/// mergeability (`/-/pull/N`), and the form that opens one (`/-/pulls/new`).
extension ForgeWebService {
    var pullRequests: PullRequests { PullRequests(repositories: repositories) }

    func pullsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String], query: [String: String]) async throws -> Response {
        if rest.first == "new" { return try await newPullPage(repository, viewer: viewer, level: level, values: query, error: nil) }
        let page = Pagination(page: max(1, Int(query["page"] ?? "1") ?? 1), limit: 50)
        let filter = query["state"] ?? "open"
        let states: Set<PullRequestState>? = switch filter {
        case "closed": [.closed, .merged]
        case "all": nil
        default: [.open]
        }
        let pulls = try await store.pullRequests(repositoryID: repository.id, states: states, limit: page.limit, offset: page.offset)
        let total = try await store.pullRequestCount(repositoryID: repository.id, states: states)
        let base = link(repository, "pulls")
        let context = view([
            "total": total, "newHref": base + "/new",
            "filters": [("open", "Open"), ("closed", "Closed"), ("all", "All")].map { value, label in
                ["filterHref": base + "?state=" + value, "filterLabel": label, "filterCurrent": value == filter] as [String: Any]
            },
            "pulls": pulls.map { pull in
                ["pullHref": link(repository, "pull", String(pull.number)), "pullNumber": pull.number, "pullTitle": pull.title,
                 "pullHead": pull.headBranch, "pullBase": pull.baseBranch, "pullState": pull.state.rawValue,
                 "pullAuthor": pull.author?.name ?? "", "pullUpdated": Web.relativeTime(pull.updatedAt)] as [String: Any]
            },
            "newer": page.page > 1 ? base + "?state=\(filter)&page=\(page.page - 1)" : nil,
            "older": page.offset + pulls.count < total ? base + "?state=\(filter)&page=\(page.page + 1)" : nil,
        ])
        return try frame(repository, viewer: viewer, level: level, title: "Pull requests", active: "pulls", template: "pulls", context)
    }

    /// The form that opens a pull request; after a refusal it shows the error and what was typed.
    func newPullPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, values: [String: String], error: String?) async throws -> Response {
        guard viewer.user != nil else { return Web.redirect("/login?next=" + urlEncode(link(repository, "pulls", "new"))) }
        let git = try await repositories.open.repository(at: repositories.directory(for: repository.path))
        let (branches, head) = try await bounded { try await git.withSession { (try $0.branches().map(\.shortName), try $0.head()) } }
        var defaultBranch = branches.first ?? ""
        if case .branch(let name, _) = head { defaultBranch = name }
        let chosenBase = values["base"] ?? defaultBranch
        let chosenHead = values["head"] ?? branches.first(where: { $0 != chosenBase }) ?? ""
        // The branches of the forks the viewer may open pull requests from, as FORK:BRANCH.
        var heads = branches
        for fork in try await store.repositories() where fork.forkOf == repository.id && fork.kind == .git {
            guard let facts = try await store.permissionFacts(repository: fork.path, caller: viewer.user),
                  facts.effectiveLevel(from: nil) >= (fork.isPrivate ? .write : .read) else { continue }
            let forkGit = try await repositories.open.repository(at: repositories.directory(for: fork.path))
            heads += try await bounded { try await forkGit.withSession { try $0.branches().map(\.shortName) } }.map { fork.path.description + ":" + $0 }
        }
        let context = view([
            "error": error, "action": link(repository, "pulls"), "title": values["title"], "body": values["body"],
            "heads": heads.map { ["name": $0, "selected": $0 == chosenHead] as [String: Any] },
            "bases": branches.map { ["name": $0, "selected": $0 == chosenBase] as [String: Any] },
        ])
        return try frame(repository, viewer: viewer, level: level, title: "New pull request", active: "pulls", template: "new-pull", context)
            .withStatus(error == nil ? .ok : .badRequest)
    }

    /// How a pull request's head is named: its branch, or `FORK:BRANCH` for a fork's (the fork by
    /// id when it is gone).
    func headLabel(of pull: PullRequest) async throws -> String {
        guard let forkID = pull.headRepositoryID else { return pull.headBranch }
        let fork = try await store.repository(id: forkID)
        return (fork?.path.description ?? "a deleted fork") + ":" + pull.headBranch
    }

    func pullPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, number text: String, message: String? = nil) async throws -> Response {
        guard let number = Int64(text), let pull = try await store.pullRequest(repositoryID: repository.id, number: number) else {
            throw ForgeError(.notFound, "no pull request \(text) in \(repository.path)", operation: "pull request")
        }
        let directory = repositories.directory(for: repository.path)
        let headLabel = try await self.headLabel(of: pull)
        // How two tips merge, and their merge base, never change: both are kept (on git.git a merge
        // base a year back is a long walk).
        let kept = rendered
        let heads = try await pullRequests.heads(of: pull, in: repository) { base, head in
            kept.value("mergeability\u{0}\(directory)\u{0}\(base.hex)\u{0}\(head.hex)", as: Mergeability.self)
        }
        if let base = heads.base, let head = heads.head, let mergeability = heads.mergeability {
            rendered.store(value: mergeability, bytes: 256, "mergeability\u{0}\(directory)\u{0}\(base.hex)\u{0}\(head.hex)")
        }
        // Open: the head as it is now against the base; merged or closed: as it was last seen.
        let headCommit = pull.state == .open ? heads.head?.hex ?? pull.headCommit : pull.headCommit
        let baseCommit = pull.state == .open ? heads.base?.hex ?? pull.baseCommit : pull.baseCommit
        let range = try await pullRange(repository, head: headCommit, base: baseCommit)
        let (changes, key) = (range.changes, range.key)
        let commits = Array(range.commits.prefix(250))
        // The diff from the merge base to the head never changes for those two commits: kept rendered.
        var patch: CommitPatch?
        if rendered.body(key) == nil {
            let git = try await repositories.open.repository(at: directory)
            patch = try await bounded { try await git.withSession { try $0.patch(from: range.from, to: range.head) } }
        }
        var diffHTML = rendered.body(key) ?? ""
        if let patch {
            let diff = DiffView(patch: patch.text)
            var diffContext = changedFilesContext(changes, anchors: diff.anchors)
            diffContext.merge(diff.context(style: .unified)) { $1 }
            diffContext["truncated"] = patch.truncated
            diffHTML = try content("diff-section", diffContext, viewer: viewer)
            rendered.store(diffHTML, key)
        }
        let statuses = try await store.latestCommitStatuses(repositoryID: repository.id, commits: [headCommit])[headCommit] ?? []
        var mergeText = "The branches are gone."
        var conflicts: [String] = []
        switch heads.mergeability {
        case .fastForward?: mergeText = "\(pull.baseBranch) can move forward to \(headLabel): it merges cleanly."
        case .clean?: mergeText = "This branch merges cleanly."
        case .upToDate?: mergeText = "\(headLabel) is already part of \(pull.baseBranch): nothing to merge."
        case .unrelated?: mergeText = "The branches have no common history."
        case .conflict(let paths)?: mergeText = "This branch has conflicts that must be resolved:"; conflicts = paths
        case nil: break
        }
        var mergeable = heads.mergeability == .fastForward || heads.mergeability == .clean
        // A protected base: what its rule still asks for, instead of the merge button.
        if pull.state == .open, mergeable,
           let rule = BranchProtection.rule(for: pull.baseBranch, in: try await store.branchProtections(repositoryID: repository.id)) {
            let checked: Result<Void, ForgeError>
            do { checked = .success(try await pullRequests.check(pull, against: rule, in: repository)) } catch { checked = .failure(error) }
            if case .failure(let error) = checked {
                mergeable = false
                mergeText = "Merging is blocked: " + error.message
            }
        }
        let isAuthor = viewer.user.map { $0.id == pull.author?.id } ?? false
        // The conversation: comments and reviews in order, each review with its line comments.
        let reviews = try await store.pullReviews(pullID: pull.id)
        let comments = try await store.pullComments(pullID: pull.id)
        let outdated = try await pullRequests.outdated(comments, head: headCommit, in: repository)
        func lineItems(_ review: Int64) -> [[String: Any]] {
            comments.filter { $0.reviewID == review && $0.path != nil }.map { comment in
                ["linePath": comment.path ?? "", "lineNumber": comment.line ?? 0, "lineOutdated": outdated.contains(comment.id),
                 "lineHTML": Markdown.html(comment.body)] as [String: Any]
            }
        }
        var timeline: [(Date, [String: Any])] = comments.filter { $0.reviewID == nil }.map { comment in
            (comment.createdAt, ["itemID": "comment-\(comment.id)", "itemAuthor": comment.author?.name ?? "someone", "itemWhen": Web.relativeTime(comment.createdAt),
                                 "itemHTML": Markdown.html(comment.body), "itemState": false, "itemStale": false, "itemComments": [] as [[String: Any]]])
        }
        for review in reviews {
            let label = switch review.state {
            case .approved: "approved"
            case .changesRequested: "requested changes"
            case .comment: "reviewed"
            }
            timeline.append((review.createdAt, ["itemID": "review-\(review.id)", "itemAuthor": review.author?.name ?? "someone",
                                                "itemWhen": Web.relativeTime(review.createdAt), "itemState": label,
                                                "itemStateClass": review.state == .approved ? "success" : review.state == .changesRequested ? "failure" : "pending",
                                                "itemStale": review.commit != headCommit && review.state != .comment,
                                                "itemHTML": review.body.isEmpty ? false : Markdown.html(review.body), "itemComments": lineItems(review.id)]))
        }
        timeline.sort { $0.0 < $1.0 }
        let approvers = PullRequests.approvers(reviews, of: pull, head: headCommit, dismissStale: false).map(\.name)
        let requested = try await store.reviewRequests(pullID: pull.id).map(\.name)
        // Kallithea's review states: rejected while a reviewer's newest decision asks for changes,
        // approved once someone other than the author approves, under review until then.
        var newestDecision: [Int64: ReviewState] = [:]
        for review in reviews where review.state != .comment { if let author = review.author { newestDecision[author.id] = review.state } }
        let reviewState = newestDecision.values.contains(.changesRequested) ? "rejected: changes requested"
            : approvers.isEmpty ? "under review" : "approved"
        let context = view([
            "title": pull.title, "number": pull.number, "state": pull.state.rawValue, "author": pull.author?.name ?? "someone",
            "headBranch": headLabel, "canDeleteBranch": !pull.isFromFork, "baseBranch": pull.baseBranch, "opened": Web.relativeTime(pull.createdAt),
            "mergedBy": pull.mergedBy?.name, "mergeHref": pull.mergeCommit.map { link(repository, "commit", $0) },
            "mergeShort": pull.mergeCommit.map { String($0.prefix(10)) },
            "bodyHTML": pull.body.isEmpty ? nil : Markdown.html(pull.body, links: markdownLinks(repository, revision: headCommit, directory: "")),
            "isOpen": pull.state == .open, "isClosed": pull.state == .closed, "mergeText": message ?? mergeText,
            "hasConflicts": !conflicts.isEmpty, "conflicts": conflicts, "commitStatus": statusBadge(statuses),
            "canMerge": mergeable && level >= .write, "canChange": level >= .write || isAuthor, "action": link(repository, "pull", String(pull.number)),
            "styles": [(MergeStyle.merge, "Create a merge commit"), (.rebase, "Rebase onto the base"), (.squash, "Squash into one commit"),
                       (.fastForwardOnly, "Fast-forward only")].map {
                ["value": $0.0.rawValue, "label": $0.1, "selected": $0.0 == (heads.mergeability == .fastForward ? .fastForwardOnly : .merge)] as [String: Any]
            },
            "commits": try await commitRows(repository, commits), "diffHTML": diffHTML,
            "isMerged": pull.state == .merged, "approvers": approvers, "requested": requested, "hasRequested": !requested.isEmpty,
            "reviewState": reviewState, "timeline": timeline.map(\.1),
            "changedPaths": changes.map(\.path),
            "reviewEvents": [(ReviewState.comment, "Comment"), (.approved, "Approve"), (.changesRequested, "Request changes")].map {
                ["value": $0.0.rawValue, "label": $0.1, "checked": $0.0 == .comment] as [String: Any]
            },
        ])
        return try frame(repository, viewer: viewer, level: level, title: "#\(pull.number) \(pull.title)", active: "pulls", template: "pull", context)
    }

    /// What a pull request brings from the merge base of `base` and `head` to `head`: its commits
    /// (newest first, at most 1,000) and changed files. They never change for those two commits and
    /// are kept, with the merge base (on git.git the walk of a year of the base's history is most of
    /// a pull request page's time when not kept); `key` names the range for what else is kept of it.
    struct PullRange: Sendable {
        var from: ObjectID
        var head: ObjectID
        var commits: [Commit]
        var changes: [PathChange]
        var key: String
    }

    func pullRange(_ repository: RepositoryRecord, head: String, base: String) async throws -> PullRange {
        let directory = repositories.directory(for: repository.path)
        let git = try await repositories.open.repository(at: directory)
        let cache = rendered
        return try await bounded {
            try await git.withSession { session in
                let headID = try session.resolveCommit(head), baseID = try session.resolveCommit(base)
                let baseKey = "mergebase\u{0}\(directory)\u{0}\(baseID.hex)\u{0}\(headID.hex)"
                let from: ObjectID
                if let known = cache.value(baseKey, as: ObjectID.self) {
                    from = known
                } else {
                    from = try session.mergeBases(baseID, headID).first ?? baseID
                    cache.store(value: from, bytes: 128, baseKey)
                }
                let key = "pull\u{0}\(directory)\u{0}\(from.hex)\u{0}\(headID.hex)"
                if let kept = cache.value(key + "\u{0}lists", as: ([Commit], [PathChange]).self) {
                    return PullRange(from: from, head: headID, commits: kept.0, changes: kept.1, key: key)
                }
                let listed = (try session.log(LogOptions([headID.hex, "^" + from.hex], limit: 1000)), try session.changes(from: from.hex, to: headID.hex))
                let bytes = listed.0.reduce(0) { $0 + 256 + $1.message.utf8.count } + listed.1.reduce(0) { $0 + 96 + $1.path.utf8.count }
                cache.store(value: listed, bytes: bytes, key + "\u{0}lists")
                return PullRange(from: from, head: headID, commits: listed.0, changes: listed.1, key: key)
            }
        }
    }

    /// The pull request forms: open one (`/-/pulls`), and merge, close or reopen one (`/-/pull/N`).
    func pullAction(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, route: RepositoryRoute, form: [String: String],
                    peer: String?) async throws -> Response {
        guard let user = viewer.user else { throw ForgeError(.authentication, "sign in first", operation: "pull request") }
        if route.action == "pulls" {
            // The outcome as a value: a typed catch that awaits again crashes Swift 6.3's SIL passes.
            let opened: Result<PullRequest, ForgeError>
            do {
                let (branch, headRepository) = try await pullRequests.head(form["head"] ?? "", of: repository, for: user, address: peer.flatMap { IPAddress($0) })
                opened = .success(try await pullRequests.open(in: repository, title: form["title"] ?? "", body: form["body"] ?? "",
                                                              head: branch, headRepository: headRepository, base: form["base"] ?? "", author: user))
            } catch {
                opened = .failure(error)
            }
            switch opened {
            case .success(let pull): return Web.redirect(link(repository, "pull", String(pull.number)))
            case .failure(let error): return try await newPullPage(repository, viewer: viewer, level: level, values: form, error: error.message)
            }
        }
        let text = route.rest.first ?? ""
        guard let number = Int64(text), let pull = try await store.pullRequest(repositoryID: repository.id, number: number) else {
            throw ForgeError(.notFound, "no pull request \(text) in \(repository.path)", operation: "pull request")
        }
        switch form["action"] {
        case "merge":
            guard level >= .write else { throw ForgeError(.forbidden, "merging needs write on \(repository.path)", operation: "merge") }
            let merged: Result<PullRequest, ForgeError>
            do {
                merged = .success(try await pullRequests.merge(pull, in: repository, style: MergeStyle(rawValue: form["style"] ?? "") ?? .merge,
                                                               by: user, deleteBranch: form["delete_branch"] == "1"))
            } catch {
                merged = .failure(error)
            }
            if case .failure(let error) = merged {
                guard error.code == .conflict || error.code == .notFound else { throw error }
                return try await pullPage(repository, viewer: viewer, level: level, number: text, message: error.message).withStatus(.conflict)
            }
        case "comment":
            let head = try await pullRequests.heads(of: pull, in: repository).head?.hex ?? pull.headCommit
            let added: Result<PullComment, ForgeError>
            do { added = .success(try await store.addPullComment(pullID: pull.id, NewPullComment(body: form["body"] ?? "", commit: head), authorID: user.id, reviewID: nil)) } catch { added = .failure(error) }
            if case .failure(let error) = added {
                return try await pullPage(repository, viewer: viewer, level: level, number: text, message: error.message).withStatus(.badRequest)
            }
        case "review":
            let head = try await pullRequests.heads(of: pull, in: repository).head?.hex ?? pull.headCommit
            let path = form["path"].flatMap { $0.isEmpty ? nil : $0 }
            var body = form["body"] ?? ""
            var lineComments: [NewPullComment] = []
            if let path {
                // A review on a line: its text is the line's comment.
                lineComments = [NewPullComment(body: body, path: path, line: Int(form["line"] ?? ""), commit: head)]
                body = ""
            }
            let reviewed: Result<PullReview, ForgeError>
            do {
                reviewed = .success(try await pullRequests.review(pull, in: repository, state: ReviewState(rawValue: form["event"] ?? "") ?? .comment,
                                                                  body: body, by: user, comments: lineComments))
            } catch {
                reviewed = .failure(error)
            }
            if case .failure(let error) = reviewed {
                return try await pullPage(repository, viewer: viewer, level: level, number: text, message: error.message).withStatus(.badRequest)
            }
        case "request-review":
            guard level >= .write || pull.author?.id == user.id else {
                throw ForgeError(.forbidden, "only its author and the repository's writers ask for reviews", operation: "pull request")
            }
            guard let reviewer = try await store.user(named: form["reviewer"] ?? ""),
                  let facts = try await store.permissionFacts(repository: repository.path, caller: reviewer), facts.effectiveLevel(from: nil) >= .read else {
                return try await pullPage(repository, viewer: viewer, level: level, number: text,
                                          message: "'\(form["reviewer"] ?? "")' cannot read this repository").withStatus(.badRequest)
            }
            let current = try await store.reviewRequests(pullID: pull.id).map(\.id)
            try await store.setReviewRequests(pullID: pull.id, userIDs: current + [reviewer.id])
        case "close", "reopen":
            guard level >= .write || pull.author?.id == user.id else {
                throw ForgeError(.forbidden, "only its author and the repository's writers close or reopen it", operation: "pull request")
            }
            _ = try await store.updatePullRequest(id: pull.id, title: pull.title, body: pull.body, state: form["action"] == "close" ? .closed : .open,
                                                  headCommit: pull.headCommit, actorID: user.id)
        default:
            throw ForgeError(.invalidArgument, "unknown action", operation: "pull request")
        }
        return Web.redirect(link(repository, "pull", String(pull.number)))
    }
}
