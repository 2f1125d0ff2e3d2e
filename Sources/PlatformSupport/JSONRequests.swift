import Foundation

/// The rule that keeps other sites' pages from posting to a JSON API: a request that may change
/// something must say its body is JSON (a browser sends that type across sites only when the API
/// allows it through CORS, which these APIs never do), or have no body at all. A form
/// (`application/x-www-form-urlencoded`, `multipart/form-data`) or `text/plain` is refused.
package enum JSONRequests {
    /// Whether a request with this method and these headers may be read as JSON (or as one of
    /// `alsoAccepted`, such as YAML).
    package static func accepts(method: String, contentType: String?, contentLength: String?, isChunked: Bool,
                                alsoAccepted: Set<String> = []) -> Bool {
        guard !["GET", "HEAD", "OPTIONS"].contains(method.uppercased()) else { return true }
        guard let contentType else { return contentLength.map { $0.trimmingCharacters(in: .whitespaces) == "0" } ?? !isChunked }
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json")) { return true }
        return alsoAccepted.contains(type)
    }

    /// The message of the refusal (status 415).
    package static let refusal = "the body must be JSON (Content-Type: application/json)"
}
