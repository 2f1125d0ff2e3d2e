import Dispatch
import Foundation
import Synchronization
import PlatformSupport

/// Runs password hashes — scrypt, tens of milliseconds of CPU and 32 MiB each — off Swift's
/// cooperative pool with bounded concurrency and a bounded, fair waiting list.
///
/// At most ``Options/concurrency`` hashes run at once. Further requests wait in one short queue per
/// client (an address, say), and the queues are served in turn, so a client sending a flood of
/// passwords waits behind itself while another client's sign-in is served after at most one hash
/// from each other waiting client. Requests marked ``Priority/suspect`` (a client or account with
/// recent failures) are served only when no ``Priority/normal`` one waits, so a sign-in without a
/// history of failures goes ahead of many flooding clients. A client whose queue is full, or any
/// client when ``Options/waiting`` requests already wait, is refused at once instead of queued: it is
/// answered "busy", and never makes everyone else wait longer.
///
/// ```swift
/// let queue = PasswordHashingQueue()
/// let matches = await queue.run(for: "192.0.2.7") { PasswordHasher.verify(password, against: stored) }
/// // nil: refused, try again later
/// ```
public final class PasswordHashingQueue: Sendable {
    /// The bounds.
    public struct Options: Sendable, Equatable {
        /// How many hashes run at once.
        public var concurrency: Int
        /// How many requests of one client may wait.
        public var waitingPerClient: Int
        /// How many requests may wait in all.
        public var waiting: Int

        /// Creates bounds: by default half the processors (at least one) hash at once, four requests
        /// of a client and 256 in all wait.
        public init(concurrency: Int = PasswordHashingQueue.defaultConcurrency, waitingPerClient: Int = 4, waiting: Int = 256) {
            self.concurrency = max(1, concurrency)
            self.waitingPerClient = max(0, waitingPerClient)
            self.waiting = max(0, waiting)
        }
    }

    /// What the queue has done, for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        /// Jobs run to their end.
        public var completed = 0
        /// Requests refused because a queue was full.
        public var refused = 0
        /// Jobs running now.
        public var running = 0
        /// Requests waiting now.
        public var waiting = 0
        /// The most jobs that ever ran at once.
        public var mostRunning = 0
    }

    /// Which requests go first.
    public enum Priority: Sendable, Hashable {
        /// Served in turn with the other normal ones.
        case normal
        /// Served only when no normal request waits: clients and accounts with recent failures.
        case suspect
    }

    /// Half the active processors, at least one.
    public static var defaultConcurrency: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 2) }

    /// The bounds in force.
    public let options: Options

    private typealias Job = @Sendable () -> Void

    private struct State {
        var statistics = Statistics()
        /// Waiting jobs by client, each with its priority.
        var queues: [String: [(job: Job, priority: Priority)]] = [:]
        /// Clients with waiting jobs of each priority, in the order they are served.
        var turns: [Priority: [String]] = [.normal: [], .suspect: []]

        mutating func enqueue(_ job: @escaping Job, client: String, priority: Priority) {
            queues[client, default: []].append((job, priority))
            if !(turns[priority] ?? []).contains(client) { turns[priority, default: []].append(client) }
            statistics.waiting += 1
        }

        mutating func next() -> Job? {
            for priority in [Priority.normal, .suspect] {
                while var turn = turns[priority], !turn.isEmpty {
                    let client = turn.removeFirst()
                    turns[priority] = turn
                    guard var jobs = queues[client], let index = jobs.firstIndex(where: { $0.priority == priority }) else { continue }
                    let job = jobs.remove(at: index).job
                    queues[client] = jobs.isEmpty ? nil : jobs
                    if jobs.contains(where: { $0.priority == priority }) { turns[priority, default: []].append(client) }
                    statistics.waiting -= 1
                    return job
                }
            }
            return nil
        }
    }

    private let state = Mutex(State())
    private let threads = BlockingQueue.concurrent(label: "forgekit.password-hashing")

    /// Creates a queue with `options`.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// What the queue has done so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Runs `work` on one of the queue's threads for `client`, or returns nil at once when the
    /// client's queue, or the whole waiting list, is full.
    public func run<Result: Sendable>(for client: String, priority: Priority = .normal,
                                      _ work: @escaping @Sendable () -> Result) async -> Result? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result?, Never>) in
            let job: Job = { continuation.resume(returning: work()) }
            let options = self.options
            let start = state.withLock { state -> Bool? in
                if state.statistics.running < options.concurrency {
                    state.statistics.running += 1
                    state.statistics.mostRunning = max(state.statistics.mostRunning, state.statistics.running)
                    return true
                }
                let mine = state.queues[client]?.count ?? 0
                guard mine < options.waitingPerClient, state.statistics.waiting < options.waiting else {
                    state.statistics.refused += 1
                    return nil
                }
                state.enqueue(job, client: client, priority: priority)
                return false
            }
            switch start {
            case nil: continuation.resume(returning: nil)
            case true?: perform(job)
            case false?: break
            }
        }
    }

    /// Runs `job`, then the next waiting job on the same thread slot, until none waits.
    private func perform(_ job: @escaping Job) {
        threads.start {
            job()
            let next = self.state.withLock { state -> Job? in
                state.statistics.completed += 1
                if let next = state.next() { return next }
                state.statistics.running -= 1
                return nil
            }
            if let next { self.perform(next) }
        }
    }
}
