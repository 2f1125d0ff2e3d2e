public import Hummingbird
public import NIOCore

/// A request context that keeps the connection's remote address, which ``ScriptHookService`` needs
/// to check a runbook's allowed networks.
///
/// ```swift
/// let router = Router(context: ScriptHookRequestContext.self)
/// ```
public struct ScriptHookRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The address of the connection's other end (the direct peer, maybe a proxy).
    public let remoteAddress: SocketAddress?

    /// Creates the context for a request on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
