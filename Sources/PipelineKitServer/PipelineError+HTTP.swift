public import PipelineKit
public import HTTPTypes
import Hummingbird
public import HTTPServerSupport

/// PipelineKit's errors as HTTP answers, decided here once for every handler of the server targets: a
/// handler throws, and Hummingbird answers with ``status`` and `{"error": "…"}`.
extension PipelineError: KitHTTPError {
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

    /// What the caller reads: the message for a missing thing, the whole description otherwise (a configuration's file, line and field included).
    public var httpMessage: String {
        status == .notFound ? message : description
    }
}
