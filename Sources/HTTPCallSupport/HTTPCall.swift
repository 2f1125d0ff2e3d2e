package import AsyncHTTPClient
package import NIOCore
package import NIOHTTP1
import PlatformSupport

/// The one way the kits make an HTTP request (webhook deliveries, notifications, the `http` and
/// `pull_request_comment` actions, the deploy runner's calls, repository mirrors): AsyncHTTPClient with
/// a timeout, the response body read up to a limit (or handed to a sink), the outbound policy's
/// refusal recognised, transport failures told apart from timeouts and cancellation, and retries with
/// exponential backoff for what may pass on a second try.
///
/// Which addresses a URL may reach is the client's business: requests to URLs users supply go
/// through a client made by ``proxiedClient(host:port:)`` for ForgeKit's `OutboundPolicy`.
package struct HTTPCall: Sendable {
    package var method: HTTPMethod
    package var url: String
    package var headers: [(String, String)]
    package var body: [UInt8]?
    package var timeout: Duration
    /// The most body bytes kept; the rest is not read (``Response/truncated``).
    package var responseLimit: Int

    package init(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                 timeout: Duration = .seconds(30), responseLimit: Int = 1 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.responseLimit = responseLimit
    }

    /// A response, its body bounded.
    package struct Response: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]
        package var truncated: Bool

        package var isSuccess: Bool { (200..<300).contains(status) }
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Why no response came.
    package enum Failure: Error, Sendable, CustomStringConvertible {
        /// The outbound policy's proxy refused the address (its reason, when it gave one).
        case refused(String?)
        case timedOut
        case cancelled
        /// Could not connect, or the connection broke.
        case transport(String)
        /// The body sink threw (what it threw, described).
        case sink(String)

        package var description: String {
            switch self {
            case .refused(let reason?): "refused: \(reason)"
            case .refused(nil): "refused by the outbound policy's proxy (an address it refuses, or none reachable)"
            case .timedOut: "no answer in time"
            case .cancelled: "cancelled"
            case .transport(let reason): reason
            case .sink(let reason): reason
            }
        }
    }

    /// Sends the request; the body is collected up to ``responseLimit``, or, with `sink`, handed to it
    /// chunk by chunk (for a download; only for a 2xx answer). Any status is a response.
    package func send(with client: HTTPClient, sink: ((ByteBuffer) throws -> Void)? = nil) async throws(Failure) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(max(1, timeout.inNanoseconds)))
            if response.status == .forbidden, let refusal = response.headers[OutboundRefusal.header].first {
                throw Failure.refused(refusal)
            }
            var bytes: [UInt8] = []
            var truncated = false
            for try await buffer in response.body {
                if let sink, (200..<300).contains(response.status.code) {
                    do { try sink(buffer) } catch { throw Failure.sink("\(error)") }
                    continue
                }
                let room = responseLimit - bytes.count
                if buffer.readableBytes > room {
                    bytes += buffer.readableBytesView.prefix(room)
                    truncated = true
                    break
                }
                bytes += buffer.readableBytesView
            }
            return Response(status: Int(response.status.code), headers: response.headers, body: bytes, truncated: truncated)
        } catch let failure as Failure {
            throw failure
        } catch let error as HTTPClientError where error == .invalidProxyResponse {
            throw .refused(nil)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw .timedOut
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled { throw .cancelled }
            throw .transport("\(error)")
        }
    }

    /// Sends the request up to `attempts` times, waiting `firstDelay`, then twice as long each time,
    /// while the answer is a 5xx or 429 or no answer came (a refusal or cancellation is final); the last
    /// response or failure.
    package func sendRetrying(with client: HTTPClient, attempts: Int, firstDelay: Duration = .milliseconds(200)) async throws(Failure) -> Response {
        var delay = firstDelay
        var attempt = 1
        while true {
            let outcome: Result<Response, Failure>
            do { outcome = .success(try await send(with: client)) } catch { outcome = .failure(error) }
            let again: Bool
            switch outcome {
            case .success(let response): again = response.status >= 500 || response.status == 429
            case .failure(.refused), .failure(.cancelled): again = false
            case .failure: again = true
            }
            if !again || attempt >= max(1, attempts) || Task.isCancelled { return try outcome.get() }
            try? await Task.sleep(for: delay)
            delay = delay * 2
            attempt += 1
        }
    }

    /// A client for requests to URLs users supply, through the outbound policy's egress proxy at
    /// `host:port`, following no redirects (the proxy checks the address each connection reaches).
    package static func proxiedClient(host: String, port: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.proxy = .server(host: host, port: port)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
