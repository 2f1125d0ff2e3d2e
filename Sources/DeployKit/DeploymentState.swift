/// The life of a deployment, with Polytene's states plus `cancelled`.
///
/// ```
/// not_initialized ─▶ initialized ─▶ running ─▶ succeeded
///        │                │            └────▶ failed
///        └────────────────┴────────────┴────▶ cancelled
/// ```
/// A manual branch's deployment waits in `notInitialized` until a person or an API call starts it;
/// runners claim `initialized` ones. `running` may go back to `initialized` when a runner's lease
/// expires and the deployment is re-queued.
public enum DeploymentState: String, Sendable, Hashable, CaseIterable, Codable {
    case notInitialized = "not_initialized"
    case initialized
    case running
    case succeeded
    case failed
    case cancelled

    /// Whether the deployment has ended (no further transitions).
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: return true
        case .notInitialized, .initialized, .running: return false
        }
    }

    /// Whether a deployment in this state may move to `next`.
    public func canTransition(to next: DeploymentState) -> Bool {
        switch (self, next) {
        case (.notInitialized, .initialized), (.initialized, .running),
             (.running, .succeeded), (.running, .failed),
             (.running, .initialized):  // re-queued after a lost runner's lease expired
            return true
        case (let from, .cancelled):
            return !from.isFinal
        default:
            return false
        }
    }
}
