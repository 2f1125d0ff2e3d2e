public import AsyncHTTPClient
import Foundation
import Logging

/// `pull_request_comment`: comments on a pull request through the forge's REST API —
/// `POST {baseURL}/repos/{owner}/{repo}/issues/{number}/comments` with `{"body": …}`, as GitHub and
/// Gitea/Forgejo (base URL `https://gitea.example/api/v1`) both take it.
///
/// kwargs: `template` (the comment, rendered like every kwarg), and optionally `repo` (`owner/name`)
/// and `number`, which default to the source's `repo` and `number` attributes.
///
/// The request carries `Authorization: Bearer TOKEN` when a token is configured (it is never
/// logged), `Accept: application/vnd.github+json` and `User-Agent: forgeworks`. A status other than
/// 2xx throws ``PipelineError/Code/actionFailed`` with the status and the start of the response body —
/// a task failure, so the action's retries apply. The result is `{"ok": true, "id": …, "html_url": …}`.
public struct PullRequestCommentAction: Action {
    /// The client requests go through; its owner shuts it down (``HTTPClient/shared`` never is).
    public let client: HTTPClient
    /// The API's base URL, such as `https://api.github.com` or `https://gitea.example/api/v1`.
    public let baseURL: String
    /// The API token, or `nil` to send no `Authorization` header.
    public let token: String?

    /// A comment action for the API at `baseURL`.
    public init(client: HTTPClient = .shared, baseURL: String = "https://api.github.com", token: String? = nil) {
        self.client = client
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// Posts the comment and returns its id and address.
    public func run(_ context: ActionContext) async throws -> Value {
        let operation = "run action '\(context.actionName)'"
        let body = try context.string("template")
        let repository = context.kwargs["repo"] == nil ? context.source.attributes["repo"]?.text : try context.string("repo")
        let parts = repository?.split(separator: "/", omittingEmptySubsequences: false) ?? []
        guard parts.count == 2, parts.allSatisfy(Self.isNameComponent) else {
            throw PipelineError(.invalidConfiguration, "the repository must be 'owner/name' (from kwargs.repo or the source's repo)",
                                operation: operation, field: "kwargs.repo")
        }
        let numberValue = context.kwargs["number"] ?? context.source.attributes["number"]
        guard let number = numberValue?.text.flatMap({ Int($0) }), number > 0 else {
            throw PipelineError(.invalidConfiguration, "the pull request number must be a positive number (from kwargs.number or the source's number)",
                                operation: operation, field: "kwargs.number")
        }
        let url = "\(baseURL)/repos/\(parts[0])/\(parts[1])/issues/\(number)/comments"
        try HTTPExchange.validate(url: url, operation: operation, field: "baseURL")
        var headers = [("Accept", "application/vnd.github+json"), ("User-Agent", "forgeworks"), ("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        let masker = SecretMasker(context.workspace.masker.secrets + (token.map { [$0] } ?? []))
        let exchange = HTTPExchange(method: "POST", url: url, headers: headers, body: Array(Value.map(["body": .string(body)]).jsonText.utf8),
                                    timeout: try context.seconds("timeout") ?? .seconds(30))
        let response = try await exchange.send(with: client, limit: 64 * 1024, operation: operation, masker: masker)
        guard (200...299).contains(response.status) else {
            let excerpt = masker.mask(String(response.text.prefix(500)))
            throw PipelineError(.actionFailed, "\(url) answered \(response.status): \(excerpt)", operation: operation)
        }
        let created = try? JSONDecoder().decode(Value.self, from: Data(response.body))
        context.logger.debug("commented", metadata: ["url": "\(created?["html_url"]?.text ?? url)"])
        return .map(["ok": true, "id": created?["id"] ?? .null, "html_url": created?["html_url"] ?? .null])
    }

    /// Whether `part` is a valid owner or repository name: letters, digits, `-`, `_` and `.`, not `.` or `..`.
    static func isNameComponent(_ part: Substring) -> Bool {
        !part.isEmpty && part != "." && part != ".." && part.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}
