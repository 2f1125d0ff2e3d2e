import Foundation
import RebuildKit
import RebuildKitPostgres
import Testing

/// The stores every rebuild store test runs against: SQLite, and PostgreSQL when `TEST_POSTGRES_URL`
/// names a server (`make test` starts one); without it the PostgreSQL case is skipped, saying why.
enum RebuildStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    func make() async throws -> any RebuildStore {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-store-\(UUID().uuidString)").path
            return try SQLiteRebuildStore(path: directory + "/rebuild.sqlite")
        case .postgresql:
            guard let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty else {
                try Test.cancel("TEST_POSTGRES_URL is not set, so this PostgreSQL test is skipped; `make test` starts a server and sets it")
            }
            let schema = "r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            return try await PostgresRebuildStore(url: url, schema: schema, maximumConnections: 2)
        }
    }
}

/// What every ``RebuildStore`` keeps: snapshots whole or not at all, environments, the user's
/// settings across snapshots, incremental updates with relabeled binaries, builds.
@Suite("Rebuild store conformance (SQLite, PostgreSQL)")
struct RebuildStoreConformanceTests {
    static let libc = ResolvedPackage(name: "libc6", version: "2.36-9", distance: 2)
    static let gcc = ResolvedPackage(name: "gcc", version: "12.2.0-14", distance: 1)
    static let foo = ResolvedPackage(name: "libfoo-dev", version: "1.0-1", distance: 1)

    static func snapshot(_ tag: String) -> SnapshotIdentity { SnapshotIdentity(checksums: ["Packages": tag]) }

    @Test("A complete snapshot stores packages with their environments; settings survive the next one", arguments: RebuildStoreKind.allCases)
    func snapshots(kind: RebuildStoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.snapshot(collection: "c") == nil)
        let app = PackageRecord(collection: "c", name: "app", version: "1.0", staticPriority: 5, resolved: true,
                                environment: [Self.gcc, Self.libc, Self.foo])
        let broken = PackageRecord(collection: "c", name: "broken", version: "0.1", resolved: false, problems: ["nothing provides nosuch"])
        let binaries = [BinaryFingerprint(name: "gcc", version: "12.2.0-14", architecture: "amd64", provides: [], essential: false, shape: "x")]
        try await store.storeSnapshot(collection: "c", SnapshotUpdate(
            snapshot: Self.snapshot("one"), binaries: binaries, packages: [app, broken],
            changes: ["app": [DependencyChange(name: "gcc", oldVersion: "12.1", newVersion: "12.2.0-14", distance: 1)]], complete: true))
        #expect(try await store.snapshot(collection: "c") == Self.snapshot("one"))
        #expect(try await store.binaries(collection: "c") == binaries)
        let stored = try await store.packages(collection: "c")
        #expect(stored.map(\.name) == ["app", "broken"])
        #expect(stored[0].environment == [Self.gcc, Self.libc, Self.foo])
        #expect(stored[1].resolved == false && stored[1].problems == ["nothing provides nosuch"])
        #expect(try await store.packages(collection: "c", environments: false).first?.environment.isEmpty == true)
        #expect(try await store.package(collection: "c", name: "app")?.environment == [Self.gcc, Self.libc, Self.foo])
        #expect(try await store.changes(collection: "c", name: "app").map(\.name) == ["gcc"])

        try await store.update(collection: "c", name: "app", tracked: false, blocked: nil, manualPriority: 250)
        await #expect(throws: RebuildError.self) {
            try await store.update(collection: "c", name: "nosuch", tracked: true, blocked: nil, manualPriority: nil)
        }
        // A new complete snapshot keeps the user's settings and drops packages that left.
        try await store.storeSnapshot(collection: "c", SnapshotUpdate(
            snapshot: Self.snapshot("two"), packages: [PackageRecord(collection: "c", name: "app", version: "1.1", resolved: true)],
            changes: [:], complete: true))
        let again = try #require(try await store.package(collection: "c", name: "app"))
        #expect(again.version == "1.1" && again.tracked == false && again.manualPriority == 250)
        #expect(try await store.package(collection: "c", name: "broken") == nil)
        #expect(try await store.binaries(collection: "c") == nil)
        #expect(try await store.changes(collection: "c").isEmpty)
    }

    @Test("An incremental update rewrites only what changed and relabels stored environments", arguments: RebuildStoreKind.allCases)
    func incremental(kind: RebuildStoreKind) async throws {
        let store = try await kind.make()
        let app = PackageRecord(collection: "c", name: "app", version: "1.0", resolved: true, environment: [Self.gcc, Self.libc])
        let tool = PackageRecord(collection: "c", name: "tool", version: "2.0", resolved: true, environment: [Self.libc])
        let gone = PackageRecord(collection: "c", name: "gone", version: "3.0", resolved: true, environment: [Self.foo])
        try await store.storeSnapshot(collection: "c", SnapshotUpdate(snapshot: Self.snapshot("one"), packages: [app, tool, gone],
                                                                      changes: [:], complete: true))
        let newTool = PackageRecord(collection: "c", name: "tool", version: "2.1", resolved: true, environment: [Self.libc, Self.foo])
        try await store.storeSnapshot(collection: "c", SnapshotUpdate(
            snapshot: Self.snapshot("two"), packages: [newTool], removed: ["gone"],
            changes: ["tool": [DependencyChange(name: "libfoo-dev", oldVersion: nil, newVersion: "1.0-1", distance: 1)]],
            relabeled: ["libc6": IncrementalPlan.Relabel(oldVersion: "2.36-9", newVersion: "2.36-9+deb12u1")], complete: false))
        let packages = try await store.packages(collection: "c")
        #expect(packages.map(\.name) == ["app", "tool"])
        let relabeledLibc = ResolvedPackage(name: "libc6", version: "2.36-9+deb12u1", distance: 2)
        #expect(packages[0].environment == [Self.gcc, relabeledLibc], "app's stored environment now holds the new libc6")
        #expect(packages[1].version == "2.1" && packages[1].environment == [Self.libc, Self.foo],
                "tool was written after the relabel, with what it resolved to")
        #expect(try await store.changes(collection: "c").keys.sorted() == ["tool"])
    }

    @Test("Builds start, finish, and are listed per package and newest first", arguments: RebuildStoreKind.allCases)
    func builds(kind: RebuildStoreKind) async throws {
        let store = try await kind.make()
        try await store.storeSnapshot(collection: "c", SnapshotUpdate(
            snapshot: Self.snapshot("one"),
            packages: [PackageRecord(collection: "c", name: "app", version: "1.0", manualPriority: 100, resolved: true)],
            changes: ["app": [DependencyChange(name: "gcc", oldVersion: "1", newVersion: "2", distance: 1)]], complete: true))
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.startBuild(BuildRecord(collection: "c", package: "app", version: "1.0", backendID: "b1",
                                                           started: started, environment: [Self.gcc]))
        #expect(first.id > 0 && first.state == .running)
        #expect(try await store.package(collection: "c", name: "app")?.manualPriority == 0, "a build resets the manual priority")
        #expect(try await store.changes(collection: "c", name: "app").isEmpty, "a build clears pending changes")
        #expect(try await store.runningBuilds().map(\.id) == [first.id])
        try await store.finishBuild(id: first.id, state: .failed, reason: "exit status 1", at: started.addingTimeInterval(60))
        let second = try await store.startBuild(BuildRecord(collection: "c", package: "app", version: "1.0", backendID: "b2",
                                                            started: started.addingTimeInterval(120), environment: [Self.gcc, Self.libc]))
        #expect(try await store.runningBuilds().map(\.id) == [second.id])
        let history = try await store.builds(collection: "c", package: "app", limit: 5)
        #expect(history.map(\.id) == [second.id, first.id])
        #expect(history[1].state == .failed && history[1].reason == "exit status 1" && history[1].environment == [Self.gcc])
        #expect(try await store.recentBuilds(collection: "c", perPackage: 1)["app"]?.map(\.id) == [second.id])
    }
}
