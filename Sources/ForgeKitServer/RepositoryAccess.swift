import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The checks every repository request goes through before git or hg runs.
enum RepositoryAccess {
    enum Decision {
        case allowed(ForgeUser?, PermissionFacts)
        case denied(Response)
    }

    /// Authenticates the caller and checks their level on `repository`:
    /// wrong credentials → 401; not enough and anonymous → 401 with a challenge; signed in but unable
    /// to see it (or it does not exist, or is of the other kind) → 404; able to read but not push → 403.
    static func authorize(_ request: Request, peer: String?, accounts: ForgeAccounts, store: any ForgeMetadataStore,
                          repository: RepositoryPath, kind: RepositoryKind, level required: AccessLevel,
                          action: String) async throws(ForgeError) -> Decision {
        let caller = try await accounts.caller(of: request, address: peer)
        switch caller {
        case .rejected: return .denied(challenge("wrong user name, password or token"))
        case .throttled(let wait):
            var response = text(.tooManyRequests, "too many failed sign-ins; try again in \(wait.retryAfterSeconds) seconds")
            response.headers[.retryAfter] = String(wait.retryAfterSeconds)
            return .denied(response)
        case .anonymous, .user: break
        }
        let user = caller.user
        guard let facts = try await store.permissionFacts(repository: repository, caller: user), facts.repository.kind == kind else {
            return .denied(user == nil ? challenge("sign in to see this repository") : text(.notFound, "repository not found"))
        }
        let level = facts.effectiveLevel(from: peer.flatMap { IPAddress($0) })
        guard level >= required else {
            if user == nil { return .denied(challenge("sign in to \(action) this repository")) }
            if level == .none { return .denied(text(.notFound, "repository not found")) }
            return .denied(text(.forbidden, "\(user?.name ?? "you") may read \(facts.repository.path) but not push to it"))
        }
        return .allowed(user, facts)
    }

    /// How starting a backend went: its response head, or the answer to give instead.
    enum BackendStart {
        case started((status: Int, headers: [(String, String)]))
        case failed(Response)
    }

    /// Feeds the request body to the backend (when `body` is true) and reads the response head;
    /// on failure the backend is stopped, what it said is logged, and the answer is a 500.
    static func start(_ exchange: CGIExchange, request: Request, body: Bool, logger: Logger,
                      repository: RepositoryPath) async -> BackendStart {
        do {
            if body {
                do {
                    for try await buffer in request.body {
                        try await exchange.write(Array(buffer.readableBytesView))
                    }
                } catch {
                    throw error as? ForgeError ?? ForgeError(.network, "the request body broke off: \(error)", operation: "serve repository")
                }
            }
            exchange.endRequest()
            return .started(try await exchange.responseHead())
        } catch {
            exchange.cancel()
            let outcome = await exchange.finish()
            logger.warning("the repository backend failed", metadata: ["repository": "\(repository)", "error": "\(error)",
                                                                      "stderr": "\(outcome.standardError.prefix(500))"])
            return .failed(text(.internalServerError, "the repository backend failed"))
        }
    }

    /// The backend's whole response body (a push's answer is short: at most 16 MiB) and how it ended:
    /// for pushes, whose answer waits until the push is recorded.
    static func collected(_ exchange: CGIExchange, operation: String) async throws(ForgeError) -> ([UInt8], CGIExchange.Outcome) {
        var body: [UInt8] = []
        do throws(ForgeError) {
            while let chunk = try await exchange.nextBodyChunk() {
                body += chunk
                guard body.count <= 16 << 20 else { throw ForgeError(.io, "the answer to a push is too long", operation: operation) }
            }
        } catch {
            exchange.cancel()
            _ = await exchange.finish()
            throw error
        }
        return (body, await exchange.finish())
    }

    /// The backend's response, its body streamed as the backend writes it; `finished` gets the outcome.
    static func streamed(_ exchange: CGIExchange, head: (status: Int, headers: [(String, String)]),
                         finished: @escaping @Sendable (CGIExchange.Outcome) -> Void) -> Response {
        let body = ResponseBody { writer in
            do {
                while let chunk = try await exchange.nextBodyChunk() {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
            } catch {
                exchange.cancel()
                _ = await exchange.finish()
                throw error
            }
            finished(await exchange.finish())
            try await writer.finish(nil)
        }
        return Response(status: HTTPResponse.Status(code: head.status), headers: fields(head.headers), body: body)
    }

    static func fields(_ headers: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return fields
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static func challenge(_ message: String) -> Response {
        Response(status: .unauthorized,
                 headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Basic realm=\"Forgeworks\", charset=\"UTF-8\""],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}

/// One holder at a time per key (a repository's pushes), waiting in order.
final class KeyedLock: Sendable {
    private let state = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<T>(_ key: String, _ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { waiting -> Bool in
                if var queue = waiting[key] {
                    queue.append(continuation)
                    waiting[key] = queue
                    return false
                }
                waiting[key] = []
                return true
            }
            if acquired { continuation.resume() }
        }
        defer {
            let next = state.withLock { waiting -> CheckedContinuation<Void, Never>? in
                guard var queue = waiting[key], !queue.isEmpty else {
                    waiting[key] = nil
                    return nil
                }
                let first = queue.removeFirst()
                waiting[key] = queue
                return first
            }
            next?.resume()
        }
        return try await body()
    }
}
