import AsyncHTTPClient
import ForgeKit
import Foundation
import NIOCore
import NIOHTTP1
import PlatformSupport

/// One HTTP request and its response, with the body read up to a limit; shared by `http` and
/// `pull_request_comment`.
struct HTTPExchange: Sendable {
    /// A response, its body bounded.
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var truncated: Bool

        /// The body as text.
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    var method: String
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]?
    var timeout: Duration

    /// Checks that `url` is an absolute http or https URL with a host.
    static func validate(url: String, operation: String, field: String) throws(PipelineError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw PipelineError(.invalidConfiguration, "'\(url)' is not an http or https URL", operation: operation, field: field)
        }
    }

    /// The client for requests to URLs that users supplied: through `policy`'s proxy, no redirects.
    static func client(for policy: OutboundPolicy) throws(PipelineError) -> HTTPClient {
        do {
            return try policy.client { host, port in
                var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
                configuration.proxy = .server(host: host, port: port)
                configuration.connectionPool.retryConnectionEstablishment = false
                return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            }
        } catch {
            throw PipelineError(.io, error.message, operation: "send an outbound request")
        }
    }

    /// Sends the request with `client` and reads at most `limit` bytes of the response body.
    ///
    /// Transport failures throw ``PipelineError/Code/io``, running out of time
    /// ``PipelineError/Code/timeout``, cancellation ``PipelineError/Code/cancelled``; any status is a response.
    func send(with client: HTTPClient, limit: Int, operation: String, masker: SecretMasker) async throws(PipelineError) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let amount = TimeAmount.nanoseconds(timeout.inNanoseconds)
        do {
            let response = try await client.execute(request, timeout: amount)
            if response.status == .forbidden, let refusal = response.headers[OutboundPolicy.refusalHeader].first {
                throw PipelineError(.invalidConfiguration, "\(method) \(masker.mask(url)) was refused: \(refusal)", operation: operation)
            }
            var bytes: [UInt8] = []
            var truncated = false
            for try await buffer in response.body {
                let room = limit - bytes.count
                if buffer.readableBytes > room {
                    bytes += buffer.readableBytesView.prefix(room)
                    truncated = true
                    break
                }
                bytes += buffer.readableBytesView
            }
            return Response(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                            body: bytes, truncated: truncated)
        } catch let error as PipelineError {
            throw error
        } catch let error as HTTPClientError where error == .invalidProxyResponse {
            throw PipelineError(.io, "\(method) \(masker.mask(url)) was refused by the outbound policy's proxy (an address it refuses, or none reachable)",
                                operation: operation)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw PipelineError(.timeout, "\(method) \(masker.mask(url)) took longer than \(timeout)", operation: operation)
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled {
                throw PipelineError(.cancelled, "\(method) \(masker.mask(url)) was cancelled", operation: operation)
            }
            throw PipelineError(.io, "\(method) \(masker.mask(url)) failed: \(masker.mask("\(error)"))", operation: operation)
        }
    }
}

extension ActionContext {
    /// The kwarg `key` as a positive number of seconds, or `nil` when it is absent.
    func seconds(_ key: String) throws(PipelineError) -> Duration? {
        guard let value = kwargs[key] else { return nil }
        let seconds: Double?
        switch value {
        case .int(let number): seconds = Double(number)
        case .double(let number): seconds = number
        case .string(let text): seconds = Double(text)
        default: seconds = nil
        }
        guard let seconds, seconds > 0, seconds.isFinite, seconds <= 31_536_000 else {
            throw PipelineError(.invalidConfiguration, "kwargs.\(key) must be a positive number of seconds",
                                operation: "run action '\(actionName)'", field: "kwargs.\(key)")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The kwarg `key` as a map of text, or an empty map when it is absent.
    func textMap(_ key: String) throws(PipelineError) -> [String: String] {
        guard let value = kwargs[key] else { return [:] }
        guard case .map(let map) = value else {
            throw PipelineError(.invalidConfiguration, "kwargs.\(key) must be a map", operation: "run action '\(actionName)'", field: "kwargs.\(key)")
        }
        var texts: [String: String] = [:]
        for (name, element) in map {
            guard let text = element.text else {
                throw PipelineError(.invalidConfiguration, "kwargs.\(key).\(name) must be text", operation: "run action '\(actionName)'",
                                    field: "kwargs.\(key).\(name)")
            }
            texts[name] = text
        }
        return texts
    }
}
