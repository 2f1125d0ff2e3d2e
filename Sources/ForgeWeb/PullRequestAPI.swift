import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Gitea's pull request routes of a repository: list, open, read, edit (title, body, close and
/// reopen), commits, changed files, and merge.
extension ForgeAPI {
    var pullRequests: PullRequests { web.pullRequests }

    /// The pull request `…/pulls/{index}` names; 404 for any other.
    func pullRequest(_ target: GiteaTarget, index text: String) async throws -> PullRequest {
        guard let number = Int64(text), number > 0, let pull = try await store.pullRequest(repositoryID: target.repository.id, number: number) else {
            throw APIError(status: .notFound, message: "no pull request \(text) in \(target.repository.path)")
        }
        return pull
    }

    /// A pull request as Gitea shows it, with its branches as they are now.
    /// `repository` is the target's JSON when the caller has it already (a list shows it once per pull request).
    func giteaPullRequest(_ pull: PullRequest, target: GiteaTarget, repository known: GiteaRepository? = nil) async throws -> GiteaPullRequest {
        let heads = try await pullRequests.heads(of: pull, in: target.repository)
        let repository = if let known { known } else { try await repositoryJSON(target.repository, level: target.level) }
        let mergeable = switch heads.mergeability {
        case .fastForward?, .clean?: true
        default: false
        }
        let headSHA = pull.state == .open ? heads.head?.hex ?? pull.headCommit : pull.headCommit
        let baseSHA = heads.base?.hex ?? pull.baseCommit
        let html = target.html + "/-/pull/\(pull.number)"
        let viewer = target.caller.user
        return GiteaPullRequest(
            id: pull.id, url: target.base + "/pulls/\(pull.number)", number: pull.number, user: pull.author.map { GiteaUser($0, shownTo: viewer) },
            title: pull.title, body: pull.body, state: pull.state == .open ? "open" : "closed", htmlURL: html, diffURL: html + ".diff",
            patchURL: html + ".patch", mergeable: pull.state == .open && mergeable, merged: pull.state == .merged,
            mergedAt: pull.mergedAt.map(giteaTime), mergeCommitSHA: pull.mergeCommit, mergedBy: pull.mergedBy.map { GiteaUser($0, shownTo: viewer) },
            base: GiteaPRBranch(label: pull.baseBranch, ref: pull.baseBranch, sha: baseSHA, repoID: target.repository.id, repo: repository),
            head: try await headBranchJSON(pull, target: target, sha: headSHA, base: repository),
            mergeBase: pull.baseCommit, createdAt: giteaTime(pull.createdAt), updatedAt: giteaTime(pull.updatedAt),
            closedAt: pull.state == .open ? nil : giteaTime(pull.mergedAt ?? pull.updatedAt))
    }

    /// A pull request's head as Gitea shows it: a branch of the repository, or `OWNER:BRANCH` of a
    /// fork (with the fork, when the viewer can read it and it still exists).
    private func headBranchJSON(_ pull: PullRequest, target: GiteaTarget, sha: String, base: GiteaRepository) async throws -> GiteaPRBranch {
        guard let forkID = pull.headRepositoryID else {
            return GiteaPRBranch(label: pull.headBranch, ref: pull.headBranch, sha: sha, repoID: target.repository.id, repo: base)
        }
        let label = try await web.headLabel(of: pull)
        var json: GiteaRepository?
        if let fork = try await store.repository(id: forkID) {
            if let facts = try await store.permissionFacts(repository: fork.path, caller: target.caller.user) {
                let level = facts.effectiveLevel(from: target.caller.peer.flatMap { IPAddress($0) })
                if level >= .read { json = try await repositoryJSON(fork, level: level) }
            }
        }
        return GiteaPRBranch(label: label, ref: pull.headBranch, sha: sha, repoID: forkID, repo: json)
    }

    /// `GET pulls?state=open|closed|all`.
    func listPullRequests(_ target: GiteaTarget, request: Request) async throws -> Response {
        let page = try Pagination(target.query)
        let states: Set<PullRequestState>? = switch target.query["state"] ?? "open" {
        case "open": [.open]
        case "closed": [.closed, .merged]
        case "all": nil
        default: throw APIError(status: .unprocessableContent, message: "'state' must be open, closed or all")
        }
        let pulls = try await store.pullRequests(repositoryID: target.repository.id, states: states, limit: page.limit, offset: page.offset)
        var shaped: [GiteaPullRequest] = []
        let repository = try await repositoryJSON(target.repository, level: target.level)
        for pull in pulls { shaped.append(try await giteaPullRequest(pull, target: target, repository: repository)) }
        return Self.list(shaped, total: try await store.pullRequestCount(repositoryID: target.repository.id, states: states), page: page, request: request)
    }

    /// `POST pulls {"head", "base", "title", "body"}`: anyone signed in who can read the repository.
    func openPullRequest(_ target: GiteaTarget, request: Request) async throws -> Response {
        let me = try requireUser(target.caller.user)
        let fields = try await body(request, as: GiteaPullRequestRequest.self)
        guard let head = fields.head, !head.isEmpty else { throw APIError(status: .unprocessableContent, message: "'head' is required") }
        guard let base = fields.base, !base.isEmpty else { throw APIError(status: .unprocessableContent, message: "'base' is required") }
        guard let title = fields.title else { throw APIError(status: .unprocessableContent, message: "'title' is required") }
        do {
            let (branch, headRepository) = try await pullRequests.head(head, of: target.repository, for: me, address: target.caller.peer.flatMap { IPAddress($0) })
            let pull = try await pullRequests.open(in: target.repository, title: title, body: fields.body ?? "", head: branch,
                                                   headRepository: headRepository, base: base, author: me)
            return Self.json(.created, try await giteaPullRequest(pull, target: target))
        } catch let error as ForgeError where error.code == .invalidArgument || error.code == .unsupported {
            throw APIError(status: .unprocessableContent, message: error.message)
        }
    }

    /// `PATCH pulls/{index} {"title", "body", "state": "open"|"closed"}`: its author or a writer (201, as Gitea answers).
    func editPullRequest(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let me = try requireUser(target.caller.user)
        let pull = try await pullRequest(target, index: index)
        guard pull.author?.id == me.id || target.level >= .write else {
            throw APIError(status: .forbidden, message: "only its author and the repository's writers change pull request #\(pull.number)")
        }
        let fields = try await body(request, as: GiteaPullRequestRequest.self)
        var state = pull.state
        if let wanted = fields.state {
            guard let chosen = PullRequestState(rawValue: wanted), chosen != .merged else {
                throw APIError(status: .unprocessableContent, message: "'state' must be open or closed")
            }
            state = chosen
        }
        guard pull.state != .merged else { throw APIError(status: .conflict, message: "pull request #\(pull.number) is merged") }
        do {
            let updated = try await store.updatePullRequest(id: pull.id, title: fields.title ?? pull.title, body: fields.body ?? pull.body,
                                                            state: state, headCommit: pull.headCommit, actorID: me.id)
            return Self.json(.created, try await giteaPullRequest(updated, target: target))
        } catch let error as ForgeError where error.code == .invalidArgument {
            throw APIError(status: .unprocessableContent, message: error.message)
        }
    }

    /// The commits a pull request brings and the files it changes, from the merge base to its head
    /// (as they are now for an open one, as they were merged or closed otherwise): the page's range.
    func pullRange(_ target: GiteaTarget, index: String) async throws -> (PullRequest, ForgeWebService<Context>.PullRange) {
        let pull = try await pullRequest(target, index: index)
        let open = pull.state == .open
        return (pull, try await web.pullRange(target.repository, head: open ? pull.headReference : pull.headCommit,
                                              base: open ? "refs/heads/" + pull.baseBranch : pull.baseCommit))
    }

    func pullRequestCommits(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let page = try Pagination(target.query)
        let commits = try await pullRange(target, index: index).1.commits
        return Self.list(page.slice(commits).map { giteaCommit($0, base: target.base, html: target.html) }, total: commits.count, page: page, request: request)
    }

    func pullRequestFiles(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let page = try Pagination(target.query)
        let (pull, range) = try await pullRange(target, index: index)
        let html = target.html + "/-/pull/\(pull.number)"
        return Self.list(page.slice(range.changes).map { GiteaChangedFile(filename: $0.path, status: Self.giteaStatus($0.kind), htmlURL: html) },
                         total: range.changes.count, page: page, request: request)
    }

    /// `GET pulls/{index}/merge` (204 merged, 404 not) and `POST … {"Do": "merge"|"rebase"|"squash"|"fast-forward-only"}` (write).
    func mergePullRequest(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let pull = try await pullRequest(target, index: index)
        if request.method == .get {
            guard pull.state == .merged else { throw APIError(status: .notFound, message: "pull request #\(pull.number) is not merged") }
            return Response(status: .noContent)
        }
        let me = try requireUser(target.caller.user)
        guard target.level >= .write else { throw APIError(status: .forbidden, message: "merging needs write on \(target.repository.path)") }
        let fields = try await body(request, as: GiteaMergeRequest.self)
        guard let name = fields.style else { throw APIError(status: .unprocessableContent, message: "'Do' is required") }
        guard let style = MergeStyle(rawValue: name) else {
            throw APIError(status: .unprocessableContent, message: "'Do' must be merge, rebase, squash or fast-forward-only")
        }
        let message = [fields.title, fields.message].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "\n\n")
        do {
            let merged = try await pullRequests.merge(pull, in: target.repository, style: style, by: me, message: message.isEmpty ? nil : message,
                                                      deleteBranch: fields.deleteBranch ?? false)
            return Self.json(.ok, try await giteaPullRequest(merged, target: target))
        } catch let error as ForgeError where error.code == .conflict {
            // Gitea answers a pull request it cannot merge with 405; the base moving meanwhile is a 409.
            throw APIError(status: error.message.contains("moved while merging") ? .conflict : .methodNotAllowed, message: error.message)
        }
    }
}

/// Reviews, comments and review requests of pull requests, in Gitea's shapes.
extension ForgeAPI {
    func giteaComment(_ comment: PullComment, pull: PullRequest, target: GiteaTarget, outdated: Set<Int64>) -> GiteaComment {
        let html = target.html + "/-/pull/\(pull.number)"
        return GiteaComment(id: comment.id, htmlURL: html + "#comment-\(comment.id)", pullRequestURL: html,
                            user: comment.author.map { GiteaUser($0, shownTo: target.caller.user) }, body: comment.body, path: comment.path,
                            line: comment.line, commitID: comment.commit, outdated: outdated.contains(comment.id), reviewID: comment.reviewID,
                            createdAt: giteaTime(comment.createdAt), updatedAt: giteaTime(comment.createdAt))
    }

    func giteaReview(_ review: PullReview, pull: PullRequest, target: GiteaTarget, head: String, comments: [PullComment]) -> GiteaPullReview {
        let html = target.html + "/-/pull/\(pull.number)"
        return GiteaPullReview(id: review.id, user: review.author.map { GiteaUser($0, shownTo: target.caller.user) }, body: review.body,
                               state: review.state.rawValue, commitID: review.commit, stale: review.commit != head,
                               official: review.state != .comment, commentsCount: comments.filter { $0.reviewID == review.id }.count,
                               submittedAt: giteaTime(review.createdAt), htmlURL: html + "#review-\(review.id)", pullRequestURL: html)
    }

    /// `GET`/`POST …/issues/{index}/comments`: a pull request's conversation (Gitea keeps pull requests among issues).
    func pullConversation(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let pull = try await pullRequest(target, index: index)
        if request.method == .post {
            let me = try requireUser(target.caller.user)
            let fields = try await body(request, as: GiteaCommentRequest.self)
            let head = try await pullRequests.heads(of: pull, in: target.repository).head?.hex ?? pull.headCommit
            // Outcomes as values: a typed catch around an await crashes Swift 6.3's SIL passes.
            let added: Result<PullComment, ForgeError>
            do { added = .success(try await store.addPullComment(pullID: pull.id, NewPullComment(body: fields.body ?? "", commit: head), authorID: me.id, reviewID: nil)) } catch { added = .failure(error) }
            switch added {
            case .success(let comment): return Self.json(.created, giteaComment(comment, pull: pull, target: target, outdated: []))
            case .failure(let error) where error.code == .invalidArgument: throw APIError(status: .unprocessableContent, message: error.message)
            case .failure(let error): throw error
            }
        }
        let page = try Pagination(target.query)
        let comments = try await store.pullComments(pullID: pull.id).filter { $0.reviewID == nil && $0.path == nil }
        return Self.list(page.slice(comments).map { giteaComment($0, pull: pull, target: target, outdated: []) }, total: comments.count, page: page, request: request)
    }

    /// `GET`/`POST …/pulls/{index}/reviews`: reviews, and a new one (`event` APPROVED, REQUEST_CHANGES or COMMENT, line comments on the head).
    func pullReviews(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let pull = try await pullRequest(target, index: index)
        let head = try await pullRequests.heads(of: pull, in: target.repository).head?.hex ?? pull.headCommit
        if request.method == .post {
            let me = try requireUser(target.caller.user)
            let fields = try await body(request, as: GiteaReviewRequest.self)
            let eventName = fields.event ?? "COMMENT"
            guard let state = ReviewState(rawValue: eventName == "APPROVE" ? "APPROVED" : eventName) else {
                throw APIError(status: .unprocessableContent, message: "'event' must be APPROVED, REQUEST_CHANGES or COMMENT")
            }
            let commit = fields.commitID.flatMap { $0.isEmpty ? nil : $0 } ?? head
            let comments = (fields.comments ?? []).map { NewPullComment(body: $0.body ?? "", path: $0.path, line: $0.newPosition, commit: commit) }
            let reviewed: Result<PullReview, ForgeError>
            do { reviewed = .success(try await pullRequests.review(pull, in: target.repository, state: state, body: fields.body ?? "", by: me, comments: comments)) } catch { reviewed = .failure(error) }
            let review: PullReview
            switch reviewed {
            case .success(let made): review = made
            case .failure(let error) where error.code == .invalidArgument: throw APIError(status: .unprocessableContent, message: error.message)
            case .failure(let error): throw error
            }
            let all = try await store.pullComments(pullID: pull.id)
            return Self.json(.ok, giteaReview(review, pull: pull, target: target, head: head, comments: all))
        }
        let page = try Pagination(target.query)
        let reviews = try await store.pullReviews(pullID: pull.id)
        let comments = try await store.pullComments(pullID: pull.id)
        return Self.list(page.slice(reviews).map { giteaReview($0, pull: pull, target: target, head: head, comments: comments) },
                         total: reviews.count, page: page, request: request)
    }

    /// `GET …/pulls/{index}/reviews/{id}/comments`: a review's line comments, with whether each is outdated.
    func pullReviewComments(_ target: GiteaTarget, index: String, review text: String) async throws -> Response {
        let pull = try await pullRequest(target, index: index)
        guard let id = Int64(text), try await store.pullReviews(pullID: pull.id).contains(where: { $0.id == id }) else {
            throw APIError(status: .notFound, message: "no review \(text) on pull request #\(pull.number)")
        }
        let head = try await pullRequests.heads(of: pull, in: target.repository).head?.hex ?? pull.headCommit
        let comments = try await store.pullComments(pullID: pull.id).filter { $0.reviewID == id }
        let outdated = try await pullRequests.outdated(comments, head: head, in: target.repository)
        return Self.json(.ok, comments.map { giteaComment($0, pull: pull, target: target, outdated: outdated) })
    }

    /// `POST`/`DELETE …/pulls/{index}/requested_reviewers {"reviewers": [names]}`: its author or a writer asks readers of the repository.
    func pullReviewRequests(_ target: GiteaTarget, index: String, request: Request) async throws -> Response {
        let me = try requireUser(target.caller.user)
        let pull = try await pullRequest(target, index: index)
        guard pull.author?.id == me.id || target.level >= .write else {
            throw APIError(status: .forbidden, message: "only its author and the repository's writers ask for reviews")
        }
        let names = try await body(request, as: GiteaReviewersRequest.self).reviewers ?? []
        var current = Set(try await store.reviewRequests(pullID: pull.id).map(\.id))
        for name in names {
            guard let user = try await store.user(named: name),
                  let facts = try await store.permissionFacts(repository: target.repository.path, caller: user), facts.effectiveLevel(from: nil) >= .read else {
                throw APIError(status: .unprocessableContent, message: "'reviewers': '\(name)' cannot read \(target.repository.path)")
            }
            if request.method == .delete { current.remove(user.id) } else { current.insert(user.id) }
        }
        try await store.setReviewRequests(pullID: pull.id, userIDs: Array(current))
        if request.method == .delete { return Response(status: .noContent) }
        let requested = try await store.reviewRequests(pullID: pull.id)
        return Self.json(.created, requested.map { GiteaUser($0, shownTo: me) })
    }
}
