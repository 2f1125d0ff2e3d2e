import DeployKit
import Testing

@Suite("Deployment states follow Polytene's life cycle")
struct DeploymentStateTests {
    @Test("allowed and refused transitions")
    func transitions() {
        #expect(DeploymentState.notInitialized.canTransition(to: .initialized))
        #expect(DeploymentState.initialized.canTransition(to: .running))
        #expect(DeploymentState.running.canTransition(to: .succeeded))
        #expect(DeploymentState.running.canTransition(to: .failed))
        #expect(DeploymentState.running.canTransition(to: .initialized))
        #expect(DeploymentState.running.canTransition(to: .cancelled))
        #expect(!DeploymentState.initialized.canTransition(to: .succeeded))
        #expect(!DeploymentState.succeeded.canTransition(to: .running))
        #expect(!DeploymentState.failed.canTransition(to: .cancelled))
        #expect(DeploymentState.allCases.filter(\.isFinal) == [.succeeded, .failed, .cancelled])
        #expect(DeploymentState(rawValue: "not_initialized") == .notInitialized)
    }
}
