public import Foundation

/// Where a permission is granted: on one repository, or on a group (and so on everything inside it).
public enum PermissionTarget: Sendable, Hashable {
    /// A repository, by path.
    case repository(RepositoryPath)
    /// A repository group, by path.
    case group(RepositoryPath)
}

/// A level granted to a user on a repository or group.
public struct PermissionGrant: Sendable, Hashable, Codable {
    /// The user.
    public var user: ForgeUser
    /// The level granted.
    public var level: AccessLevel

    /// Creates a grant.
    public init(user: ForgeUser, level: AccessLevel) {
        self.user = user
        self.level = level
    }
}

/// The forge's metadata — users and their tokens, repository groups, repositories and permissions —
/// behind a protocol, with ``SQLiteForgeStore`` as the embedded implementation.
///
/// The store knows nothing of the repositories' files; ``RepositoryStore`` keeps the two in step.
/// Every method throws ``ForgeError``: `notFound` for a missing user, repository or group,
/// `conflict` for a name already taken (repositories and groups share one namespace, compared
/// without regard to case), `store` when the database fails.
public protocol ForgeMetadataStore: Sendable {
    // MARK: Users

    /// Adds a user; `passwordHash` is a ``PasswordHasher`` hash, nil for a token-only account.
    func createUser(name: String, email: String, passwordHash: String?, isAdmin: Bool) async throws(ForgeError) -> ForgeUser
    /// The user with this name (compared without regard to case), or nil.
    func user(named name: String) async throws(ForgeError) -> ForgeUser?
    /// The user with this id, or nil.
    func user(id: Int64) async throws(ForgeError) -> ForgeUser?
    /// Every user, by name.
    func users() async throws(ForgeError) -> [ForgeUser]
    /// Saves a user's e-mail address, admin flag and active flag.
    func updateUser(_ user: ForgeUser) async throws(ForgeError)
    /// Replaces a user's password hash (nil removes the password).
    func setPasswordHash(userID: Int64, _ hash: String?) async throws(ForgeError)
    /// The user with this name and their password hash, for signing in.
    func credentials(named name: String) async throws(ForgeError) -> (user: ForgeUser, passwordHash: String?)?
    /// Removes a user, their tokens and their permissions; repositories they own lose their owner.
    func deleteUser(id: Int64) async throws(ForgeError)

    // MARK: Tokens

    /// Stores a token's digest for a user, limited to `scope`.
    func createToken(userID: Int64, name: String, digest: String, scope: TokenScope) async throws(ForgeError) -> APIToken
    /// A user's tokens, newest first.
    func tokens(userID: Int64) async throws(ForgeError) -> [APIToken]
    /// Revokes one of a user's tokens.
    func deleteToken(id: Int64, userID: Int64) async throws(ForgeError)
    /// The user a token digest belongs to, marking the token used; nil for an unknown digest.
    func user(tokenDigest: String) async throws(ForgeError) -> ForgeUser?

    // MARK: Groups

    /// Creates a group, and any enclosing groups that do not exist yet.
    func createGroup(_ path: RepositoryPath, description: String) async throws(ForgeError) -> RepositoryGroup
    /// The group at `path`, or nil.
    func group(_ path: RepositoryPath) async throws(ForgeError) -> RepositoryGroup?
    /// Every group, by path.
    func groups() async throws(ForgeError) -> [RepositoryGroup]
    /// Removes an empty group; `conflict` when it still holds repositories or groups.
    func deleteGroup(_ path: RepositoryPath) async throws(ForgeError)

    // MARK: Repositories

    /// Records a new repository (creating its enclosing groups when missing).
    func insertRepository(path: RepositoryPath, kind: RepositoryKind, isPrivate: Bool, description: String,
                          ownerID: Int64?, forkOf: Int64?) async throws(ForgeError) -> RepositoryRecord
    /// The repository at `path` (compared without regard to case), or nil.
    func repository(_ path: RepositoryPath) async throws(ForgeError) -> RepositoryRecord?
    /// The repository with this id, or nil.
    func repository(id: Int64) async throws(ForgeError) -> RepositoryRecord?
    /// Every repository, by path.
    func repositories() async throws(ForgeError) -> [RepositoryRecord]
    /// Saves a repository's privacy, description and allow-list.
    func updateRepository(_ repository: RepositoryRecord) async throws(ForgeError)
    /// Moves a repository to a new path (creating enclosing groups when missing).
    func renameRepository(id: Int64, to path: RepositoryPath) async throws(ForgeError) -> RepositoryRecord
    /// Removes a repository's record and its permissions.
    func deleteRepository(id: Int64) async throws(ForgeError)
    /// Sets the network a repository's pipelines reach. The caller checks that a site admin asked.
    func setPipelineNetwork(repositoryID: Int64, _ network: PipelineNetwork) async throws(ForgeError)

    // MARK: Pipeline secrets

    /// Sets (or replaces) a secret of a repository's pipelines; the name is checked with
    /// ``RepositorySecret/validate(name:)``, the value may not be empty or hold a NUL.
    func setSecret(repositoryID: Int64, name: String, value: String) async throws(ForgeError)
    /// Removes a secret; `notFound` when there is none of that name.
    func deleteSecret(repositoryID: Int64, name: String) async throws(ForgeError)
    /// A repository's secrets, by name, without their values.
    func secrets(repositoryID: Int64) async throws(ForgeError) -> [RepositorySecret]
    /// A repository's secrets with their values, for its pipelines' commands.
    func secretValues(repositoryID: Int64) async throws(ForgeError) -> [String: String]

    // MARK: Permissions

    /// Grants `level` to a user on a repository or group; nil removes the grant.
    func setPermission(userID: Int64, on target: PermissionTarget, level: AccessLevel?) async throws(ForgeError)
    /// The grants on a repository or group, by user name.
    func permissions(on target: PermissionTarget) async throws(ForgeError) -> [PermissionGrant]
    /// What bears on `userID`'s access to the repository at `path`; nil when there is no such repository.
    func permissionFacts(repository path: RepositoryPath, userID: Int64?) async throws(ForgeError) -> PermissionFacts?
    /// Every repository with the facts for `userID` (nil: anonymous), for listings.
    func permissionFacts(userID: Int64?) async throws(ForgeError) -> [PermissionFacts]

    // MARK: Webhooks

    /// Adds an outbound webhook to a repository (the URL is checked with ``RepositoryWebhook/validate(url:)``).
    func createWebhook(repositoryID: Int64, url: String, secret: String?) async throws(ForgeError) -> RepositoryWebhook
    /// A repository's webhooks.
    func webhooks(repositoryID: Int64) async throws(ForgeError) -> [RepositoryWebhook]
    /// Changes a webhook's URL (checked as when created), secret and whether it is active.
    func updateWebhook(_ webhook: RepositoryWebhook) async throws(ForgeError)
    /// Removes a webhook and its delivery log.
    func deleteWebhook(id: Int64) async throws(ForgeError)
    /// Queues a delivery, due at once, under `guid` (a random one when nil). A delivery of the same
    /// webhook with the same guid already queued is kept as it is, and nil is returned: queueing is
    /// idempotent.
    func enqueueDelivery(webhookID: Int64, event: String, payload: [UInt8], guid: String?) async throws(ForgeError) -> WebhookDeliveryRecord?
    /// Pending deliveries due by `now`, oldest first, with their webhooks.
    func dueDeliveries(now: Date, limit: Int) async throws(ForgeError) -> [(WebhookDeliveryRecord, RepositoryWebhook)]
    /// Records an attempt: delivered, or failed with a next attempt due (`retryAt`), or failed for good (`retryAt` nil).
    func recordAttempt(deliveryID: Int64, status: Int?, error: String?, delivered: Bool, retryAt: Date?) async throws(ForgeError)
    /// A webhook's deliveries, newest first.
    func deliveries(webhookID: Int64, limit: Int) async throws(ForgeError) -> [WebhookDeliveryRecord]

    // MARK: Pull requests

    /// Opens a pull request, numbered next in its repository. A second open one with the same head and
    /// base is a `conflict`.
    func createPullRequest(repositoryID: Int64, _ new: NewPullRequest, authorID: Int64?) async throws(ForgeError) -> PullRequest
    /// The pull request numbered `number` in the repository.
    func pullRequest(repositoryID: Int64, number: Int64) async throws(ForgeError) -> PullRequest?
    /// The pull request with store id `id`.
    func pullRequest(id: Int64) async throws(ForgeError) -> PullRequest?
    /// Pull requests in any of `states` (all when nil), newest first.
    func pullRequests(repositoryID: Int64, states: Set<PullRequestState>?, limit: Int, offset: Int) async throws(ForgeError) -> [PullRequest]
    /// How many pull requests are in any of `states` (all when nil).
    func pullRequestCount(repositoryID: Int64, states: Set<PullRequestState>?) async throws(ForgeError) -> Int
    /// Changes a pull request's title, body, state (open or closed) and last seen head; a merged one
    /// no longer changes (`conflict`).
    func updatePullRequest(id: Int64, title: String, body: String, state: PullRequestState, headCommit: String, actorID: Int64?) async throws(ForgeError) -> PullRequest
    /// Records that an open pull request was merged into `mergeCommit`; `conflict` when it is no longer open.
    func markPullRequestMerged(id: Int64, mergeCommit: String, headCommit: String, mergedByID: Int64?) async throws(ForgeError) -> PullRequest

    /// The pull request events after `id`, oldest first (every change above records one, in its transaction).
    func pullEvents(after id: Int64, limit: Int) async throws(ForgeError) -> [PullEvent]
    /// The open pull requests whose head is `branch` of repository `headRepositoryID` — its own, and
    /// those into the repositories it is a fork of — oldest first.
    func openPullRequests(headRepositoryID: Int64, branch: String) async throws(ForgeError) -> [PullRequest]
    /// Records that `branch` of repository `repositoryID` moved to `commit`: the open pull requests
    /// from it (in that repository, or from it as a fork) take it as their head. Returns how many did.
    func recordPullRequestHeads(repositoryID: Int64, branch: String, commit: String) async throws(ForgeError) -> Int
    /// Open pull requests whose head has not gone to the pipelines yet, oldest first, with the head
    /// that last went (nil: never).
    func pullRequestsToDispatch(limit: Int) async throws(ForgeError) -> [(pull: PullRequest, dispatched: String?)]
    /// Records that `commit` went to the pipelines as the head of pull request `id`.
    func markPullRequestDispatched(id: Int64, commit: String) async throws(ForgeError)
    /// Adds a comment to a pull request (in `reviewID`'s review when given).
    func addPullComment(pullID: Int64, _ comment: NewPullComment, authorID: Int64?, reviewID: Int64?) async throws(ForgeError) -> PullComment
    /// A pull request's comments, oldest first.
    func pullComments(pullID: Int64) async throws(ForgeError) -> [PullComment]
    /// Adds a review with its line comments, in one transaction.
    func addPullReview(pullID: Int64, state: ReviewState, body: String, commit: String, authorID: Int64?,
                       comments: [NewPullComment]) async throws(ForgeError) -> PullReview
    /// A pull request's reviews, oldest first.
    func pullReviews(pullID: Int64) async throws(ForgeError) -> [PullReview]
    /// Sets who is asked to review a pull request.
    func setReviewRequests(pullID: Int64, userIDs: [Int64]) async throws(ForgeError)
    /// Who is asked to review a pull request.
    func reviewRequests(pullID: Int64) async throws(ForgeError) -> [ForgeUser]

    // MARK: Protected branches

    /// A repository's protected branch rules, by pattern.
    func branchProtections(repositoryID: Int64) async throws(ForgeError) -> [BranchProtection]
    /// Adds a rule, or replaces the one with the same pattern.
    func saveBranchProtection(repositoryID: Int64, _ rule: BranchProtection) async throws(ForgeError)
    /// Removes the rule with `pattern` (`notFound` when there is none).
    func deleteBranchProtection(repositoryID: Int64, pattern: String) async throws(ForgeError)

    // MARK: Commit statuses

    /// Records a status of `commit` (a full id) in the repository: by `creatorID`, or by the forge for
    /// pipeline run `runID`. Every report is kept.
    func createCommitStatus(repositoryID: Int64, commit: String, _ status: NewCommitStatus, creatorID: Int64?,
                            runID: Int64?) async throws(ForgeError) -> CommitStatus
    /// The statuses of `commit`, newest first.
    func commitStatuses(repositoryID: Int64, commit: String, limit: Int, offset: Int) async throws(ForgeError) -> [CommitStatus]
    /// How many statuses `commit` has.
    func commitStatusCount(repositoryID: Int64, commit: String) async throws(ForgeError) -> Int
    /// The newest status of each context of each of `commits` (at most 500), by commit.
    func latestCommitStatuses(repositoryID: Int64, commits: [String]) async throws(ForgeError) -> [String: [CommitStatus]]
    /// The state of the newest status the forge set for each of `runIDs` that has one.
    func runStatuses(runIDs: [Int64]) async throws(ForgeError) -> [Int64: CommitStatusState]
    /// The forge's statuses of runs whose newest one is still pending, oldest first.
    func pendingRunStatuses(limit: Int) async throws(ForgeError) -> [CommitStatus]

    // MARK: Push outbox

    /// Records a push durably and returns its number: call it before telling the client the push
    /// succeeded.
    func recordPush(_ push: PushEvent) async throws(ForgeError) -> Int64
    /// The recorded pushes numbered above `id`, in order, at most `limit`; pushes to repositories
    /// deleted since are left out.
    func pushes(after id: Int64, limit: Int) async throws(ForgeError) -> [StoredPush]
    /// The number of the last push `consumer` finished with (0 when none).
    func pushCursor(consumer: String) async throws(ForgeError) -> Int64
    /// Records that `consumer` finished with every push up to `id`.
    func setPushCursor(consumer: String, to id: Int64) async throws(ForgeError)

    // MARK: Web sessions

    /// Stores a signed-in session under the digest of its cookie, with its CSRF token.
    func createSession(digest: String, userID: Int64, csrfToken: String, expiresAt: Date) async throws(ForgeError)
    /// The user and CSRF token of an unexpired session of an active user; nil otherwise.
    func session(digest: String, now: Date) async throws(ForgeError) -> (user: ForgeUser, csrfToken: String)?
    /// Ends a session (signing out); also removes expired ones.
    func deleteSession(digest: String, now: Date) async throws(ForgeError)
}

extension ForgeMetadataStore {
    /// The facts for `caller` — the authenticated user value, which carries its token's scope
    /// (``ForgeUser/tokenScope``) — so that ``PermissionFacts/effectiveLevel(from:)`` applies it.
    /// Every permission decision about a caller goes through here.
    public func permissionFacts(repository path: RepositoryPath, caller: ForgeUser?) async throws(ForgeError) -> PermissionFacts? {
        guard var facts = try await permissionFacts(repository: path, userID: caller?.id) else { return nil }
        facts.user?.tokenScope = caller?.tokenScope
        return facts
    }

    /// The facts of every repository for `caller`, with its token's scope applied (see above).
    public func permissionFacts(caller: ForgeUser?) async throws(ForgeError) -> [PermissionFacts] {
        try await permissionFacts(userID: caller?.id).map { facts in
            var facts = facts
            facts.user?.tokenScope = caller?.tokenScope
            return facts
        }
    }
}
