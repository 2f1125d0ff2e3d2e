import Foundation

/// Per source package, the build-dependency changes between two Debian snapshots: the older one
/// resolved in full, the newer one incrementally (only the source packages its changed binaries can
/// affect are resolved again, as ``RebuildWatcher`` does on a refresh), or in full when asked.
public struct SnapshotDiff: Sendable {
    /// A source package whose build environment changed.
    public struct Entry: Sendable {
        public var source: String
        public var version: String
        /// Koschei's dependency priority of these changes (``PriorityPolicy``).
        public var dependencyPriority: Double
        public var changes: [DependencyChange]
    }

    /// The packages whose environments changed, in the newer `Sources` order.
    public var entries: [Entry]
    /// The plan the newer snapshot was resolved by (nil when resolved in full).
    public var plan: IncrementalPlan?
    /// How many source packages the newer snapshot lists, and how many were resolved again.
    public var sources: Int
    public var resolvedAgain: Int
    /// Loading the newer snapshot, planning, and resolving again.
    public var loading: Duration
    public var planning: Duration
    public var resolving: Duration

    /// Compares the snapshots in directories `old` and `new` (each with a `Packages` and a `Sources`
    /// index), for `architecture`, on `threads` threads.
    ///
    /// - Throws: ``RebuildError`` when an index cannot be read or the architecture is unknown.
    public static func compute(old: String, new: String, architecture: DebianArchitecture, threads: Int = ConcurrentResolution.defaultThreads,
                               full: Bool = false, policy: PriorityPolicy = PriorityPolicy()) throws(RebuildError) -> SnapshotDiff {
        let oldIndexes = try RebuildWatcher.debianIndexes(in: old), newIndexes = try RebuildWatcher.debianIndexes(in: new)
        let sources = try SourcePackage.load(newIndexes.sources)
        let (oldPackages, newPackages) = (oldIndexes.packages, newIndexes.packages)
        let before = try DebianResolver(packages: [oldPackages], architecture: architecture)
        let baseline = try ConcurrentResolution.resolve(sources, threads: threads, first: before, load: { () throws(RebuildError) -> DebianResolver in
            try DebianResolver(packages: [oldPackages], architecture: architecture)
        }, resolve: { $0.resolve($1) })
        let previous = before.binaryFingerprints()
        let started = ContinuousClock.now
        let after = try DebianResolver(packages: [newPackages], architecture: architecture)
        _ = after.binaryFingerprints()  // kept with the snapshot in a watcher: part of loading
        let loaded = ContinuousClock.now
        let plan = full ? nil : after.plan(previous: previous, sources: sources)
        let planned = ContinuousClock.now
        let again = sources.indices.filter { index in
            guard let plan else { return true }
            return plan.everything || plan.affected.contains(sources[index].name)
        }
        let resolvedAgain = try ConcurrentResolution.resolve(again.map { sources[$0] }, threads: threads, first: after, load: { () throws(RebuildError) -> DebianResolver in
            try DebianResolver(packages: [newPackages], architecture: architecture)
        }, resolve: { $0.resolve($1) })
        let resolving = ContinuousClock.now - planned
        var fresh: [Int: BuildResolution] = [:]
        for (index, resolution) in zip(again, resolvedAgain) { fresh[index] = resolution }
        var entries: [Entry] = []
        for (index, (source, was)) in zip(sources, baseline).enumerated() {
            let now: BuildResolution
            if let resolution = fresh[index] {
                now = resolution
            } else {
                guard let plan, case .satisfiable(let environment) = was else { continue }
                now = .satisfiable(plan.relabel(environment))
            }
            guard case .satisfiable(let was) = was, case .satisfiable(let now) = now else { continue }
            let changes = ChangeDetector.changes(from: was, to: now)
            guard !changes.isEmpty else { continue }
            entries.append(Entry(source: source.name, version: source.version,
                                 dependencyPriority: policy.dependencyPriority(distances: changes.map(\.distance)), changes: changes))
        }
        return SnapshotDiff(entries: entries, plan: plan, sources: sources.count, resolvedAgain: again.count,
                            loading: loaded - started, planning: planned - loaded, resolving: resolving)
    }
}
