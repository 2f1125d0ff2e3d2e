public import ForgeKit
import Foundation
public import Logging
public import PipelineKit
public import ServiceLifecycle

/// Turns pull requests into pipeline runs: a `pull_request` source (the attributes a GitHub webhook
/// gives, action `opened`, then `synchronize` for each new head) for every open pull request whose
/// head has not gone to the pipelines yet. The head's `.pipeline.yml` is read (pull requests are
/// between branches of one repository) and the run checks out the head from the repository on disk.
///
/// Like ``RunStatusReporter`` it reconciles rather than follows events: heads move in the store
/// (opening a pull request, ``PushPipelineTrigger`` recording pushes), and each pass queues runs
/// under a delivery id made of the pull request and its head — which the run store keeps once — then
/// marks the head dispatched. A crash between the two queues nothing twice.
public struct PullRequestTrigger: Service, Sendable {
    public let repositories: RepositoryStore
    public let dispatcher: PipelineDispatcher
    public let publicURL: String
    public let interval: Duration
    private let logger: Logger

    /// Creates the trigger.
    public init(repositories: RepositoryStore, dispatcher: PipelineDispatcher, publicURL: String, interval: Duration = .seconds(1),
                logger: Logger = Logger(label: "forgeworks.forge.pulls")) {
        self.repositories = repositories
        self.dispatcher = dispatcher
        self.publicURL = publicURL
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await dispatchPending()
                } catch {
                    logger.error("cannot dispatch pull requests", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass: queues the runs of each pull request whose head is new; returns the runs queued.
    @discardableResult
    public func dispatchPending() async throws -> [RunRecord] {
        var queued: [RunRecord] = []
        for (pull, dispatched) in try await repositories.metadata.pullRequestsToDispatch(limit: 50) {
            guard let repository = try await repositories.metadata.repository(id: pull.repositoryID) else { continue }
            let source = Self.source(pull, in: repository, action: dispatched == nil ? "opened" : "synchronize",
                                     directory: repositories.directory(for: repository.path), publicURL: publicURL)
            let record = EventRecord(provider: "forge", deliveryID: "pull-\(pull.id)-\(pull.headCommit)", kind: "pull_request", body: [])
            do {
                let result = try await dispatcher.dispatch(source: source, record: record, trigger: "pull request #\(pull.number) by \(pull.author?.name ?? "someone")",
                                                           scope: repository.path.description)
                queued += result.enqueued.runs
            } catch let error where error.code == .store {
                throw error
            } catch {
                logger.error("cannot dispatch a pull request", metadata: ["repository": "\(repository.path)", "number": "\(pull.number)", "error": "\(error)"])
            }
            try await repositories.metadata.markPullRequestDispatched(id: pull.id, commit: pull.headCommit)
        }
        return queued
    }

    /// The `pull_request` source of `pull` at its recorded head.
    public static func source(_ pull: PullRequest, in repository: RepositoryRecord, action: String, directory: String, publicURL: String) -> Source {
        let web = publicURL + "/" + repository.path.description
        let attributes: [String: Value] = [
            "provider": "forge", "action": .string(action), "number": .int(Int(pull.number)), "title": .string(pull.title),
            "author": .string(pull.author?.name ?? ""), "state": .string(pull.state.rawValue), "merged": .bool(pull.state == .merged),
            "html_url": .string(web + "/-/pull/\(pull.number)"), "branch": .string(pull.headBranch), "base_branch": .string(pull.baseBranch),
            "repo": .string(repository.path.description), "clone_url": .string(web + ".git"), "head_repo": .string(repository.path.description),
            "head_clone_url": .string(web + ".git"), "commit": .string(pull.headCommit), "base_commit": .string(pull.baseCommit),
        ]
        return Source(sourceClass: "pull_request", attributes: attributes, checkout: Source.Checkout(repositoryURL: directory, commit: pull.headCommit))
    }
}
