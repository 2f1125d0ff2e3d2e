import AsyncHTTPClient
import ForgeKit
import Foundation
import NIOCore
import NIOHTTP1
import PlatformSupport
import HTTPCallSupport

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
            return try policy.client(HTTPCall.proxiedClient)
        } catch {
            throw PipelineError(.io, error.message, operation: "send an outbound request")
        }
    }

    /// Sends the request with `client` and reads at most `limit` bytes of the response body.
    ///
    /// Transport failures throw ``PipelineError/Code/io``, running out of time
    /// ``PipelineError/Code/timeout``, cancellation ``PipelineError/Code/cancelled``; any status is a response.
    func send(with client: HTTPClient, limit: Int, operation: String, masker: SecretMasker) async throws(PipelineError) -> Response {
        let call = HTTPCall(HTTPMethod(rawValue: method), url, headers: headers, body: body, timeout: timeout, responseLimit: limit)
        do {
            let response = try await call.send(with: client)
            return Response(status: response.status, headers: response.headers.map { ($0.name, $0.value) },
                            body: response.body, truncated: response.truncated)
        } catch {
            let what = "\(method) \(masker.mask(url))"
            switch error {
            case .refused(let reason?):
                throw PipelineError(.invalidConfiguration, "\(what) was refused: \(reason)", operation: operation, underlying: error)
            case .refused(nil):
                throw PipelineError(.io, "\(what) was \(error)", operation: operation, underlying: error)
            case .timedOut:
                throw PipelineError(.timeout, "\(what) took longer than \(timeout)", operation: operation, underlying: error)
            case .cancelled:
                throw PipelineError(.cancelled, "\(what) was cancelled", operation: operation, underlying: error)
            case .transport, .sink:
                throw PipelineError(.io, "\(what) failed: \(masker.mask(error.description))", operation: operation, underlying: error)
            }
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
