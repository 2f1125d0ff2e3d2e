public import PipelineKit

/// The PipelineKit action `deploy`: queues a deployment of the run's commit. Put it where a chain
/// succeeds (a success handler, or the last action) so that an `auto` branch deploys when its
/// pipeline passes and a `manual` one gets a deployment waiting for a person.
///
/// kwargs: `project` (required unless the action decides it, see ``init(controller:project:)``),
/// `environment` (default: the branch's), `branch` (default: the source's `branch` attribute),
/// `commit` (default: the source's checkout commit, else its `after` or `commit` attribute).
///
/// ```json
/// {"name": "test", "task": "shell", "kwargs": {"command": "make test"},
///  "success_handler": {"name": "deploy", "task": "deploy", "kwargs": {"project": "web"}}}
/// ```
///
/// Returns `{"deployment": ID, "state": "initialized" | "not_initialized", "environment": NAME}`;
/// a branch that does not deploy returns `{"deployment": null, "reason": …}` rather than throwing
/// (a chain may run `deploy` on every push and only some branches deploy; retrying would not help).
public struct DeployAction: Action {
    /// Decides which project a run may deploy, from the run and the `project` it asked for (nil when
    /// it named none); throws to refuse.
    public typealias ProjectPolicy = @Sendable (ActionContext, String?) async throws -> String

    /// Where deployments are queued.
    public let controller: DeploymentController
    /// Which project a run deploys.
    public let project: ProjectPolicy

    /// An action queuing through `controller`. By default a run deploys the project its `project`
    /// kwarg names (required); a forge binds each repository's runs to its own project instead.
    public init(controller: DeploymentController, project: ProjectPolicy? = nil) {
        self.controller = controller
        self.project = project ?? { context, requested in
            guard let requested else {
                throw PipelineError(.invalidConfiguration, "kwargs.project is required", operation: "run action 'deploy'", field: "kwargs.project")
            }
            return requested
        }
    }

    public func run(_ context: ActionContext) async throws -> Value {
        let project = try await self.project(context, context.kwargs["project"] == nil ? nil : try context.string("project"))
        let attributes = context.source.attributes
        guard let branch = context.kwargs["branch"]?.text ?? attributes["branch"]?.text else {
            throw PipelineError(.invalidConfiguration, "the source has no branch; give kwargs.branch", operation: "run action 'deploy'",
                                field: "kwargs.branch")
        }
        guard let commit = context.kwargs["commit"]?.text ?? context.source.checkout?.commit ?? attributes["after"]?.text
                ?? attributes["commit"]?.text else {
            throw PipelineError(.invalidConfiguration, "the source has no commit; give kwargs.commit", operation: "run action 'deploy'",
                                field: "kwargs.commit")
        }
        let environment = context.kwargs["environment"]?.text
        switch await queue(project: project, branch: branch, commit: commit, environment: environment) {
        case .success(let deployment):
            context.output.write("queued deployment \(deployment.id) of \(project) \(branch)@\(commit.prefix(12)) to \(deployment.environment) (\(deployment.state.rawValue))\n")
            return .map(["deployment": .int(Int(deployment.id.rawValue)), "state": .string(deployment.state.rawValue),
                         "environment": .string(deployment.environment)])
        case .failure(let error) where error.code == .notFound:
            context.output.write("not deploying: \(error.message)\n")
            return .map(["deployment": .null, "reason": .string(error.message)])
        case .failure(let error):
            throw error
        }
    }

    /// The error as a value (a typed `catch` in this untyped function would crash Swift 6.3's SIL passes).
    private func queue(project: String, branch: String, commit: String, environment: String?) async -> Result<Deployment, DeployError> {
        do {
            return .success(try await controller.queue(project: project, branch: branch, commit: commit, environment: environment,
                                                       trigger: .pipeline))
        } catch {
            return .failure(error)
        }
    }
}
