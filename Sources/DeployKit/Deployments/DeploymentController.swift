import Crypto
import ForgeKit
public import Foundation
public import Logging
import Metrics
import PlatformSupport
public import ServiceLifecycle

/// The server side of deployments: queues them, hands them to runners, takes their logs and
/// outcomes, expires lost runners' leases and sends notifications — over any ``DeploymentStore``.
///
/// HTTP lives in DeployKitServer (`DeploymentHTTPService`); this type has no network code, so a
/// program can also drive runners in-process.
///
/// ```swift
/// let controller = DeploymentController(store: try SQLiteDeploymentStore(path: "deploy.sqlite"))
/// let token = try await controller.registerRunner(name: "web-1", projects: ["app"])
/// let deployment = try await controller.queue(project: "app", branch: "main", commit: sha, requestedBy: "alice")
/// ```
///
/// Waiting is event-driven: a runner asking for work, or a reader following a log, is answered the
/// moment a deployment is queued or a line is appended in this process. Changes made by another
/// process (`deploy-server deploy` on the same SQLite file) are seen within ``Options/pollInterval``.
public final class DeploymentController: Service, Sendable {
    /// How the controller behaves.
    public struct Options: Sendable {
        /// How long a claim lasts without a heartbeat.
        public var lease: Duration
        /// What happens to a deployment whose runner's lease ran out.
        public var leaseExpiry: LeaseExpiryPolicy
        /// How often waiting callers look at the store for changes made by other processes, and how
        /// often leases are checked.
        public var pollInterval: Duration
        /// How many bytes of log end notifications.
        public var notificationTailBytes: Int
        /// The server's address for people, to link deployments in notifications (`https://deploy.example`).
        public var publicURL: String?

        /// Creates options.
        public init(lease: Duration = .seconds(30), leaseExpiry: LeaseExpiryPolicy = .fail, pollInterval: Duration = .milliseconds(250),
                    notificationTailBytes: Int = 2048, publicURL: String? = nil) {
            self.lease = lease
            self.leaseExpiry = leaseExpiry
            self.pollInterval = pollInterval
            self.notificationTailBytes = notificationTailBytes
            self.publicURL = publicURL
        }
    }

    /// Where everything is kept.
    public let store: any DeploymentStore
    /// How the controller behaves.
    public let options: Options
    /// Who hears about starts, successes and failures.
    public let notifiers: [any DeploymentNotifier]
    let logger: Logger
    let changes = ChangeSignal()
    let now: @Sendable () -> Date

    /// Creates a controller.
    public init(store: any DeploymentStore, options: Options = Options(), notifiers: [any DeploymentNotifier] = [],
                logger: Logger = Logger(label: "forgeworks.deploy"), now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.options = options
        self.notifiers = notifiers
        self.logger = logger
        self.now = now
        // Changes made through other processes (a shared PostgreSQL store) wake this one's waiters.
        let signal = changes
        listener = store.changes().map { stream in
            Task {
                for await _ in stream { signal.fire() }
            }
        }
    }

    private let listener: Task<Void, Never>?

    deinit { listener?.cancel() }

    // MARK: - Runners

    /// Registers a runner (replacing one of the same name) and returns its new token, which is
    /// shown once: the store keeps only its SHA-256 digest.
    public func registerRunner(name: String, projects: [String] = []) async throws(DeployError) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = "fwr_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try await registerRunner(name: name, projects: projects, token: token)
        return token
    }

    /// Registers a runner with a token chosen by the caller (at least 16 characters).
    public func registerRunner(name: String, projects: [String] = [], token: String) async throws(DeployError) {
        guard token.utf8.count >= 16 else {
            throw DeployError(.invalidConfiguration, "a runner token must have at least 16 characters", operation: "register runner")
        }
        try await store.saveRunner(RunnerRecord(name: name, projects: projects), tokenDigest: Self.digest(token))
    }

    /// The runner a token belongs to, or nil.
    public func authenticate(token: String) async throws(DeployError) -> RunnerRecord? {
        guard !token.isEmpty else { return nil }
        return try await store.authenticateRunner(tokenDigest: Self.digest(token), now: now())
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Queuing

    /// Who asked for a deployment, which decides its first state.
    public enum Trigger: Sendable, Hashable {
        /// A successful pipeline run: an `auto` branch's deployment is `initialized`, a `manual`
        /// branch's waits as `not_initialized`.
        case pipeline
        /// A person or an API call: the deployment is `initialized` whatever the branch's mode.
        case person(String)
    }

    /// Queues a deployment of `commit` of `branch` to `environment` (the branch's default when nil).
    ///
    /// - Throws: ``DeployError`` `.notFound` for an unknown project, a branch that does not deploy,
    ///   or an unknown environment; `.invalidRequest` for a commit that is not a full hexadecimal id.
    public func queue(project name: String, branch: String, commit: String, environment: String? = nil,
                      trigger: Trigger) async throws(DeployError) -> Deployment {
        let operation = "queue deployment"
        guard let project = try await store.project(named: name) else {
            throw DeployError(.notFound, "there is no project '\(name)'", operation: operation)
        }
        guard let settings = project.branch(branch) else {
            throw DeployError(.notFound, "branch '\(branch)' of project '\(name)' does not deploy", operation: operation)
        }
        let target = environment ?? settings.environment
        guard project.environment(target) != nil else {
            throw DeployError(.notFound, "project '\(name)' has no environment '\(target)'", operation: operation)
        }
        guard [40, 64].contains(commit.utf8.count), commit.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw DeployError(.invalidRequest, "'\(commit)' is not a full commit id (40 or 64 lowercase hexadecimal digits)", operation: operation)
        }
        let state: DeploymentState, requestedBy: String
        switch trigger {
        case .pipeline:
            state = settings.mode == .auto ? .initialized : .notInitialized
            requestedBy = "pipeline"
        case .person(let who):
            state = .initialized
            requestedBy = who
        }
        let deployment = try await store.create(NewDeployment(project: name, branch: branch, commit: commit, environment: target,
                                                              state: state, requestedBy: requestedBy), now: now())
        logger.info("queued deployment", metadata: ["deployment": "\(deployment.id)", "project": "\(name)",
                                                    "environment": "\(target)", "state": "\(state.rawValue)"])
        changes.fire()
        return deployment
    }

    /// Queues a rollback of `environment` to the previous release, or to `release`. The runner
    /// switches the `current` symlink; nothing is rebuilt.
    public func rollback(project name: String, environment: String, to release: String? = nil,
                         requestedBy: String) async throws(DeployError) -> Deployment {
        let operation = "queue rollback"
        guard let project = try await store.project(named: name) else {
            throw DeployError(.notFound, "there is no project '\(name)'", operation: operation)
        }
        guard let settings = project.environment(environment) else {
            throw DeployError(.notFound, "project '\(name)' has no environment '\(environment)'", operation: operation)
        }
        guard settings.releases != nil else {
            throw DeployError(.invalidRequest, "environment '\(environment)' of '\(name)' keeps no releases to roll back to", operation: operation)
        }
        if let release { try ReleaseManager.validate(release, operation) }
        let last = try await store.currentRelease(project: name, environment: environment)
        let branch = last?.branch ?? project.branches.first(where: { $0.environment == environment })?.name ?? ""
        // The commit is filled in when the runner reports the release it switched to.
        let deployment = try await store.create(NewDeployment(project: name, branch: branch, commit: "",
                                                              environment: environment, kind: .rollback(to: release),
                                                              state: .initialized, requestedBy: requestedBy), now: now())
        changes.fire()
        return deployment
    }

    /// Starts a `not_initialized` deployment (a manual branch's) so that runners take it.
    public func start(_ id: DeploymentID) async throws(DeployError) -> Deployment {
        let deployment = try await store.start(id, now: now())
        changes.fire()
        return deployment
    }

    /// Cancels a deployment. A running one's runner learns it at its next heartbeat or log line
    /// (`409`) and stops the script's whole process group.
    public func cancel(_ id: DeploymentID, reason: String = "cancelled by request") async throws(DeployError) -> Deployment {
        let deployment = try await store.cancel(id, reason: reason, now: now())
        logger.info("cancelled deployment", metadata: ["deployment": "\(id)"])
        changes.fire()
        return deployment
    }

    // MARK: - Runner calls

    /// Claims the oldest deployment `runner` may run, waiting up to `wait` for one to be queued.
    public func claim(for runner: RunnerRecord, wait: Duration = .zero) async throws(DeployError) -> DeploymentJob? {
        let deadline = ContinuousClock.now + wait
        while true {
            let seen = changes.generation
            if let deployment = try await store.claim(runner: runner.name, projects: runner.projects, lease: options.lease, now: now()) {
                changes.fire()
                do {
                    let job = try await job(for: deployment)
                    notify(.started, deployment)
                    return job
                } catch {
                    // The project changed under the deployment: fail it rather than leave it claimed.
                    _ = try? await store.finish(deployment.id, runner: runner.name, attempt: deployment.attempt, state: .failed,
                                                reason: error.message, release: nil, now: now())
                    changes.fire()
                    throw error
                }
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || Task.isCancelled { return nil }
            await changes.wait(after: seen, timeout: min(remaining, options.pollInterval))
        }
    }

    private func job(for deployment: Deployment) async throws(DeployError) -> DeploymentJob {
        let operation = "prepare job"
        guard let project = try await store.project(named: deployment.project) else {
            throw DeployError(.notFound, "project '\(deployment.project)' no longer exists", operation: operation)
        }
        guard let environment = project.environment(deployment.environment) else {
            throw DeployError(.notFound, "environment '\(deployment.environment)' no longer exists", operation: operation)
        }
        var script = ""
        if case .deploy = deployment.kind {
            guard let branch = project.branch(deployment.branch) else {
                throw DeployError(.notFound, "branch '\(deployment.branch)' no longer deploys", operation: operation)
            }
            script = branch.script
        }
        return DeploymentJob(deployment: deployment, repositoryURL: project.repositoryURL, script: script,
                             variables: environment.variables, secrets: environment.secrets, releases: environment.releases,
                             leaseSeconds: options.lease.inSeconds, network: environment.network)
    }

    /// Extends the runner's lease. Throws `conflict` when the runner no longer holds the deployment
    /// (it was cancelled, or its lease expired) — the runner then stops.
    public func heartbeat(_ id: DeploymentID, runner: RunnerRecord, attempt: Int) async throws(DeployError) {
        try await store.renew(id, runner: runner.name, attempt: attempt, lease: options.lease, now: now())
    }

    /// Appends the runner's output to the log and extends its lease.
    public func appendLog(_ id: DeploymentID, runner: RunnerRecord, attempt: Int, text: String) async throws(DeployError) {
        _ = try await store.appendLog(id, runner: runner.name, attempt: attempt, text: text, now: now())
        changes.fire()
    }

    /// Ends a held deployment.
    public func finish(_ id: DeploymentID, runner: RunnerRecord, attempt: Int, succeeded: Bool, reason: String?,
                       release: String?) async throws(DeployError) -> Deployment {
        // A runner's report is input like any other: the release it names must be a release name.
        if let release { try ReleaseManager.validate(release, "finish deployment") }
        let deployment = try await store.finish(id, runner: runner.name, attempt: attempt, state: succeeded ? .succeeded : .failed,
                                                reason: reason, release: release, now: now())
        logger.info("deployment ended", metadata: ["deployment": "\(id)", "state": "\(deployment.state.rawValue)"])
        changes.fire()
        notify(succeeded ? .succeeded : .failed, deployment)
        return deployment
    }

    // MARK: - Reading

    /// A deployment.
    public func deployment(_ id: DeploymentID) async throws(DeployError) -> Deployment {
        guard let deployment = try await store.deployment(id) else {
            throw DeployError(.notFound, "there is no deployment \(id)", operation: "read deployment")
        }
        return deployment
    }

    /// The log after byte `after`. When there is nothing new and the deployment has not ended,
    /// waits up to `wait` for more.
    public func log(_ id: DeploymentID, after: Int, wait: Duration = .zero, limit: Int = 1 << 20) async throws(DeployError) -> DeploymentLog {
        let deadline = ContinuousClock.now + wait
        while true {
            let seen = changes.generation
            let part = try await store.log(id, after: after, limit: limit)
            if !part.text.isEmpty { return part }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || Task.isCancelled { return part }
            if let deployment = try await store.deployment(id), deployment.state.isFinal, deployment.logSize <= after { return part }
            await changes.wait(after: seen, timeout: min(remaining, options.pollInterval))
        }
    }

    /// Waits until the deployment is in a final state or `timeout` passes; returns it as it is then.
    public func waitUntilFinished(_ id: DeploymentID, timeout: Duration) async throws(DeployError) -> Deployment {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = changes.generation
            let deployment = try await self.deployment(id)
            let remaining = deadline - ContinuousClock.now
            if deployment.state.isFinal || remaining <= .zero || Task.isCancelled { return deployment }
            await changes.wait(after: seen, timeout: min(remaining, options.pollInterval))
        }
    }

    // MARK: - Leases

    /// Fails or re-queues deployments whose runner stopped renewing its lease; returns them.
    @discardableResult
    public func expireLeases() async throws(DeployError) -> [Deployment] {
        let expired = try await store.expireLeases(now: now(), policy: options.leaseExpiry)
        guard !expired.isEmpty else { return [] }
        changes.fire()
        for deployment in expired {
            logger.warning("runner lost", metadata: ["deployment": "\(deployment.id)", "runner": "\(deployment.runner ?? "?")",
                                                     "state": "\(deployment.state.rawValue)"])
            if deployment.state == .failed { notify(.failed, deployment) }
        }
        return expired
    }

    /// The controller's background work as a service: ``runLeaseExpiry()``, until the service group
    /// shuts down gracefully or the task is cancelled.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.runLeaseExpiry() }
    }

    /// Checks leases every ``Options/pollInterval`` until the task is cancelled.
    public func runLeaseExpiry() async {
        while !Task.isCancelled {
            do {
                try await expireLeases()
            } catch {
                logger.error("cannot expire leases", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: options.pollInterval)
        }
    }

    // MARK: - Notifications

    /// `forgeworks_deployments_total{state}`: deployments reaching a state (started, succeeded, failed).
    static let transitions = MetricsCache(counter: "forgeworks_deployments_total")

    private func notify(_ event: DeploymentEvent, _ deployment: Deployment) {
        Self.transitions(("state", event.rawValue)).increment()
        guard !notifiers.isEmpty else { return }
        let notifiers = self.notifiers, store = self.store, logger = self.logger
        let tailBytes = options.notificationTailBytes
        let link = options.publicURL.map { "\($0)/api/deployments/\(deployment.id)" }
        Task {
            var tail = ""
            if event != .started, let part = try? await store.log(deployment.id, after: max(0, deployment.logSize - tailBytes), limit: tailBytes * 2) {
                tail = part.text
                // Start at a line.
                if deployment.logSize > tailBytes, let newline = tail.firstIndex(of: "\n") { tail = String(tail[tail.index(after: newline)...]) }
            }
            let notification = DeploymentNotification(event: event, deployment: deployment,
                                                       logTail: tail.trimmingCharacters(in: .newlines), link: link)
            await withTaskGroup(of: Void.self) { group in
                for notifier in notifiers {
                    group.addTask {
                        do {
                            try await notifier.notify(notification)
                        } catch {
                            logger.warning("notification failed", metadata: ["deployment": "\(deployment.id)", "error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}
