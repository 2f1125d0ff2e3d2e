import DeployKit
import DeployKitServer
import ForgeKit
import ForgeKitServer
import ForgeServices
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import NIOCore
import PipelineKit
import PipelineKitServer
import PlatformSupport

/// The forge's REST API under `/api/v1`, with `Authorization: Bearer TOKEN`, `token TOKEN` or HTTP
/// basic auth (a password or a token); a browser session works for reads (and for writes with an
/// `X-CSRF-Token` header). Answers are JSON; errors are `{"error": "…"}` with 400, 401, 403, 404, 409 or 500.
///
/// | Route | |
/// |---|---|
/// | `GET /api/v1/openapi.json` | the OpenAPI 3.1 document of all of this |
/// | `GET /api/v1/user` | who you are |
/// | `GET /api/v1/user/tokens` · `POST /api/v1/user/tokens` `{"name", "scope": "read"\|"write"\|"admin"}` · `DELETE …/tokens/ID` | your tokens · a new one (shown once) · revoke |
/// | `GET /api/v1/users` · `POST /api/v1/users` `{"name", "password", "email", "admin"}` | users (admins only) |
/// | `GET /api/v1/repos` | the repositories you can read |
/// | `POST /api/v1/repos` `{"name", "type": "git"\|"hg", "private", "description"}` | create (`201`) |
/// | `GET /api/v1/repos/NAME` · `DELETE /api/v1/repos/NAME` | one repository · delete it (admin) |
/// | `GET /api/v1/repos/NAME/-/branches` · `/-/tags` | references |
/// | `GET /api/v1/repos/NAME/-/commits?rev=&limit=` | history |
/// | `GET /api/v1/repos/NAME/-/commits/ID` | a commit with its changed paths and diff |
/// | `GET /api/v1/repos/NAME/-/tree/REV?path=` · `/-/blob/REV?path=` | a folder · a file (text, or base64) |
/// | `PUT /api/v1/repos/NAME/-/permissions/USER` `{"level"}` | grant (`none` removes; admin) |
/// | `GET /api/v1/groups` · `PUT /api/v1/groups/PATH/-/permissions/USER` `{"level"}` | groups · grant on a group (its admins) |
/// | `GET`/`POST /api/v1/repos/NAME/-/hooks` `{"url", "secret"}` · `DELETE …/-/hooks/ID` | webhooks (admin) |
/// | `GET /api/v1/repos/NAME/-/hooks/ID/deliveries` | a webhook's delivery log (admin) |
/// | `GET /api/v1/repos/NAME/-/secrets` · `PUT`/`DELETE /api/v1/repos/NAME/-/secrets/NAME` `{"data"}` | pipeline secrets, names only when read (admin) |
/// | `PUT /api/v1/repos/NAME/-/pipeline-network` `{"network": "none"\|"host"}` | the pipelines' network (site admins) |
/// | `GET /api/v1/repos/NAME/-/runs?page=&limit=` | pipeline runs, newest first, each with its `number` in the repository |
/// | `PUT /api/v1/repos/NAME/-/pipelines` (YAML or JSON body) · `GET …/-/pipelines` · `DELETE …/-/pipelines/NAME` | stored pipeline configurations of this repository: store, list, delete (admin) |
/// | `GET`/`POST /api/v1/repos/NAME/-/deployments` `{"branch", "commit"?, "environment"?}` | deployments · queue one (write) |
/// | `POST /api/v1/repos/NAME/-/deployments/ID/start` · `/cancel` · `…/-/deployments/rollback` `{"environment"}` | approve, cancel, roll back (write) |
/// | `GET`/`PUT`/`DELETE /api/v1/repos/NAME/-/deploy` `{"branches": [{"name", "mode", "environment", "script"}], "environments": [{"name", "variables", "secrets", "keep_releases"}]}` | how the repository deploys (admin to change; secrets write-only) |
/// | `GET /api/v1/repos/NAME/-/releases?environment=` | the releases a rollback can go to, newest first, `current` marked |
/// | `GET /api/v1/runs/ID` | one run with its steps (state, attempts, result, error) |
/// | `POST /api/v1/runs/ID/rerun` · `POST /api/v1/runs/ID/cancel` | run it again (`201`, the new run) · cancel it (`409` once ended; write) |
/// | `GET /api/v1/runs/ID/log?after=N` · `GET /api/v1/deployments/ID/log?after=N` | `{text, next, state, done}` |
///
/// Bodies are JSON (`Content-Type: application/json`; YAML also for pipelines): other types are
/// refused with 415, so that no page on another site can post to the API.
struct ForgeAPI<Context: RemoteAddressRequestContext>: Sendable {
    let web: ForgeWebService<Context>

    var store: any ForgeMetadataStore { web.store }

    typealias APIError = ForgeAPIError

    /// Whether a request's body may be read: JSON, or YAML for pipelines (``JSONRequests``).
    static func acceptsContentType(_ request: Request) -> Bool {
        let yaml: Set<String> = request.uri.path.hasSuffix("/-/pipelines") ? ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"] : []
        return JSONRequests.accepts(method: request.method.rawValue, contentType: request.headers[.contentType],
                                    contentLength: request.headers[.contentLength], isChunked: request.headers[.transferEncoding] != nil,
                                    alsoAccepted: yaml)
    }

    /// A kit's error as the API answers it: the status each kit's errors map to (their
    /// `HTTPResponseError` conformances), the message, and a log line for the server's own failures.
    func answer(_ status: HTTPResponse.Status, _ message: String, _ error: any Error, logger: Logger) -> Response {
        if status.code >= 500 {
            logger.error("API request failed", metadata: ["error": "\(error)"])
            return Self.json(status, APIErrorBody(error: "the request failed: \(message)"))
        }
        return Self.json(status, APIErrorBody(error: message))
    }

    /// A page of a list, with `X-Total-Count` and `Link` (``Pagination``).
    static func list(_ items: some Encodable, total: Int, page: Pagination, request: Request) -> Response {
        var response = json(.ok, items)
        response.headers.append(contentsOf: page.headers(total: total, path: request.uri.path, query: Web.parseQuery(request.uri.query ?? "")))
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request's body as `T`; an empty body when `emptyAllowed` is the empty object.
    func body<T: Decodable>(_ request: Request, as type: T.Type, emptyAllowed: Bool = false) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let bytes = buffer.readableBytes == 0 && emptyAllowed ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw APIError(status: .badRequest, message: "'\(Self.field(context.codingPath))' has the wrong type")
        } catch DecodingError.keyNotFound(let key, let context) {
            throw APIError(status: .unprocessableContent, message: "'\(Self.field(context.codingPath + [key]))' is required")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw APIError(status: .unprocessableContent, message: "'\(Self.field(context.codingPath))' has a value it cannot take")
        } catch {
            throw APIError(status: .badRequest, message: "the body must be a JSON object")
        }
    }

    /// A coding path as a field name: `environments[0].name`.
    static func field(_ path: [any CodingKey]) -> String {
        path.reduce("") { text, key in key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue) }
    }

    func requireUser(_ user: ForgeUser?) throws -> ForgeUser {
        guard let user else { throw APIError(status: .unauthorized, message: "sign in with a token or basic auth") }
        return user
    }

    /// A new token for `user`; a token never makes one with more scope than its own.
    func createToken(_ request: Request, user: ForgeUser) async throws -> Response {
        let fields = try await body(request, as: APITokenRequest.self)
        guard let scope = fields.resolvedScope() else {
            throw APIError(status: .unprocessableContent, message: "'scope' must be \"read\", \"write\" or \"admin\"")
        }
        if let own = user.tokenScope, scope > own {
            throw APIError(status: .forbidden, message: "a \(own.rawValue) token cannot create a \(scope.rawValue) token")
        }
        let (token, record) = try await web.accounts.createToken(userID: user.id, name: fields.name ?? "api", scope: scope)
        return Self.json(.created, APINewToken(record, token: token))
    }

    // MARK: - Routing

    /// This document, with the forge's public URL as its server.
    func openAPIDocument() -> Response {
        let text = OpenAPIDocument.json.replacingOccurrences(of: "SERVER_URL", with: web.options.publicURL)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `GET /user/tokens`.
    func tokens(of user: ForgeUser, request: Request) async throws -> Response {
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let tokens = try await store.tokens(userID: user.id)
        return Self.list(page.slice(tokens).map(APITokenListItem.init), total: tokens.count, page: page, request: request)
    }

    /// `GET /users` (site admins).
    func listUsers(_ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else { throw APIError(status: .forbidden, message: "only administrators list users") }
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let users = try await store.users()
        return Self.list(page.slice(users).map { GiteaUser($0, shownTo: caller.user) }, total: users.count, page: page, request: request)
    }

    /// `POST /users` (site admins): every account created here can sign in (as Gitea's API requires a password).
    func createUser(_ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else { throw APIError(status: .forbidden, message: "only administrators add users") }
        let fields = try await body(request, as: APIUserRequest.self)
        guard let password = fields.password, !password.isEmpty else {
            throw APIError(status: .unprocessableContent, message: "'password' is required: a user must be able to sign in")
        }
        let created = try await web.accounts.createUser(NewUser(
            name: fields.name ?? "", email: fields.email ?? "", password: password, isAdmin: fields.admin ?? false))
        return Self.json(.created, GiteaUser(created, shownTo: caller.user))
    }

    /// `POST /repos {"name", "type"?, "private"?, "description"?}`: a repository at a path of 1 to 8 segments.
    func createRepository(_ request: Request, caller: APICaller) async throws -> Response {
        let me = try requireUser(caller.user)
        let fields = try await body(request, as: APIRepositoryRequest.self)
        guard let name = fields.name else { throw APIError(status: .badRequest, message: "'name' is required") }
        guard let kind = RepositoryKind(rawValue: fields.type ?? "git") else {
            throw APIError(status: .badRequest, message: "'type' must be \"git\" or \"hg\"")
        }
        let path = try RepositoryPath(name)
        try await web.requireCreation(of: path, by: me)
        let record = try await web.repositories.create(path, kind: kind, isPrivate: fields.private ?? false,
                                                       description: fields.description ?? "", owner: me)
        return Self.json(.created, try await repositoryJSON(record, level: .admin))
    }

    /// `GET /groups`: the groups the caller may see.
    func listGroups(_ request: Request, caller: APICaller) async throws -> Response {
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let groups = try await web.visibleGroups(.init(user: caller.user), peer: caller.peer)
        return Self.list(page.slice(groups).map { APIGroup(path: $0.path.description, description: $0.description) },
                         total: groups.count, page: page, request: request)
    }

    // MARK: - The forge's own routes at any depth

    /// What no fixed route names: a method a path does not take (405 with `Allow`, from the OpenAPI
    /// document), a group's grants (`PUT /groups/PATH/-/permissions/USER`) and a repository's own
    /// routes (`/repos/NAME[/-/ACTION/…]`, NAME of 1 to 8 segments).
    func dispatch(_ request: Request, caller: APICaller) async throws -> Response {
        let method = request.method
        let segments = try Self.segments(of: request)
        let documented = APIRouteTable.shared.methods(for: segments)
        if !documented.isEmpty, !documented.contains(method.rawValue) {
            var response = Self.json(.methodNotAllowed, APIErrorBody(error: "\(method.rawValue) is not allowed here; use \(documented.sorted().joined(separator: ", "))"))
            response.headers[.allow] = documented.sorted().joined(separator: ", ")
            return response
        }
        let (user, peer) = (caller.user, caller.peer)
        let rest = String(request.uri.path.dropFirst("/api/v1/".count))
        let query = Web.parseQuery(request.uri.query ?? "")
        if segments.first == "groups", method == .put {
            // PUT /api/v1/groups/PATH/-/permissions/USER {"level"}
            let route = try RepositoryRoute.parse(String(rest.dropFirst("groups".count)))
            guard route.action == "permissions", let name = route.rest.first, let group = try await store.group(route.repository),
                  try await web.canSee(group, viewer: .init(user: user), peer: peer) else {
                throw APIError(status: .notFound, message: "no such route")
            }
            guard try await web.administers(group, viewer: .init(user: user)) else {
                throw APIError(status: user == nil ? .unauthorized : .forbidden, message: "this needs admin on the group \(group.path)")
            }
            guard let target = try await store.user(named: name) else { throw APIError(status: .notFound, message: "no such user") }
            guard let levelName = try await body(request, as: APILevelRequest.self).level, let chosen = AccessLevel(name: levelName) else {
                throw APIError(status: .badRequest, message: "'level' must be none, read, write or admin")
            }
            try await store.setPermission(userID: target.id, on: .group(group.path), level: chosen == .none ? nil : chosen)
            return Self.json(.ok, APIGroupGrant(group: group.path.description, user: target.name, level: chosen.description))
        }
        guard segments.first == "repos", segments.count >= 2 else { throw APIError(status: .notFound, message: "no such route") }
        let route = try RepositoryRoute.parse(String(rest.dropFirst("repos".count)))
        let (repository, level) = try await web.readable(route.repository, viewer: .init(user: user), peer: peer)
        return try await repositoryRoute(route, repository: repository, level: level, method: method, query: query, request: request, user: user)
    }

    func repositoryRoute(_ route: RepositoryRoute, repository: RepositoryRecord, level: AccessLevel, method: HTTPRequest.Method,
                         query: [String: String], request: Request, user: ForgeUser?) async throws -> Response {
        let directory = web.repositories.directory(for: repository.path)
        func requireAdmin() throws {
            guard level >= .admin else { throw APIError(status: .forbidden, message: "this needs admin on \(repository.path)") }
        }
        switch (method, route.action) {
        case (.get, ""):
            return Self.json(.ok, try await repositoryJSON(repository, level: level))
        case (.patch, ""):
            // Gitea's EditRepoOption: the description and the visibility.
            try requireAdmin()
            let fields = try await body(request, as: GiteaRepositoryRequest.self)
            if let name = fields.name, name != repository.path.name {
                throw APIError(status: .unprocessableContent, message: "'name': renaming repositories is not supported")
            }
            var updated = repository
            if let description = fields.description { updated.description = description }
            if let isPrivate = fields.private { updated.isPrivate = isPrivate }
            try await store.updateRepository(updated)
            return Self.json(.ok, try await repositoryJSON(try await store.repository(repository.path) ?? updated, level: level))
        case (.delete, ""):
            try requireAdmin()
            try await web.repositories.delete(repository.path)
            return Response(status: .noContent)
        case (.get, "branches"), (.get, "tags"):
            guard repository.kind == .git else {
                let references = try await MercurialRepository.withRepository(at: directory) { try await $0.references() }
                let all = references.sorted { $0.key < $1.key }.map { APIReference(name: $0.key, commit: $0.value) }
                let page = try Pagination(query, defaultLimit: 500, maximum: 5000)
                return Self.list(page.slice(all), total: all.count, page: page, request: request)
            }
            let references = try await web.repositories.open.repository(at: directory).references(prefix: route.action == "tags" ? "refs/tags/" : "refs/heads/")
            let page = try Pagination(query, defaultLimit: 500, maximum: 5000)
            return Self.list(page.slice(references).map { APIReference(name: $0.shortName, ref: $0.name, commit: $0.target.hex) },
                             total: references.count, page: page, request: request)
        case (.get, "commits"):
            let page = try Pagination(query)
            if let id = route.rest.first {
                return try await commitDetail(repository, directory: directory, id: id)
            }
            switch repository.kind {
            case .git:
                let git = try await web.repositories.open.repository(at: directory)
                let revision = query["rev"] ?? "HEAD"
                // An empty repository has no history yet: an empty list, not a missing revision.
                if query["rev"] == nil, case .unborn = try await git.head() {
                    return Self.list([APICommit](), total: 0, page: page, request: request)
                }
                let counts = web.historyCounts
                let (commits, total) = try await web.bounded {
                    try await git.withSession { session -> ([Commit], Int) in
                        let total = try counts.count(session, directory: directory, LogOptions([revision]))
                        return (Array(try session.log(LogOptions([revision], limit: page.offset + page.limit)).dropFirst(page.offset)), total)
                    }
                }
                return Self.list(commits.map(APICommit.init), total: total, page: page, request: request)
            case .hg:
                // Mercurial's log is read up to the page's end; the total is counted apart.
                let revisions = try query["rev"].map { rev throws(ForgeError) in try MercurialRevisions.ancestors(of: rev) }
                let (log, total) = try await MercurialRepository.withRepository(at: directory) { hg in
                    (try await hg.log(revisions, limit: page.offset + page.limit), try await hg.count(revisions))
                }
                let shaped = page.slice(log).map {
                    APIChangeset(id: $0.node, revision: $0.revision, message: $0.message, branch: $0.branch, author: $0.user,
                                 date: $0.date.timeIntervalSince1970)
                }
                return Self.list(shaped, total: total, page: page, request: request)
            }
        case (.get, "tree"):
            guard repository.kind == .git else { throw APIError(status: .notFound, message: "trees are listed for git repositories") }
            let revision = route.rest.first ?? "HEAD"
            let entries = try await web.bounded {
                try await web.repositories.open.repository(at: directory).tree(at: revision, path: query["path"] ?? "", includeSizes: true)
            }
            return Self.json(.ok, entries.prefix(web.options.largestTree).map {
                APITreeEntry(name: $0.name, path: $0.path, mode: String($0.mode.rawValue, radix: 8), id: $0.id.hex, size: $0.size)
            })
        case (.get, "blob"):
            let revision = route.rest.first ?? "HEAD"
            guard let path = query["path"] else { throw APIError(status: .badRequest, message: "'path' is required") }
            let bytes: [UInt8]
            if repository.kind == .git {
                bytes = try await web.bounded { try await web.repositories.open.repository(at: directory).blob(at: revision, path: path, maxSize: 16 << 20) }
            } else {
                bytes = try await MercurialRepository.withRepository(at: directory) { try await $0.file(at: revision, path: path) }
            }
            if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) {
                return Self.json(.ok, APIBlob(path: path, size: bytes.count, encoding: "utf-8", content: text))
            }
            return Self.json(.ok, APIBlob(path: path, size: bytes.count, encoding: "base64", content: Data(bytes).base64EncodedString()))
        case (.put, "permissions"):
            try requireAdmin()
            guard let name = route.rest.first, let target = try await store.user(named: name) else {
                throw APIError(status: .notFound, message: "no such user")
            }
            guard let levelName = try await body(request, as: APILevelRequest.self).level, let chosen = AccessLevel(name: levelName) else {
                throw APIError(status: .badRequest, message: "'level' must be none, read, write or admin")
            }
            try await store.setPermission(userID: target.id, on: .repository(repository.path), level: chosen == .none ? nil : chosen)
            return Self.json(.ok, APIGrant(user: target.name, level: chosen.description))
        case (.get, "statuses"), (.post, "statuses"):
            guard route.rest.count == 1 else { throw APIError(status: .notFound, message: "statuses are …/-/statuses/{sha}") }
            return try await commitStatuses(request, repository: repository, level: level, revision: route.rest[0], combined: false,
                                            query: query, user: user)
        case (.get, "hooks"):
            try requireAdmin()
            if route.rest.count == 2, route.rest[1] == "deliveries", let id = Int64(route.rest[0]),
               try await store.webhooks(repositoryID: repository.id).contains(where: { $0.id == id }) {
                let page = try Pagination(query)
                let deliveries = try await store.deliveries(webhookID: id, limit: 1000)
                return Self.list(page.slice(deliveries).map {
                    APIDelivery(id: $0.id, guid: $0.guid, event: $0.event, state: $0.state.rawValue, attempts: $0.attempts,
                                responseStatus: $0.responseStatus, error: $0.lastError)
                }, total: deliveries.count, page: page, request: request)
            }
            let page = try Pagination(query)
            let hooks = try await store.webhooks(repositoryID: repository.id)
            return Self.list(page.slice(hooks).map(GiteaHook.init), total: hooks.count, page: page, request: request)
        case (.post, "hooks"):
            try requireAdmin()
            let fields = try await body(request, as: APIWebhookRequest.self)
            let hook = try await store.createWebhook(repositoryID: repository.id, url: fields.url ?? "",
                                                     secret: fields.secret.flatMap { $0.isEmpty ? nil : $0 })
            return Self.json(.created, GiteaHook(hook))
        case (.get, "secrets"):
            try requireAdmin()
            let page = try Pagination(query)
            let secrets = try await store.secrets(repositoryID: repository.id)
            return Self.list(page.slice(secrets).map { APISecret(name: $0.name, createdAt: ISO8601DateFormatter().string(from: $0.updatedAt)) },
                             total: secrets.count, page: page, request: request)
        case (.put, "secrets"), (.delete, "secrets"):
            try requireAdmin()
            guard route.rest.count == 1, let name = route.rest.first else { throw APIError(status: .notFound, message: "no such route") }
            if method == .delete {
                try await store.deleteSecret(repositoryID: repository.id, name: name)
            } else {
                guard let value = try await body(request, as: APISecretRequest.self).data else {
                    throw APIError(status: .badRequest, message: "'data' (the secret's value) is required")
                }
                try await store.setSecret(repositoryID: repository.id, name: name, value: value)
            }
            return Response(status: .noContent)
        case (.put, "pipeline-network"):
            guard user?.isAdmin == true else {
                throw APIError(status: .forbidden, message: "only site administrators change the pipelines' network")
            }
            guard let text = try await body(request, as: APINetworkRequest.self).network, let network = PipelineNetwork(rawValue: text) else {
                throw APIError(status: .badRequest, message: "'network' must be \"none\" or \"host\"")
            }
            try await store.setPipelineNetwork(repositoryID: repository.id, network)
            return Self.json(.ok, APINetwork(network: network.rawValue))
        case (.get, "deploy"):
            // How the repository deploys (secret names only); 404 when it does not.
            guard let setups = web.deploySetups else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            guard let setup = try await setups.setup(of: repository) else { throw APIError(status: .notFound, message: "\(repository.path) does not deploy") }
            return Self.json(.ok, setup)
        case (.put, "deploy"):
            try requireAdmin()
            guard let setups = web.deploySetups else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            let setup = try await body(request, as: DeploySetup.self)
            try await setups.save(setup, for: repository)
            return Self.json(.ok, try await setups.setup(of: repository) ?? setup)
        case (.delete, "deploy"):
            try requireAdmin()
            guard let setups = web.deploySetups else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            try await setups.save(DeploySetup(branches: [], environments: []), for: repository)
            return Response(status: .noContent)
        case (.get, "releases"):
            // The releases an environment can roll back to, newest first, and which one is current.
            guard let deployments = web.deployments else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            guard let environment = query["environment"], !environment.isEmpty else {
                throw APIError(status: .badRequest, message: "'environment' is required")
            }
            let current = try await deployments.store.currentRelease(project: Forge.deployProject(of: repository), environment: environment)
            let releases = try await web.releases(of: repository, environment: environment, controller: deployments)
            return Self.json(.ok, releases.map { APIRelease($0, current: $0.release == current?.release) })
        case (.get, "deployments"):
            guard let deployments = web.deployments else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            let page = try Pagination(query)
            // The store pages by id; the page is cut from the newest (at most 1,000 are counted).
            let all = try await deployments.store.deployments(DeploymentQuery(project: Forge.deployProject(of: repository), limit: 1000))
            return Self.list(page.slice(all).map(APIDeployment.init), total: all.count, page: page, request: request)
        case (.post, "deployments"):
            // POST …/-/deployments {"branch", "commit"?, "environment"?} · …/-/deployments/rollback {"environment", "release"?}
            // · …/-/deployments/ID/start · …/-/deployments/ID/cancel
            guard level >= .write else { throw APIError(status: .forbidden, message: "deploying \(repository.path) needs write on it") }
            guard let deployments = web.deployments else { throw APIError(status: .notFound, message: "this forge deploys nothing") }
            var fields = try await body(request, as: APIDeploymentRequest.self, emptyAllowed: true).fields
            let action: String
            switch route.rest.count {
            case 0: action = "deploy"
            case 1 where route.rest[0] == "rollback": action = "rollback"
            case 2 where ["start", "cancel"].contains(route.rest[1]):
                action = route.rest[1]
                fields["id"] = route.rest[0]
            default: throw APIError(status: .notFound, message: "no such route")
            }
            let deployment = try await DeploymentRequests(controller: deployments, repositories: web.repositories)
                .perform(action, on: repository, fields: fields, by: user?.name ?? "anonymous")
            return Self.json(action == "start" || action == "cancel" ? .ok : .created, APIDeployment(deployment))
        case (.get, "runs"):
            let page = try Pagination(query)
            let (runs, total) = try await web.repositoryRuns(repository, page: page)
            return Self.list(runs.map { APIRun($0) }, total: total, page: page, request: request)
        case (.put, "pipelines"):
            // Stored configurations (YAML or JSON, the seed's schema), bound to this repository:
            // their `repo` criterion is set to it and their names are prefixed with it.
            try requireAdmin()
            guard let (dispatcher, loader) = web.pipelines else { throw APIError(status: .notFound, message: "this forge runs no pipelines") }
            let text = String(buffer: try await request.body.collect(upTo: loader.maximumFileSize))
            var saved: [String] = []
            for var configuration in try loader.load(text: text, file: "\(repository.path) stored pipeline") {
                configuration.name = repository.path.description + ":" + configuration.name
                configuration.criteria["repo"] = try Criterion(.exact(repository.path.description))
                try await dispatcher.saveConfiguration(configuration)
                saved.append(configuration.name)
            }
            return Self.json(.ok, APISavedPipelines(saved: saved))
        case (.get, "pipelines"), (.delete, "pipelines"):
            // The stored configurations of this repository: listed (with their definitions), or one
            // deleted by the name it was saved under (without the repository prefix).
            try requireAdmin()
            guard let (dispatcher, _) = web.pipelines else { throw APIError(status: .notFound, message: "this forge runs no pipelines") }
            let prefix = repository.path.description + ":"
            if method == .get {
                let stored = dispatcher.configurations.configurations.filter { $0.name.hasPrefix(prefix) }.sorted { $0.name < $1.name }.map {
                    APIStoredPipeline(name: String($0.name.dropFirst(prefix.count)), fullName: $0.name, configuration: $0.jsonValue)
                }
                guard let name = route.rest.first else {
                    let page = try Pagination(query)
                    return Self.list(page.slice(stored), total: stored.count, page: page, request: request)
                }
                guard route.rest.count == 1, let one = stored.first(where: { $0.name == name }) else {
                    throw APIError(status: .notFound, message: "no stored pipeline '\(name)' in \(repository.path)")
                }
                return Self.json(.ok, one)
            }
            guard route.rest.count == 1, let name = route.rest.first,
                  try await dispatcher.deleteConfiguration(named: prefix + name) else {
                throw APIError(status: .notFound, message: "no stored pipeline '\(route.rest.first ?? "")' in \(repository.path)")
            }
            return Response(status: .noContent)
        case (.delete, "hooks"):
            try requireAdmin()
            guard route.rest.count == 1, let id = Int64(route.rest[0]),
                  try await store.webhooks(repositoryID: repository.id).contains(where: { $0.id == id }) else {
                throw APIError(status: .notFound, message: "no webhook '\(route.rest.first ?? "")' in \(repository.path)")
            }
            try await store.deleteWebhook(id: id)
            return Response(status: .noContent)
        default:
            throw APIError(status: .notFound, message: "no such route")
        }
    }

    func commitDetail(_ repository: RepositoryRecord, directory: String, id: String) async throws -> Response {
        switch repository.kind {
        case .git:
            let git = try await web.repositories.open.repository(at: directory)
            let (commit, changes, patch) = try await web.bounded {
                try await git.withSession { session in
                    let commit = try session.commit(id)
                    return (commit, try session.changes(in: commit.id), try session.patch(for: commit.id))
                }
            }
            var object = APICommit(commit)
            object.files = changes.map { APIChangedFile(path: $0.path, status: $0.kind.rawValue) }
            object.patch = patch.text
            object.patchTruncated = patch.truncated
            return Self.json(.ok, object)
        case .hg:
            let (found, files) = try await MercurialRepository.withRepository(at: directory) { hg -> (MercurialChangeset?, [MercurialFileChange]) in
                guard let changeset = try await hg.log(try .symbol(id), limit: 1).first else { return (nil, []) }
                return (changeset, try await hg.changedFiles(changeset.node))
            }
            guard let changeset = found else { throw APIError(status: .notFound, message: "no such changeset") }
            return Self.json(.ok, APIChangeset(id: changeset.node, message: changeset.message, branch: changeset.branch, author: changeset.user,
                                               files: files.map { APIChangedFile(path: $0.path, status: $0.kind.rawValue) }))
        }
    }

    /// The repository a run belongs to, if `user` may read it (else 404, as for a missing run).
    func visibleRun(_ id: Int64, user: ForgeUser?, peer: String?) async throws -> (RunDetail, RepositoryRecord, AccessLevel) {
        guard let runs = web.runs, let detail = try await runs.run(RunID(rawValue: id)),
              let repo = detail.run.source.attributes["repo"]?.text, let path = try? RepositoryPath(repo),
              let (repository, level) = try? await web.readable(path, viewer: .init(user: user), peer: peer) else {
            throw APIError(status: .notFound, message: "no such run")
        }
        return (detail, repository, level)
    }

    /// `POST /api/v1/runs/ID/rerun` (201, the new run) and `POST /api/v1/runs/ID/cancel` (200, the
    /// run; 409 when it had ended): write on the run's repository.
    /// `POST /runs/ID/rerun` (201, the new run) and `/cancel` (409 once ended), with write on the run's repository.
    func runAction(_ id: Int64, rerun: Bool, caller: APICaller) async throws -> Response {
        let me = try requireUser(caller.user)
        let (detail, repository, level) = try await visibleRun(id, user: me, peer: caller.peer)
        guard level >= .write else { throw APIError(status: .forbidden, message: "this needs write on \(repository.path)") }
        guard let runs = web.runs, let (dispatcher, _) = web.pipelines else { throw APIError(status: .notFound, message: "this forge runs no pipelines") }
        if rerun {
            return Self.json(.created, APIRun(try await dispatcher.rerun(detail.run.id, by: me.name)))
        }
        guard try await runs.cancel(detail.run.id, reason: "cancelled by \(me.name)", now: Date()) else {
            throw APIError(status: .conflict, message: "run \(id) has already ended (\(detail.run.status.rawValue))")
        }
        return Self.json(.ok, APIRun(try await runs.run(detail.run.id) ?? detail))
    }

    /// `after`: the `next` of the previous answer, a byte offset in the whole log.
    static func logOffset(_ request: Request) throws -> Int {
        let query = Web.parseQuery(request.uri.query ?? "")
        guard let after = Int(query["after"] ?? "0"), after >= 0 else {
            throw ForgeAPIError(status: .badRequest, message: "'after' must be the 'next' of the previous answer, not '\(query["after"] ?? "")'")
        }
        return after
    }

    /// `GET /runs/ID/log?after=N`: `next` is a byte offset in the whole log; a client passes it back
    /// as `after` and gets every byte once. A run of a repository the caller cannot see does not exist.
    func runLog(_ id: Int64, request: Request, caller: APICaller) async throws -> Response {
        let after = try Self.logOffset(request)
        let (detail, _, _) = try await visibleRun(id, user: caller.user, peer: caller.peer)
        guard let runs = web.runs else { throw APIError(status: .notFound, message: "no such run") }
        let chunks = try await runs.logs(run: detail.run.id, after: Int64(after), limit: 1000)
        let next = chunks.last.map { Int($0.end) } ?? after
        let done = [.succeeded, .failed, .errored, .cancelled].contains(detail.run.status)
        return Self.json(.ok, APILogPart(text: chunks.map(\.text).joined(), next: next, state: detail.run.status.rawValue, done: done && chunks.isEmpty))
    }

    /// `GET /deployments/ID/log?after=N`, as a run's; a deployment of a repository the caller cannot see does not exist.
    func deploymentLog(_ id: Int64, request: Request, caller: APICaller) async throws -> Response {
        let after = try Self.logOffset(request)
        guard let deployments = web.deployments, let deployment = try? await deployments.deployment(DeploymentID(rawValue: id)),
              let repositoryID = Forge.repositoryID(ofDeployProject: deployment.project),
              let repository = try await store.repository(id: repositoryID),
              (try? await web.readable(repository.path, viewer: .init(user: caller.user), peer: caller.peer)) != nil else {
            throw APIError(status: .notFound, message: "no such deployment")
        }
        let part = try await deployments.log(deployment.id, after: after)
        return Self.json(.ok, APILogPart(text: part.text, next: part.next, state: deployment.state.rawValue,
                                         done: deployment.state.isFinal && part.text.isEmpty))
    }

    // MARK: - JSON shapes (ForgeAPIModels.swift)

}
