public import ForgeKit
import Foundation
public import Logging
public import PipelineKit
public import ServiceLifecycle

/// Turns pull requests into pipeline runs: a `pull_request` source (the attributes a GitHub webhook
/// gives) for every open pull request whose head has not gone to the pipelines yet — action
/// `opened`, then `synchronize` for each new head — and for every other change in the pull request
/// event outbox: `closed` (with `merged` true for a merge), `reopened`, `edited`, `reviewed` (with
/// `review_state` and `review_body`) and `commented` (with `comment_body`), each with its `sender`.
/// The head's `.pipeline.yml` is read (pull requests are between branches of one repository) and the
/// run checks out the head from the repository on disk. A configuration that names no `action` runs
/// only on `opened`, `synchronize` and `reopened` (``PipelineConfiguration/defaultPullRequestActions``).
///
/// Like ``RunStatusReporter`` it reconciles rather than follows events: heads move in the store
/// (opening a pull request, ``PushPipelineTrigger`` recording pushes), and each pass queues runs
/// under a delivery id made of the pull request and its head — which the run store keeps once — then
/// marks the head dispatched. The other events are read after a cursor and queued under their event
/// id before the cursor moves. A crash between the two queues nothing twice.
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

    /// The push cursor name under which the events already sent to the pipelines are recorded.
    public static let eventsConsumer = "pipelines-pull-events"

    /// One pass: queues the runs of each pull request whose head is new, then of each pull request
    /// event after the cursor; returns the runs queued.
    @discardableResult
    public func dispatchPending() async throws -> [RunRecord] {
        var queued = try await dispatchHeads()
        queued += try await dispatchEvents()
        return queued
    }

    /// The events other than a new head (those come from ``dispatchHeads()``): closing, merging,
    /// reopening, editing, reviews and comments.
    private func dispatchEvents() async throws -> [RunRecord] {
        let store = repositories.metadata
        var queued: [RunRecord] = []
        for event in try await store.pullEvents(after: try await store.pushCursor(consumer: Self.eventsConsumer), limit: 100) {
            if !["opened", "synchronize"].contains(event.action), let pull = try await store.pullRequest(id: event.pullID),
               let repository = try await store.repository(id: event.repositoryID) {
                var (source, configuration) = try await source(pull, in: repository, action: event.action == "merged" ? "closed" : event.action)
                // What the event says, not what the pull request is now (it may have been reopened since).
                source.attributes["merged"] = .bool(event.action == "merged")
                source.attributes["state"] = .string(event.action == "merged" ? "merged" : event.action == "closed" ? "closed" : "open")
                if let actor = event.actorID { source.attributes["sender"] = .string(try await store.user(id: actor)?.name ?? "") }
                let subject = try await PullEventSubject.load(event, from: store)
                if let review = subject.review {
                    source.attributes["review_state"] = .string(review.state.webhookName)
                    source.attributes["review_body"] = .string(review.body)
                }
                if let comment = subject.comment { source.attributes["comment_body"] = .string(comment.body) }
                let record = EventRecord(provider: "forge", deliveryID: "pull-event-\(event.id)", kind: "pull_request", body: [])
                do {
                    let result = try await dispatcher.dispatch(source: source, record: record,
                                                               trigger: "pull request #\(pull.number) \(event.action)", scope: repository.path.description,
                                                               configurationCheckout: configuration)
                    queued += result.enqueued.runs
                } catch let error where error.code == .store {
                    throw error
                } catch {
                    logger.error("cannot dispatch a pull request event", metadata: ["repository": "\(repository.path)", "number": "\(pull.number)",
                                                                                   "event": "\(event.action)", "error": "\(error)"])
                }
            }
            try await store.setPushCursor(consumer: Self.eventsConsumer, to: event.id)
        }
        return queued
    }

    /// New heads: `opened` for a pull request never dispatched, `synchronize` for one whose head moved.
    private func dispatchHeads() async throws -> [RunRecord] {
        var queued: [RunRecord] = []
        for (pull, dispatched) in try await repositories.metadata.pullRequestsToDispatch(limit: 50) {
            guard let repository = try await repositories.metadata.repository(id: pull.repositoryID) else { continue }
            let (source, configuration) = try await source(pull, in: repository, action: dispatched == nil ? "opened" : "synchronize")
            let record = EventRecord(provider: "forge", deliveryID: "pull-\(pull.id)-\(pull.headCommit)", kind: "pull_request", body: [])
            do {
                let result = try await dispatcher.dispatch(source: source, record: record, trigger: "pull request #\(pull.number) by \(pull.author?.name ?? "someone")",
                                                           scope: repository.path.description, configurationCheckout: configuration)
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

    /// The source of `pull` and where its pipeline file is read: the head's own for a branch of the
    /// repository (nil: the checkout's), the base branch's tip for a fork's.
    private func source(_ pull: PullRequest, in repository: RepositoryRecord, action: String) async throws -> (Source, Source.Checkout?) {
        let directory = repositories.directory(for: repository.path)
        var headRepository: RepositoryRecord?
        if let forkID = pull.headRepositoryID { headRepository = try await repositories.metadata.repository(id: forkID) }
        let source = Self.source(pull, in: repository, headRepository: headRepository, action: action, directory: directory, publicURL: publicURL)
        guard pull.isFromFork else { return (source, nil) }
        let base = try await PullRequests(repositories: repositories).heads(of: pull, in: repository).base?.hex ?? pull.baseCommit
        return (source, Source.Checkout(repositoryURL: directory, commit: base))
    }

    /// The `pull_request` source of `pull` at its recorded head, checked out from the base
    /// repository (where a fork's head is kept too). A fork's pull request says so: `fork` true, and
    /// `head_repo` the fork (`headRepository`, nil when it is gone).
    public static func source(_ pull: PullRequest, in repository: RepositoryRecord, headRepository: RepositoryRecord? = nil, action: String,
                              directory: String, publicURL: String) -> Source {
        let web = publicURL + "/" + repository.path.description
        let headPath = pull.isFromFork ? headRepository?.path.description ?? "" : repository.path.description
        let attributes: [String: Value] = [
            "provider": "forge", "action": .string(action), "number": .int(Int(pull.number)), "title": .string(pull.title),
            "author": .string(pull.author?.name ?? ""), "state": .string(pull.state.rawValue), "merged": .bool(pull.state == .merged),
            "html_url": .string(web + "/-/pull/\(pull.number)"), "branch": .string(pull.headBranch), "base_branch": .string(pull.baseBranch),
            "repo": .string(repository.path.description), "clone_url": .string(web + ".git"), "head_repo": .string(headPath),
            "head_clone_url": .string(headPath.isEmpty ? "" : publicURL + "/" + headPath + ".git"), "commit": .string(pull.headCommit),
            "base_commit": .string(pull.baseCommit), "fork": .bool(pull.isFromFork),
        ]
        return Source(sourceClass: "pull_request", attributes: attributes, checkout: Source.Checkout(repositoryURL: directory, commit: pull.headCommit))
    }

    /// Whether a run's source is a pull request from a fork: it runs the base's pipelines, without
    /// the repository's secrets or network, and deploys nothing.
    public static func isFromFork(_ source: Source) -> Bool {
        source.sourceClass == "pull_request" && source.attributes["fork"] == .bool(true)
    }
}
