public import ForgeKit
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Git smart HTTP for the repositories of a ``RepositoryStore``, as a Hummingbird middleware: clone,
/// fetch and push at `http://HOST:PORT/NAME` (or `NAME.git`), through `git http-backend`.
///
/// Requests that are not smart-HTTP routes pass on to the next responder, so the middleware can sit
/// in front of a web UI or an API on the same router. For the others, in order:
///
/// | Check | Answer |
/// |---|---|
/// | the repository name is not a valid ``RepositoryPath`` (`..`, control characters) | `400` |
/// | dumb-protocol or wrong-method request | `403` |
/// | credentials sent and wrong | `401` |
/// | the caller lacks the level (read to fetch, write to push): anonymous | `401` with `WWW-Authenticate` |
/// | … signed in, but may not see the repository (or it does not exist) | `404` |
/// | … signed in, may read but not push | `403` |
///
/// git runs only after these checks pass. A push is fed to git as it arrives and a clone's pack is
/// sent as git writes it. A push that moved references is recorded in the store's
/// ``RepositoryStore/outbox`` with the exact updates git applied *before* git's answer reaches the
/// client (the answer is held until then), so a push the client was told succeeded is never lost.
public struct GitHTTPService<Context: RemoteAddressRequestContext>: RouterMiddleware {
    /// The repositories served.
    public let repositories: RepositoryStore
    /// Who may do what.
    public let accounts: ForgeAccounts
    /// The git side.
    public let backend: GitHTTPBackend
    private let logger: Logger

    /// Creates the middleware.
    public init(repositories: RepositoryStore, accounts: ForgeAccounts, backend: GitHTTPBackend,
                logger: Logger = Logger(label: "forgeworks.forge.git-http")) {
        self.repositories = repositories
        self.accounts = accounts
        self.backend = backend
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Every line this request logs carries its id (hb.request.id).
        let logger = context.logger
        let recognised: GitSmartHTTPRequest?
        do throws(ForgeError) {
            recognised = try GitSmartHTTPRequest.recognise(method: request.method.rawValue, path: request.uri.path, query: request.uri.query)
        } catch {
            return Self.text(error.code == .invalidArgument ? .badRequest : .forbidden, error.message)
        }
        guard let smart = recognised else { return try await next(request, context) }
        do {
            return try await serve(smart, request: request, context: context)
        } catch {
            logger.error("git request failed", metadata: ["repository": "\(smart.repository)", "error": "\(error)"])
            return Self.text(.internalServerError, "the request failed")
        }
    }

    private func serve(_ smart: GitSmartHTTPRequest, request: Request, context: Context) async throws(ForgeError) -> Response {
        let logger = context.logger
        let peer = context.remoteAddress?.ipAddress
        let user: ForgeUser?, facts: PermissionFacts
        switch try await RepositoryAccess.authorize(request, peer: peer, accounts: accounts,
                                                    store: repositories.metadata, repository: smart.repository, kind: .git,
                                                    level: smart.requiredLevel, action: smart.service == .receivePack ? "push to" : "read") {
        case .denied(let response): return response
        case .allowed(let allowedUser, let allowedFacts): (user, facts) = (allowedUser, allowedFacts)
        }

        let headers = request.headers
        var info = GitHTTPBackend.RequestInfo(
            method: request.method.rawValue, query: request.uri.query, contentType: headers[.contentType],
            contentLength: headers[.contentLength].flatMap { Int($0) }, contentEncoding: headers[.contentEncoding],
            gitProtocol: HTTPField.Name("Git-Protocol").flatMap { headers[$0] }, remoteUser: user?.name, remoteAddress: peer)
        if smart.service == .receivePack, !smart.isAdvertisement {
            info.protectedBranches = try await repositories.metadata.branchProtections(repositoryID: facts.repository.id).map {
                ($0.pattern, $0.allowsDirectPush(by: user?.name))
            }
        }
        let exchange = try backend.start(smart, directory: facts.repository.path, info: info)
        let head: (status: Int, headers: [(String, String)])
        switch await RepositoryAccess.start(exchange, request: request, body: !smart.isAdvertisement, logger: logger,
                                            repository: smart.repository) {
        case .started(let started): head = started
        case .failed(let response): return response
        }
        let repository = facts.repository
        guard smart.service == .receivePack && !smart.isAdvertisement else {
            return RepositoryAccess.streamed(exchange, head: head) { outcome in
                if outcome.status != 0 {
                    logger.warning("git http-backend exited with \(outcome.status)",
                                   metadata: ["repository": "\(repository.path)", "stderr": "\(outcome.standardError.prefix(500))"])
                }
            }
        }
        // A push: git's report is held until the push is recorded.
        let (body, outcome) = try await RepositoryAccess.collected(exchange, operation: "serve git")
        if outcome.status != 0 {
            logger.warning("git http-backend exited with \(outcome.status)",
                           metadata: ["repository": "\(repository.path)", "stderr": "\(outcome.standardError.prefix(500))"])
        }
        if !outcome.updates.isEmpty {
            do {
                try await repositories.recordPush(PushEvent(repository: repository, pusher: user?.name, updates: outcome.updates, date: Date()))
            } catch {
                logger.error("a push was applied but cannot be recorded", metadata: ["repository": "\(repository.path)", "error": "\(error)"])
                return Self.text(.internalServerError, "the push could not be recorded; push again")
            }
        }
        return Response(status: HTTPResponse.Status(code: head.status), headers: RepositoryAccess.fields(head.headers),
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        RepositoryAccess.text(status, message)
    }
}
