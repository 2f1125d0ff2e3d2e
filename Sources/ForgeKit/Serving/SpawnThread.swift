import Dispatch
import Foundation
import Synchronization

/// One thread that lives as long as the process and runs short synchronous jobs handed to it, in
/// order: starting child processes that must not outlive the thread that started them by accident.
///
/// Linux sends a child's parent-death signal (`PR_SET_PDEATHSIG`) when the *thread* that forked it
/// ends. Swift's cooperative pool and Dispatch end idle threads after a few seconds, so a sandbox
/// started with bubblewrap's `--die-with-parent` from one of them could be killed in the middle of a
/// build. Jobs here must be quick (a `posix_spawn`): they run one after another.
package final class SpawnThread: Sendable {
    /// The process's spawn thread, started on first use.
    package static let shared = SpawnThread(name: "forgeworks-spawn")

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init(name: String) {
        let thread = Thread { [self] in
            while true {
                ready.wait()
                let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                job?()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `job` on the thread and returns its result.
    package func run<T: Sendable>(_ job: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            jobs.withLock { $0.append { continuation.resume(returning: job()) } }
            ready.signal()
        }
    }
}
