import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// A kit's error as an HTTP answer: the kit's server target says which ``status`` each code gets and
/// which text the caller sees; the answer, `{"error": "…"}` as JSON, is made here once for all of them.
public protocol KitHTTPError: HTTPResponseError {
    /// The text the caller sees.
    var httpMessage: String { get }
}

extension KitHTTPError {
    /// `{"error": httpMessage}` with ``status``: what Hummingbird answers when a handler throws it.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        httpResponse
    }

    /// The same answer, for handlers that build responses themselves.
    package var httpResponse: Response {
        JSONErrorAnswer.response(status, httpMessage)
    }
}

/// `{"error": message}` answers.
package enum JSONErrorAnswer {
    /// A JSON error answer with `status`.
    package static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"the request failed"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
