public import ForgeKit
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Mercurial over HTTP for the repositories of a ``RepositoryStore``, as a Hummingbird middleware:
/// `hg clone`, `pull` and `push` at `http://HOST:PORT/NAME`, through Mercurial's own hgweb.
///
/// Wire-protocol requests (`?cmd=…`, read as hgweb reads them: see ``MercurialHTTPRequest``) go
/// through the same checks as ``GitHTTPService`` (400 for a bad name or query, 401, 403, 404) before hg
/// runs; requests without a `cmd` pass on to the next responder, and a `cmd` that is not a
/// wire-protocol command is refused (hgweb's HTML pages are never served). `unbundle` and `pushkey`,
/// alone or inside a `batch`, need `write`, and hgweb accepts a push only from the user authorised
/// here. Pushes to one repository are served one at a time, and a push that changed anything —
/// changesets, bookmarks, phases — publishes a ``ForgeEvent/push(_:)`` (`refs/heads/BRANCH`,
/// `refs/bookmarks/NAME`, `refs/phases/draft/NODE`, old and new nodes) from the repository's state
/// before and after it.
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
        // Every line this request logs carries its id (hb.request.id).
        let logger = context.logger
        switch await classify(request) {
        case .passOn:
            return try await next(request, context)
        case .answer(let response):
            return response
        case .serve(let hg, let request):
            do {
                return try await serve(hg, request: request, context: context)
            } catch {
                logger.error("hg request failed", metadata: ["repository": "\(hg.repository)", "error": "\(error)"])
                return RepositoryAccess.text(.internalServerError, "the request failed")
            }
        }
    }

    private enum Classification {
        case passOn
        case answer(Response)
        case serve(MercurialHTTPRequest, Request)
    }

    /// What the request is: not Mercurial's (no `cmd`), refused, or a wire-protocol request to serve
    /// (with its body intact when part of it was read to classify a batch).
    private func classify(_ request: Request) async -> Classification {
        let headers = request.headers.map { ($0.name.rawName, $0.value) }
        do throws(ForgeError) {
            switch try MercurialHTTPRequest.recognise(path: request.uri.path, query: request.uri.query, headers: headers) {
            case .none:
                return .passOn
            case .request(let hg):
                return .serve(hg, request)
            case .needsBody(let length):
                // A batch whose commands are in the body: read it (it is small), classify, then hand
                // hgweb the same bytes.
                guard let body = try? await request.body.collect(upTo: MercurialHTTPRequest.maximumPostArguments + (64 << 10)) else {
                    return .answer(RepositoryAccess.text(.badRequest, "the request body is too long for a batch"))
                }
                let bytes = Array(body.readableBytesView)
                guard bytes.count >= length, case .request(let hg) = try MercurialHTTPRequest.recognise(
                    path: request.uri.path, query: request.uri.query, headers: headers, body: Array(bytes[..<length])) else {
                    return .answer(RepositoryAccess.text(.badRequest, "the body is shorter than X-HgArgs-Post says"))
                }
                return .serve(hg, Request(head: request.head, body: RequestBody(buffer: body)))
            }
        } catch {
            return .answer(RepositoryAccess.text(error.code == .invalidArgument ? .badRequest : .internalServerError, error.message))
        }
    }

    private func serve(_ hg: MercurialHTTPRequest, request: Request, context: Context) async throws(ForgeError) -> Response {
        let logger = context.logger
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
        // hgweb takes a push only from this user, and only when they may write here.
        let pusher = facts.effectiveLevel(from: peer.flatMap { IPAddress($0) }) >= .write ? user?.name : nil
        let start = { () throws(ForgeError) -> CGIExchange in
            try backend.start(hg, directory: facts.repository.path, method: request.method.rawValue, query: request.uri.query ?? "",
                              headers: headers, remoteUser: user?.name, remoteAddress: peer, pusher: pusher)
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
                let (body, outcome) = try await RepositoryAccess.collected(exchange, operation: "serve hg")
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
                    // Recorded before hg's answer reaches the client.
                    do {
                        try await repositories.recordPush(PushEvent(repository: facts.repository, pusher: user?.name, updates: updates, date: Date()))
                    } catch {
                        logger.error("a push was applied but cannot be recorded", metadata: ["repository": "\(facts.repository.path)",
                                                                                            "error": "\(error)"])
                        return RepositoryAccess.text(.internalServerError, "the push could not be recorded; push again")
                    }
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
            return try await MercurialRepository.withRepository(at: directory) { try await $0.pushState() }
        } catch {
            throw error as? ForgeError ?? ForgeError(.io, "\(error)", operation: "read hg references", path: directory)
        }
    }
}
