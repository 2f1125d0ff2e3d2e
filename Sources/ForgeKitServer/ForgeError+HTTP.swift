import Foundation
public import ForgeKit
public import HTTPTypes
public import Hummingbird
import NIOCore

/// ForgeKit's errors as HTTP answers, decided here once for every handler of the server targets: a
/// handler throws, and Hummingbird answers with ``status`` and `{"error": "…"}`.
extension ForgeError: HTTPResponseError {
    /// The status an error of this code answers with: the caller's mistakes 4xx, a store or I/O
    /// failure 500, a cancelled or timed-out operation 503.
    public var status: HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .invalidArgument, .ambiguous: .badRequest
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .authentication: .unauthorized
        case .cancelled, .busy: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// `{"error": "…"}` with ``status``: the message for the caller's mistakes, the whole
    /// description (operation included) for the server's own failures.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        httpResponse
    }

    /// The answer ``response(from:context:)`` gives, for handlers that build responses themselves.
    package var httpResponse: Response {
        Self.response(status, status.code >= 500 ? description : message)
    }

    /// A JSON error answer, `{"error": message}`.
    package static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"the request failed"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
