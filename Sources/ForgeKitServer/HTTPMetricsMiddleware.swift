public import Hummingbird
import HTTPTypes
import Metrics
import Synchronization

/// HTTP requests by route, method and status, with their durations, for any Hummingbird server:
/// `http_requests_total{http_route, http_request_method, http_response_status_code}` and
/// `http_request_duration_seconds` (a histogram in Prometheus) through swift-metrics.
///
/// Leaner than Hummingbird's `MetricsMiddleware` on the hot path of webhook ingest: one lock and one
/// dictionary lookup per request for both handles, two clock reads, no active-request gauge and no
/// wrapper around the response body — the duration ends when the handler returns its response (a
/// streamed body's transfer is not in it).
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let handles = Handles()

    /// Records every request that passes.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            handles.record(route: context.endpointPath ?? "unknown", method: request.method, status: status, since: started)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            handles.record(route: context.endpointPath ?? "unknown", method: request.method, status: status, since: started)
            throw error
        }
    }

    /// The counter and timer of each route, method and status, made once.
    private final class Handles: Sendable {
        private struct Key: Hashable {
            var route: String
            var method: HTTPRequest.Method
            var status: Int
        }

        private let made = Mutex<[Key: (Counter, Metrics.Timer)]>([:])

        func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
            let elapsed = ContinuousClock.now - started
            let key = Key(route: route, method: method, status: status.code)
            let (counter, timer) = made.withLock { made in
                if let handles = made[key] { return handles }
                let dimensions = [("http_route", route), ("http_request_method", method.rawValue),
                                  ("http_response_status_code", String(status.code))]
                let handles = (Counter(label: "http_requests_total", dimensions: dimensions),
                               Metrics.Timer(label: "http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds))
                made[key] = handles
                return handles
            }
            counter.increment()
            timer.record(duration: elapsed)
        }
    }
}
