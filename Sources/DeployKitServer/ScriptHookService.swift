public import DeployKit
import Foundation
public import Hummingbird
public import Logging
import NIOCore
import PipelineKit

/// DeployKit's script hooks over HTTP, to mount on a Hummingbird router: captainhook's `POST /{id}`.
///
/// | Outcome | Status | Body |
/// |---|---|---|
/// | scripts ran, echo on | `200` | `{"results": [{"stdout": "…", "stderr": "…", "status_code": N}]}` (`"timed_out": true` when stopped) |
/// | scripts ran, echo off | `200` | `{"ok": B}`, `B` true when every script exited 0 |
/// | unknown or unsafe id | `404` | `{"error": "…"}` |
/// | caller outside `allowedNetworks` (an empty list allows nobody) | `403` | `{"error": "…"}` |
/// | bad or missing `X-Hub-Signature-256` when the runbook has a `secret` | `401` | `{"error": "…"}` |
/// | body over ``Options/maximumBodySize`` | `413` | `{"error": "…"}` |
/// | invalid runbook (not JSON, no `scripts`, no `allowedNetworks`, a bad CIDR) | `500` | `{"error": "<reason>"}` |
///
/// As in captainhook, a script that fails does not change the status: the hook ran and answers `200`;
/// the exit statuses are in the results (echo on) or summed up in `ok` (echo off). Nothing runs
/// unless the id, the runbook, the network and the signature all passed.
///
/// ```swift
/// let router = Router(context: ScriptHookRequestContext.self)
/// ScriptHookService(runner: ScriptHookRunner(directory: "/etc/hookd"), options: .init(echo: true)).addRoutes(to: router)
/// try await Application(router: router).runService()
/// ```
public struct ScriptHookService: Sendable {
    /// How the service answers.
    public struct Options: Sendable {
        /// Whether responses carry each script's output and exit status.
        public var echo: Bool
        /// The largest request body accepted (1 MiB by default).
        public var maximumBodySize: Int

        /// Creates options.
        public init(echo: Bool = false, maximumBodySize: Int = 1 << 20) {
            self.echo = echo
            self.maximumBodySize = maximumBodySize
        }
    }

    /// Loads runbooks, checks callers and runs the scripts.
    public let runner: ScriptHookRunner
    /// How the service answers.
    public let options: Options
    let logger: Logger

    /// Creates the service.
    public init(runner: ScriptHookRunner, options: Options = Options(), logger: Logger = Logger(label: "forgeworks.deploy.hooks.http")) {
        self.runner = runner
        self.options = options
        self.logger = logger
    }

    /// Adds `POST /:id` to `router`.
    public func addRoutes<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        router.post("/:id") { request, context in
            await self.receive(request, id: context.parameters.get("id") ?? "", peer: context.remoteAddress?.ipAddress, logger: context.logger)
        }
    }

    func receive(_ request: Request, id: String, peer: String?, logger: Logger) async -> Response {
        let body: [UInt8]
        do {
            body = Array(try await request.body.collect(upTo: options.maximumBodySize).readableBytesView)
        } catch {
            return Self.error(.contentTooLarge, "the body is larger than \(options.maximumBodySize) bytes")
        }
        var headers = HTTPHeaderFields()
        for field in request.headers { headers.add(field.value, for: field.name.canonicalName) }
        let results: [ScriptResult]
        do {
            results = try await runner.run(ScriptHookRequest(id: id, peerAddress: peer, headers: headers, body: body))
        } catch {
            // A runbook that does not load is the server's fault here, not the caller's.
            let status = error.code == .invalidConfiguration ? .internalServerError : error.status
            if status.code >= 500 { logger.error("hook failed: \(error)", metadata: ["hook": "\(id)"]) }
            return Self.error(status, error.message)
        }
        if options.echo {
            return Self.json(.ok, Echo(results: results.map(Echo.Result.init)))
        }
        return Self.json(.ok, ["ok": results.allSatisfy(\.succeeded)])
    }

    struct Echo: Encodable {
        struct Result: Encodable {
            var stdout: String
            var stderr: String
            var statusCode: Int32
            var timedOut: Bool?

            init(_ result: ScriptResult) {
                stdout = result.stdout
                stderr = result.stderr
                statusCode = result.statusCode
                timedOut = result.timedOut ? true : nil
            }

            enum CodingKeys: String, CodingKey {
                case stdout, stderr
                case statusCode = "status_code"
                case timedOut = "timed_out"
            }
        }
        var results: [Result]
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)
        var buffer = ByteBuffer(bytes: data)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }
}
