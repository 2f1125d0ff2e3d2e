public import Foundation

/// The executor's sense of time: what time it is, and waiting. Tests substitute a clock they
/// advance by hand (PipelineKitTesting's `TestClock`), so back-offs and leases can be tested
/// without waiting.
public protocol PipelineClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Returns at `deadline` or later; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system's wall clock.
public struct SystemPipelineClock: PipelineClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        guard interval > 0 else { return }
        try await Task.sleep(for: .seconds(interval))
    }
}
