import Crypto
import ForgeKit
import Foundation
import PlatformSupport

/// Decodes webhook requests from GitHub, GitLab and Gitea/Forgejo into ``WebhookDelivery`` values.
///
/// The decoder reads the provider's event and delivery headers, bounds the body, unwraps an
/// `application/x-www-form-urlencoded` body's `payload` field (GitHub's form content type, accepted from
/// any provider whose `Content-Type` says so), and decodes the documented fields of the events it knows:
/// pushes (branch or tag), pull/merge requests and GitHub's ping. Fields it does not use are ignored.
/// Other event types become ``WebhookEvent/unsupported(kind:)`` without their body being parsed.
///
/// | provider | event header | delivery header | decoded events |
/// |---|---|---|---|
/// | GitHub | `X-GitHub-Event` | `X-GitHub-Delivery` | `push` (branch or tag), `pull_request`, `ping` |
/// | GitLab | `X-Gitlab-Event` | `X-Gitlab-Event-UUID` | `Push Hook`, `Tag Push Hook`, `Merge Request Hook` |
/// | Gitea/Forgejo | `X-Gitea-Event`, `X-Forgejo-Event` | `X-Gitea-Delivery`, `X-Forgejo-Delivery` | `push` (branch or tag), `pull_request` |
///
/// Without a delivery header the id is the hex SHA-256 digest of the body.
///
/// Decoding does not check authenticity: verify the raw body with ``WebhookVerifier`` first.
///
/// ```swift
/// try verifier.verify(headers: headers, body: body)
/// let delivery = try WebhookDecoder.decode(provider: .github, headers: headers, body: body)
/// ```
///
/// Errors are ``PipelineError`` values: ``PipelineError/Code/tooLarge`` for a body over
/// ``maximumBodySize``; ``PipelineError/Code/invalidEvent`` for a missing event header, an overlong
/// delivery id, a body that is not JSON, or a missing or mistyped field, named by its path
/// (`pull_request.head.sha is missing`).
public struct WebhookDecoder: Sendable {
    /// The default body limit, 25 MiB (GitHub caps payloads at 25 MB).
    public static let defaultMaximumBodySize = 25 * 1024 * 1024

    /// The longest delivery id header accepted, in bytes (providers send UUIDs, 36 bytes).
    public static let maximumDeliveryIDLength = 256

    /// The largest body, in bytes, the decoder accepts.
    public var maximumBodySize: Int

    /// Creates a decoder that accepts bodies of at most `maximumBodySize` bytes.
    public init(maximumBodySize: Int = WebhookDecoder.defaultMaximumBodySize) {
        self.maximumBodySize = maximumBodySize
    }

    /// Decodes one request with a default decoder (see ``decode(provider:headers:body:)``).
    public static func decode(
        provider: WebhookProvider, headers: HTTPHeaderFields, body: [UInt8],
        maximumBodySize: Int = WebhookDecoder.defaultMaximumBodySize
    ) throws(PipelineError) -> WebhookDelivery {
        try WebhookDecoder(maximumBodySize: maximumBodySize).decode(provider: provider, headers: headers, body: body)
    }

    /// Decodes one request.
    ///
    /// - Parameters:
    ///   - provider: The format to expect (the receiver knows it from its route or configuration).
    ///   - headers: The request's header fields.
    ///   - body: The raw request body.
    /// - Returns: The delivery, with its id, the event header's value and the decoded event.
    /// - Throws: ``PipelineError`` with code `tooLarge` or `invalidEvent`.
    public func decode(provider: WebhookProvider, headers: HTTPHeaderFields, body: [UInt8]) throws(PipelineError) -> WebhookDelivery {
        guard body.count <= maximumBodySize else {
            throw Self.error(.tooLarge, "the body has \(body.count) bytes, more than the limit of \(maximumBodySize)")
        }
        let names = Self.headerNames(provider)
        guard let kind = headers.first(of: names.event)?.value.trimmingASCIIWhitespace(), !kind.isEmpty else {
            throw Self.error(.invalidEvent, "the \(names.event[0]) header is missing")
        }
        let id: String
        if let (name, value) = headers.first(of: names.delivery), case let delivery = value.trimmingASCIIWhitespace(), !delivery.isEmpty {
            // Ids are remembered for de-duplication, so an unbounded one is refused at the edge.
            guard delivery.utf8.count <= Self.maximumDeliveryIDLength else {
                throw Self.error(.invalidEvent, "the \(name) header is longer than \(Self.maximumDeliveryIDLength) bytes")
            }
            id = delivery
        } else {
            id = Hex.encode(SHA256.hash(data: body))
        }

        /// The body (or its form `payload`) as a JSON object; only read for event kinds that are decoded.
        func json() throws(PipelineError) -> JSONObjectReader {
            try JSONObjectReader.root(Self.document(Self.payload(body, headers: headers)))
        }
        let event: WebhookEvent
        switch (provider, kind) {
        case (.github, "ping"):
            _ = try json()
            event = .ping
        case (.github, "push"), (.gitea, "push"):
            event = try GitHubFormat.push(provider, GitHubFormat.Push(json()))
        case (.github, "pull_request"), (.gitea, "pull_request"):
            event = try GitHubFormat.pullRequest(provider, GitHubFormat.PullRequestPayload(json()))
        case (.gitlab, "Push Hook"), (.gitlab, "Tag Push Hook"):
            let push = try GitLabFormat.Push(json())
            try Self.expectObjectKind(push.object_kind, kind == "Push Hook" ? "push" : "tag_push", header: kind)
            event = GitLabFormat.push(push)
        case (.gitlab, "Merge Request Hook"):
            let request = try GitLabFormat.MergeRequestPayload(json())
            try Self.expectObjectKind(request.object_kind, "merge_request", header: kind)
            event = GitLabFormat.mergeRequest(request)
        default:
            event = .unsupported(kind: kind)
        }
        return WebhookDelivery(provider: provider, id: id, kind: kind, event: event)
    }

    // MARK: - Headers

    /// Event and delivery header names, in order of preference.
    static func headerNames(_ provider: WebhookProvider) -> (event: [String], delivery: [String]) {
        switch provider {
        case .github: (["X-GitHub-Event"], ["X-GitHub-Delivery"])
        case .gitlab: (["X-Gitlab-Event"], ["X-Gitlab-Event-UUID"])
        case .gitea: (["X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"], ["X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery"])
        }
    }

    /// GitLab names the event twice (header and `object_kind`); they must agree.
    private static func expectObjectKind(_ objectKind: String, _ expected: String, header: String) throws(PipelineError) {
        guard objectKind == expected else {
            throw error(.invalidEvent, "object_kind is '\(objectKind)', but X-Gitlab-Event is '\(header)' (expected '\(expected)')")
        }
    }

    // MARK: - Body

    /// The JSON bytes of the body: the body itself, or the `payload` field of a form-encoded body.
    static func payload(_ body: [UInt8], headers: HTTPHeaderFields) throws(PipelineError) -> [UInt8] {
        let mediaType = headers["Content-Type"]?
            .split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { String($0).trimmingASCIIWhitespace().lowercased() }
        guard mediaType == "application/x-www-form-urlencoded" else { return body }
        for field in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = field.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard try FormDecoding.unescape(parts[0], field: "form field name") == Array("payload".utf8) else { continue }
            return try FormDecoding.unescape(parts.count > 1 ? parts[1] : [], field: "payload")
        }
        throw error(.invalidEvent, "the form-encoded body has no 'payload' field")
    }

    /// Checks and indexes the JSON text (``JSONDocument``); a syntax error names its byte offset.
    static func document(_ bytes: [UInt8]) throws(PipelineError) -> JSONDocument {
        do {
            return try JSONDocument(bytes)
        } catch {
            throw Self.error(.invalidEvent, "the body is not valid JSON (\(error.message) at byte \(error.offset))")
        }
    }

    // MARK: - Helpers

    static func error(_ code: PipelineError.Code, _ message: String) -> PipelineError {
        PipelineError(code, message, operation: "decode webhook")
    }
}

/// `application/x-www-form-urlencoded` unescaping.
enum FormDecoding {
    /// Replaces `+` with a space and `%XX` with its byte.
    static func unescape(_ bytes: some Collection<UInt8>, field: String) throws(PipelineError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                result.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.value), let low = iterator.next().flatMap(Hex.value) else {
                    throw WebhookDecoder.error(.invalidEvent, "the form-encoded \(field) has a malformed percent escape")
                }
                result.append(high << 4 | low)
            default:
                result.append(byte)
            }
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, carriage returns and line feeds.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
