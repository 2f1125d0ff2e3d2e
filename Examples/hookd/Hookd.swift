import ArgumentParser
import DeployKit
import DeployKitServer
import ExampleSupport
import ForgeKit
import ForgeKitServer
import Foundation
import Hummingbird
import Logging

/// hookd: captainhook on DeployKit — `POST /{id}` runs the scripts of `{id}.json` in a directory.
@main
struct Hookd: AsyncParsableCommand {
    @OptionGroup(title: "Connections") var connections: ConnectionOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    static let configuration = CommandConfiguration(
        commandName: "hookd",
        abstract: "Run scripts on webhooks (captainhook's runbooks) with DeployKit."
    )

    @Option(name: .long, help: "The directory of {id}.json runbooks, read on every request.")
    var configDir: String

    @Option(name: .long, help: "HOST:PORT to listen on (port 0 picks a free one).")
    var listen: String = "127.0.0.1:8080"

    @Flag(name: .long, help: "Answer with each script's stdout, stderr and exit status.")
    var echo = false

    @Option(name: .long, help: "A proxy (address or CIDR) whose X-Forwarded-For is believed; repeatable.")
    var trustedProxy: [String] = []

    @Option(name: .long, help: "Seconds a script may run before its process group is stopped.")
    var timeout: Int = 60

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: configDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--config-dir \(configDir) is not a directory")
        }
        _ = try Self.hostAndPort(listen)
    }

    static func hostAndPort(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8080")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen must name a host") }
        return (host, port)
    }

    func run() async throws {
        var logger = Logger(label: "hookd")
        logger.logLevel = .info
        let (host, port) = try Self.hostAndPort(listen)
        var proxies: [CIDR] = []
        for text in trustedProxy {
            do { proxies.append(try CIDR(text)) } catch { throw ValidationError("--trusted-proxy: \(error.message)") }
        }
        let runner = ScriptHookRunner(directory: configDir, options: .init(trustedProxies: proxies, timeout: .seconds(timeout)),
                                      logger: logger)
        let router = Router(context: ScriptHookRequestContext.self)
        MetricsEndpoint.addRoutes(to: router, options: metrics)
        router.get("/healthz") { _, _ in "ok\n" }
        ScriptHookService(runner: runner, options: .init(echo: echo), logger: logger).addRoutes(to: router)
        let application = connections.application(router, name: "hookd", host: host, port: port, logger: logger) {
            "hookd listening on http://\(host):\($0)"
        }
        try await runServices([application], logger: logger)
    }
}
