import Foundation
import RebuildKit
import RebuildKitPipelines
import Testing

/// Incremental re-resolution: after an update, resolving only what the plan says is affected (and
/// relabeling the rest) must give exactly what resolving everything gives.
@Suite("incremental re-resolution")
struct IncrementalTests {
    /// The older snapshot's binaries, stanza by stanza.
    static let base: [String] = [
        "Package: base-files\nVersion: 12.4\nArchitecture: amd64\nEssential: yes",
        "Package: build-essential\nVersion: 12.9\nArchitecture: amd64\nDepends: gcc, libc6-dev",
        "Package: gcc\nVersion: 4:12.2.0-3\nArchitecture: amd64\nDepends: libc6 (>= 2.34)",
        "Package: libc6\nVersion: 2.36-9\nArchitecture: amd64",
        "Package: libc6-dev\nVersion: 2.36-9\nArchitecture: amd64\nDepends: libc6 (= 2.36-9)",
        "Package: libfoo1\nVersion: 1.0-1\nArchitecture: amd64\nDepends: libc6 (>= 2.30)",
        "Package: libfoo-dev\nVersion: 1.0-1\nArchitecture: amd64\nDepends: libfoo1 (= 1.0-1)",
        "Package: libbar-dev\nVersion: 2.0-1\nArchitecture: amd64\nProvides: libbar-api",
        "Package: libbaz-dev\nVersion: 1.0-1\nArchitecture: amd64",
        "Package: tool\nVersion: 3.0-1\nArchitecture: amd64\nDepends: libfoo1 | libbaz-dev",
    ]

    static let sources = """
        Package: app
        Version: 1.0
        Architecture: any
        Build-Depends: libfoo-dev

        Package: strict
        Version: 1.0
        Architecture: any
        Build-Depends: libfoo-dev (<< 1.0-2)

        Package: other
        Version: 1.0
        Architecture: any
        Build-Depends: libbaz-dev

        Package: pinned
        Version: 1.0
        Architecture: any
        Build-Depends: libbaz-dev (<< 1.1)

        Package: virt
        Version: 1.0
        Architecture: any
        Build-Depends: libbar-api

        Package: need
        Version: 1.0
        Architecture: any
        Build-Depends: newthing

        Package: uses-tool
        Version: 1.0
        Architecture: any
        Build-Depends: tool

        Package: plain
        Version: 1.0
        Architecture: any

        """

    /// A directory with `Packages` (the stanzas) and `Sources`.
    static func snapshot(_ stanzas: [String], sources: String = sources) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("incremental-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (stanzas.joined(separator: "\n\n") + "\n").write(toFile: "\(directory)/Packages", atomically: true, encoding: .utf8)
        try sources.write(toFile: "\(directory)/Sources", atomically: true, encoding: .utf8)
        return directory
    }

    /// `base` with the stanza of `name` replaced (nil removes it), or a stanza added.
    static func updated(_ changes: [String: String?]) -> [String] {
        var stanzas: [String] = []
        var seen: Set<String> = []
        for stanza in base {
            let name = String(stanza.split(separator: "\n")[0].dropFirst("Package: ".count))
            seen.insert(name)
            if let replacement = changes[name] {
                if let replacement { stanzas.append(replacement) }
            } else {
                stanzas.append(stanza)
            }
        }
        for (name, stanza) in changes.sorted(by: { $0.key < $1.key }) where !seen.contains(name) {
            if let stanza { stanzas.append(stanza) }
        }
        return stanzas
    }

    /// Plans the update from `base` to `stanzas`, checks that the incremental results equal a full
    /// resolution for every source package, and returns the plan.
    static func plan(to stanzas: [String]) throws -> (plan: IncrementalPlan, after: [String: BuildResolution]) {
        let amd64 = try DebianArchitecture("amd64")
        let old = try snapshot(base), new = try snapshot(stanzas)
        defer {
            try? FileManager.default.removeItem(atPath: old)
            try? FileManager.default.removeItem(atPath: new)
        }
        let sources = try SourcePackage.load("\(new)/Sources")
        let before = try DebianResolver(packages: ["\(old)/Packages"], architecture: amd64)
        let after = try DebianResolver(packages: ["\(new)/Packages"], architecture: amd64)
        let plan = after.plan(previous: before.binaryFingerprints(), sources: sources)
        var results: [String: BuildResolution] = [:]
        for source in sources {
            let full = after.resolve(source)
            results[source.name] = full
            if plan.everything || plan.affected.contains(source.name) { continue }
            switch before.resolve(source) {
            case .satisfiable(let environment):
                #expect(full == .satisfiable(plan.relabel(environment)), "\(source.name) was not re-resolved but changed")
            case let kept:
                #expect(full == kept, "\(source.name) was not re-resolved but changed")
            }
        }
        return (plan, results)
    }

    @Test("nothing changed: nothing to resolve again")
    func unchanged() throws {
        let (plan, _) = try Self.plan(to: Self.base)
        #expect(plan.changedBinaries == 0)
        #expect(plan.relabeled.isEmpty)
        #expect(plan.affected.isEmpty)
        #expect(!plan.everything)
    }

    @Test("a stable update that only bumps versions (exact relations following) is relabeled, without a solve")
    func relabel() throws {
        let (plan, after) = try Self.plan(to: Self.updated([
            "libfoo1": "Package: libfoo1\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libc6 (>= 2.30)",
            "libfoo-dev": "Package: libfoo-dev\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libfoo1 (= 1.0-1+deb12u1)",
        ]))
        #expect(plan.changedBinaries == 0)
        #expect(plan.relabeled == ["libfoo1": .init(oldVersion: "1.0-1", newVersion: "1.0-1+deb12u1"),
                                   "libfoo-dev": .init(oldVersion: "1.0-1", newVersion: "1.0-1+deb12u1")])
        #expect(plan.affected.isEmpty)
        guard case .satisfiable(let environment) = after["app"] else { Issue.record("app does not resolve"); return }
        #expect(environment.contains(ResolvedPackage(name: "libfoo-dev", version: "1.0-1+deb12u1", distance: 1)))
    }

    @Test("a version bump that a versioned build-dependency tells apart is a change, and reaches its users")
    func relabelRefused() throws {
        let (plan, after) = try Self.plan(to: Self.updated([
            "libbaz-dev": "Package: libbaz-dev\nVersion: 1.1-1\nArchitecture: amd64",
        ]))
        #expect(plan.relabeled.isEmpty)
        #expect(plan.changedBinaries == 1)
        #expect(plan.affected == ["other", "pinned", "uses-tool"])
        #expect(after["pinned"]?.isSatisfiable == false)
    }

    @Test("a new provider affects only the packages that ask for what it provides")
    func newProvider() throws {
        let (plan, after) = try Self.plan(to: Self.updated(["newthing": "Package: newthing\nVersion: 1\nArchitecture: amd64"]))
        #expect(plan.affected == ["need"])
        #expect(after["need"]?.isSatisfiable == true)
    }

    @Test("a removed virtual provider affects its users")
    func removal() throws {
        let (plan, after) = try Self.plan(to: Self.updated(["libbar-dev": nil]))
        #expect(plan.affected == ["virt"])
        #expect(after["virt"]?.isSatisfiable == false)
    }

    @Test("a change deep in a dependency chain reaches every package whose alternatives lead to it")
    func transitive() throws {
        // libfoo1 gains a dependency: tool (through its first alternative), app and strict must be resolved again.
        let (plan, _) = try Self.plan(to: Self.updated([
            "libfoo1": "Package: libfoo1\nVersion: 1.0-1\nArchitecture: amd64\nDepends: libc6 (>= 2.30), libbaz-dev",
        ]))
        #expect(plan.affected == ["app", "strict", "uses-tool"])
        #expect(!plan.everything)
    }

    @Test("a change the build group reaches, or a new Essential package, means everything")
    func everything() throws {
        let (group, _) = try Self.plan(to: Self.updated([
            "gcc": "Package: gcc\nVersion: 4:12.2.0-3\nArchitecture: amd64\nDepends: libc6 (>= 2.34), libgcc-s1",
            "libgcc-s1": "Package: libgcc-s1\nVersion: 12.2.0-14\nArchitecture: amd64",
        ]))
        #expect(group.everything)
        let (essential, _) = try Self.plan(to: Self.updated(["tzdata": "Package: tzdata\nVersion: 2024a\nArchitecture: all\nEssential: yes"]))
        #expect(essential.everything)
    }

    @Test("the watcher refreshes incrementally: only affected packages are resolved again, relabeled environments are stored")
    func watcher() async throws {
        let directory = try Self.snapshot(Self.base)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteRebuildStore(path: "\(directory)/rebuild.sqlite")
        let collection = RebuildCollection(name: "test", kind: .debian, repository: directory, architecture: "amd64")
        let watcher = RebuildWatcher(collection: collection, store: store,
                                     backend: ShellBuildBackend(command: "true", directory: "\(directory)/builds"))
        let first = try await watcher.refresh()
        #expect(first.resolved && !first.incremental && first.reresolved == 8)
        let app = try #require(try await store.package(collection: "test", name: "app"))
        _ = try await store.startBuild(BuildRecord(collection: "test", package: "app", version: "1.0", backendID: "1",
                                             started: Date(), environment: app.environment))

        try (Self.updated([
            "libfoo1": "Package: libfoo1\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libc6 (>= 2.30)",
            "libfoo-dev": "Package: libfoo-dev\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nDepends: libfoo1 (= 1.0-1+deb12u1)",
            "newthing": "Package: newthing\nVersion: 1\nArchitecture: amd64",
        ]).joined(separator: "\n\n") + "\n").write(toFile: "\(directory)/Packages", atomically: true, encoding: .utf8)
        let second = try await watcher.refresh()
        #expect(second.incremental)
        #expect(second.reresolved == 1)  // need
        #expect(second.relabeledBinaries == 2)
        #expect(second.packages == 8 && second.unresolved == 0)
        let relabeled = try #require(try await store.package(collection: "test", name: "app"))
        #expect(relabeled.environment.contains(ResolvedPackage(name: "libfoo1", version: "1.0-1+deb12u1", distance: 2)))
        #expect(try await store.changes(collection: "test", name: "app").map(\.name) == ["libfoo-dev", "libfoo1"])
        #expect(try await store.package(collection: "test", name: "need")?.resolved == true)

        // The stored environments and changes are what a full resolution gives.
        let incremental = try await store.packages(collection: "test")
        let full = try await watcher.refresh(force: true)
        #expect(full.reresolved == 8)
        #expect(try await store.packages(collection: "test") == incremental)
        #expect(try await store.changes(collection: "test", name: "app").map(\.name) == ["libfoo-dev", "libfoo1"])
    }
}

@Suite("incremental re-resolution of RPM repositories")
struct RPMIncrementalTests {
    /// A binary or source package of a primary index: requires and provides as (name, flags, version).
    struct Package {
        var name: String
        var version: String
        var arch = "x86_64"
        var provides: [(String, String?, String?)] = []
        var requires: [(String, String?, String?)] = []
    }

    static func primary(_ packages: [Package]) -> String {
        func entries(_ tag: String, _ list: [(String, String?, String?)]) -> String {
            guard !list.isEmpty else { return "" }
            let body = list.map { name, flags, version in
                let escaped = name.replacingOccurrences(of: "(", with: "&#40;").replacingOccurrences(of: ")", with: "&#41;")
                guard let flags, let version else { return "<rpm:entry name=\"\(escaped)\"/>" }
                let parts = version.split(separator: "-", maxSplits: 1)
                return "<rpm:entry name=\"\(escaped)\" flags=\"\(flags)\" epoch=\"0\" ver=\"\(parts[0])\"\(parts.count > 1 ? " rel=\"\(parts[1])\"" : "")/>"
            }.joined()
            return "<rpm:\(tag)>\(body)</rpm:\(tag)>"
        }
        var xml = "<?xml version=\"1.0\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"\(packages.count)\">\n"
        for package in packages {
            let parts = package.version.split(separator: "-", maxSplits: 1)
            let selfProvide = package.arch == "src" ? [] : [(package.name, "EQ" as String?, package.version as String?)]
            xml += """
                <package type="rpm"><name>\(package.name)</name><arch>\(package.arch)</arch>\
                <version epoch="0" ver="\(parts[0])" rel="\(parts[1])"/><format>\
                \(entries("provides", selfProvide + package.provides))\(entries("requires", package.requires))</format></package>

                """
        }
        return xml + "</metadata>\n"
    }

    static let base = [
        Package(name: "bash", version: "5.2-1"),
        Package(name: "libfoo", version: "1.0-1", requires: [("bash", nil, nil)]),
        Package(name: "libfoo-devel", version: "1.0-1", requires: [("libfoo", "EQ", "1.0-1")]),
        Package(name: "libbar", version: "2.0-1"),
        Package(name: "libbaz", version: "3.0-1", provides: [("baz-api", nil, nil)]),
    ]

    static let sources = primary([
        Package(name: "app", version: "1-1", arch: "src", requires: [("libfoo-devel", nil, nil)]),
        Package(name: "rich", version: "1-1", arch: "src", requires: [("(libbar or libbaz)", nil, nil)]),
        Package(name: "api", version: "1-1", arch: "src", requires: [("baz-api", nil, nil)]),
    ])

    static func plan(_ packages: [Package]) throws -> IncrementalPlan {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpm-incremental-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try primary(base).write(toFile: "\(directory)/old.xml", atomically: true, encoding: .utf8)
        try primary(packages).write(toFile: "\(directory)/new.xml", atomically: true, encoding: .utf8)
        try sources.write(toFile: "\(directory)/sources.xml", atomically: true, encoding: .utf8)
        let sources = try RPMSourcePackage.load(primary: "\(directory)/sources.xml")
        let before = try RPMResolver(primary: ["\(directory)/old.xml"], buildGroup: ["bash"])
        let after = try RPMResolver(primary: ["\(directory)/new.xml"], buildGroup: ["bash"])
        let plan = after.plan(previous: before.binaryFingerprints(), sources: sources)
        for source in sources where !plan.everything && !plan.affected.contains(source.name) {
            guard case .satisfiable(let environment) = before.resolve(source) else { continue }
            #expect(after.resolve(source) == .satisfiable(plan.relabel(environment)), "\(source.name) was not re-resolved but changed")
        }
        return plan
    }

    @Test("a release bump with its exact requirement following is relabeled; the self-provide does not count as a change")
    func relabel() throws {
        var packages = Self.base
        packages[1].version = "1.0-2"
        packages[2].version = "1.0-2"
        packages[2].requires = [("libfoo", "EQ", "1.0-2")]
        let plan = try Self.plan(packages)
        #expect(plan.changedBinaries == 0)
        #expect(Set(plan.relabeled.keys) == ["libfoo", "libfoo-devel"])
        #expect(plan.affected.isEmpty)
    }

    @Test("a changed package reached through a rich dependency or a virtual provide affects its users only")
    func richAndVirtual() throws {
        var packages = Self.base
        packages[4].requires = [("libbar", nil, nil)]
        let plan = try Self.plan(packages)
        #expect(plan.affected == ["api", "rich"])
        #expect(!plan.everything)
        var group = Self.base
        group[0].requires = [("libbar", nil, nil)]
        #expect(try Self.plan(group).everything)
    }
}

@Suite("resolving on several threads")
struct ConcurrentResolutionTests {
    @Test("several threads, each with its own pool, give what one thread gives, in order; a pool that fails to load is an error")
    func threads() throws {
        let directory = try IncrementalTests.snapshot(IncrementalTests.base)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let amd64 = try DebianArchitecture("amd64")
        let path = "\(directory)/Packages"
        let resolver = try DebianResolver(packages: [path], architecture: amd64)
        let once = try SourcePackage.load("\(directory)/Sources")
        let sources = Array(repeating: once, count: 40).flatMap { $0 }
        let sequential = sources.map { resolver.resolve($0) }
        let concurrent = try ConcurrentResolution.resolve(sources, threads: 3, minimumPerThread: 1, first: resolver,
                                                          load: { () throws(RebuildError) -> DebianResolver in
                                                              try DebianResolver(packages: [path], architecture: amd64)
                                                          }, resolve: { $0.resolve($1) })
        #expect(concurrent == sequential)
        #expect(concurrent.count == 320)
        #expect(throws: RebuildError.self) {
            try ConcurrentResolution.resolve(sources, threads: 2, minimumPerThread: 1, first: resolver,
                                             load: { () throws(RebuildError) -> DebianResolver in
                                                 try DebianResolver(packages: ["\(directory)/missing"], architecture: amd64)
                                             }, resolve: { $0.resolve($1) })
        }
    }
}
