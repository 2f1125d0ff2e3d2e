import ForgeKit
public import Foundation
public import PipelineKit
import Synchronization
import PlatformSupport

/// A clock that stands still until a test advances it: back-offs, leases, timeouts and schedules
/// without waiting. Sleepers wake when the clock is advanced past their deadline.
///
/// To test a loop that sleeps on the clock, let it go to sleep before advancing:
///
/// ```swift
/// let loop = Task { try await scheduler.run(dispatcher: dispatcher) }
/// await clock.waitForSleepers()          // the scheduler sleeps until its first tick
/// clock.advance(by: .seconds(900))       // it wakes, dispatches, sleeps again
/// await clock.waitForSleepers()          // so the tick's runs are stored
/// ```
public final class TestClock: PipelineClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var next: UInt64 = 0

        mutating func nextID() -> UInt64 {
            next += 1
            return next
        }

        /// Removes and returns the waiters whose count of sleepers has been reached.
        mutating func satisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
            let due = waiters.filter { $0.value.count <= sleepers.count }
            for key in due.keys { waiters.removeValue(forKey: key) }
            return due.values.map(\.continuation)
        }
    }

    private let state: Mutex<State>

    /// A clock at `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// Moves the clock forward by `interval` and wakes the sleepers whose deadline has come.
    public func advance(by interval: Duration) {
        let seconds = interval.inSeconds
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.addingTimeInterval(seconds)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for key in due.keys { state.sleepers.removeValue(forKey: key) }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many tasks are sleeping on the clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks are sleeping on the clock (at once if they already are),
    /// or when the calling task is cancelled.
    public func waitForSleepers(_ count: Int = 1) async {
        let id = state.withLock { $0.nextID() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.sleepers.count >= count || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(count: count, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { $0.nextID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (resumeNow, satisfied) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    // A task cancelled before it got here has run its cancellation handler already.
                    if deadline <= state.now || Task.isCancelled { return (true, []) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return (false, state.satisfiedWaiters())
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
                for waiter in satisfied { waiter.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
