public import ForgeKit
public import HTTPTypes
import Hummingbird
public import HTTPServerSupport

/// ForgeKit's errors as HTTP answers, decided here once for every handler of the server targets: a
/// handler throws, and Hummingbird answers with ``status`` and `{"error": "…"}`.
extension ForgeError: KitHTTPError {
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

    /// What the caller reads: the message for the caller's mistakes, the whole description (operation included) for the server's own failures.
    public var httpMessage: String {
        status.code >= 500 ? description : message
    }
}
