import Foundation
import RebuildKit
import RebuildKitPipelines
import Testing

@Suite("scheduling: limits, priorities, the store and the watcher")
struct SchedulingTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func candidate(_ name: String, priority: Double, tracked: Bool = true, blocked: Bool = false, resolved: Bool? = true,
                          building: Bool = false) -> RebuildScheduler.Candidate {
        let package = PackageRecord(collection: "c", name: name, version: "1", tracked: tracked, blocked: blocked, resolved: resolved)
        let breakdown = PriorityBreakdown(manual: priority, static: 0, coefficient: 1, dependency: 0, build: 0, time: 0)
        return .init(package: package, priority: breakdown, building: building)
    }

    @Test("the highest eligible priority at or over the threshold is submitted; blocked, untracked, unresolved and building ones never")
    func decisions() {
        let scheduler = RebuildScheduler(maxRunningBuilds: 2, load: { 0 })
        let candidates = [
            Self.candidate("blocked", priority: 10_000, blocked: true),
            Self.candidate("untracked", priority: 9_000, tracked: false),
            Self.candidate("unresolved", priority: 8_000, resolved: false),
            Self.candidate("never-resolved", priority: 7_500, resolved: nil),
            Self.candidate("building", priority: 7_000, building: true),
            Self.candidate("b", priority: 300),
            Self.candidate("a", priority: 300),
            Self.candidate("low", priority: 255),
        ]
        #expect(scheduler.decide(candidates: candidates, runningBuilds: 1) == .submit("a", candidates[6].priority))
        #expect(scheduler.decide(candidates: [Self.candidate("low", priority: 255.9)], runningBuilds: 0)
            == .wait("the highest priority, 255 (low), is below 256"))
        #expect(scheduler.decide(candidates: [Self.candidate("x", priority: 256)], runningBuilds: 0) == .submit("x", Self.candidate("x", priority: 256).priority))
    }

    @Test("at most N running builds, and nothing while the load check fails")
    func limits() {
        let candidates = [Self.candidate("a", priority: 1_000)]
        let full = RebuildScheduler(maxRunningBuilds: 2, load: { 0 })
        #expect(full.decide(candidates: candidates, runningBuilds: 2) == .wait("2 builds running, the limit is 2"))
        #expect(full.decide(candidates: candidates, runningBuilds: 1) == .submit("a", candidates[0].priority))
        let loaded = RebuildScheduler(maxRunningBuilds: 5, loadThreshold: 0.7, load: { 0.75 })
        #expect(loaded.decide(candidates: candidates, runningBuilds: 0) == .wait("load 0.75 is above 0.7"))
        let idle = RebuildScheduler(maxRunningBuilds: 5, loadThreshold: 0.7, load: { 0.69 })
        #expect(idle.decide(candidates: candidates, runningBuilds: 0) == .submit("a", candidates[0].priority))
    }

    @Test("priority parts: changes since the last build, +200 for a newly failed build, the time part, the coefficient")
    func priorities() {
        let scheduler = RebuildScheduler(coefficient: 2, load: { 0 })
        let package = PackageRecord(collection: "c", name: "p", version: "1", manualPriority: 10, staticPriority: 5)
        func build(_ state: BuildState, hoursAgo: Double) -> BuildRecord {
            BuildRecord(collection: "c", package: "p", version: "1", state: state, backendID: "x",
                        started: Self.now.addingTimeInterval(-hoursAgo * 3600), environment: [])
        }
        let changes = [DependencyChange(name: "libc6", oldVersion: "1", newVersion: "2", distance: 2),
                       DependencyChange(name: "gcc", oldVersion: "1", newVersion: "2", distance: nil)]
        // Failed after a success, six hours ago (time part 0): manual 10 + static 5 + 2 × (128 + 32 + 200 + 0).
        let newlyFailed = scheduler.priority(of: package, builds: [build(.failed, hoursAgo: 6), build(.succeeded, hoursAgo: 30)], changes: changes, now: Self.now)
        #expect(newlyFailed.dependency == 160)
        #expect(newlyFailed.build == 200)
        #expect(abs(newlyFailed.time) < 1e-9)
        #expect(abs(newlyFailed.total - (15 + 2 * 360)) < 1e-9)
        // Failed twice in a row: no +200. A week after the last build the time part is 256.
        let stillFailing = scheduler.priority(of: package, builds: [build(.failed, hoursAgo: 168), build(.failed, hoursAgo: 200)], changes: [], now: Self.now)
        #expect(stillFailing.build == 0)
        #expect(abs(stillFailing.time - 256) < 1e-9)
        // Never built: no build or time part.
        let fresh = scheduler.priority(of: package, builds: [], changes: [], now: Self.now)
        #expect(fresh.total == 15)
    }

    static func collectionDirectory(packages: String, sources: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try packages.write(toFile: "\(directory)/Packages", atomically: true, encoding: .utf8)
        try sources.write(toFile: "\(directory)/Sources", atomically: true, encoding: .utf8)
        return directory
    }

    static let sources = """
        Package: app
        Version: 1
        Architecture: any
        Build-Depends: libfoo-dev

        Package: other
        Version: 2
        Architecture: any
        Build-Depends: libc6

        Package: broken
        Version: 3
        Architecture: any
        Build-Depends: nosuch

        Package: held
        Version: 4
        Architecture: any

        """

    @Test("the watcher: resolve a snapshot once, submit by priority through a shell backend, record builds, diff against the last build")
    func watcher() async throws {
        let directory = try Self.collectionDirectory(packages: ChangeTests.base, sources: Self.sources)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let collection = RebuildCollection(name: "test", kind: .debian, repository: directory, architecture: "amd64", blocked: ["held"])
        let store = try SQLiteRebuildStore(path: "\(directory)/state/rebuild.sqlite")
        let backend = ShellBuildBackend(command: #"echo "building $REBUILD_PACKAGE $REBUILD_VERSION"; cat "$REBUILD_ENVIRONMENT"; [ "$REBUILD_PACKAGE" != other ]"#,
                                        directory: "\(directory)/builds")
        let watcher = RebuildWatcher(collection: collection, store: store, backend: backend,
                                     scheduler: RebuildScheduler(maxRunningBuilds: 1, load: { 0 }))

        let first = try await watcher.refresh()
        #expect(first.resolved && first.packages == 4 && first.unresolved == 1)
        #expect(try await watcher.refresh().resolved == false, "the same snapshot is not resolved again")
        var states = Dictionary(uniqueKeysWithValues: try await watcher.status().map { ($0.package.name, $0.state) })
        #expect(states == ["app": .ok, "other": .ok, "broken": .unresolved, "held": .blocked])
        #expect(try await store.package(collection: "test", name: "broken")?.problems.first?.contains("nosuch") == true)

        // Nothing reaches the threshold yet.
        var tick = try await watcher.tick(now: Self.now)
        #expect(tick.submitted == nil)
        // A person raises app's priority: it is submitted, with its environment, and the manual priority is reset.
        try await store.update(collection: "test", name: "app", tracked: nil, blocked: nil, manualPriority: 300)
        try await store.update(collection: "test", name: "other", tracked: nil, blocked: nil, manualPriority: 280)
        tick = try await watcher.tick(now: Self.now)
        let appBuild = try #require(tick.submitted)
        #expect(appBuild.package == "app")
        #expect(appBuild.environment.map(\.name) == ["build-essential", "gcc", "libc6", "libfoo-dev", "libfoo1"])
        #expect(try await store.package(collection: "test", name: "app")?.manualPriority == 0)
        // One build at a time: other waits until app's build has ended.
        tick = try await watcher.tick(now: Self.now)
        if tick.finished.isEmpty {
            #expect(tick.decision == .wait("1 builds running, the limit is 1"))
        }
        for _ in 0..<200 where try await store.runningBuilds().contains(where: { $0.package == "app" }) {
            try await Task.sleep(for: .milliseconds(25))
            tick = try await watcher.tick(now: Self.now)
        }
        let appHistory = try await store.builds(collection: "test", package: "app", limit: 5)
        #expect(appHistory.first?.state == .succeeded)
        let log = try String(contentsOfFile: backend.logPath(appBuild.backendID), encoding: .utf8)
        #expect(log.contains("building app 1") && log.contains("libfoo1 1.0"))
        // other's build fails (the command exits 1): failing, with the reason.
        for _ in 0..<200 where try await store.builds(collection: "test", package: "other", limit: 1).first?.state ?? .running == .running {
            try await Task.sleep(for: .milliseconds(25))
            try await watcher.tick(now: Self.now)
        }
        #expect(try await store.builds(collection: "test", package: "other", limit: 1).first?.reason == "exit status 1")
        states = Dictionary(uniqueKeysWithValues: try await watcher.status(now: Self.now).map { ($0.package.name, $0.state) })
        #expect(states["other"] == .failing)

        // A new snapshot: libc6 and libfoo move. app's changes are against its last build, with distances.
        let newer = ChangeTests.base.replacingOccurrences(of: "Version: 2.36-9", with: "Version: 2.37-1")
        try newer.write(toFile: "\(directory)/Packages", atomically: true, encoding: .utf8)
        #expect(try await watcher.refresh().resolved)
        let app = try #require(try await watcher.status(now: Self.now).first { $0.package.name == "app" })
        #expect(app.changes == [DependencyChange(name: "libc6", oldVersion: "2.36-9", newVersion: "2.37-1", distance: 3)])
        #expect(abs(app.priority.dependency - 256.0 / 3) < 1e-9)
        // Tracking and blocking set by hand survive a new snapshot.
        try await store.update(collection: "test", name: "app", tracked: false, blocked: nil, manualPriority: nil)
        #expect(try await watcher.refresh(force: true).resolved)
        #expect(try await store.package(collection: "test", name: "app")?.tracked == false)
        await #expect(throws: RebuildError.self) { try await store.update(collection: "test", name: "nosuch", tracked: true, blocked: nil, manualPriority: nil) }
    }

    @Test("a malformed index is an error and the stored snapshot stays as it was")
    func partialSnapshot() async throws {
        let directory = try Self.collectionDirectory(packages: ChangeTests.base, sources: Self.sources)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteRebuildStore(path: "\(directory)/rebuild.sqlite")
        let watcher = RebuildWatcher(collection: RebuildCollection(name: "test", kind: .debian, repository: directory, architecture: "amd64"),
                                     store: store, backend: ShellBuildBackend(command: "true", directory: "\(directory)/builds"))
        let good = try await watcher.refresh()
        try (Self.sources + "Package: truncated\nVersion").write(toFile: "\(directory)/Sources", atomically: true, encoding: .utf8)
        await #expect(throws: RebuildError.self) { try await watcher.refresh() }
        #expect(try await store.snapshot(collection: "test") == good.snapshot)
        #expect(try await store.packages(collection: "test").count == 4)
    }
}
