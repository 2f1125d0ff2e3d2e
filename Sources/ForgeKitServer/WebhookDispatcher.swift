import AsyncHTTPClient
public import ForgeKit
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import Metrics
import PlatformSupport
public import ServiceLifecycle
import HTTPCallSupport

/// Delivers repositories' outbound webhooks: each push of the store's ``PushOutbox`` becomes one
/// GitHub-compatible `push` payload per moved reference, queued durably in the store for every active
/// webhook of the repository, then POSTed with `X-GitHub-Event`, `X-GitHub-Delivery` and, when the
/// webhook has a secret, `X-Hub-Signature-256`. The delivery id is derived from the push and the
/// webhook (``StoredPush/deliveryID(for:webhookID:)``): queueing a push again after a crash queues
/// nothing new, and every attempt of a delivery carries the same id, so a receiver can de-duplicate. A non-2xx answer or a network error is retried with exponential backoff
/// (``Options/firstRetry`` doubling up to ``Options/longestRetry``) until ``Options/maximumAttempts``;
/// every attempt is recorded in the delivery log. TLS certificates are verified (AsyncHTTPClient's default).
///
/// Queued deliveries survive a restart: ``run()`` picks up whatever is due.
public final class WebhookDispatcher: Service, Sendable {
    /// How deliveries are made.
    public struct Options: Sendable {
        /// The forge's public URL, for the payload's links (`http://HOST:PORT`).
        public var baseURL: String
        /// Attempts before a delivery is given up.
        public var maximumAttempts: Int
        /// The wait before the second attempt; it doubles after each failure.
        public var firstRetry: Duration
        /// The longest wait between attempts.
        public var longestRetry: Duration
        /// How long one attempt may take.
        public var timeout: Duration
        /// How often due deliveries are looked for.
        public var pollInterval: Duration
        /// Where deliveries may go: webhook URLs are set by repository admins, so they are untrusted.
        public var outbound: OutboundPolicy

        /// Creates options.
        public init(baseURL: String, maximumAttempts: Int = 8, firstRetry: Duration = .seconds(10), longestRetry: Duration = .seconds(3600),
                    timeout: Duration = .seconds(10), pollInterval: Duration = .seconds(1), outbound: OutboundPolicy = .standard) {
            self.baseURL = baseURL
            self.maximumAttempts = maximumAttempts
            self.firstRetry = firstRetry
            self.longestRetry = longestRetry
            self.timeout = timeout
            self.pollInterval = pollInterval
            self.outbound = outbound
        }
    }

    /// The repositories whose events are delivered.
    public let repositories: RepositoryStore
    /// How deliveries are made.
    public let options: Options
    private let logger: Logger

    /// Creates a dispatcher.
    public init(repositories: RepositoryStore, options: Options, logger: Logger = Logger(label: "forgeworks.forge.webhooks")) {
        self.repositories = repositories
        self.options = options
        self.logger = logger
    }

    /// The client deliveries go through: the outbound policy's proxy, no redirects.
    private func client() throws(ForgeError) -> HTTPClient {
        try options.outbound.client(HTTPCall.proxiedClient)
    }

    /// `forgeworks_webhook_deliveries_total{outcome}`: delivered, retrying, failed (for good) or refused
    /// (by the outbound policy).
    static let deliveries = MetricsCache(counter: "forgeworks_webhook_deliveries_total")

    /// The name under which the dispatcher consumes the push outbox.
    public static let outboxConsumer = "webhooks"

    /// Queues the outbox's pushes' payloads and delivers what is due, until the task is cancelled or
    /// the service group shuts down gracefully (a delivery cut short is attempted again: it is stored).
    public func run() async {
        await cancelWhenGracefulShutdown { await self.deliverUntilCancelled() }
    }

    private func deliverUntilCancelled() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.repositories.outbox.consume(as: Self.outboxConsumer, logger: self.logger) { push in
                    try await self.enqueue(push)
                }
            }
            group.addTask {
                // Pull request events, from their own outbox in the store, after the cursor kept beside the pushes'.
                while !Task.isCancelled {
                    do {
                        _ = try await self.enqueuePullEvents()
                    } catch {
                        self.logger.error("cannot queue pull request webhooks", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: self.options.pollInterval)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    _ = await self.deliverDue()
                    try? await Task.sleep(for: self.options.pollInterval)
                }
            }
            await group.waitForAll()
        }
    }

    /// Queues one delivery per moved reference for each active webhook of the pushed repository, under
    /// ids derived from the push; queueing the same push again queues nothing new.
    public func enqueue(_ push: StoredPush) async throws(ForgeError) {
        let event = push.event
        let hooks = try await repositories.metadata.webhooks(repositoryID: event.repository.id).filter(\.isActive)
        guard !hooks.isEmpty else { return }
        for update in event.updates {
            let (commits, forced) = await repositories.pushedCommits(event.repository, update: update, logger: logger)
            let payload = GitHubPushPayload.encode(event, update: update, commits: commits, forced: forced, baseURL: options.baseURL)
            for hook in hooks {
                _ = try await repositories.metadata.enqueueDelivery(webhookID: hook.id, event: "push", payload: payload,
                                                                    guid: push.deliveryID(for: update, webhookID: hook.id))
            }
        }
    }

    /// The name of the cursor of the pull request events queued as deliveries.
    public static let pullEventsConsumer = "webhooks:pull-events"

    /// Queues a delivery of each pull request event not queued yet for each active webhook of its
    /// repository (GitHub's `pull_request`, `pull_request_review` and `issue_comment` bodies), under ids
    /// derived from the event — queueing it again queues nothing new — then moves the cursor past it.
    /// Returns how many events were handled.
    @discardableResult
    public func enqueuePullEvents(limit: Int = 100) async throws(ForgeError) -> Int {
        let store = repositories.metadata
        let events = try await store.pullEvents(after: try await store.pushCursor(consumer: Self.pullEventsConsumer), limit: limit)
        for event in events {
            let hooks = try await store.webhooks(repositoryID: event.repositoryID).filter(\.isActive)
            if !hooks.isEmpty, let repository = try await store.repository(id: event.repositoryID),
               let pull = try await store.pullRequest(id: event.pullID) {
                var sender: ForgeUser?
                if let actor = event.actorID { sender = try await store.user(id: actor) }
                let subject = try await PullEventSubject.load(event, from: store)
                let (name, payload) = GitHubPullRequestPayload.encode(event, pull: pull, repository: repository, sender: sender,
                                                                      review: subject.review, comment: subject.comment, baseURL: options.baseURL)
                for hook in hooks {
                    _ = try await store.enqueueDelivery(webhookID: hook.id, event: name, payload: payload, guid: "pull-event-\(event.id)-\(hook.id)")
                }
            }
            try await store.setPushCursor(consumer: Self.pullEventsConsumer, to: event.id)
        }
        return events.count
    }

    /// Attempts every delivery due now; how many were attempted.
    @discardableResult
    public func deliverDue() async -> Int {
        let due: [(WebhookDeliveryRecord, RepositoryWebhook)]
        do {
            due = try await repositories.metadata.dueDeliveries(now: Date(), limit: 100)
        } catch {
            logger.error("cannot read due deliveries", metadata: ["error": "\(error)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for (delivery, hook) in due {
                group.addTask { await self.attempt(delivery, hook) }
            }
        }
        return due.count
    }

    private func attempt(_ delivery: WebhookDeliveryRecord, _ hook: RepositoryWebhook) async {
        var headers = [("Content-Type", "application/json"), ("User-Agent", "Forgeworks-Hookshot"), ("X-GitHub-Event", delivery.event),
                       ("X-GitHub-Delivery", delivery.guid), ("X-GitHub-Hook-ID", String(hook.id))]
        if let secret = hook.secret { headers.append(("X-Hub-Signature-256", WebhookSignature.sign(delivery.payload, secret: secret))) }
        let call = HTTPCall(.POST, hook.url, headers: headers, body: delivery.payload, timeout: options.timeout)
        var status: Int?
        var failure: String?
        var refused = false
        do {
            // The policy's reason, rather than a failed connection, when the URL is refused.
            try await options.outbound.check(url: hook.url)
            let response = try await call.send(with: try client())
            status = response.status
            if !response.isSuccess { failure = "HTTP \(response.status)" }
        } catch let error as HTTPCall.Failure {
            if case .refused(let reason?) = error {
                failure = "refused: \(reason)"
                refused = true
            } else {
                failure = error.description
            }
        } catch let error as ForgeError where error.code == .forbidden || error.code == .invalidArgument {
            failure = "refused: \(error.message)"
            refused = true
        } catch {
            failure = "\(error)"
        }
        let attempts = delivery.attempts + 1
        var retryAt: Date?
        if failure != nil, !refused, attempts < options.maximumAttempts {
            retryAt = Date().addingTimeInterval(min(options.longestRetry.inSeconds, options.firstRetry.inSeconds * pow(2, Double(attempts - 1))))
        }
        let outcome = failure == nil ? "delivered" : refused ? "refused" : retryAt == nil ? "failed" : "retrying"
        Self.deliveries(("outcome", outcome)).increment()
        if let failure {
            logger.warning("webhook delivery failed", metadata: ["webhook": "\(hook.id)", "delivery": "\(delivery.guid)",
                                                                 "attempt": "\(attempts)", "error": "\(failure)",
                                                                 "retry": "\(retryAt.map { "\($0)" } ?? "no")"])
        }
        do {
            try await repositories.metadata.recordAttempt(deliveryID: delivery.id, status: status, error: failure, delivered: failure == nil,
                                                          retryAt: retryAt)
        } catch {
            logger.error("cannot record a delivery attempt", metadata: ["delivery": "\(delivery.guid)", "error": "\(error)"])
        }
    }

}
