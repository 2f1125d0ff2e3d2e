/// The credentials of an `Authorization` header, read once here for every server.
package enum AuthorizationHeader {
    /// What an `Authorization` header holds.
    package enum Credentials: Sendable, Equatable {
        /// `Bearer TOKEN` or `token TOKEN` (Gitea's and GitHub's spelling), scheme in any case.
        case bearer(String)
        /// `Basic BASE64`, still encoded.
        case basic(String)
        /// Another scheme, or an empty value.
        case other
    }

    /// The credentials in `header` (nil when there is no header).
    package static func parse(_ header: String?) -> Credentials? {
        guard let header else { return nil }
        let trimmed = header.drop(while: { $0 == " " })
        guard let space = trimmed.firstIndex(of: " ") else { return .other }
        let scheme = trimmed[..<space].lowercased()
        let value = String(trimmed[space...].trimmingSpaces)
        guard !value.isEmpty else { return .other }
        switch scheme {
        case "bearer", "token": return .bearer(value)
        case "basic": return .basic(value)
        default: return .other
        }
    }

    /// The bearer token of `header`, if it carries one.
    package static func bearerToken(_ header: String?) -> String? {
        if case .bearer(let token)? = parse(header) { return token }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
