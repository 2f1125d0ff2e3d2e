import DeployKit
import DeployKitServer
import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PipelineKit
import PipelineKitServer
import PlatformSupport

/// Who calls an API request — a user (by password, token or browser session) or nobody — and from
/// where, resolved once by ``APIMiddleware`` for the handlers of the request's task.
struct APICaller: Sendable {
    var user: ForgeUser?
    var peer: String?

    /// The caller of the request being handled.
    @TaskLocal static var current = APICaller()
}

/// What every `/api/v1` request goes through before its route: JSON bodies only (415 otherwise, so
/// that no page elsewhere can post to the API), the caller authenticated (401 with
/// `WWW-Authenticate` for wrong credentials, 429 while throttled; a browser session needs its
/// `X-CSRF-Token` to change anything), nothing changed anonymously or with a read token, and every
/// error answered as JSON (`{"error": …}`) with its status — the kits' errors by their
/// `HTTPResponseError` statuses, the server's own failures logged and not detailed.
struct APIMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let api: ForgeAPI<Context>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = await answer(request, context: context, next: next)
        if response.status == .unauthorized {
            // The schemes the API takes (RFC 9110: a 401 names them).
            response.headers[.wwwAuthenticate] = #"Basic realm="forgeworks", Bearer"#
        }
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        guard ForgeAPI<Context>.acceptsContentType(request) else {
            return ForgeAPI<Context>.json(.unsupportedMediaType, APIErrorBody(error: JSONRequests.refusal))
        }
        do {
            let caller = try await self.caller(of: request, context: context)
            return try await APICaller.$current.withValue(caller) { try await next(request, context) }
        } catch let error as ForgeAPIError {
            return (try? error.response(from: request, context: context)) ?? ForgeAPI<Context>.json(error.status, APIErrorBody(error: error.message))
        } catch let error as ForgeError {
            return api.answer(error.status, error.message, error, logger: context.logger)
        } catch let error as DeployError {
            return api.answer(error.status, error.message, error, logger: context.logger)
        } catch let error as PipelineError {
            return api.answer(error.status, error.message, error, logger: context.logger)
        } catch let error as HTTPError where error.status == .notFound {
            return ForgeAPI<Context>.json(.notFound, APIErrorBody(error: "no such route"))
        } catch {
            context.logger.error("API request failed", metadata: ["error": "\(error)"])
            return ForgeAPI<Context>.json(.internalServerError, APIErrorBody(error: "the request failed"))
        }
    }

    /// The caller, or the error that refuses the request.
    private func caller(of request: Request, context: Context) async throws -> APICaller {
        let peer = context.remoteAddress?.ipAddress
        var user: ForgeUser?
        switch try await api.web.accounts.caller(of: request, address: peer) {
        case .rejected: throw ForgeAPIError(status: .unauthorized, message: "wrong credentials")
        case .throttled(let wait):
            throw ForgeAPIError(status: .tooManyRequests, message: "too many failed sign-ins; try again in \(wait.retryAfterSeconds) seconds",
                                retryAfter: wait.retryAfterSeconds)
        case .user(let found): user = found
        case .anonymous:
            let viewer = try await api.web.viewer(request)
            if let sessionUser = viewer.user {
                if request.method != .get {
                    guard let expected = viewer.csrf, let name = HTTPField.Name("X-CSRF-Token"), let given = request.headers[name],
                          ConstantTime.equal(expected, given) else {
                        throw ForgeAPIError(status: .forbidden, message: "a browser session needs an X-CSRF-Token header to change anything")
                    }
                }
                user = sessionUser
            }
        }
        if user == nil, request.method != .get, request.method != .head {
            // Nothing changes anonymously: say so before looking anything up.
            throw ForgeAPIError(status: .unauthorized, message: "sign in with a token or basic auth to change anything")
        }
        if user?.tokenScope == .read, request.method != .get, request.method != .head {
            throw ForgeAPIError(status: .forbidden, message: "this token's scope is read; it cannot change anything")
        }
        return APICaller(user: user, peer: peer)
    }
}

extension ForgeAPI {
    /// An API handler: the request, its context and its caller.
    typealias Handler = @Sendable (Request, Context, APICaller) async throws -> Response

    /// The methods the API's paths answer; a method a path does not take reaches ``dispatch(_:caller:)``,
    /// which answers 405 with `Allow` (QUERY is HTTP's newest method; clients and checkers send it).
    static var methods: [HTTPRequest.Method] {
        [.get, .post, .put, .patch, .delete, .options, .trace] + (HTTPRequest.Method("QUERY").map { [$0] } ?? [])
    }

    /// Adds `/api/v1` to `router`: a route group behind ``APIMiddleware``, with a route per operation
    /// (path parameters percent-decoded by ``parameter(_:_:)``), Gitea's repository routes under
    /// `repos/:owner/:repo`, and `**` last for the forge's own routes under repository paths of any
    /// depth (`repos/NAME/-/…`, which no fixed pattern can name) and for 405s.
    func addRoutes(to router: Router<Context>) {
        let group = router.group("api/v1").add(middleware: APIMiddleware(api: self))
        var registered = Set<String>()
        func add(_ path: String, _ handlers: [HTTPRequest.Method: Handler]) {
            guard registered.insert(path).inserted else { return }
            for method in Self.methods {
                let handler: Handler = handlers[method] ?? { request, _, caller in try await self.dispatch(request, caller: caller) }
                group.on(RouterPath(path), method: method) { request, context in try await handler(request, context, APICaller.current) }
            }
        }
        /// A route of Gitea's under `repos/:owner/:repo`; a deeper repository named by the whole path keeps the forge's routes.
        func repository(_ path: String, gitOnly: Bool = true, _ handlers: [HTTPRequest.Method: @Sendable (Request, Context, GiteaTarget) async throws -> Response]) {
            add("repos/:owner/:repo/" + path, handlers.mapValues { handler -> Handler in
                { request, context, caller in
                    let endpoint = String(path.prefix { $0 != "/" })
                    guard let target = try await self.giteaTarget(request, owner: try Self.parameter(context, "owner"), repo: try Self.parameter(context, "repo"),
                                                                  endpoint: endpoint, gitOnly: gitOnly, caller: caller) else {
                        return try await self.dispatch(request, caller: caller)
                    }
                    return try await handler(request, context, target)
                }
            })
        }

        add("version", [.get: { _, _, _ in self.version() }])
        add("openapi.json", [.get: { _, _, _ in self.openAPIDocument() }])
        add("user", [.get: { _, _, caller in
            let me = try self.requireUser(caller.user)
            return Self.json(.ok, GiteaUser(me, shownTo: me))
        }])
        add("user/tokens", [.get: { request, _, caller in try await self.tokens(of: try self.requireUser(caller.user), request: request) },
                            .post: { request, _, caller in try await self.createToken(request, user: try self.requireUser(caller.user)) }])
        add("user/tokens/:id", [.delete: { _, context, caller in
            let me = try self.requireUser(caller.user)
            guard let id = Int64(try Self.parameter(context, "id")) else { throw APIError(status: .badRequest, message: "'id' must be a token's number") }
            try await self.store.deleteToken(id: id, userID: me.id)
            return Response(status: .noContent)
        }])
        add("user/repos", [.get: { request, _, caller in try await self.myRepositories(request, caller: caller) },
                           .post: { request, _, caller in
                               let me = try self.requireUser(caller.user)
                               return try await self.createRepository(request, owner: me.name, user: me, peer: caller.peer)
                           }])
        add("users", [.get: { request, _, caller in try await self.listUsers(request, caller: caller) },
                      .post: { request, _, caller in try await self.createUser(request, caller: caller) }])
        add("users/:username", [.get: { _, context, caller in try await self.giteaUser(named: try Self.parameter(context, "username"), caller: caller) }])
        add("users/:username/repos", [.get: { request, context, caller in
            try await self.repositories(ownedBy: try Self.parameter(context, "username"), request: request, caller: caller)
        }])
        let tokens: Handler = { request, context, caller in
            try await self.giteaTokens(request, name: try Self.parameter(context, "username"), tokenID: try? Self.parameter(context, "token"), user: caller.user)
        }
        add("users/:username/tokens", [.get: tokens, .post: tokens])
        add("users/:username/tokens/:token", [.delete: tokens])
        add("admin/users", [.get: { request, _, caller in try await self.adminUsers(request, caller: caller) },
                            .post: { request, _, caller in try await self.adminCreateUser(request, caller: caller) }])
        let changeUser: Handler = { request, context, caller in
            try await self.adminChangeUser(named: try Self.parameter(context, "username"), request, caller: caller)
        }
        add("admin/users/:username", [.patch: changeUser, .delete: changeUser])
        add("admin/users/:username/repos", [.post: { request, context, caller in
            try await self.adminCreateRepository(owner: try Self.parameter(context, "username"), request, caller: caller)
        }])
        add("repos", [.get: { request, _, caller in
            try await self.repositoryList(try await self.web.visibleRepositories(.init(user: caller.user), peer: caller.peer),
                                          page: try Pagination(Web.parseQuery(request.uri.query ?? "")), request: request)
        }, .post: { request, _, caller in try await self.createRepository(request, caller: caller) }])
        add("repos/search", [.get: { request, _, caller in try await self.searchRepositories(request, caller: caller) }])
        add("groups", [.get: { request, _, caller in try await self.listGroups(request, caller: caller) }])
        add("runs/:id", [.get: { _, context, caller in
            Self.json(.ok, APIRun(try await self.visibleRun(try Self.number(context, "id"), user: caller.user, peer: caller.peer).0))
        }])
        add("runs/:id/log", [.get: { request, context, caller in try await self.runLog(try Self.number(context, "id"), request: request, caller: caller) }])
        add("runs/:id/rerun", [.post: { _, context, caller in try await self.runAction(try Self.number(context, "id"), rerun: true, caller: caller) }])
        add("runs/:id/cancel", [.post: { _, context, caller in try await self.runAction(try Self.number(context, "id"), rerun: false, caller: caller) }])
        add("deployments/:id/log", [.get: { request, context, caller in
            try await self.deploymentLog(try Self.number(context, "id"), request: request, caller: caller)
        }])

        repository("branches", [.get: { request, _, target in try await self.giteaBranches(target, named: nil, request: request) }])
        repository("branches/:branch", [.get: { request, context, target in
            try await self.giteaBranches(target, named: try Self.parameter(context, "branch"), request: request)
        }])
        repository("tags", [.get: { request, _, target in try await self.giteaTags(target, named: nil, request: request) }])
        repository("tags/:tag", [.get: { request, context, target in
            try await self.giteaTags(target, named: try Self.parameter(context, "tag"), request: request)
        }])
        repository("commits", [.get: { request, _, target in try await self.giteaCommits(target, request: request) }])
        repository("git/commits/:sha", [.get: { _, context, target in try await self.giteaCommit(target, sha: try Self.parameter(context, "sha")) }])
        let contents: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { _, context, target in
            try await self.giteaContents(try await self.git(target), path: try Self.catchAll(context).joined(separator: "/"),
                                         reference: target.query["ref"], base: target.base, html: target.html)
        }
        repository("contents", [.get: contents])
        repository("contents/**", [.get: contents])
        repository("raw/**", [.get: { _, context, target in try await self.giteaRaw(target, path: try Self.catchAll(context)) }])
        let hooks: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.giteaHooks(request, repository: target.repository, rest: (try? Self.parameter(context, "id")).map { [$0] } ?? [],
                                      requireAdmin: target.requireAdmin)
        }
        repository("hooks", gitOnly: false, [.get: hooks, .post: hooks])
        repository("hooks/:id", gitOnly: false, [.get: hooks, .patch: hooks, .delete: hooks])
        let statuses: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.commitStatuses(request, repository: target.repository, level: target.level, revision: try Self.parameter(context, "sha"),
                                          combined: false, query: target.query, user: target.caller.user)
        }
        repository("statuses/:sha", gitOnly: false, [.get: statuses, .post: statuses])
        repository("commits/:ref/statuses", gitOnly: false, [.get: { request, context, target in
            try await self.commitStatuses(request, repository: target.repository, level: target.level, revision: try Self.parameter(context, "ref"),
                                          combined: false, query: target.query, user: target.caller.user)
        }])
        repository("commits/:ref/status", gitOnly: false, [.get: { request, context, target in
            try await self.commitStatuses(request, repository: target.repository, level: target.level, revision: try Self.parameter(context, "ref"),
                                          combined: true, query: target.query, user: target.caller.user)
        }])
        repository("pulls", [.get: { request, _, target in try await self.listPullRequests(target, request: request) },
                             .post: { request, _, target in try await self.openPullRequest(target, request: request) }])
        repository("pulls/:index", [.get: { _, context, target in
            Self.json(.ok, try await self.giteaPullRequest(try await self.pullRequest(target, index: try Self.parameter(context, "index")), target: target))
        }, .patch: { request, context, target in try await self.editPullRequest(target, index: try Self.parameter(context, "index"), request: request) }])
        repository("pulls/:index/commits", [.get: { request, context, target in
            try await self.pullRequestCommits(target, index: try Self.parameter(context, "index"), request: request)
        }])
        repository("pulls/:index/files", [.get: { request, context, target in
            try await self.pullRequestFiles(target, index: try Self.parameter(context, "index"), request: request)
        }])
        let merge: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.mergePullRequest(target, index: try Self.parameter(context, "index"), request: request)
        }
        repository("pulls/:index/merge", [.get: merge, .post: merge])
        let conversation: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.pullConversation(target, index: try Self.parameter(context, "index"), request: request)
        }
        repository("issues/:index/comments", [.get: conversation, .post: conversation])
        let reviews: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.pullReviews(target, index: try Self.parameter(context, "index"), request: request)
        }
        repository("pulls/:index/reviews", [.get: reviews, .post: reviews])
        repository("pulls/:index/reviews/:id/comments", [.get: { _, context, target in
            try await self.pullReviewComments(target, index: try Self.parameter(context, "index"), review: try Self.parameter(context, "id"))
        }])
        let requests: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.pullReviewRequests(target, index: try Self.parameter(context, "index"), request: request)
        }
        repository("pulls/:index/requested_reviewers", [.post: requests, .delete: requests])
        let protections: @Sendable (Request, Context, GiteaTarget) async throws -> Response = { request, context, target in
            try await self.branchProtections(target, name: try? Self.parameter(context, "name"), request: request)
        }
        repository("branch_protections", [.get: protections, .post: protections])
        repository("branch_protections/:name", [.get: protections, .patch: protections, .delete: protections])
        // A path that ends where a longer route goes on (`repos/team/app`, `repos/team/app/git`) has no
        // route of its own: the router would answer 404 without trying `**`, so each prefix gets one.
        for path in registered.sorted() {
            let parts = path.split(separator: "/")
            for end in parts.indices.dropLast() {
                let prefix = parts[...end].joined(separator: "/")
                add(prefix, [:])
            }
        }
        add("**", [:])
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ context: Context, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw ForgeAPIError(status: .notFound, message: "no such route") }
        guard let decoded = raw.removingPercentEncoding else { throw ForgeAPIError(status: .badRequest, message: "the path is not valid percent-encoding") }
        return decoded
    }

    /// A path parameter that must be a positive number (an id); anything else is no such thing.
    static func number(_ context: Context, _ name: String) throws -> Int64 {
        guard let number = Int64(try parameter(context, name)), number > 0 else { throw ForgeAPIError(status: .notFound, message: "no such route") }
        return number
    }

    /// The segments a `**` matched, each percent-decoded.
    static func catchAll(_ context: Context) throws -> [String] {
        try context.parameters.getCatchAll().map { raw in
            guard let decoded = String(raw).removingPercentEncoding else {
                throw ForgeAPIError(status: .badRequest, message: "the path is not valid percent-encoding")
            }
            return decoded
        }.filter { !$0.isEmpty }
    }

    /// The segments of a request's path after `/api/v1/`, each percent-decoded.
    static func segments(of request: Request) throws -> [String] {
        try request.uri.path.split(separator: "/").dropFirst(2).map { raw in
            guard let decoded = String(raw).removingPercentEncoding else {
                throw ForgeAPIError(status: .badRequest, message: "the path is not valid percent-encoding")
            }
            return decoded
        }
    }
}
