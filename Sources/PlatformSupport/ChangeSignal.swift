import Synchronization

/// A broadcast "something changed" (new deployments, new pushes in the outbox): waiters wake when it fires or when their time runs out.
/// Waiters compare a generation number, so a change between reading and waiting is never missed.
package final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UInt64> = []
    }
    private let state = Mutex(State())

    package init() {}

    /// The current generation; pass it to ``wait(after:timeout:)``.
    package var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    package func fire() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the generation is no longer `seen`, after `timeout`, or when the task is cancelled.
    package func wait(after seen: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(after: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after seen: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation != seen || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter as CheckedContinuation<Void, Never>? }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
        // A cancellation that raced with a fire leaves its mark behind; clear it.
        _ = state.withLock { $0.cancelled.remove(id) }
    }
}
