public import Foundation

/// An outbound webhook of a repository: where to POST its push events, and the secret to sign them with.
public struct RepositoryWebhook: Sendable, Hashable, Codable, Identifiable {
    /// The webhook's database id.
    public let id: Int64
    /// The repository it belongs to.
    public let repositoryID: Int64
    /// The `http` or `https` URL to deliver to (certificates are verified).
    public var url: String
    /// The HMAC-SHA256 secret for `X-Hub-Signature-256`; nil sends unsigned deliveries.
    public var secret: String?
    /// Whether deliveries are made.
    public var isActive: Bool
    /// When it was created.
    public let createdAt: Date

    /// Creates a webhook value.
    public init(id: Int64, repositoryID: Int64, url: String, secret: String?, isActive: Bool, createdAt: Date) {
        self.id = id
        self.repositoryID = repositoryID
        self.url = url
        self.secret = secret
        self.isActive = isActive
        self.createdAt = createdAt
    }

    /// Checks a delivery URL: `http` or `https`, with a host, at most 2,048 bytes, no credentials in it.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument`.
    public static func validate(url: String) throws(ForgeError) {
        guard url.utf8.count <= 2048, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil else {
            throw ForgeError(.invalidArgument, "'\(url.prefix(200))' is not an http(s) URL with a host and no credentials",
                             operation: "validate webhook URL")
        }
    }
}

/// One delivery of an event to a webhook, and how its attempts went: the delivery log.
public struct WebhookDeliveryRecord: Sendable, Hashable, Identifiable {
    /// Where a delivery stands.
    public enum State: String, Sendable, Hashable, Codable {
        /// Not delivered yet; ``WebhookDeliveryRecord/nextAttemptAt`` says when it is tried next.
        case pending
        /// A 2xx answer was received.
        case delivered
        /// Every attempt failed; no more are made.
        case failed
    }

    /// The delivery's database id.
    public let id: Int64
    /// The webhook.
    public let webhookID: Int64
    /// The id sent as `X-GitHub-Delivery` (the same on every attempt).
    public let guid: String
    /// The event name sent as `X-GitHub-Event` (`push`).
    public let event: String
    /// The JSON body.
    public let payload: [UInt8]
    /// Where it stands.
    public let state: State
    /// Attempts made so far.
    public let attempts: Int
    /// When the next attempt is due (pending deliveries only).
    public let nextAttemptAt: Date?
    /// The HTTP status of the last attempt, when one was received.
    public let responseStatus: Int?
    /// What went wrong on the last attempt, if anything.
    public let lastError: String?
    /// When it was queued.
    public let createdAt: Date
    /// When it was delivered.
    public let deliveredAt: Date?

    /// Creates a delivery value.
    public init(id: Int64, webhookID: Int64, guid: String, event: String, payload: [UInt8], state: State, attempts: Int,
                nextAttemptAt: Date?, responseStatus: Int?, lastError: String?, createdAt: Date, deliveredAt: Date?) {
        self.id = id
        self.webhookID = webhookID
        self.guid = guid
        self.event = event
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.responseStatus = responseStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}
