import Dispatch
import Foundation
import Synchronization

/// Resolves many packages on several threads at once. A libsolv pool is used by one thread at a time,
/// so each thread has its own resolver: the first thread uses the one the caller already loaded, the
/// others load theirs (from the same indexes) while the first is already resolving, and every thread
/// takes the next chunk of packages when it is done with one, so a late start costs nothing.
///
/// ```swift
/// let results = try ConcurrentResolution.resolve(sources, threads: 2, first: resolver,
///     load: { try DebianResolver(packages: ["Packages"], architecture: amd64) },
///     resolve: { resolver, source in resolver.resolve(source) })
/// ```
public enum ConcurrentResolution {
    /// The number of threads to use by default: the machine's active processors, at most 8.
    public static var defaultThreads: Int { max(1, min(8, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Below this many packages per extra thread, loading another pool costs more than it saves.
    public static let defaultMinimumPerThread = 2_000

    /// Resolves every item; the results are in the items' order. `resolve` may reduce a resolution to
    /// what the caller keeps (a count, a flag), so that memory holds only that. `first` is used only by the first thread, and only while this
    /// call runs; `load` runs once on each other thread. Fewer threads run when there are fewer than
    /// `minimumPerThread` items for each extra one.
    ///
    /// - Throws: the first error `load` throws (the items are then not resolved).
    public static func resolve<Resolver, Item: Sendable, Result: Sendable>(
        _ items: [Item], threads: Int = defaultThreads, minimumPerThread: Int = defaultMinimumPerThread, first: Resolver,
        load: @escaping @Sendable () throws(RebuildError) -> Resolver,
        resolve: @escaping @Sendable (Resolver, Item) -> Result
    ) throws(RebuildError) -> [Result] {
        let threads = max(1, min(threads, 1 + items.count / max(1, minimumPerThread)))
        if threads == 1 { return items.map { resolve(first, $0) } }
        let shared = Shared<Result>(count: items.count)
        let owned = Confined(first)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let resolver: Resolver
            if worker == 0 {
                resolver = owned.value
            } else {
                do throws(RebuildError) { resolver = try load() } catch {
                    shared.failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
            }
            var done: [(Int, Result)] = []
            while let range = shared.nextChunk() {
                for index in range { done.append((index, resolve(resolver, items[index]))) }
            }
            shared.results.withLock { $0.append(contentsOf: done) }
        }
        if let failure = shared.failure.withLock({ $0 }) { throw failure }
        let results = shared.results.withLock { $0 }.sorted { $0.0 < $1.0 }
        return results.map(\.1)
    }

    private final class Shared<Result: Sendable>: Sendable {
        let count: Int
        let next = Mutex(0)
        let results = Mutex<[(Int, Result)]>([])
        let failure = Mutex<RebuildError?>(nil)

        init(count: Int) { self.count = count }

        /// The next chunk of indexes nobody has taken, nil when none are left.
        func nextChunk() -> Range<Int>? {
            next.withLock { next in
                guard next < count else { return nil }
                let end = min(count, next + 64)
                defer { next = end }
                return next..<end
            }
        }
    }

    /// The caller's resolver, handed to the first worker thread. Sound because the caller blocks in
    /// `concurrentPerform` while that thread uses it, and no other thread touches it.
    private final class Confined<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}
