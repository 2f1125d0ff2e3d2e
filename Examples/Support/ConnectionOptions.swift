public import ArgumentParser
import Foundation
public import ForgeKitServer
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// The command-line options every example server shares for hostile connections
/// (``ConnectionGuard``): `--max-connections`, `--head-timeout`, `--idle-timeout`.
public struct ConnectionOptions: ParsableArguments, Sendable {
    @Option(help: "The most connections open at once; beyond it idle connections are closed first (default: half the file-descriptor limit, at most 4096).")
    public var maxConnections: Int?

    @Option(help: "Seconds a client may take to send a request's head.")
    public var headTimeout: Double = 20

    @Option(help: "Seconds a connection may stay silent while no response is being produced.")
    public var idleTimeout: Double = 60

    public init() {}

    public func validate() throws {
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        guard headTimeout > 0, idleTimeout > 0 else { throw ValidationError("--head-timeout and --idle-timeout must be positive") }
    }

    /// The limits these options describe.
    public var limits: ConnectionGuard.Limits {
        ConnectionGuard.Limits(headTimeout: .milliseconds(Int64(headTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
                               maximumConnections: maxConnections ?? ConnectionGuard.Limits.defaultMaximumConnections)
    }
}

extension ConnectionOptions {
    /// The HTTP server every example runs: `router` on `host:port` behind a ``ConnectionGuard`` with
    /// these limits, as a service for ``runServices(_:gracePeriod:logger:)``. Once it listens, `banner`
    /// gets the bound port and its line is written to standard output in one unbuffered write (a
    /// supervisor reading the pipe sees it at once).
    public func application<Context: RequestContext>(
        _ router: Router<Context>, name: String, host: String, port: Int, logger: Logger,
        banner: @escaping @Sendable (_ port: Int) -> String
    ) -> some Service where Context.Source == ApplicationRequestContextSource {
        let connectionGuard = ConnectionGuard(limits, logger: logger)
        return Application(
            router: router, server: connectionGuard.server,
            configuration: connectionGuard.configure(.init(address: .hostname(host, port: port), serverName: name)),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data((banner(channel.localAddress?.port ?? port) + "\n").utf8))
            },
            logger: logger)
    }
}
