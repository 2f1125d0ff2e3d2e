public import ForgeKitServer

/// The request context ``ScriptHookService`` needs: one that keeps the connection's remote address
/// (to check a runbook's allowed networks). It is ForgeKitServer's `ForgeRequestContext`, the one
/// such context of every server here; the name stays for existing code.
///
/// ```swift
/// let router = Router(context: ScriptHookRequestContext.self)
/// ```
public typealias ScriptHookRequestContext = ForgeRequestContext
