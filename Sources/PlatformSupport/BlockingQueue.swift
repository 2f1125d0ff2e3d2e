import Dispatch
import Synchronization

/// The one way the kits run blocking work — file I/O with `fsync`, `flock`, libgit2, libsolv,
/// `getaddrinfo`, a pipe read, a password hash — off Swift's cooperative pool.
///
/// The cooperative pool has one thread per core (two on a small server); a job that blocks there
/// stops every task of the process, among them the HTTP server that would answer the request the job
/// waits for (commit 7abb5b6 shows that deadlock). Dispatch's global queues are no better: on Linux
/// they are width-limited to the core count as well. A `BlockingQueue` is a *private* Dispatch queue,
/// which gets threads of its own as its jobs block.
///
/// - ``shared``: independent jobs, any number at once (each blocked job holds one thread).
/// - ``serial(label:)``: jobs one at a time, in order — the way a C handle that must be used by one
///   thread at a time (a libgit2 repository, a libsolv pool) is confined.
package struct BlockingQueue: Sendable {
    private let queue: DispatchQueue
    private let identity: UInt64

    private static let key = DispatchSpecificKey<UInt64>()
    private static let identities = Atomic<UInt64>(0)

    private init(_ queue: DispatchQueue) {
        self.queue = queue
        identity = Self.identities.add(1, ordering: .relaxed).newValue
        queue.setSpecific(key: Self.key, value: identity)
    }

    /// The process's queue for independent blocking jobs.
    package static let shared = BlockingQueue(DispatchQueue(label: "forgeworks.blocking", attributes: .concurrent))

    /// A queue of its own that runs its jobs one at a time, in the order they were given.
    package static func serial(label: String) -> BlockingQueue {
        BlockingQueue(DispatchQueue(label: label))
    }

    /// A queue of its own that runs its jobs concurrently (a pool that a subsystem keeps to itself).
    package static func concurrent(label: String) -> BlockingQueue {
        BlockingQueue(DispatchQueue(label: label, attributes: .concurrent))
    }

    /// Runs `work` on the queue and returns what it returns, or throws what it throws.
    ///
    /// Cancellation of the calling task does not stop `work` (it is synchronous); pass it a flag of
    /// your own through ``run(onCancel:_:)`` when it can stop early.
    package func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Runs `work` on the queue; cancelling the calling task calls `onCancel` (on the cancelling
    /// thread), which should make `work` return soon.
    package func run<T: Sendable, E: Error>(
        onCancel: @escaping @Sendable () -> Void, _ work: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        let result: Result<T, E> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    do throws(E) {
                        continuation.resume(returning: .success(try work()))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
        } onCancel: {
            onCancel()
        }
        return try result.get()
    }

    /// Starts `work` on the queue and returns at once (a checkpoint nobody waits for).
    package func start(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    /// Runs `work` on the queue and blocks the calling thread until it is done: for callers that are
    /// themselves off the cooperative pool (a synchronous API), never for async code.
    package func sync<T, E: Error>(_ work: () throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = queue.sync {
            do throws(E) { return .success(try work()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Whether the calling thread is running a job of this queue (so that a synchronous call into it
    /// would deadlock).
    package var isCurrent: Bool {
        DispatchQueue.getSpecific(key: Self.key) == identity
    }
}
