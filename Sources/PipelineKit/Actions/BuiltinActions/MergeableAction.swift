import ForgeKit

/// `mergeable`: whether a pull request's head merges into its base without conflicts, computed in
/// memory with ForgeKit (nothing in the repository changes).
///
/// The repository is `kwargs.repository` (a path on this machine) or else the source's files (see
/// ``Workspace/files()``). The revisions are `kwargs.base` and `kwargs.head`, defaulting to the source's
/// `base_commit` (else `base_branch`) and `commit` (else `branch`); a branch name also resolves as
/// `origin/NAME` in a clone. When the base is missing from the workspace's clone of the head's
/// repository (a pull request from a fork), the base repository's branches are fetched from the
/// source's `clone_url`.
///
/// The result is `{"ok": mergeable, "mergeable": mergeable, "conflicts": [paths], "state": state}`,
/// where `state` is `up_to_date`, `fast_forward`, `clean`, `conflict` or `unrelated`.
public struct MergeableAction: Action {
    /// A mergeable action.
    public init() {}

    /// Computes the merge and returns its verdict.
    public func run(_ context: ActionContext) async throws -> Value {
        let operation = "run action '\(context.actionName)'"
        let attributes = context.source.attributes
        guard let base = context.kwargs["base"]?.text ?? attributes["base_commit"]?.text ?? attributes["base_branch"]?.text else {
            throw PipelineError(.invalidConfiguration, "no base revision: give kwargs.base, or a source with base_commit or base_branch",
                                operation: operation, field: "kwargs.base")
        }
        guard let head = context.kwargs["head"]?.text ?? attributes["commit"]?.text ?? attributes["branch"]?.text else {
            throw PipelineError(.invalidConfiguration, "no head revision: give kwargs.head, or a source with commit or branch",
                                operation: operation, field: "kwargs.head")
        }
        let local = context.kwargs["repository"] != nil
        let path = local ? try context.string("repository") : try await context.workspace.files()
        // Only the workspace's own clone is fetched into; a repository named in kwargs is left as it is.
        let baseRemote = local ? nil : attributes["clone_url"]?.text.map(RemoteLocation.init)
        let credentials = baseRemote?.credentials ?? context.workspace.credentials
        let verdict: Mergeability
        do {
            let repository = try await GitRepository.open(at: path, logger: context.logger)
            verdict = try await repository.withSession { session in
                func resolve(_ revision: String, fetchingFrom remote: RemoteLocation?) throws(ForgeError) -> String {
                    for candidate in [revision, "refs/remotes/origin/" + revision, "refs/remotes/base/" + revision] {
                        if let id = try? session.resolveCommit(candidate) { return id.hex }
                    }
                    guard let remote else { return try session.resolveCommit(revision).hex }
                    try session.fetch(from: remote.location, refspecs: ["+refs/heads/*:refs/remotes/base/*"],
                                      options: FetchOptions(credentials: credentials))
                    return try resolve(revision, fetchingFrom: nil)
                }
                return try session.mergeability(base: try resolve(base, fetchingFrom: baseRemote), head: try resolve(head, fetchingFrom: nil))
            }
        } catch let error as ForgeError {
            let message = context.workspace.masker.mask(baseRemote?.mask(error.message) ?? error.message)
            throw PipelineError(error.code == .notFound ? .notFound : .io, "cannot check whether \(head) merges into \(base): \(message)",
                                operation: operation)
        } catch {
            if Task.isCancelled { throw PipelineError(.cancelled, "the merge check was cancelled", operation: operation) }
            throw PipelineError(.io, "cannot check whether \(head) merges into \(base): \(error)", operation: operation)
        }
        let state: String
        var conflicts: [Value] = []
        switch verdict {
        case .upToDate: state = "up_to_date"
        case .fastForward: state = "fast_forward"
        case .clean: state = "clean"
        case .conflict(let paths):
            state = "conflict"
            conflicts = paths.map(Value.string)
        case .unrelated: state = "unrelated"
        }
        return .map(["ok": .bool(verdict.isMergeable), "mergeable": .bool(verdict.isMergeable),
                     "conflicts": .list(conflicts), "state": .string(state)])
    }
}
