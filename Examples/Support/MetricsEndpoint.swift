public import ArgumentParser
import ForgeKitServer
import Foundation
public import Hummingbird
import Metrics
import PlatformSupport
public import Prometheus

/// `/metrics` in Prometheus text (swift-prometheus) for every example server, and the options that say
/// who may read it: `--metrics-token TOKEN` (or `FORGEWORKS_METRICS_TOKEN`), whatever credentials the
/// server itself accepts (site admins on the forge, the API token elsewhere), and `--metrics-public`
/// for anonymous scrapers. With none of them, `/metrics` answers 401.
public struct MetricsOptions: ParsableArguments, Sendable {
    @Option(help: "A bearer token that may read /metrics (FORGEWORKS_METRICS_TOKEN also works).")
    public var metricsToken: String?

    @Flag(help: "Let anyone read /metrics without credentials.")
    public var metricsPublic = false

    public init() {}

    var token: String? {
        let token = metricsToken ?? ProcessInfo.processInfo.environment["FORGEWORKS_METRICS_TOKEN"]
        return token?.isEmpty == false ? token : nil
    }
}

/// Whether a request may read the metrics.
public enum MetricsAccess: Sendable {
    case granted
    /// No credentials, or wrong ones: 401.
    case unauthenticated
    /// Credentials of someone who may not: 403.
    case forbidden
}

/// The process's metrics: a Prometheus registry bootstrapped as swift-metrics' backend on first use
/// (once per process), exported at `/metrics`.
public enum MetricsEndpoint {
    /// The registry every swift-metrics handle of the process reports to.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // swift-metrics labels such as Hummingbird's `http.server.request.duration` become valid
        // Prometheus names (`http_server_request_duration`).
        factory.nameAndLabelSanitizer = { name, labels in
            (sanitized(name), labels.map { (sanitized($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Bootstraps the metrics system now: call it at start, before handles are made.
    public static func bootstrap() {
        _ = registry
    }

    /// Credentials for a server whose API takes one bearer token: that token may read the metrics;
    /// with no token (an API opened on purpose, `--open-api`) anyone may.
    public static func apiToken<Context: RequestContext>(_ token: String?) -> @Sendable (Request, Context) async -> MetricsAccess {
        { request, _ in
            guard let token else { return .granted }
            guard let given = AuthorizationHeader.bearerToken(request.headers[.authorization]) else { return .unauthenticated }
            return ConstantTime.equal(given, token) ? .granted : .unauthenticated
        }
    }

    private static func sanitized(_ name: String) -> String {
        String(name.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ":": Character(scalar)
            default: "_"
            }
        })
    }

    /// Adds `GET /metrics` (and HTTP request metrics for every route) to `router`. `credentials`
    /// decides requests that carry no metrics token; without it, only the token (or `--metrics-public`) opens it.
    public static func addRoutes<Context: RequestContext>(
        to router: Router<Context>, options: MetricsOptions,
        credentials: (@Sendable (Request, Context) async -> MetricsAccess)? = nil
    ) {
        bootstrap()
        router.add(middleware: HTTPMetricsMiddleware())
        let token = options.token, open = options.metricsPublic
        router.get("/metrics") { request, context -> Response in
            var access = MetricsAccess.unauthenticated
            if open {
                access = .granted
            } else if let token, let given = AuthorizationHeader.bearerToken(request.headers[.authorization]),
                      ConstantTime.equal(given, token) {
                access = .granted
            } else if let credentials {
                access = await credentials(request, context)
            }
            switch access {
            case .granted:
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
            case .unauthenticated:
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer realm="metrics""#],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "the metrics need credentials\n")))
            case .forbidden:
                return Response(status: .forbidden, body: ResponseBody(byteBuffer: ByteBuffer(string: "these credentials may not read the metrics\n")))
            }
        }
    }
}
