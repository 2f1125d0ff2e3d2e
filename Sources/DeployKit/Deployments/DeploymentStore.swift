public import Foundation

/// Where projects, runners, deployments and their logs live, so that runners on other machines
/// share the work through one server.
///
/// ``SQLiteDeploymentStore`` is the embedded implementation; a PostgreSQL one follows the same
/// rules. Every method is one transaction. A runner *holds* a deployment while it is `running` with
/// that runner's name and the attempt number its claim returned; changes by a runner that no longer
/// holds it throw ``DeployError/Code/conflict``.
public protocol DeploymentStore: Sendable {
    /// Creates or replaces a project (checked with ``ProjectSettings/validate()`` first).
    func saveProject(_ project: ProjectSettings) async throws(DeployError)
    /// A project by name.
    func project(named name: String) async throws(DeployError) -> ProjectSettings?
    /// Every project, by name.
    func projects() async throws(DeployError) -> [ProjectSettings]

    /// Registers a runner (or replaces one of that name) with the SHA-256 digest of its token.
    func saveRunner(_ runner: RunnerRecord, tokenDigest: String) async throws(DeployError)
    /// The runner whose token has this digest, with `lastSeen` set to `now`.
    func authenticateRunner(tokenDigest: String, now: Date) async throws(DeployError) -> RunnerRecord?
    /// Every runner, by name.
    func runners() async throws(DeployError) -> [RunnerRecord]

    /// Stores a deployment. Older deployments of the same project and environment that are still
    /// pending (`not_initialized` or `initialized`) are cancelled: the newest one supersedes them.
    func create(_ deployment: NewDeployment, now: Date) async throws(DeployError) -> Deployment
    /// Moves a `not_initialized` deployment to `initialized` (a person started it).
    func start(_ id: DeploymentID, now: Date) async throws(DeployError) -> Deployment
    /// Claims the oldest `initialized` deployment of `projects` (every project when empty) whose
    /// environment has no running deployment, for `runner`, until `now + lease`; marks it `running`
    /// and counts the attempt. Two callers never get the same deployment.
    func claim(runner: String, projects: [String], lease: Duration, now: Date) async throws(DeployError) -> Deployment?
    /// Extends the lease of a held deployment.
    func renew(_ id: DeploymentID, runner: String, attempt: Int, lease: Duration, now: Date) async throws(DeployError)
    /// Appends output to a held deployment's log; returns the new log size.
    func appendLog(_ id: DeploymentID, runner: String, attempt: Int, text: String, now: Date) async throws(DeployError) -> Int
    /// Appends a line from the server itself (any state).
    func appendServerLog(_ id: DeploymentID, text: String) async throws(DeployError)
    /// Ends a held deployment as `succeeded` or `failed`.
    func finish(_ id: DeploymentID, runner: String, attempt: Int, state: DeploymentState, reason: String?,
                release: String?, now: Date) async throws(DeployError) -> Deployment
    /// Cancels a deployment that has not ended; its runner learns it at its next call (`conflict`).
    func cancel(_ id: DeploymentID, reason: String, now: Date) async throws(DeployError) -> Deployment
    /// Deals with running deployments whose lease ended before `now`, as `policy` says; returns them as they are now.
    func expireLeases(now: Date, policy: LeaseExpiryPolicy) async throws(DeployError) -> [Deployment]

    /// A deployment.
    func deployment(_ id: DeploymentID) async throws(DeployError) -> Deployment?
    /// Deployments, newest first.
    func deployments(_ query: DeploymentQuery) async throws(DeployError) -> [Deployment]
    /// The log after byte offset `after`, at most `limit` bytes (whole chunks).
    func log(_ id: DeploymentID, after: Int, limit: Int) async throws(DeployError) -> DeploymentLog
    /// The release the last successful deployment to an environment made or switched to.
    func currentRelease(project: String, environment: String) async throws(DeployError) -> Deployment?

    /// A stream that yields when another process changed deployments (a PostgreSQL store's
    /// `NOTIFY`), so that controllers in every process wake their waiting runners and log readers at
    /// once; `nil` (the default) when the store has no such signal and controllers poll.
    func changes() -> AsyncStream<Void>?
}

extension DeploymentStore {
    /// No cross-process signal: controllers poll (``DeploymentController/Options/pollInterval``).
    public func changes() -> AsyncStream<Void>? { nil }
}
