public import AsyncHTTPClient
public import ForgeKit
import Foundation
public import Logging
import NIOCore
import NIOHTTP1

/// Delivers repositories' outbound webhooks: each push becomes one GitHub-compatible `push` payload per
/// moved reference, queued durably in the store for every active webhook of the repository, then
/// POSTed with `X-GitHub-Event`, `X-GitHub-Delivery` and, when the webhook has a secret,
/// `X-Hub-Signature-256`. A non-2xx answer or a network error is retried with exponential backoff
/// (``Options/firstRetry`` doubling up to ``Options/longestRetry``) until ``Options/maximumAttempts``;
/// every attempt is recorded in the delivery log. TLS certificates are verified (AsyncHTTPClient's default).
///
/// Queued deliveries survive a restart: ``run()`` picks up whatever is due.
public final class WebhookDispatcher: Sendable {
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

        /// Creates options.
        public init(baseURL: String, maximumAttempts: Int = 8, firstRetry: Duration = .seconds(10), longestRetry: Duration = .seconds(3600),
                    timeout: Duration = .seconds(10), pollInterval: Duration = .seconds(1)) {
            self.baseURL = baseURL
            self.maximumAttempts = maximumAttempts
            self.firstRetry = firstRetry
            self.longestRetry = longestRetry
            self.timeout = timeout
            self.pollInterval = pollInterval
        }
    }

    /// The repositories whose events are delivered.
    public let repositories: RepositoryStore
    /// How deliveries are made.
    public let options: Options
    private let client: HTTPClient
    private let logger: Logger

    /// Creates a dispatcher.
    public init(repositories: RepositoryStore, options: Options, client: HTTPClient = .shared,
                logger: Logger = Logger(label: "forgeworks.forge.webhooks")) {
        self.repositories = repositories
        self.options = options
        self.client = client
        self.logger = logger
    }

    /// Queues push events' payloads and delivers what is due, until the task is cancelled.
    public func run() async {
        let events = repositories.events.subscribe()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    guard case .push(let push) = event else { continue }
                    do {
                        try await self.enqueue(push)
                    } catch {
                        self.logger.error("cannot queue webhook deliveries", metadata: ["repository": "\(push.repository.path)", "error": "\(error)"])
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    _ = await self.deliverDue()
                    try? await Task.sleep(for: self.options.pollInterval)
                }
            }
            // The event stream ends only with the bus; when the task is cancelled, stop both.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            group.cancelAll()
        }
    }

    /// Queues one delivery per moved reference for each active webhook of the pushed repository.
    public func enqueue(_ push: PushEvent) async throws(ForgeError) {
        let hooks = try await repositories.metadata.webhooks(repositoryID: push.repository.id).filter(\.isActive)
        guard !hooks.isEmpty else { return }
        for update in push.updates {
            let (commits, forced) = await commits(of: push.repository, update: update)
            let payload = GitHubPushPayload.encode(push, update: update, commits: commits, forced: forced, baseURL: options.baseURL)
            for hook in hooks {
                _ = try await repositories.metadata.enqueueDelivery(webhookID: hook.id, event: "push", payload: payload)
            }
        }
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
        var request = HTTPClientRequest(url: hook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Forgeworks-Hookshot")
        request.headers.add(name: "X-GitHub-Event", value: delivery.event)
        request.headers.add(name: "X-GitHub-Delivery", value: delivery.guid)
        request.headers.add(name: "X-GitHub-Hook-ID", value: String(hook.id))
        if let secret = hook.secret {
            request.headers.add(name: "X-Hub-Signature-256", value: WebhookSignature.sign(delivery.payload, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: delivery.payload))
        var status: Int?
        var failure: String?
        do {
            let seconds = Int64(options.timeout.components.seconds) + (options.timeout.components.attoseconds > 0 ? 1 : 0)
            let response = try await client.execute(request, timeout: .seconds(max(1, seconds)))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 1 << 20)
            if !(200..<300).contains(Int(response.status.code)) { failure = "HTTP \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        let attempts = delivery.attempts + 1
        var retryAt: Date?
        if failure != nil, attempts < options.maximumAttempts {
            let first = Double(options.firstRetry.components.seconds) + Double(options.firstRetry.components.attoseconds) / 1e18
            let longest = Double(options.longestRetry.components.seconds)
            retryAt = Date().addingTimeInterval(min(longest, first * pow(2, Double(attempts - 1))))
        }
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

    /// The commits a push brought to a reference (oldest first, at most 20), and whether it was forced.
    private func commits(of repository: RepositoryRecord, update: ReferenceUpdate) async -> ([PayloadCommit], Bool) {
        guard !update.isDeletion else { return ([], false) }
        let directory = repositories.directory(for: repository.path)
        do {
            switch repository.kind {
            case .git:
                let git = try await GitRepository.open(at: directory)
                return try await git.withSession { session in
                    var revisions = [update.new.hex]
                    var forced = false
                    if update.isCreation {
                        // A new branch lists what no other branch has, as GitHub does.
                        for reference in try session.branches() where reference.name != update.name {
                            revisions.append("^" + reference.target.hex)
                        }
                    } else {
                        revisions.append("^" + update.old.hex)
                        forced = !(try session.isAncestor(update.old, of: update.new))
                    }
                    let log = try session.log(LogOptions(revisions, limit: GitHubPushPayload.maximumCommits))
                    let entries = try log.reversed().map { commit in
                        let changes = try session.changes(in: commit.id)
                        return PayloadCommit(
                            id: commit.id.hex, message: Self.trimmed(commit.message),
                            timestamp: Date(timeIntervalSince1970: TimeInterval(commit.author.time)),
                            timeZoneOffsetMinutes: commit.author.timeZoneOffsetMinutes, authorName: commit.author.name,
                            authorEmail: commit.author.email,
                            added: changes.filter { $0.kind == .added }.map(\.path),
                            removed: changes.filter { $0.kind == .deleted }.map(\.path),
                            modified: changes.filter { $0.kind != .added && $0.kind != .deleted }.map(\.path))
                    }
                    return (entries, forced)
                }
            case .hg:
                let hg = try await MercurialRepository.open(at: directory)
                defer { Task { await hg.close() } }
                let revset = update.isCreation ? "ancestors(\(update.new.hex))" : "only(\(update.new.hex), \(update.old.hex))"
                let log = try await hg.log(revset, limit: GitHubPushPayload.maximumCommits)
                var entries: [PayloadCommit] = []
                for changeset in log.reversed() {
                    let changes = try await hg.changedFiles(changeset.node)
                    let user = changeset.user
                    let name = user.split(separator: "<").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? user
                    let email = user.split(separator: "<").dropFirst().first.map { String($0.prefix { $0 != ">" }) } ?? ""
                    entries.append(PayloadCommit(
                        id: changeset.node, message: Self.trimmed(changeset.message), timestamp: changeset.date,
                        timeZoneOffsetMinutes: changeset.timeZoneOffsetSeconds / 60, authorName: name, authorEmail: email,
                        added: changes.filter { $0.kind == .added }.map(\.path), removed: changes.filter { $0.kind == .removed }.map(\.path),
                        modified: changes.filter { $0.kind == .modified }.map(\.path)))
                }
                let forced = update.isCreation ? false : try await hg.log("\(update.old.hex) and ancestors(\(update.new.hex))").isEmpty
                return (entries, forced)
            }
        } catch {
            logger.warning("cannot list a push's commits", metadata: ["repository": "\(repository.path)", "error": "\(error)"])
            return ([], false)
        }
    }

    /// A message without its trailing newlines, as GitHub's payloads carry it.
    private static func trimmed(_ message: String) -> String {
        var text = Substring(message)
        while text.last == "\n" || text.last == "\r\n" { text = text.dropLast() }
        return String(text)
    }
}
