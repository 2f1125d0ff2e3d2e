public import ForgeKit
import ForgeKitServer
import Foundation
public import Logging
public import PipelineKit
public import ServiceLifecycle

/// Turns the forge's pushes — Git and Mercurial — into pipeline runs: each moved branch, bookmark or
/// tag of a push in the repository store's ``PushOutbox`` becomes a `push` or `tag` source (the one a
/// GitHub webhook would give), matched against stored configurations and the `.pipeline.yml` of the
/// pushed commit. Runs check out from the repository on disk, not over HTTP.
///
/// Pushes are consumed at least once, in order, also after a crash. Each reference's runs are queued
/// under a delivery id derived from the push (``StoredPush/deliveryID(for:webhookID:)``), which the
/// run store keeps once: a push handled again queues nothing new, so every push gets exactly one run
/// per matching configuration.
public struct PushPipelineTrigger: Service, Sendable {
    /// The repositories whose pushes start runs.
    public let repositories: RepositoryStore
    /// Where runs are queued.
    public let dispatcher: PipelineDispatcher
    /// The forge's public URL, for the sources' `clone_url` and `html_url`.
    public let publicURL: String
    private let logger: Logger

    /// The name under which the trigger consumes the push outbox.
    public static let outboxConsumer = "pipelines"

    /// Creates the trigger. Give `dispatcher` a ``RepositoryConfigurationReader`` that allows local
    /// repositories so that `.pipeline.yml` files are read.
    public init(repositories: RepositoryStore, dispatcher: PipelineDispatcher, publicURL: String,
                logger: Logger = Logger(label: "forgeworks.forge.pipelines")) {
        self.repositories = repositories
        self.dispatcher = dispatcher
        self.publicURL = publicURL
        self.logger = logger
    }

    /// Dispatches every push of the outbox not dispatched yet, then each new one, until the task is
    /// cancelled or the service group shuts down gracefully (a push not yet marked dispatched is
    /// dispatched again at the next start, under the same ids: nothing is lost or doubled).
    public func run() async {
        await cancelWhenGracefulShutdown {
            await repositories.outbox.consume(as: Self.outboxConsumer, logger: logger) { push in
                _ = try await dispatch(push)
            }
        }
    }

    /// Dispatches one push: a run per matching configuration per moved branch, bookmark or tag; returns
    /// the runs queued (none when the push was dispatched before).
    ///
    /// - Throws: ``PipelineError/Code/store`` when the run store fails (the push is then tried again);
    ///   a configuration that cannot be read is logged, not thrown.
    @discardableResult
    public func dispatch(_ push: StoredPush) async throws(PipelineError) -> [RunRecord] {
        let event = push.event
        var queued: [RunRecord] = []
        // Open pull requests from a moved branch take its new head (PullRequestTrigger runs them).
        for update in event.updates where !update.isDeletion && update.name.hasPrefix("refs/heads/") && event.repository.kind == .git {
            let branch = String(update.name.dropFirst("refs/heads/".count))
            do {
                try await PullRequests(repositories: repositories).followHead(of: event.repository, branch: branch, commit: update.new)
                // Pull requests into the branch whose head it now holds are merged (by this push, or by
                // a merge here whose record was interrupted).
                var pusher: ForgeUser?
                if let name = event.pusher { pusher = try await repositories.metadata.user(named: name) }
                try await PullRequests(repositories: repositories).recordMergedByPush(in: event.repository, branch: branch, tip: update.new, by: pusher)
            } catch {
                throw PipelineError(.store, "cannot record the pull requests' heads: \(error)", operation: "dispatch push")
            }
        }
        for update in event.updates where !update.isDeletion {
            guard let source = await source(for: event, update: update) else { continue }
            let record = EventRecord(provider: "forge", deliveryID: push.deliveryID(for: update), kind: source.sourceClass, body: [])
            do {
                let dispatched = try await dispatcher.dispatch(source: source, record: record, trigger: "push by \(event.pusher ?? "anonymous")",
                                                                scope: event.repository.path.description)
                queued += dispatched.enqueued.runs
                logger.info("push dispatched", metadata: ["repository": "\(event.repository.path)", "ref": "\(update.name)",
                                                          "runs": "\(dispatched.enqueued.runs.count)"])
            } catch let error where error.code == .store {
                throw error
            } catch {
                logger.error("cannot dispatch a push", metadata: ["repository": "\(event.repository.path)", "ref": "\(update.name)",
                                                                  "error": "\(error)"])
            }
        }
        return queued
    }

    /// The source of one updated reference: a branch (Git `refs/heads/`, Mercurial named branches and
    /// bookmarks) or a Git tag; nil for anything else (Mercurial phases).
    func source(for event: PushEvent, update: ReferenceUpdate) async -> Source? {
        let repository = event.repository
        let zero = String(repeating: "0", count: 40)
        let kind: (name: String, isTag: Bool)
        if update.name.hasPrefix("refs/heads/") {
            kind = (String(update.name.dropFirst("refs/heads/".count)), false)
        } else if repository.kind == .hg, update.name.hasPrefix("refs/bookmarks/") {
            kind = (String(update.name.dropFirst("refs/bookmarks/".count)), false)
        } else if repository.kind == .git, update.name.hasPrefix("refs/tags/") {
            kind = (String(update.name.dropFirst("refs/tags/".count)), true)
        } else {
            return nil
        }
        let (commits, _) = await repositories.pushedCommits(repository, update: update, logger: logger)
        let pushed = commits.suffix(GitHubPushPayload.maximumCommits).map { commit in
            PushedCommit(id: commit.id, message: commit.message, author: CommitAuthor(name: commit.authorName, email: commit.authorEmail),
                         timestamp: commit.timestampText, added: commit.added, modified: commit.modified, removed: commit.removed)
        }
        let web = publicURL + "/" + repository.path.description
        let described = WebhookRepository(fullName: repository.path.description, cloneURL: web + (repository.kind == .git ? ".git" : ""),
                                          htmlURL: web)
        let pusher = WebhookPusher(name: event.pusher ?? "anonymous", login: event.pusher)
        let before = update.isCreation ? zero : update.old.hex, after = update.new.hex
        let author = pushed.last?.author
        let webhookEvent: WebhookEvent = kind.isTag
            ? .tag(TagEvent(provider: .github, repository: described, ref: update.name, tag: kind.name, before: before, after: after,
                            created: update.isCreation, deleted: false, pusher: pusher, headCommitAuthor: author, commits: Array(pushed)))
            : .push(BranchPushEvent(provider: .github, repository: described, ref: update.name, branch: kind.name, before: before,
                                          after: after, created: update.isCreation, deleted: false, pusher: pusher,
                                          headCommitAuthor: author, commits: Array(pushed)))
        guard var source = WebhookDelivery(provider: .github, id: "", kind: kind.isTag ? "tag" : "push", event: webhookEvent).source else {
            return nil
        }
        // Runs check out from the repository on disk.
        source.checkout = Source.Checkout(repositoryURL: repositories.directory(for: repository.path), commit: after,
                                          system: repository.kind == .hg ? .hg : .git)
        return source
    }
}
