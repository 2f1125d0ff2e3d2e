public import ForgeKit
import Foundation
public import Logging
public import PipelineKit
public import ServiceLifecycle

/// Sets the commit statuses of the forge's own pipeline runs: context `forge/<configuration>` on
/// the run's commit, `pending` while the run is queued or running, then `success`, `failure` or
/// `error`, linked to the run's page.
///
/// It reconciles the two stores rather than following events: each pass looks at the newest runs
/// and at every run whose status is still pending, and records a status wherever the newest one
/// does not say what the run is now. Runs and statuses are both durable, so a crash anywhere is made
/// up by the next pass, and a pass that finds nothing to change writes nothing.
public struct RunStatusReporter: Service, Sendable {
    /// Where the statuses are stored and repositories looked up.
    public let metadata: any ForgeMetadataStore
    /// The runs.
    public let runs: any RunStore
    /// The forge's public URL, for links to the runs.
    public let publicURL: String
    /// The pause between passes.
    public let interval: Duration
    private let logger: Logger

    /// Creates a reporter.
    public init(metadata: any ForgeMetadataStore, runs: any RunStore, publicURL: String, interval: Duration = .seconds(1),
                logger: Logger = Logger(label: "forgeworks.forge.statuses")) {
        self.metadata = metadata
        self.runs = runs
        self.publicURL = publicURL
        self.interval = interval
        self.logger = logger
    }

    /// The context of a run's statuses.
    public static func context(of run: RunRecord) -> String {
        "forge/" + run.configurationName
    }

    /// The state a run's status has while the run is in `status`.
    public static func state(of status: RunStatus) -> CommitStatusState {
        switch status {
        case .queued, .running: .pending
        case .succeeded: .success
        case .failed: .failure
        case .errored, .cancelled, .superseded: .error
        }
    }

    /// Runs passes until the task is cancelled or the service group shuts down.
    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await reconcile()
                } catch {
                    logger.error("cannot set the runs' commit statuses", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass: records the statuses that are missing or out of date; returns how many it recorded.
    @discardableResult
    public func reconcile(recent: Int = 100) async throws -> Int {
        var candidates: [Int64: RunRecord] = [:]
        for run in try await runs.runs(RunQuery(limit: recent)) { candidates[run.id.rawValue] = run }
        for status in try await metadata.pendingRunStatuses(limit: 500) {
            guard let id = status.runID, candidates[id] == nil else { continue }
            if let detail = try await runs.run(RunID(rawValue: id)) { candidates[id] = detail.run }
        }
        let recorded = try await metadata.runStatuses(runIDs: Array(candidates.keys))
        var written = 0
        var repositories: [String: RepositoryRecord?] = [:]
        for run in candidates.values.sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            let state = Self.state(of: run.status)
            guard recorded[run.id.rawValue] != state, let scope = run.scope else { continue }
            let commit = run.source.checkout?.commit ?? run.source.attributes["commit"]?.text ?? ""
            guard CommitStatus.isCommitID(commit) else { continue }
            if repositories[scope] == nil {
                var found: RepositoryRecord?
                if let path = try? RepositoryPath(scope) { found = try await metadata.repository(path) }
                repositories[scope] = .some(found)
            }
            guard let repository = repositories[scope] ?? nil else { continue }
            let description = switch run.status {
            case .queued: "queued"
            case .running: "running"
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .errored: "errored: " + (run.reason ?? "an action failed")
            case .cancelled: "cancelled" + (run.reason.map { ": " + $0 } ?? "")
            case .superseded: "superseded by a newer run"
            }
            let link = publicURL + "/" + repository.path.description + "/-/run/" + String(run.number ?? run.id.rawValue)
            _ = try await metadata.createCommitStatus(
                repositoryID: repository.id, commit: commit,
                NewCommitStatus(state: state, context: Self.context(of: run), description: String(description.prefix(1000)), targetURL: link),
                creatorID: nil, runID: run.id.rawValue)
            written += 1
        }
        return written
    }
}
