public import Foundation
public import Logging
import Metrics
import PlatformSupport
public import ServiceLifecycle

/// Koschei's loop for one collection: resolve every source package when the repository changes,
/// keep each package's dependency changes since its last build, and submit the package with the
/// highest priority when the scheduler allows.
///
/// ```swift
/// let watcher = RebuildWatcher(collection: collection, store: try SQLiteRebuildStore(path: "rebuild.sqlite"),
///                              backend: ShellBuildBackend(command: "sbuild -d bookworm $REBUILD_PACKAGE_$REBUILD_VERSION", directory: "builds"))
/// while true {
///     try await watcher.refresh()
///     try await watcher.tick()
///     try await Task.sleep(for: .seconds(60))
/// }
/// ```
public final class RebuildWatcher: Sendable {
    public let collection: RebuildCollection
    public let store: any RebuildStore
    public let backend: any BuildBackend
    public let scheduler: RebuildScheduler

    /// How many threads resolve a snapshot (each with its own libsolv pool, so memory grows with it).
    public let resolverThreads: Int
    /// Where the indexes of a repository given as an http(s) URL are mirrored (``RepositoryMirror``).
    public let mirrorDirectory: String
    private let logger: Logger

    /// Creates a watcher. A collection whose repository is an http(s) URL is mirrored into
    /// `mirrorDirectory` (by default a directory named after the collection in the temporary directory).
    public init(collection: RebuildCollection, store: any RebuildStore, backend: any BuildBackend,
                scheduler: RebuildScheduler = RebuildScheduler(), resolverThreads: Int = ConcurrentResolution.defaultThreads,
                mirrorDirectory: String? = nil, logger: Logger = Logger(label: "forgeworks.rebuild")) {
        self.resolverThreads = resolverThreads
        self.mirrorDirectory = mirrorDirectory ?? "\(NSTemporaryDirectory())/forgeworks-rebuild-mirror/\(collection.name)"
        self.collection = collection
        self.store = store
        self.backend = backend
        self.scheduler = scheduler
        self.logger = logger
    }

    /// What a refresh did.
    public struct Refresh: Sendable, Hashable {
        /// The snapshot resolved against.
        public var snapshot: SnapshotIdentity
        /// False when the snapshot was the stored one and nothing was resolved.
        public var resolved: Bool
        /// How many source packages, and how many of them do not resolve.
        public var packages: Int
        public var unresolved: Int
        /// How many were resolved again (all of them unless the refresh was incremental).
        public var reresolved: Int = 0
        /// Whether only the packages the changed binaries affect were resolved (see ``IncrementalPlan``).
        public var incremental: Bool = false
        /// The incremental plan's counts: binaries changed beyond their version, and binaries relabeled.
        public var changedBinaries: Int = 0
        public var relabeledBinaries: Int = 0
        /// How many package records were written whole (an incremental refresh writes the ones it
        /// resolved again; the store relabels the others' environments in place).
        public var stored: Int = 0
    }

    /// `forgeworks_rebuild_refresh_duration_seconds{collection}`: how long refreshes (load and resolve) take.
    static let refreshDuration = MetricsCache(timer: "forgeworks_rebuild_refresh_duration_seconds")

    /// A loaded snapshot: its source packages and a resolver over its binaries.
    ///
    /// Unchecked: its closures hold a libsolv resolver, and ``refresh(force:)`` calls them only on its
    /// serial lane, one at a time.
    private struct Loaded: @unchecked Sendable {
        var snapshot: SnapshotIdentity
        var sources: [(name: String, version: String)]
        /// Resolves the sources at these indexes (on several threads when there are many).
        var resolve: ([Int]) throws(RebuildError) -> [BuildResolution]
        var fingerprints: () -> [BinaryFingerprint]
        var plan: ([BinaryFingerprint]) -> IncrementalPlan
    }

    /// The index files of a Debian collection's directory (`Packages` and `Sources`, plain or compressed).
    public static func debianIndexes(in directory: String) throws(RebuildError) -> (packages: String, sources: String) {
        func find(_ name: String) throws(RebuildError) -> String {
            for suffix in ["", ".xz", ".gz", ".zst", ".bz2"] where FileManager.default.fileExists(atPath: "\(directory)/\(name)\(suffix)") {
                return "\(directory)/\(name)\(suffix)"
            }
            throw RebuildError(.io, "no \(name) index (plain, .xz, .gz, .zst or .bz2)", operation: "find indexes", file: directory)
        }
        return (try find("Packages"), try find("Sources"))
    }

    /// Koschei's polling loop as a service: ``refresh(force:)`` every `refreshInterval` (a failed
    /// refresh keeps the stored snapshot) and ``tick(now:)`` every `tickInterval`, until the service
    /// group shuts down gracefully or the task is cancelled. Builds already submitted go on in their
    /// backend and are polled again at the next start.
    public func service(refreshInterval: Duration, tickInterval: Duration) -> some Service {
        WatchingService(watcher: self, refreshInterval: refreshInterval, tickInterval: tickInterval)
    }

    private struct WatchingService: Service {
        let watcher: RebuildWatcher
        let refreshInterval: Duration
        let tickInterval: Duration

        func run() async {
            await cancelWhenGracefulShutdown { [watcher, refreshInterval, tickInterval] in
                var lastRefresh = ContinuousClock.now - refreshInterval
                while !Task.isCancelled {
                    if ContinuousClock.now - lastRefresh >= refreshInterval {
                        lastRefresh = ContinuousClock.now
                        do { _ = try await watcher.refresh() } catch {
                            watcher.logger.error("refresh failed; the stored snapshot stays", metadata: ["error": "\(error)"])
                        }
                    }
                    do { _ = try await watcher.tick() } catch { watcher.logger.error("tick failed", metadata: ["error": "\(error)"]) }
                    try? await Task.sleep(for: tickInterval)
                }
            }
        }
    }

    /// Resolves the collection when its repository's snapshot changed (or was never resolved). The
    /// snapshot is stored whole, with every package's state and dependency changes, or not at all.
    ///
    /// When the store holds the previous snapshot's binaries, the refresh is incremental: only the
    /// source packages that are new, at a new version, or reached by a changed binary are resolved
    /// again; the others keep their environments, with relabeled binaries at their new versions
    /// (``IncrementalPlan``). `force` resolves everything.
    @discardableResult
    public func refresh(force: Bool = false) async throws(RebuildError) -> Refresh {
        let previous = try await store.snapshot(collection: collection.name)
        let repository = try await local(collection.repository, "binary")
        let sourceRepository: String?
        if let remote = collection.sourceRepository { sourceRepository = try await local(remote, "source") } else { sourceRepository = nil }
        let started = ContinuousClock.now
        defer { Self.refreshDuration(("collection", collection.name)).record(duration: ContinuousClock.now - started) }
        // Loading indexes and resolving are long and blocking (libsolv), and the resolver's pools may be used
        // by one thread at a time: they run on a serial lane of their own, off the cooperative pool.
        let lane = BlockingQueue.serial(label: "rebuildkit.refresh")
        let skipping = force ? nil : previous
        let found = try await lane.run { () throws(RebuildError) in
            try self.load(repository: repository, sourceRepository: sourceRepository, skipping: skipping)
        }
        guard let loaded = found else {
            return Refresh(snapshot: previous ?? SnapshotIdentity(checksums: [:]), resolved: false, packages: 0, unresolved: 0)
        }
        let tracked = collection.tracked.map(Set.init)
        let blocked = Set(collection.blocked ?? [])
        let lastBuilds = try await store.recentBuilds(collection: collection.name, perPackage: 1)
        var previousBinaries: [BinaryFingerprint]?
        if !force {
            do { previousBinaries = try await store.binaries(collection: collection.name) } catch {
                logger.warning("the stored binaries cannot be read; resolving everything", metadata: ["error": "\(error)"])
            }
        }
        var plan: IncrementalPlan?
        var stored: [String: PackageRecord] = [:]
        if let previousBinaries {
            plan = await lane.run { loaded.plan(previousBinaries) }
            for record in try await store.packages(collection: collection.name, environments: false) { stored[record.name] = record }
        }
        func keeps(_ source: (name: String, version: String)) -> Bool {
            guard let plan, let old = stored[source.name] else { return false }
            return old.version == source.version && old.resolved != nil && !plan.everything && !plan.affected.contains(source.name)
        }
        let order = loaded.sources.indices.sorted { loaded.sources[$0].name < loaded.sources[$1].name }
        let toResolve = order.filter { !keeps(loaded.sources[$0]) }
        var resolutions: [Int: BuildResolution] = [:]
        let resolved = try await lane.run { () throws(RebuildError) in try loaded.resolve(toResolve) }
        for (index, resolution) in zip(toResolve, resolved) { resolutions[index] = resolution }
        var written: [PackageRecord] = []
        var changes: [String: [DependencyChange]] = [:]
        var unresolved = 0, total = 0
        for index in order {
            let source = loaded.sources[index]
            guard let resolution = resolutions[index] else {
                // Kept: the store relabels its environment. Only a package with a build has pending changes to update.
                guard let plan, let old = stored[source.name] else { continue }
                total += 1
                if old.resolved == false { unresolved += 1 }
                if !plan.relabeled.isEmpty, old.resolved == true, let last = lastBuilds[source.name]?.first,
                   let environment = try await store.package(collection: collection.name, name: source.name)?.environment {
                    let relabeled = plan.relabel(environment)
                    if relabeled != environment { changes[source.name] = ChangeDetector.changes(from: last.environment, to: relabeled) }
                }
                continue
            }
            var record = PackageRecord(collection: collection.name, name: source.name, version: source.version,
                                       tracked: tracked?.contains(source.name) ?? true, blocked: blocked.contains(source.name))
            switch resolution {
            case .satisfiable(let environment):
                record.resolved = true
                record.environment = environment
                if let last = lastBuilds[source.name]?.first {
                    changes[source.name] = ChangeDetector.changes(from: last.environment, to: environment)
                }
            case .unsatisfiable(let problems):
                record.resolved = false
                record.problems = problems
            case .unparsable(let reason):
                record.resolved = false
                record.problems = ["unparsable: \(reason)"]
            case .notApplicable:
                continue
            }
            total += 1
            if record.resolved == false { unresolved += 1 }
            written.append(record)
        }
        let names = Set(loaded.sources.map(\.name))
        let fingerprints = await lane.run { loaded.fingerprints() }
        let update = SnapshotUpdate(snapshot: loaded.snapshot, binaries: fingerprints, packages: written,
                                    removed: plan == nil ? [] : stored.keys.filter { !names.contains($0) }.sorted(),
                                    changes: changes, relabeled: plan?.relabeled ?? [:], complete: plan == nil)
        try await store.storeSnapshot(collection: collection.name, update)
        var refresh = Refresh(snapshot: loaded.snapshot, resolved: true, packages: total, unresolved: unresolved)
        refresh.reresolved = toResolve.count
        refresh.incremental = plan != nil
        refresh.changedBinaries = plan?.changedBinaries ?? 0
        refresh.relabeledBinaries = plan?.relabeled.count ?? 0
        refresh.stored = written.count
        logger.info("resolved collection", metadata: ["collection": "\(collection.name)", "snapshot": "\(loaded.snapshot)",
                                                      "packages": "\(total)", "unresolved": "\(unresolved)", "resolved again": "\(toResolve.count)",
                                                      "incremental": "\(plan != nil)", "changed binaries": "\(refresh.changedBinaries)",
                                                      "relabeled binaries": "\(refresh.relabeledBinaries)",
                                                      "stored": "\(written.count)"])
        return refresh
    }

    /// The local directory of a repository: itself, or an up-to-date mirror of an http(s) URL.
    private func local(_ repository: String, _ role: String) async throws(RebuildError) -> String {
        guard RepositoryMirror.isRemote(repository) else { return repository }
        let mirror = try RepositoryMirror(url: repository, directory: "\(mirrorDirectory)/\(role)", kind: collection.kind)
        return try await mirror.update(logger: logger)
    }

    /// Reads the collection's indexes; nil when their snapshot is `skipping`.
    private func load(repository: String, sourceRepository: String?, skipping previous: SnapshotIdentity?) throws(RebuildError) -> Loaded? {
        switch collection.kind {
        case .debian:
            let (packagesPath, sourcesPath) = try Self.debianIndexes(in: repository)
            let snapshot = try SnapshotIdentity(files: [packagesPath, sourcesPath])
            if snapshot == previous { return nil }
            let architecture = try DebianArchitecture(collection.architecture)
            var group: [DependencyClause]?
            if let clauses = collection.buildGroup {
                group = []
                for text in clauses { group?.append(contentsOf: try DependencyParser.parse(text, field: "build group")) }
            }
            let buildGroup = group
            let load: @Sendable () throws(RebuildError) -> DebianResolver = {
                try DebianResolver(packages: [packagesPath], architecture: architecture, buildGroup: buildGroup)
            }
            let resolver = try load()
            for rejected in resolver.rejectedBinaries {
                logger.warning("binary package left out", metadata: ["collection": "\(collection.name)", "reason": "\(rejected)"])
            }
            var newest: [String: SourcePackage] = [:]
            for source in try SourcePackage.load(sourcesPath) where source.builds(on: architecture) {
                // One record per name: the stanza the archive builds from, not one kept only for Built-Using.
                if let seen = newest[source.name], !seen.extraSourceOnly, source.extraSourceOnly { continue }
                newest[source.name] = source
            }
            let sources = Array(newest.values)
            return Loaded(snapshot: snapshot, sources: sources.map { ($0.name, $0.version) },
                          resolve: { [threads = resolverThreads] indexes throws(RebuildError) in
                              try ConcurrentResolution.resolve(indexes.map { sources[$0] }, threads: threads, first: resolver, load: load,
                                                               resolve: { $0.resolve($1) })
                          },
                          fingerprints: { resolver.binaryFingerprints() }, plan: { resolver.plan(previous: $0, sources: sources) })
        case .rpm:
            guard let sourceDirectory = sourceRepository else {
                throw RebuildError(.invalidConfiguration, "an rpm collection needs a source repository", operation: "refresh \(collection.name)")
            }
            let binary = try RPMRepository(directory: repository)
            let source = try RPMRepository(directory: sourceDirectory)
            let snapshot = SnapshotIdentity(checksums: ["primary": binary.primaryChecksum, "source-primary": source.primaryChecksum])
            if snapshot == previous { return nil }
            let (architecture, buildGroup) = (collection.architecture, collection.buildGroup ?? RPMResolver.defaultBuildGroup)
            let load: @Sendable () throws(RebuildError) -> RPMResolver = {
                try RPMResolver(repositories: [binary], architecture: architecture, buildGroup: buildGroup)
            }
            let resolver = try load()
            let sources = try RPMSourcePackage.load(primary: source.primaryPath)
            return Loaded(snapshot: snapshot, sources: sources.map { ($0.name, $0.version) },
                          resolve: { [threads = resolverThreads] indexes throws(RebuildError) in
                              try ConcurrentResolution.resolve(indexes.map { sources[$0] }, threads: threads, first: resolver, load: load,
                                                               resolve: { $0.resolve($1) })
                          },
                          fingerprints: { resolver.binaryFingerprints() }, plan: { resolver.plan(previous: $0, sources: sources) })
        }
    }

    /// A package as the status page and API show it.
    public struct PackageStatus: Sendable, Hashable, Codable {
        public var package: PackageRecord
        public var state: PackageState
        public var priority: PriorityBreakdown
        public var lastBuild: BuildRecord?
        public var changes: [DependencyChange]
    }

    /// Every package's status, highest priority first. Environments are left out (``status(of:now:)``
    /// has a package's).
    public func status(now: Date = Date()) async throws(RebuildError) -> [PackageStatus] {
        let builds = try await store.recentBuilds(collection: collection.name, perPackage: Self.buildsForPriority)
        let changes = try await store.changes(collection: collection.name)
        let statuses = try await store.packages(collection: collection.name, environments: false).map {
            status(of: $0, builds: builds[$0.name] ?? [], changes: changes[$0.name] ?? [], now: now)
        }
        return statuses.sorted { ($0.priority.total, $1.package.name) > ($1.priority.total, $0.package.name) }
    }

    /// One package's status.
    public func status(of package: PackageRecord, now: Date = Date()) async throws(RebuildError) -> PackageStatus {
        let builds = try await store.builds(collection: collection.name, package: package.name, limit: Self.buildsForPriority)
        let changes = try await store.changes(collection: collection.name, name: package.name)
        return status(of: package, builds: builds, changes: changes, now: now)
    }

    /// How many of a package's newest builds its status reads (the priority needs the last two finished ones).
    private static let buildsForPriority = 10

    private func status(of package: PackageRecord, builds: [BuildRecord], changes: [DependencyChange], now: Date) -> PackageStatus {
        PackageStatus(package: package, state: RebuildScheduler.state(of: package, lastBuild: builds.first),
                             priority: scheduler.priority(of: package, builds: builds, changes: changes, now: now),
                             lastBuild: builds.first, changes: changes)
    }

    /// What a tick did: the builds that ended, and the scheduler's decision.
    public struct Tick: Sendable, Hashable {
        public var finished: [BuildRecord]
        public var decision: RebuildScheduler.Decision
        public var submitted: BuildRecord?
    }

    /// Polls running builds, then asks the scheduler whether to submit one.
    @discardableResult
    public func tick(now: Date = Date()) async throws(RebuildError) -> Tick {
        var finished: [BuildRecord] = []
        var running = try await store.runningBuilds().filter { $0.collection == collection.name }
        for build in running {
            let state: BuildState, reason: String?
            switch try await backend.poll(build.backendID) {
            case .running: continue
            case .succeeded: (state, reason) = (.succeeded, nil)
            case .failed(let why): (state, reason) = (.failed, why)
            case .canceled: (state, reason) = (.canceled, nil)
            }
            try await store.finishBuild(id: build.id, state: state, reason: reason, at: now)
            var ended = build
            ended.state = state
            ended.reason = reason
            ended.finished = now
            finished.append(ended)
            logger.info("build ended", metadata: ["package": "\(build.package)", "state": "\(state.rawValue)"])
        }
        running.removeAll { build in finished.contains { $0.id == build.id } }
        let building = Set(running.map(\.package))
        var candidates: [RebuildScheduler.Candidate] = []
        for status in try await status(now: now) {
            candidates.append(.init(package: status.package, priority: status.priority, building: building.contains(status.package.name)))
        }
        let decision = scheduler.decide(candidates: candidates, runningBuilds: running.count)
        guard case .submit(let name, _) = decision, let package = try await store.package(collection: collection.name, name: name) else {
            return Tick(finished: finished, decision: decision, submitted: nil)
        }
        let request = BuildRequest(collection: collection.name, package: name, version: package.version,
                                   architecture: collection.architecture, environment: package.environment)
        let id = try await backend.submit(request)
        let build = try await store.startBuild(BuildRecord(collection: collection.name, package: name, version: package.version,
                                                     backendID: id, started: now, environment: package.environment))
        logger.info("build submitted", metadata: ["package": "\(name)", "backend": "\(id)"])
        return Tick(finished: finished, decision: decision, submitted: build)
    }
}
