public import ForgeKit
import Foundation
public import Hummingbird
public import NIOCore
import PlatformSupport

/// The request context of every server here: Hummingbird's storage (with `logger`, which carries the
/// request's id, `hb.request.id`, on every line) and the connection's remote address, which
/// repository allow-lists, runbooks' allowed networks and the sign-in throttle need.
///
/// ```swift
/// let router = Router(context: ForgeRequestContext.self)
/// ```
public struct ForgeRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The address of the connection's other end.
    public let remoteAddress: SocketAddress?

    /// Creates the context for a request on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// Who made a request, from its `Authorization` header.
public enum ForgeCaller: Sendable, Hashable {
    /// No credentials were sent.
    case anonymous
    /// Valid credentials of this user.
    case user(ForgeUser)
    /// Credentials were sent and are wrong (or the user is disabled): answer 401.
    case rejected
    /// Credentials were sent but not checked: too many failures of this account or address, or the
    /// password checks are busy. Answer 429 with `Retry-After`.
    case throttled(retryAfter: Duration)

    /// The user, when there is one.
    public var user: ForgeUser? {
        if case .user(let user) = self { return user }
        return nil
    }
}

extension ForgeAccounts {
    /// The caller of `request`, sent from `address` (the client's IP address, for the sign-in
    /// throttle): HTTP basic authentication with a password or an API token in the password field,
    /// or `Authorization: Bearer <token>` / `token <token>`.
    public func caller(of request: Request, address: String?) async throws(ForgeError) -> ForgeCaller {
        guard let credentials = AuthorizationHeader.parse(request.headers[.authorization]) else { return .anonymous }
        switch credentials {
        case .basic(let value):
            guard value.utf8.count <= 4096, let decoded = Data(base64Encoded: value),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return .rejected }
            let name = String(text[..<colon]), secret = String(text[text.index(after: colon)...])
            guard !secret.isEmpty else { return .rejected }
            switch try await authenticate(name: name, secret: secret, address: address) {
            case .user(let user): return .user(user)
            case .rejected: return .rejected
            case .throttled(let wait): return .throttled(retryAfter: wait)
            }
        case .bearer(let token):
            return try await authenticate(token: token).map(ForgeCaller.user) ?? .rejected
        case .other:
            return .rejected
        }
    }
}

extension Duration {
    /// Whole seconds, rounded up and at least one: the value of a `Retry-After` header.
    public var retryAfterSeconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
