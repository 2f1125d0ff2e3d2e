public import ForgeKit
import ForgeKitServer
import Foundation
public import Logging
public import PipelineKit

/// Turns the forge's Git pushes into pipeline runs: each moved branch or tag becomes a `push` or `tag`
/// source — the same one a GitHub webhook would give, built from the same payload the forge's outbound
/// webhooks send — and is matched against stored configurations and the `.pipeline.yml` of the pushed
/// commit. Runs check out from the repository on disk, not over HTTP.
public struct PushPipelineTrigger: Sendable {
    /// The repositories whose pushes start runs.
    public let repositories: RepositoryStore
    /// Where runs are queued.
    public let dispatcher: PipelineDispatcher
    /// The forge's public URL, for the sources' `clone_url` and `html_url`.
    public let publicURL: String
    private let logger: Logger

    /// Creates the trigger. Give `dispatcher` a ``RepositoryConfigurationReader`` that allows local
    /// repositories so that `.pipeline.yml` files are read.
    public init(repositories: RepositoryStore, dispatcher: PipelineDispatcher, publicURL: String,
                logger: Logger = Logger(label: "forgeworks.forge.pipelines")) {
        self.repositories = repositories
        self.dispatcher = dispatcher
        self.publicURL = publicURL
        self.logger = logger
    }

    /// Dispatches every push published from now on, until the task is cancelled.
    public func run() async {
        for await event in repositories.events.subscribe() {
            if Task.isCancelled { break }
            guard case .push(let push) = event else { continue }
            await dispatch(push)
        }
    }

    /// Dispatches one push: a run per matching configuration per moved reference; returns the runs queued.
    @discardableResult
    public func dispatch(_ push: ForgeKit.PushEvent) async -> [RunRecord] {
        guard push.repository.kind == .git else { return [] }
        var queued: [RunRecord] = []
        for update in push.updates where !update.isDeletion {
            let (commits, forced) = await repositories.pushedCommits(push.repository, update: update, logger: logger)
            let payload = GitHubPushPayload.encode(push, update: update, commits: commits, forced: forced, baseURL: publicURL)
            do {
                let delivery = try WebhookDecoder.decode(provider: .github, headers: ["X-GitHub-Event": "push",
                                                                                      "X-GitHub-Delivery": UUID().uuidString],
                                                         body: payload)
                guard var source = delivery.source else { continue }
                if let checkout = source.checkout {
                    source.checkout = Source.Checkout(repositoryURL: repositories.directory(for: push.repository.path), commit: checkout.commit)
                }
                let dispatched = try await dispatcher.dispatch(source: source, record: nil, trigger: "push by \(push.pusher ?? "anonymous")")
                queued += dispatched.enqueued.runs
                logger.info("push dispatched", metadata: ["repository": "\(push.repository.path)", "ref": "\(update.name)",
                                                          "runs": "\(dispatched.enqueued.runs.count)"])
            } catch {
                logger.error("cannot dispatch a push", metadata: ["repository": "\(push.repository.path)", "ref": "\(update.name)",
                                                                  "error": "\(error)"])
            }
        }
        return queued
    }
}
