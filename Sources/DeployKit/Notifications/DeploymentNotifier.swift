public import AsyncHTTPClient
import Crypto
import ForgeKit
import Foundation
import NIOCore
import NIOHTTP1
import PipelineKit
import PlatformSupport
import HTTPCallSupport

/// A moment in a deployment's life that people hear about.
public enum DeploymentEvent: String, Sendable, Hashable, Codable, CaseIterable {
    /// A runner claimed it and began.
    case started
    /// It ended well.
    case succeeded
    /// It ended badly (the script failed, timed out, or its runner was lost).
    case failed
}

/// What a notifier is told.
public struct DeploymentNotification: Sendable, Hashable {
    /// Which moment.
    public var event: DeploymentEvent
    /// The deployment as it is then.
    public var deployment: Deployment
    /// The last lines of its log (secrets were masked by the runner).
    public var logTail: String
    /// A link to the deployment for people, when the server knows its own address.
    public var link: String?

    /// Creates a notification.
    public init(event: DeploymentEvent, deployment: Deployment, logTail: String, link: String? = nil) {
        self.event = event
        self.deployment = deployment
        self.logTail = logTail
        self.link = link
    }

    /// One line for a person: `app #12 main@1a2b3c4 → prod succeeded`.
    public var summary: String {
        let d = deployment
        let what: String
        switch d.kind {
        case .deploy: what = "\(d.branch)@\(d.commit.prefix(7))"
        case .rollback(let target): what = "rollback to \(target ?? "the previous release")"
        }
        var line = "\(d.project) #\(d.id) \(what) → \(d.environment) \(event.rawValue)"
        if let reason = d.reason, event == .failed { line += ": \(reason)" }
        return line
    }
}

/// Tells people or systems about deployments. Called off the request path; a throw is logged and
/// does not affect the deployment.
public protocol DeploymentNotifier: Sendable {
    /// Delivers one notification.
    func notify(_ notification: DeploymentNotification) async throws(DeployError)
}

/// Posts to a Slack incoming webhook (or anything that accepts Slack's format: Mattermost,
/// Rocket.Chat, Discord's `/slack` endpoint): `{"text": …, "attachments": [{"color", "text"}]}`
/// with the log's tail as a code block.
public struct SlackNotifier: DeploymentNotifier {
    /// The incoming webhook's URL.
    public let url: String
    /// Which events are sent.
    public let events: Set<DeploymentEvent>
    let poster: WebhookPoster

    /// Creates a notifier posting to `url` on `events`.
    public init(url: String, events: Set<DeploymentEvent> = Set(DeploymentEvent.allCases), httpClient: HTTPClient = .shared,
                timeout: Duration = .seconds(10)) {
        self.url = url
        self.events = events
        self.poster = WebhookPoster(client: httpClient, timeout: timeout)
    }

    public func notify(_ notification: DeploymentNotification) async throws(DeployError) {
        guard events.contains(notification.event) else { return }
        var text = notification.summary
        if let link = notification.link { text += " (<\(link)|details>)" }
        let color: String
        switch notification.event {
        case .started: color = "#439FE0"
        case .succeeded: color = "good"
        case .failed: color = "danger"
        }
        var payload: [String: Value] = ["text": .string(text)]
        let tail = notification.logTail.replacingOccurrences(of: "```", with: "'''")
        if !tail.isEmpty {
            payload["attachments"] = [["color": .string(color), "text": .string("```\n\(tail)\n```"), "mrkdwn_in": ["text"]]]
        }
        try await poster.post(url, body: Array(Value.map(payload).jsonText.utf8), headers: [:], operation: "notify slack")
    }
}

/// Posts a JSON document to any URL:
/// `{"event", "summary", "deployment": {…}, "log_tail", "link"}`, signed with
/// `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>` when a secret is given, and
/// `X-Forgeworks-Event: deployment.<event>`.
public struct JSONWebhookNotifier: DeploymentNotifier {
    /// Where to post.
    public let url: String
    /// The HMAC key, if the receiver checks signatures.
    public let secret: String?
    /// Which events are sent.
    public let events: Set<DeploymentEvent>
    let poster: WebhookPoster

    /// Creates a notifier posting to `url`.
    public init(url: String, secret: String? = nil, events: Set<DeploymentEvent> = Set(DeploymentEvent.allCases),
                httpClient: HTTPClient = .shared, timeout: Duration = .seconds(10)) {
        self.url = url
        self.secret = secret
        self.events = events
        self.poster = WebhookPoster(client: httpClient, timeout: timeout)
    }

    public func notify(_ notification: DeploymentNotification) async throws(DeployError) {
        guard events.contains(notification.event) else { return }
        struct Payload: Encodable {
            var event: String
            var summary: String
            var deployment: Deployment
            var logTail: String
            var link: String?
            enum CodingKeys: String, CodingKey {
                case event, summary, deployment, link
                case logTail = "log_tail"
            }
        }
        let payload = Payload(event: notification.event.rawValue, summary: notification.summary, deployment: notification.deployment,
                              logTail: notification.logTail, link: notification.link)
        let body: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = Array(try encoder.encode(payload))
        } catch {
            throw DeployError(.invalidRequest, "cannot encode the notification: \(error)", operation: "notify webhook")
        }
        var headers = ["X-Forgeworks-Event": "deployment.\(notification.event.rawValue)"]
        if let secret {
            headers["X-Hub-Signature-256"] = HMACSignature.github(body: body, secret: Array(secret.utf8))
        }
        try await poster.post(url, body: body, headers: headers, operation: "notify webhook")
    }
}

/// POSTs JSON and retries failures (connection errors, 5xx, 429) twice with a short back-off.
struct WebhookPoster: Sendable {
    let client: HTTPClient
    let timeout: Duration
    var attempts = 3

    func post(_ url: String, body: [UInt8], headers: [String: String], operation: String) async throws(DeployError) {
        let call = HTTPCall(.POST, url, headers: [("Content-Type", "application/json"), ("User-Agent", "forgeworks")] + headers.map { ($0.key, $0.value) },
                            body: body, timeout: timeout, responseLimit: 64 << 10)
        let response: HTTPCall.Response
        do {
            response = try await call.sendRetrying(with: client, attempts: attempts)
        } catch .cancelled {
            throw DeployError(.cancelled, "cancelled", operation: operation)
        } catch {
            throw DeployError(.io, "cannot post to \(url): \(error)", operation: operation, underlying: error)
        }
        guard response.isSuccess else { throw DeployError(.io, "\(url) answered \(response.status)", operation: operation) }
    }
}
