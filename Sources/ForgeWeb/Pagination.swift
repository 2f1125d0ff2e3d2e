import ForgeKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Gitea's list paging: `?page=` (from 1) and `?limit=`, answered with `X-Total-Count` and an RFC 8288
/// `Link` header (`next`, `prev`, `first`, `last`), as Gitea and GitHub send them.
struct Pagination: Sendable, Hashable {
    var page: Int
    var limit: Int

    /// The first element's index.
    var offset: Int { (page - 1) * limit }

    /// Reads `page` and `limit`; a value that is not a whole number in range is a 400 naming it.
    init(_ query: [String: String], defaultLimit: Int = 50, maximum: Int = 500) throws {
        limit = try Self.limit(query["limit"], default: defaultLimit, maximum: maximum)
        guard let text = query["page"] else {
            page = 1
            return
        }
        guard let value = Int(text), value >= 1, value <= 1_000_000 else {
            throw ForgeAPIError(status: .badRequest, message: "'page' must be a whole number from 1, not '\(text)'")
        }
        page = value
    }

    /// A `limit` parameter: `fallback` when absent; 400 naming it when it is not a whole number from 1
    /// to `maximum`.
    static func limit(_ text: String?, default fallback: Int, maximum: Int) throws -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw ForgeAPIError(status: .badRequest, message: "'limit' must be a whole number from 1 to \(maximum), not '\(text)'")
        }
        return value
    }

    init(page: Int, limit: Int) {
        self.page = page
        self.limit = limit
    }

    /// This page of `all`.
    func slice<T>(_ all: [T]) -> [T] { Array(all.dropFirst(offset).prefix(limit)) }

    /// `X-Total-Count` and `Link` for a list of `total` elements at `path` (other query parameters kept).
    func headers(total: Int, path: String, query: [String: String]) -> HTTPFields {
        var fields = HTTPFields()
        if let name = HTTPField.Name("X-Total-Count") { fields[name] = String(total) }
        let pages = max(1, (total + limit - 1) / limit)
        var others = query
        others["page"] = nil
        others["limit"] = nil
        let base = others.sorted { $0.key < $1.key }.map { "\(urlEncode($0.key))=\(urlEncode($0.value))&" }.joined()
        func target(_ page: Int, _ relation: String) -> String { "<\(path)?\(base)page=\(page)&limit=\(limit)>; rel=\"\(relation)\"" }
        var links: [String] = []
        if page < pages { links.append(target(page + 1, "next")) }
        if page > 1 { links.append(target(page - 1, "prev")) }
        links.append(target(1, "first"))
        links.append(target(pages, "last"))
        if let name = HTTPField.Name("Link") { fields[name] = links.joined(separator: ", ") }
        return fields
    }
}

/// How many commits a history has, by repository, tip and paths, for `X-Total-Count`: counting walks
/// the whole history (0.2 to 0.8 s on git.git, where a page of commits takes 2 ms), and the history
/// behind a commit never changes. Range revisions (`a..b`) are counted each time.
final class HistoryCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func count(_ session: GitSession, directory: String, _ options: LogOptions) throws(ForgeError) -> Int {
        var key: String?
        if options.revisions.count == 1, let tip = try? session.resolveCommit(options.revisions[0]) {
            key = ([directory, tip.hex] + options.paths).joined(separator: "\u{0}")
        }
        if let key, let known = counts.withLock({ $0[key] }) { return known }
        var total = 0
        try session.walkIDs(options) { _ in
            total += 1
            return true
        }
        if let key {
            counts.withLock { counts in
                if counts.count >= 4096 { counts.removeAll() }
                counts[key] = total
            }
        }
        return total
    }
}

/// An API answer other than success: its status and message (`{"error": …}`), and `Retry-After`.
/// Handlers throw it; as an `HTTPResponseError` it answers as JSON wherever it is caught.
struct ForgeAPIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var retryAfter: Int?

    init(status: HTTPResponse.Status, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(["error": message])) ?? Data(#"{"error":"the request failed"}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
