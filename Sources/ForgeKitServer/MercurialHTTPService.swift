public import ForgeKit
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Mercurial over HTTP for the repositories of a ``RepositoryStore``, as a Hummingbird middleware:
/// `hg clone`, `pull` and `push` at `http://HOST:PORT/NAME`, through Mercurial's own hgweb.
///
/// Wire-protocol requests (`?cmd=…`) go through the same checks as ``GitHTTPService`` (400 for a bad
/// name, 401, 403, 404) before hg runs; others pass on to the next responder. `unbundle` and
/// `pushkey` need `write`. Pushes to one repository are served one at a time, and a push that moved
/// branch heads or bookmarks publishes a ``ForgeEvent/push(_:)`` (`refs/heads/BRANCH`,
/// `refs/bookmarks/NAME`, old and new nodes) from the repository's state before and after it.
public struct MercurialHTTPService<Context: RemoteAddressRequestContext>: RouterMiddleware {
    /// The repositories served.
    public let repositories: RepositoryStore
    /// Who may do what.
    public let accounts: ForgeAccounts
    /// The hg side.
    public let backend: MercurialHTTPBackend
    private let logger: Logger
    private let pushes = KeyedLock()

    /// Creates the middleware.
    public init(repositories: RepositoryStore, accounts: ForgeAccounts, backend: MercurialHTTPBackend,
                logger: Logger = Logger(label: "forgeworks.forge.hg-http")) {
        self.repositories = repositories
        self.accounts = accounts
        self.backend = backend
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let recognised: MercurialHTTPRequest?
        do throws(ForgeError) {
            recognised = try MercurialHTTPRequest.recognise(path: request.uri.path, query: request.uri.query)
        } catch {
            return RepositoryAccess.text(.badRequest, error.message)
        }
        guard let hg = recognised else { return try await next(request, context) }
        do {
            return try await serve(hg, request: request, context: context)
        } catch {
            logger.error("hg request failed", metadata: ["repository": "\(hg.repository)", "error": "\(error)"])
            return RepositoryAccess.text(.internalServerError, "the request failed")
        }
    }

    private func serve(_ hg: MercurialHTTPRequest, request: Request, context: Context) async throws(ForgeError) -> Response {
        let peer = context.remoteAddress?.ipAddress
        let user: ForgeUser?, facts: PermissionFacts
        switch try await RepositoryAccess.authorize(request, peer: peer, accounts: accounts, store: repositories.metadata,
                                                    repository: hg.repository, kind: .hg, level: hg.requiredLevel,
                                                    action: hg.isPush ? "push to" : "read") {
        case .denied(let response): return response
        case .allowed(let allowedUser, let allowedFacts): (user, facts) = (allowedUser, allowedFacts)
        }
        let headers = request.headers.map { ($0.name.rawName, $0.value) }
        let directory = repositories.directory(for: facts.repository.path)
        let start = { () throws(ForgeError) -> CGIExchange in
            try backend.start(hg, directory: facts.repository.path, method: request.method.rawValue, query: request.uri.query ?? "",
                              headers: headers, remoteUser: user?.name, remoteAddress: peer)
        }
        guard hg.isPush else {
            let exchange = try start()
            return try await respond(exchange, request: request, repository: facts.repository)
        }
        // A push: one at a time per repository, its response collected (it is short), and the
        // references compared before and after.
        do {
            return try await pushes.withLock(directory) {
                let before = try await Self.references(directory)
                let exchange = try start()
                let head: (status: Int, headers: [(String, String)])
                switch await RepositoryAccess.start(exchange, request: request, body: true, logger: logger, repository: facts.repository.path) {
                case .started(let started): head = started
                case .failed(let response): return response
                }
                var body: [UInt8] = []
                while let chunk = try await exchange.nextBodyChunk() {
                    body += chunk
                    guard body.count <= 16 << 20 else { throw ForgeError(.io, "hg's answer to a push is too long", operation: "serve hg") }
                }
                let outcome = await exchange.finish()
                let after = try await Self.references(directory)
                let updates = Set(before.keys).union(after.keys).sorted().compactMap { name -> ReferenceUpdate? in
                    guard before[name] != after[name] else { return nil }
                    return ReferenceUpdate(name: name, old: before[name].flatMap { ObjectID(hex: $0) } ?? .zero,
                                           new: after[name].flatMap { ObjectID(hex: $0) } ?? .zero)
                }
                if outcome.status != 0 {
                    logger.warning("hgweb exited with \(outcome.status)", metadata: ["stderr": "\(outcome.standardError.prefix(500))"])
                }
                if !updates.isEmpty {
                    logger.info("push", metadata: ["repository": "\(facts.repository.path)", "pusher": "\(user?.name ?? "-")"])
                    repositories.events.publish(.push(PushEvent(repository: facts.repository, pusher: user?.name, updates: updates, date: Date())))
                }
                return Response(status: HTTPResponse.Status(code: head.status), headers: RepositoryAccess.fields(head.headers),
                                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
        } catch {
            throw error as? ForgeError ?? ForgeError(.io, "\(error)", operation: "serve hg")
        }
    }

    private func respond(_ exchange: CGIExchange, request: Request, repository: RepositoryRecord) async throws(ForgeError) -> Response {
        switch await RepositoryAccess.start(exchange, request: request, body: true, logger: logger, repository: repository.path) {
        case .started(let head): return RepositoryAccess.streamed(exchange, head: head) { _ in }
        case .failed(let response): return response
        }
    }

    private static func references(_ directory: String) async throws(ForgeError) -> [String: String] {
        do {
            return try await MercurialRepository.withRepository(at: directory) { try await $0.references() }
        } catch {
            throw error as? ForgeError ?? ForgeError(.io, "\(error)", operation: "read hg references", path: directory)
        }
    }
}
