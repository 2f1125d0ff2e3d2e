public import Foundation
public import Logging

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
    private let logger: Logger

    /// Creates a watcher.
    public init(collection: RebuildCollection, store: any RebuildStore, backend: any BuildBackend,
                scheduler: RebuildScheduler = RebuildScheduler(), logger: Logger = Logger(label: "forgeworks.rebuild")) {
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

    /// Resolves the collection when its repository's snapshot changed (or was never resolved). The
    /// snapshot is stored whole, with every package's state and dependency changes, or not at all.
    @discardableResult
    public func refresh(force: Bool = false) async throws(RebuildError) -> Refresh {
        let previous = try store.snapshot(collection: collection.name)
        var results: [(name: String, version: String, resolution: BuildResolution)] = []
        let snapshot: SnapshotIdentity
        switch collection.kind {
        case .debian:
            let (packagesPath, sourcesPath) = try Self.debianIndexes(in: collection.repository)
            snapshot = try SnapshotIdentity(files: [packagesPath, sourcesPath])
            if !force, snapshot == previous { return Refresh(snapshot: snapshot, resolved: false, packages: 0, unresolved: 0) }
            let architecture = try DebianArchitecture(collection.architecture)
            var group: [DependencyClause]?
            if let clauses = collection.buildGroup {
                group = []
                for text in clauses { group?.append(contentsOf: try DependencyParser.parse(text, field: "build group")) }
            }
            let resolver = try DebianResolver(packages: [packagesPath], architecture: architecture, buildGroup: group)
            var newest: [String: SourcePackage] = [:]
            for source in try SourcePackage.load(sourcesPath) where source.builds(on: architecture) {
                // One record per name: the stanza the archive builds from, not one kept only for Built-Using.
                if let seen = newest[source.name], !seen.extraSourceOnly, source.extraSourceOnly { continue }
                newest[source.name] = source
            }
            for source in newest.values { results.append((source.name, source.version, resolver.resolve(source))) }
        case .rpm:
            guard let sourceDirectory = collection.sourceRepository else {
                throw RebuildError(.invalidConfiguration, "an rpm collection needs a source repository", operation: "refresh \(collection.name)")
            }
            let binary = try RPMRepository(directory: collection.repository)
            let source = try RPMRepository(directory: sourceDirectory)
            snapshot = SnapshotIdentity(checksums: ["primary": binary.primaryChecksum, "source-primary": source.primaryChecksum])
            if !force, snapshot == previous { return Refresh(snapshot: snapshot, resolved: false, packages: 0, unresolved: 0) }
            let resolver = try RPMResolver(repositories: [binary], architecture: collection.architecture,
                                           buildGroup: collection.buildGroup ?? RPMResolver.defaultBuildGroup)
            for package in try RPMSourcePackage.load(primary: source.primaryPath) {
                results.append((package.name, package.version, resolver.resolve(package)))
            }
        }
        let tracked = collection.tracked.map(Set.init)
        let blocked = Set(collection.blocked ?? [])
        var records: [PackageRecord] = []
        var changes: [String: [DependencyChange]] = [:]
        var unresolved = 0
        let lastBuilds = try store.recentBuilds(collection: collection.name, perPackage: 1)
        for (name, version, resolution) in results.sorted(by: { $0.name < $1.name }) {
            var record = PackageRecord(collection: collection.name, name: name, version: version,
                                       tracked: tracked?.contains(name) ?? true, blocked: blocked.contains(name))
            switch resolution {
            case .satisfiable(let environment):
                record.resolved = true
                record.environment = environment
                if let last = lastBuilds[name]?.first {
                    changes[name] = ChangeDetector.changes(from: last.environment, to: environment)
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
            if record.resolved == false { unresolved += 1 }
            records.append(record)
        }
        try store.storeSnapshot(collection: collection.name, snapshot: snapshot, packages: records, changes: changes)
        logger.info("resolved collection", metadata: ["collection": "\(collection.name)", "snapshot": "\(snapshot)",
                                                      "packages": "\(records.count)", "unresolved": "\(unresolved)"])
        return Refresh(snapshot: snapshot, resolved: true, packages: records.count, unresolved: unresolved)
    }

    /// A package as the status page and API show it.
    public struct PackageStatus: Sendable, Hashable, Codable {
        public var package: PackageRecord
        public var state: PackageState
        public var priority: PriorityBreakdown
        public var lastBuild: BuildRecord?
        public var changes: [DependencyChange]
    }

    /// Every package's status, highest priority first.
    public func status(now: Date = Date()) throws(RebuildError) -> [PackageStatus] {
        let builds = try store.recentBuilds(collection: collection.name, perPackage: Self.buildsForPriority)
        let changes = try store.changes(collection: collection.name)
        let statuses = try store.packages(collection: collection.name).map {
            status(of: $0, builds: builds[$0.name] ?? [], changes: changes[$0.name] ?? [], now: now)
        }
        return statuses.sorted { ($0.priority.total, $1.package.name) > ($1.priority.total, $0.package.name) }
    }

    /// One package's status.
    public func status(of package: PackageRecord, now: Date = Date()) throws(RebuildError) -> PackageStatus {
        status(of: package, builds: try store.builds(collection: collection.name, package: package.name, limit: Self.buildsForPriority),
               changes: try store.changes(collection: collection.name, name: package.name), now: now)
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
        var running = try store.runningBuilds().filter { $0.collection == collection.name }
        for build in running {
            let state: BuildState, reason: String?
            switch try await backend.poll(build.backendID) {
            case .running: continue
            case .succeeded: (state, reason) = (.succeeded, nil)
            case .failed(let why): (state, reason) = (.failed, why)
            case .canceled: (state, reason) = (.canceled, nil)
            }
            try store.finishBuild(id: build.id, state: state, reason: reason, at: now)
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
        for status in try status(now: now) {
            candidates.append(.init(package: status.package, priority: status.priority, building: building.contains(status.package.name)))
        }
        let decision = scheduler.decide(candidates: candidates, runningBuilds: running.count)
        guard case .submit(let name, _) = decision, let package = candidates.first(where: { $0.package.name == name })?.package else {
            return Tick(finished: finished, decision: decision, submitted: nil)
        }
        let request = BuildRequest(collection: collection.name, package: name, version: package.version,
                                   architecture: collection.architecture, environment: package.environment)
        let id = try await backend.submit(request)
        let build = try store.startBuild(BuildRecord(collection: collection.name, package: name, version: package.version,
                                                     backendID: id, started: now, environment: package.environment))
        logger.info("build submitted", metadata: ["package": "\(name)", "backend": "\(id)"])
        return Tick(finished: finished, decision: decision, submitted: build)
    }
}
