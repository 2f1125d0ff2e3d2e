import Foundation
public import PipelineKit
public import HTTPTypes
public import Hummingbird
import NIOCore

/// PipelineKit's errors as HTTP answers, decided here once for every handler of the server targets: a
/// handler throws, and Hummingbird answers with ``status`` and `{"error": "…"}`.
extension PipelineError: HTTPResponseError {
    /// The status an error of this code answers with: the caller's mistakes 4xx, a store or I/O
    /// failure 500, a cancelled or timed-out operation 503.
    public var status: HTTPResponse.Status {
        switch code {
        case .invalidConfiguration, .invalidEvent: .badRequest
        case .unauthenticated: .unauthorized
        case .notFound, .unknownName: .notFound
        case .duplicate: .conflict
        case .tooLarge: .contentTooLarge
        case .cancelled, .timeout: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// `{"error": "…"}` with ``status``: the message for a missing thing, the whole description
    /// otherwise (a configuration's file, line and field included).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        httpResponse
    }

    /// The answer ``response(from:context:)`` gives, for handlers that build responses themselves.
    package var httpResponse: Response {
        Self.response(status, status == .notFound ? message : description)
    }

    /// A JSON error answer, `{"error": message}`.
    package static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"the request failed"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
