public import ForgeKit
import Foundation
public import PipelineKit

/// The repository a pipeline run belongs to: the forge's repository its source's `repo` names (set
/// by the forge's own triggers); nil for a source that names none. Runs get its network and secrets,
/// and its actions act on it only.
func runRepository(of source: Source, metadata: any ForgeMetadataStore) async throws -> RepositoryRecord? {
    guard let name = source.attributes["repo"]?.text, let path = try? RepositoryPath(name) else { return nil }
    return try await metadata.repository(path)
}

/// ``runRepository(of:metadata:)`` for an action, which a run of no repository may not take.
func runRepository(_ context: ActionContext, metadata: any ForgeMetadataStore, operation: String) async throws -> RepositoryRecord {
    guard let repository = try await runRepository(of: context.source, metadata: metadata) else {
        throw PipelineError(.invalidConfiguration, "this run belongs to no repository of the forge", operation: operation)
    }
    return repository
}

/// `pull_request_comment` in the forge: comments on the run's own pull request, written to the forge
/// directly (no API address or token), as the repository's pipelines. kwargs: `template` (the text);
/// `repo` and `number`, when given, must be the run's own — a pipeline comments nowhere else.
public struct ForgePullRequestCommentAction: Action {
    let metadata: any ForgeMetadataStore
    let publicURL: String

    /// Comments through `metadata`; links name `publicURL`.
    public init(metadata: any ForgeMetadataStore, publicURL: String) {
        self.metadata = metadata
        self.publicURL = publicURL
    }

    public func run(_ context: ActionContext) async throws -> Value {
        let operation = "run action '\(context.actionName)'"
        let repository = try await runRepository(context, metadata: metadata, operation: operation)
        let body = try context.string("template")
        if context.kwargs["repo"] != nil, try context.string("repo") != repository.path.description {
            throw PipelineError(.invalidConfiguration, "a pipeline comments only on its own repository's pull requests", operation: operation, field: "kwargs.repo")
        }
        let own = context.source.attributes["number"]?.text.flatMap { Int64($0) }
        let number = try context.kwargs["number"].map { _ in Int64(try context.string("number")) } ?? own
        guard let number, number == own || own == nil,
              let pull = try await metadata.pullRequest(repositoryID: repository.id, number: number) else {
            throw PipelineError(.invalidConfiguration, "no pull request of this run to comment on", operation: operation, field: "kwargs.number")
        }
        let head = context.source.checkout?.commit ?? pull.headCommit
        let comment = try await metadata.addPullComment(pullID: pull.id, NewPullComment(body: String(body.prefix(60 << 10)), commit: head),
                                                        authorID: nil, reviewID: nil)
        let link = publicURL + "/" + repository.path.description + "/-/pull/\(pull.number)#comment-\(comment.id)"
        return .map(["ok": true, "id": .int(Int(comment.id)), "html_url": .string(link)])
    }
}

/// `commit_status`: sets a commit status on the run's commit in its own repository. kwargs: `state`
/// (pending, success, error, failure, warning), `context` (default `forge/<configuration>/<action>`),
/// `description`, `target_url` (http(s)).
public struct ForgeCommitStatusAction: Action {
    let metadata: any ForgeMetadataStore

    /// Sets statuses through `metadata`.
    public init(metadata: any ForgeMetadataStore) {
        self.metadata = metadata
    }

    public func run(_ context: ActionContext) async throws -> Value {
        let operation = "run action '\(context.actionName)'"
        let repository = try await runRepository(context, metadata: metadata, operation: operation)
        guard let state = CommitStatusState(rawValue: try context.string("state")) else {
            throw PipelineError(.invalidConfiguration, "'state' must be pending, success, error, failure or warning", operation: operation, field: "kwargs.state")
        }
        guard let commit = context.source.checkout?.commit ?? context.source.attributes["commit"]?.text, CommitStatus.isCommitID(commit) else {
            throw PipelineError(.invalidConfiguration, "this run has no commit to set a status on", operation: operation)
        }
        let status = NewCommitStatus(
            state: state, context: context.kwargs["context"] == nil ? "forge/\(context.configuration)/\(context.actionName)" : try context.string("context"),
            description: context.kwargs["description"] == nil ? "" : try context.string("description"),
            targetURL: context.kwargs["target_url"] == nil ? nil : try context.string("target_url"))
        do {
            try status.validate()
        } catch {
            throw PipelineError(.invalidConfiguration, error.message, operation: operation)
        }
        let stored = try await metadata.createCommitStatus(repositoryID: repository.id, commit: commit, status, creatorID: nil, runID: nil)
        return .map(["ok": true, "id": .int(Int(stored.id)), "state": .string(stored.state.rawValue), "context": .string(stored.context)])
    }
}
