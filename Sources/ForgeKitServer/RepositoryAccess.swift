import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird
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
        let caller = try await accounts.caller(of: request)
        if caller == .rejected { return .denied(challenge("wrong user name, password or token")) }
        let user = caller.user
        guard let facts = try await store.permissionFacts(repository: repository, userID: user?.id), facts.repository.kind == kind else {
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
