public import DeployKit
public import ForgeServices
import DeployKitServer
public import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import PipelineKit
import PipelineKitServer
import PlatformSupport

/// The forge's web UI and REST API, to mount on a Hummingbird router next to ``GitHTTPService`` and
/// ``MercurialHTTPService`` (add those first, as middleware: they answer clone, fetch and push and
/// pass everything else on).
///
/// The UI is server-rendered HTML: sign in, repositories and groups, a repository's summary with its
/// clone URL, branches and tags, the commit log, a commit with its diff, a file browser at any
/// revision, zip and tar downloads, pipeline runs with live logs, deployments with their logs and a
/// rollback button, and admin pages for users and permissions. Repository pages live under
/// `/NAME/-/…` (`/team/app/-/commits/main`), so that repository names of any depth never collide
/// with a page.
///
/// Security: session cookies are `HttpOnly`, `SameSite=Lax` (and `Secure` when ``Options/secureCookies``),
/// stored only as digests; every form carries a CSRF token checked in constant time; pages are never
/// framed; a repository's contents are shown within size limits (``Options/largestBlob``,
/// ``Options/largestTree``) and with a time limit, so a hostile repository cannot hang or exhaust the UI.
///
/// The REST API is described on ``ForgeAPI``.
public struct ForgeWebService<Context: RemoteAddressRequestContext>: Sendable {
    /// How the UI behaves.
    public struct Options: Sendable {
        /// The forge's public URL (`http://HOST:PORT`), for clone URLs.
        public var publicURL: String
        /// How long a sign-in lasts.
        public var sessionLifetime: Duration
        /// Whether cookies are marked `Secure` (sent back over HTTPS only): by default when
        /// ``publicURL`` is `https`.
        public var secureCookies: Bool
        /// The largest file shown inline; larger ones are offered as downloads.
        public var largestBlob: Int
        /// The most entries a tree listing shows.
        public var largestTree: Int
        /// The longest a page may spend reading a repository.
        public var readTimeout: Duration
        /// The longest a blame may take (it walks the file's whole history; results are kept).
        public var blameTimeout: Duration

        /// Creates options.
        public init(publicURL: String, sessionLifetime: Duration = .seconds(7 * 86_400), secureCookies: Bool? = nil,
                    largestBlob: Int = 1 << 20, largestTree: Int = 2000, readTimeout: Duration = .seconds(10), blameTimeout: Duration = .seconds(60)) {
            self.blameTimeout = blameTimeout
            self.publicURL = publicURL
            self.sessionLifetime = sessionLifetime
            self.secureCookies = secureCookies ?? publicURL.lowercased().hasPrefix("https://")
            self.largestBlob = largestBlob
            self.largestTree = largestTree
            self.readTimeout = readTimeout
        }
    }

    /// The repositories shown.
    public let repositories: RepositoryStore
    /// Accounts, for signing in.
    public let accounts: ForgeAccounts
    /// Pipeline runs, when the forge runs pipelines.
    public let runs: (any RunStore)?
    /// Deployments, when the forge deploys.
    public let deployments: DeploymentController?
    /// Where repositories' stored pipeline configurations go, with the loader that checks them.
    public let pipelines: (dispatcher: PipelineDispatcher, loader: ConfigurationLoader)?
    /// Repositories' deploy set-ups, when the forge deploys.
    public let deploySetups: DeploymentSetups?
    /// How the UI behaves.
    public let options: Options
    let logger: Logger
    /// Rendered bodies of views that never change (a commit's diff, a blame).
    let rendered = RenderedCache()
    /// Commit counts of histories, for list totals.
    let historyCounts = HistoryCounts()

    /// Creates the service.
    public init(repositories: RepositoryStore, accounts: ForgeAccounts, runs: (any RunStore)? = nil, deployments: DeploymentController? = nil,
                pipelines: (dispatcher: PipelineDispatcher, loader: ConfigurationLoader)? = nil, deploySetups: DeploymentSetups? = nil,
                options: Options, logger: Logger = Logger(label: "forgeworks.forge.web")) {
        self.deploySetups = deploySetups
        self.repositories = repositories
        self.accounts = accounts
        self.runs = runs
        self.deployments = deployments
        self.pipelines = pipelines
        self.options = options
        self.logger = logger
    }

    var store: any ForgeMetadataStore { repositories.metadata }

    /// Adds the UI's and the API's routes to `router`.
    public func addRoutes(to router: Router<Context>) {
        ForgeAPI(web: self).addRoutes(to: router)
        router.get("/login") { request, _ in await self.loginPage(request, error: nil) }
        router.post("/login") { request, context in await self.login(request, address: context.remoteAddress?.ipAddress) }
        router.post("/logout") { request, _ in await self.logout(request) }
        router.get("/") { request, context in
            await self.page(request) { viewer in try await self.dashboard(viewer, peer: context.remoteAddress?.ipAddress, request: request) }
        }
        router.get("/explore/repos") { request, context in
            await self.page(request) { viewer in try await self.dashboard(viewer, peer: context.remoteAddress?.ipAddress, request: request) }
        }
        router.get("/new") { request, _ in await self.page(request) { viewer in try await self.newRepositoryPage(viewer, error: nil, values: [:]) } }
        router.post("/new") { request, _ in await self.form(request) { viewer, form in try await self.createRepository(viewer, form) } }
        router.get("/admin/users") { request, _ in await self.page(request) { viewer in try await self.usersPage(viewer, message: nil) } }
        router.post("/admin/users") { request, _ in await self.form(request) { viewer, form in try await self.changeUsers(viewer, form) } }
        router.get("/user/settings") { request, _ in await self.page(request) { viewer in try await self.settingsPage(viewer) } }
        router.post("/user/settings") { request, context in
            await self.form(request) { viewer, form in try await self.changeSettings(viewer, form, peer: context.remoteAddress?.ipAddress) }
        }
        router.get("/healthz") { _, _ in "ok\n" }
        StaticAssets.addRoutes(to: router)
        router.get("/**") { request, context in
            // A clone URL opened in a browser (`/NAME.git`) shows the repository.
            let path = request.uri.path
            if path.hasSuffix(".git") || path.hasSuffix(".git/"), !path.contains("/-/") {
                let bare = path.hasSuffix("/") ? path.dropLast(5) : path.dropLast(4)
                if let local = Web.localPath(String(bare)) {
                    return Response(status: .seeOther, headers: [.location: local])
                }
            }
            return await self.page(request) { viewer in try await self.repositoryPage(request, viewer: viewer, peer: context.remoteAddress?.ipAddress) }
        }
        router.post("/**") { request, context in
            await self.form(request) { viewer, form in
                try await self.repositoryAction(request, viewer: viewer, form: form, peer: context.remoteAddress?.ipAddress)
            }
        }
    }

    // MARK: - Viewers and sessions

    /// Who is looking: a signed-in user (with the session's CSRF token) or nobody.
    struct Viewer: Sendable {
        var user: ForgeUser?
        var csrf: String?
    }

    static var sessionCookie: String { "forge_session" }
    static var loginCookie: String { "forge_login" }

    func cookie(_ request: Request, _ name: String) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == name { return String(pair[1]) }
        }
        return nil
    }

    func viewer(_ request: Request) async throws(ForgeError) -> Viewer {
        guard let value = cookie(request, Self.sessionCookie), value.utf8.count <= 128,
              let (user, csrf) = try await store.session(digest: TokenGenerator.digest(value), now: Date()) else { return Viewer() }
        return Viewer(user: user, csrf: csrf)
    }

    func setCookie(_ name: String, _ value: String, maxAge: Int) -> HTTPField {
        var text = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(maxAge)"
        if options.secureCookies { text += "; Secure" }
        return HTTPField(name: .setCookie, value: text)
    }

    /// A GET page: the viewer resolved, errors shown as pages.
    func page(_ request: Request, _ body: (Viewer) async throws -> Response) async -> Response {
        var seen: Viewer?
        do {
            let viewer = try await viewer(request)
            seen = viewer
            return try await body(viewer)
        } catch {
            return errorPage(error, viewer: seen, path: request.uri.path)
        }
    }

    /// A POST form: signed in, CSRF token checked, body parsed.
    func form(_ request: Request, _ body: (Viewer, [String: String]) async throws -> Response) async -> Response {
        var seen: Viewer?
        do {
            let viewer = try await viewer(request)
            seen = viewer
            let form = try await Web.form(request)
            guard viewer.user != nil, let expected = viewer.csrf, let given = form["_csrf"],
                  ConstantTime.equal(expected, given) else {
                return Web.html(Page(title: "Forbidden", viewer: viewer, template: "forbidden",
                                     ["message": "The form's security token is missing or stale; reload the page and try again."]),
                                status: .forbidden)
            }
            return try await body(viewer, form)
        } catch {
            // The error page knows who is signed in (no "Sign in" offered to them).
            return errorPage(error, viewer: seen, path: request.uri.path)
        }
    }

    func errorPage(_ error: any Error, viewer: Viewer?, path: String? = nil) -> Response {
        // Each kit's errors answer with their HTTPResponseError status; anything else is the server's failure.
        let (status, message): (HTTPResponse.Status, String) = switch error {
        case let error as ForgeError: (error.status, error.message)
        case let error as DeployError: (error.status, error.message)
        case let error as PipelineError: (error.status, error.message)
        default: (.internalServerError, "something went wrong")
        }
        if status.code >= 500 { logger.error("page failed", metadata: ["error": "\(error)"]) }
        // A 404 offers sign-in to visitors, the same whether the page does not exist or is not for the public.
        let context = view(["code": status.code, "reason": status.reasonPhrase, "message": message,
                            "signIn": status == .notFound && viewer?.user == nil, "next": urlEncode(path ?? "/")])
        return Web.html(Page(title: "\(status.code)", viewer: viewer, template: "error", context), status: status)
    }

    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status = .ok) async -> Response {
        let token = TokenGenerator.generate()
        let next = Web.localPath(Web.parseQuery(request.uri.query ?? "")["next"] ?? "/") ?? "/"
        let page = Page(title: "Sign in", template: "login", context: view(["error": error, "token": token, "next": next]))
        return Web.html(page, status: status,
                        headers: HTTPFields([setCookie(Self.loginCookie, token, maxAge: 3600)]))
    }

    func login(_ request: Request, address: String?) async -> Response {
        do {
            let form = try await Web.form(request, limit: 8 << 10)
            // Login CSRF: the form's token must match the cookie set with the form.
            guard let expected = cookie(request, Self.loginCookie), let given = form["_login"],
                  ConstantTime.equal(expected, given) else {
                return await loginPage(request, error: "The sign-in form expired; please try again.", status: .forbidden)
            }
            guard let name = form["user"], let password = form["password"] else {
                return await loginPage(request, error: "Wrong user name or password.", status: .unauthorized)
            }
            let user: ForgeUser
            switch try await accounts.authenticate(name: name, secret: password, address: address) {
            case .user(let found): user = found
            case .rejected: return await loginPage(request, error: "Wrong user name or password.", status: .unauthorized)
            case .throttled(let wait):
                var page = await loginPage(request, error: "Too many failed sign-ins: try again in \(wait.retryAfterSeconds) seconds.",
                                           status: .tooManyRequests)
                page.headers[.retryAfter] = String(wait.retryAfterSeconds)
                return page
            }
            let value = TokenGenerator.generate()
            let lifetime = Int(options.sessionLifetime.components.seconds)
            try await store.createSession(digest: TokenGenerator.digest(value), userID: user.id, csrfToken: TokenGenerator.generate(),
                                          expiresAt: Date().addingTimeInterval(TimeInterval(lifetime)))
            logger.info("signed in", metadata: ["user": "\(user.name)"])
            let next = Web.localPath(form["next"] ?? "/") ?? "/"
            return Web.redirect(next, headers: HTTPFields([setCookie(Self.sessionCookie, value, maxAge: lifetime), setCookie(Self.loginCookie, "", maxAge: 0)]))
        } catch {
            return errorPage(error, viewer: nil)
        }
    }

    func logout(_ request: Request) async -> Response {
        await form(request) { _, _ in
            if let value = cookie(request, Self.sessionCookie) {
                try await store.deleteSession(digest: TokenGenerator.digest(value), now: Date())
            }
            return Web.redirect("/", headers: HTTPFields([setCookie(Self.sessionCookie, "", maxAge: 0)]))
        }
    }

    // MARK: - Pages outside repositories

    func visibleRepositories(_ viewer: Viewer, peer: String? = nil) async throws(ForgeError) -> [(RepositoryRecord, AccessLevel)] {
        try await store.permissionFacts(caller: viewer.user).compactMap { facts in
            let level = facts.effectiveLevel(from: peer.flatMap { IPAddress($0) })
            return level >= .read ? (facts.repository, level) : nil
        }
    }

    /// Whether `viewer` may create a repository at `path`: a site admin anywhere; anyone at the top
    /// level or in their own namespace (a group named after them); others with write on the group
    /// (or a group above it). A refusal says nothing of what the group holds.
    func requireCreation(of path: RepositoryPath, by user: ForgeUser) async throws(ForgeError) {
        guard let parent = path.parent, !user.isAdmin else { return }
        if parent.segments.first?.lowercased() == user.name.lowercased() { return }
        var level = AccessLevel.none
        for group in parent.ancestors + [parent] {
            for grant in try await store.permissions(on: .group(group)) where grant.user.id == user.id { level = max(level, grant.level) }
        }
        guard level >= .write else {
            throw ForgeError(.forbidden, "creating repositories in '\(parent)' needs write on that group", operation: "create repository")
        }
    }

    /// The groups `viewer` may see: those holding a repository the viewer can read (at any depth),
    /// those granting the viewer something, all for a site admin.
    func visibleGroups(_ viewer: Viewer, peer: String?) async throws(ForgeError) -> [RepositoryGroup] {
        let groups = try await store.groups()
        if viewer.user?.isAdmin == true { return groups }
        let readable = try await visibleRepositories(viewer, peer: peer).map { $0.0.path.description + "/" }
        var visible: [RepositoryGroup] = []
        for group in groups {
            let prefix = group.path.description + "/"
            if readable.contains(where: { $0.hasPrefix(prefix) }) {
                visible.append(group)
            } else if let user = viewer.user, try await store.permissions(on: .group(group.path)).contains(where: { $0.user.id == user.id }) {
                visible.append(group)
            }
        }
        return visible
    }

    /// Whether `viewer` may see `group` (see ``visibleGroups(_:peer:)``).
    func canSee(_ group: RepositoryGroup, viewer: Viewer, peer: String?) async throws(ForgeError) -> Bool {
        try await visibleGroups(viewer, peer: peer).contains { $0.path == group.path }
    }

    /// The repositories the viewer may see, searchable by name and description (`?q=`), 50 a page.
    func dashboard(_ viewer: Viewer, peer: String?, request: Request) async throws -> Response {
        let query = Web.parseQuery(request.uri.query ?? "")
        let search = (query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let page = max(1, Int(query["page"] ?? "1") ?? 1), perPage = 50
        var visible = try await visibleRepositories(viewer, peer: peer)
        if !search.isEmpty {
            visible = visible.filter { $0.0.path.description.localizedCaseInsensitiveContains(search) || $0.0.description.localizedCaseInsensitiveContains(search) }
        }
        let total = visible.count
        visible = Array(visible.dropFirst((page - 1) * perPage).prefix(perPage))
        let rows = visible.map { repository, level in
            view(["href": urlEncodePath(repository.path.description), "path": repository.path.description, "kind": repository.kind.rawValue,
                  "visibility": repository.isPrivate ? "private" : "public", "level": "\(level)", "description": repository.description])
        }
        let context = view(["search": search, "listed": !rows.isEmpty, "repositories": rows,
                            "searchQuery": search.isEmpty ? nil : "&q=" + urlEncode(search),
                            "previous": page > 1 ? page - 1 : nil, "next": page * perPage < total ? page + 1 : nil])
        return Web.html(Page(title: "Repositories", viewer: viewer, template: "repositories", context))
    }

    /// The form for a new repository; after a failed attempt it shows the error and what was typed.
    func newRepositoryPage(_ viewer: Viewer, error: String?, values: [String: String]) async throws -> Response {
        guard viewer.user != nil else { return Web.redirect("/login?next=/new") }
        let context = view(["error": error, "name": values["name"], "isHg": values["type"] == "hg", "isPrivate": values["private"] == "1",
                            "description": values["description"]])
        return Web.html(Page(title: "New repository", viewer: viewer, template: "new-repository", context), status: error == nil ? .ok : .badRequest)
    }

    func createRepository(_ viewer: Viewer, _ form: [String: String]) async throws -> Response {
        do {
            let path = try RepositoryPath(form["name"] ?? "")
            let kind = RepositoryKind(rawValue: form["type"] ?? "git") ?? .git
            if let user = viewer.user { try await requireCreation(of: path, by: user) }
            let record = try await repositories.create(path, kind: kind, isPrivate: form["private"] == "1",
                                                       description: form["description"] ?? "", owner: viewer.user)
            return Web.redirect("/" + urlEncodePath(record.path.description))
        } catch {
            return try await newRepositoryPage(viewer, error: error.message, values: form)
        }
    }

    func usersPage(_ viewer: Viewer, message: String?) async throws -> Response {
        guard let user = viewer.user, user.isAdmin else {
            throw ForgeError(.forbidden, "only administrators manage users", operation: "users")
        }
        let accounts = try await store.users().map { account in
            view(["name": account.name, "email": account.email, "admin": account.isAdmin ? "yes" : "no", "active": account.isActive ? "yes" : "no",
                  "adminAction": account.isAdmin ? "Revoke admin" : "Make admin", "activeAction": account.isActive ? "Disable" : "Enable"])
        }
        return Web.html(Page(title: "Users", viewer: viewer, template: "users", view(["message": message, "accounts": accounts])))
    }

    func changeUsers(_ viewer: Viewer, _ form: [String: String]) async throws -> Response {
        guard let admin = viewer.user, admin.isAdmin else { throw ForgeError(.forbidden, "only administrators manage users", operation: "users") }
        do {
            switch form["action"] {
            case "create":
                // Every account made here can sign in: a password is required.
                guard let password = form["password"], !password.isEmpty else {
                    throw ForgeError(.invalidArgument, "a new user needs a password to sign in with", operation: "users")
                }
                _ = try await accounts.createUser(NewUser(name: form["user"] ?? "", email: form["email"] ?? "", password: password,
                                                          isAdmin: form["admin"] == "1"))
            case "toggle-admin", "toggle-active":
                guard var account = try await store.user(named: form["user"] ?? "") else {
                    throw ForgeError(.notFound, "no such user", operation: "users")
                }
                guard account.id != admin.id else { throw ForgeError(.invalidArgument, "you cannot change your own account here", operation: "users") }
                if form["action"] == "toggle-admin" { account.isAdmin.toggle() } else { account.isActive.toggle() }
                try await store.updateUser(account)
            default:
                throw ForgeError(.invalidArgument, "unknown action", operation: "users")
            }
        } catch {
            return try await usersPage(viewer, message: (error as? ForgeError)?.message ?? "\(error)")
        }
        return Web.redirect("/admin/users")
    }

    // MARK: - Timeouts

    /// Runs a repository read with the page time limit; the read is cancelled when it runs over.
    func bounded<T: Sendable>(limit chosen: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = chosen ?? options.readTimeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ForgeError(.cancelled, "reading the repository took longer than \(limit)", operation: "read repository")
            }
            return value
        }
    }
}
