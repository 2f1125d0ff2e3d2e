import CLibSolv
import Foundation

/// A binary package in a resolved build environment.
public struct ResolvedPackage: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The package's name.
    public var name: String
    /// Its version.
    public var version: String
    /// How far it is from the build-dependencies: 1 for a package chosen for a build-dependency (or
    /// the build group), n + 1 for one needed by a package at n, nil beyond
    /// ``DebianResolver/maximumDistance`` or when only Essential packages pull it in (Koschei's rule).
    public var distance: Int?

    /// Creates an entry.
    public init(name: String, version: String, distance: Int? = nil) {
        self.name = name
        self.version = version
        self.distance = distance
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.name, lhs.version) < (rhs.name, rhs.version) }
    public var description: String { "\(name) \(version)" }
}

/// What resolving a source package's build environment gave.
public enum BuildResolution: Sendable, Hashable {
    /// The packages a build environment installs (the build group, the build-dependencies and what they need), by name.
    case satisfiable([ResolvedPackage])
    /// The build-dependencies cannot be installed together; the problems, for a person.
    case unsatisfiable([String])
    /// The build-dependency fields do not parse; the reason.
    case unparsable(String)
    /// The package does not build on the architecture, so it is not checked.
    case notApplicable

    /// Whether the environment can be installed.
    public var isSatisfiable: Bool {
        if case .satisfiable = self { return true }
        return false
    }
}

/// Resolves build environments of Debian source packages against binary `Packages` indexes with
/// libsolv, with the semantics of dose-builddebcheck: the build group (`build-essential`), every
/// `Essential: yes` package, Build-Depends, -Arch and -Indep (restrictions by architecture and
/// build profile applied per alternative), Build-Conflicts of all three kinds; `:any` accepts any
/// package of that name and virtual packages only from `Multi-Arch: allowed` providers; an unversioned
/// Provides never satisfies a versioned dependency.
///
/// The libsolv pool is owned by this object and used by one thread at a time: it is not `Sendable`.
/// Make one per thread to resolve in parallel.
///
/// ```swift
/// let resolver = try DebianResolver(packages: ["Packages.xz"], architecture: DebianArchitecture("amd64"))
/// for source in try SourcePackage.load("Sources.xz") {
///     if case .unsatisfiable(let problems) = resolver.resolve(source) { print(source.name, problems) }
/// }
/// ```
public final class DebianResolver {
    /// The architecture builds are for.
    public let architecture: DebianArchitecture
    /// The active build profiles (none by default, as dose-builddebcheck without `DEB_BUILD_PROFILES`).
    public let profiles: Set<String>
    /// The clauses every build installs (`build-essential` by default).
    public let buildGroup: [DependencyClause]
    /// How many binary packages were loaded.
    public let binaryCount: Int

    /// Distances beyond this are unknown (Koschei caps its breadth-first search at 5).
    public static let maximumDistance = 5

    private let pool: OpaquePointer
    private var essentialJobs: [(Id, Id)] = []
    /// Each solvable's name and version as Swift strings, and its rank in (name, version) order.
    private var names: [String] = []
    private var versions: [String] = []
    private var order: [Int32] = []
    /// Per-solvable scratch space of one resolution (all 0 between resolutions).
    private var scratch: [UInt8] = []
    private let multiArchAllowed: Id

    /// Loads the binary indexes (plain or compressed).
    ///
    /// - Throws: ``RebuildError`` `.invalidIndex` with file and line for a malformed index,
    ///   `.io` for one that cannot be read, `.unknownArchitecture` never (the architecture is checked
    ///   by ``DebianArchitecture``).
    public init(packages: [String], architecture: DebianArchitecture, buildGroup: [DependencyClause]? = nil,
                profiles: Set<String> = []) throws(RebuildError) {
        self.architecture = architecture
        self.profiles = profiles
        self.buildGroup = buildGroup ?? [DependencyClause([DependencyAlternative(name: "build-essential")])]
        guard let pool = pool_create() else { throw RebuildError(.solver, "cannot create a pool", operation: "load packages") }
        self.pool = OpaquePointer(pool)
        _ = pool_setdisttype(pool, Int32(DISTTYPE_DEB))
        pool_setarchpolicy(pool, architecture.name)
        multiArchAllowed = pool_str2id(pool, "allowed", 1)
        var essentials: [(name: String, version: String)] = []
        var count = 0
        for path in packages {
            let bytes = try Deb822.read(path)
            // Our own pass checks the file (errors with line numbers) and finds Essential packages,
            // which libsolv's reader does not keep.
            let paragraphs = try Deb822.paragraphs(bytes, file: path)
            for paragraph in paragraphs {
                guard let name = paragraph["Package"], let version = paragraph["Version"], !name.isEmpty, !version.isEmpty else {
                    throw RebuildError(.invalidIndex, "a binary package stanza lacks Package or Version", operation: "load packages",
                                       file: path, line: paragraph.line)
                }
                if paragraph["Essential"] == "yes" { essentials.append((name, version)) }
            }
            count += paragraphs.count
            guard let repo = repo_create(pool, path) else { throw RebuildError(.solver, "cannot create a repository", operation: "load packages") }
            let status: Int32 = bytes.withUnsafeBytes { buffer in
                guard let file = fmemopen(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count, "r") else { return -1 }
                defer { fclose(file) }
                return repo_add_debpackages(repo, file, 0)
            }
            guard status == 0 else {
                throw RebuildError(.invalidIndex, String(cString: fw_error(pool)), operation: "load packages", file: path)
            }
        }
        binaryCount = count
        // Recommends, Suggests, Enhances and Supplements never make a build environment unsatisfiable
        // (dose-builddebcheck ignores them, and so does the solver with IGNORE_RECOMMENDED), but libsolv
        // still walks them when it collects the packages a solve may involve: with them a solve for a
        // package with no build-dependencies considered 12,900 solvables and 62,000 rules, without
        // them 219 and 706 (35 times faster on bookworm). So they are dropped after loading.
        for id in 2..<Int(pool.pointee.nsolvables) {
            let solvable = pool.pointee.solvables + id
            solvable.pointee.recommends = 0
            solvable.pointee.suggests = 0
            solvable.pointee.enhances = 0
            solvable.pointee.supplements = 0
        }
        pool_addfileprovides(pool)
        pool_createwhatprovides(pool)
        let solvableCount = Int(pool.pointee.nsolvables)
        names = [String](repeating: "", count: solvableCount)
        versions = [String](repeating: "", count: solvableCount)
        for id in 2..<solvableCount {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            names[id] = String(cString: pool_id2str(pool, solvable.pointee.name))
            versions[id] = String(cString: pool_id2str(pool, solvable.pointee.evr))
        }
        var ranked = Array(0..<solvableCount)
        ranked.sort { (names[$0], versions[$0]) < (names[$1], versions[$1]) }
        order = [Int32](repeating: 0, count: solvableCount)
        for (rank, id) in ranked.enumerated() { order[id] = Int32(rank) }
        scratch = [UInt8](repeating: 0, count: solvableCount)
        // One job per Essential name: install one of the Essential versions of it.
        var byName: [String: [String]] = [:]
        for essential in essentials { byName[essential.name, default: []].append(essential.version) }
        for (name, versions) in byName.sorted(by: { $0.key < $1.key }) {
            let nameID = pool_str2id(pool, name, 0)
            var queue = Queue()
            queue_init(&queue)
            defer { queue_free(&queue) }
            var provider = fw_whatprovides(pool, nameID)
            while let p = provider, p.pointee != 0 {
                let solvable = fw_solvable(pool, p.pointee)!
                if solvable.pointee.name == nameID, versions.contains(String(cString: pool_id2str(pool, solvable.pointee.evr))) {
                    queue_push(&queue, p.pointee)
                }
                provider = p + 1
            }
            if queue.count > 0 {
                essentialJobs.append((Id(SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF), pool_queuetowhatprovides(pool, &queue)))
            }
        }
    }

    deinit {
        pool_free(UnsafeMutablePointer<Pool>(pool))
    }

    private var rawPool: UnsafeMutablePointer<Pool> { UnsafeMutablePointer<Pool>(pool) }

    /// The build-dependency clauses that apply on this architecture and profiles (alternatives that
    /// do not apply removed; clauses left empty dropped).
    public func applicableClauses(_ text: String, field: String) throws(RebuildError) -> [DependencyClause] {
        try DependencyParser.parse(text, field: field).compactMap { clause in
            let kept = clause.alternatives.filter { $0.applies(to: architecture, profiles: profiles) }
            return kept.isEmpty ? nil : DependencyClause(kept)
        }
    }

    /// Resolves `source`'s build environment. With `environment` false a satisfiable result carries
    /// no package list (a yes/no check, as `rebuilder check` needs, is cheaper).
    public func resolve(_ source: SourcePackage, environment: Bool = true) -> BuildResolution {
        // Extra-Source-Only stanzas are checked too: dose-builddebcheck 7 reports them.
        guard source.builds(on: architecture) else { return .notApplicable }
        let depends: [DependencyClause], conflicts: [DependencyClause]
        do {
            depends = try applicableClauses(source.buildDependsIndep, field: "Build-Depends-Indep")
                + applicableClauses(source.buildDepends, field: "Build-Depends")
                + applicableClauses(source.buildDependsArch, field: "Build-Depends-Arch")
            conflicts = try applicableClauses(source.buildConflictsIndep, field: "Build-Conflicts-Indep")
                + applicableClauses(source.buildConflicts, field: "Build-Conflicts")
                + applicableClauses(source.buildConflictsArch, field: "Build-Conflicts-Arch")
        } catch {
            return .unparsable(error.message)
        }
        return resolve(depends: buildGroup + depends, conflicts: conflicts, environment: environment)
    }

    /// Resolves an environment: every clause of `depends` installed, nothing matching `conflicts`.
    public func resolve(depends: [DependencyClause], conflicts: [DependencyClause] = [], environment: Bool = true) -> BuildResolution {
        let pool = rawPool
        var job = Queue()
        queue_init(&job)
        defer { queue_free(&job) }
        var missing: [String] = []
        var candidates = Queue()
        queue_init(&candidates)
        defer { queue_free(&candidates) }
        var roots: [Id] = []
        for clause in depends {
            queue_empty(&candidates)
            for alternative in clause.alternatives { collect(alternative, into: &candidates) }
            if candidates.count == 0 {
                missing.append("\(clause) is not available")
                continue
            }
            for index in 0..<Int(candidates.count) { roots.append(candidates.elements[index]) }
            queue_push2(&job, Id(SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF), pool_queuetowhatprovides(pool, &candidates))
        }
        if !missing.isEmpty { return .unsatisfiable(missing) }
        for clause in conflicts {
            for alternative in clause.alternatives {
                queue_empty(&candidates)
                collect(alternative, into: &candidates)
                if candidates.count > 0 {
                    queue_push2(&job, Id(SOLVER_LOCK | SOLVER_SOLVABLE_ONE_OF), pool_queuetowhatprovides(pool, &candidates))
                }
            }
        }
        for (how, what) in essentialJobs { queue_push2(&job, how, what) }
        guard let solver = solver_create(pool) else { return .unsatisfiable(["libsolv could not create a solver"]) }
        defer { solver_free(solver) }
        _ = solver_set_flag(solver, Int32(SOLVER_FLAG_IGNORE_RECOMMENDED), 1)
        let problemCount = solver_solve(solver, &job)
        if problemCount > 0 {
            var problems: [String] = []
            var problem = solver_next_problem(solver, 0)
            while problem != 0, problems.count < 5 {
                problems.append(String(cString: solver_problem2str(solver, problem)))
                problem = solver_next_problem(solver, problem)
            }
            return .unsatisfiable(problems)
        }
        guard environment else { return .satisfiable([]) }
        var decisions = Queue()
        queue_init(&decisions)
        defer { queue_free(&decisions) }
        solver_get_decisionqueue(solver, &decisions)
        // scratch[id]: 0 not installed, 1...maximumDistance the distance, unknownMark installed farther away.
        var installed: [Id] = []
        installed.reserveCapacity(Int(decisions.count))
        for index in 0..<Int(decisions.count) {
            let id = decisions.elements[index]
            guard id > 1 else { continue }  // negative: not installed; 1: the system solvable
            installed.append(id)
            scratch[Int(id)] = Self.unknownMark
        }
        assignDistances(from: roots)
        installed.sort { order[Int($0)] < order[Int($1)] }
        var packages: [ResolvedPackage] = []
        packages.reserveCapacity(installed.count)
        for id in installed {
            let mark = scratch[Int(id)]
            packages.append(ResolvedPackage(name: names[Int(id)], version: versions[Int(id)],
                                            distance: mark == Self.unknownMark ? nil : Int(mark)))
            scratch[Int(id)] = 0
        }
        return .satisfiable(packages)
    }

    private static let unknownMark: UInt8 = .max

    /// Breadth-first distances over `Depends`/`Pre-Depends` inside the installed set (the entries of
    /// `scratch` that are not 0): the installed candidates of the clauses are at 1; a package that an
    /// installed package at n requires (a provider of it that is installed) is at n + 1; up to
    /// ``maximumDistance``.
    private func assignDistances(from roots: [Id]) {
        let pool = rawPool
        let prerequisiteMarker = Id(SOLVABLE_PREREQMARKER.rawValue)
        var frontier: [Id] = []
        var next: [Id] = []
        scratch.withUnsafeMutableBufferPointer { scratch in
            for root in roots where scratch[Int(root)] == Self.unknownMark {
                scratch[Int(root)] = 1
                frontier.append(root)
            }
            var level = 1
            while !frontier.isEmpty, level < Self.maximumDistance {
                next.removeAll(keepingCapacity: true)
                let mark = UInt8(level + 1)
                for id in frontier {
                    let solvable = pool.pointee.solvables + Int(id)
                    guard solvable.pointee.requires != 0, let repo = solvable.pointee.repo else { continue }
                    var dependency = repo.pointee.idarraydata + Int(solvable.pointee.requires)
                    while dependency.pointee != 0 {
                        defer { dependency += 1 }
                        if dependency.pointee == prerequisiteMarker { continue }
                        guard var provider = fw_whatprovides(pool, dependency.pointee) else { continue }
                        while provider.pointee != 0 {
                            let p = Int(provider.pointee)
                            if scratch[p] == Self.unknownMark {
                                scratch[p] = mark
                                next.append(provider.pointee)
                            }
                            provider += 1
                        }
                    }
                }
                swap(&frontier, &next)
                level += 1
            }
        }
    }

    /// Adds the solvables that satisfy `alternative` to `queue`.
    private func collect(_ alternative: DependencyAlternative, into queue: inout Queue) {
        let pool = rawPool
        let nameID = pool_str2id(pool, alternative.name, 0)
        guard nameID != 0 else { return }
        var dependency = nameID
        if let (relation, version) = alternative.version {
            let flags: Int32
            switch relation {
            case .lessThan: flags = Int32(REL_LT)
            case .lessOrEqual: flags = Int32(REL_LT | REL_EQ)
            case .equal: flags = Int32(REL_EQ)
            case .greaterOrEqual: flags = Int32(REL_GT | REL_EQ)
            case .greaterThan: flags = Int32(REL_GT)
            }
            dependency = pool_rel2id(pool, nameID, pool_str2id(pool, version, 1), flags, 1)
        }
        switch alternative.qualifier {
        case nil, "native", architecture.name:
            forEachProvider(of: dependency) { id, _ in queue_pushunique(&queue, id) }
        case "any":
            // Any package of that name, whatever its version (dose's archless self-provide), and
            // virtual packages only from Multi-Arch: allowed providers.
            forEachProvider(of: nameID) { id, solvable in
                if solvable.pointee.name == nameID { queue_pushunique(&queue, id) }
            }
            forEachProvider(of: dependency) { id, solvable in
                if solvable.pointee.name != nameID, solvable_lookup_id(solvable, Id(SOLVABLE_MULTIARCH.rawValue)) == multiArchAllowed {
                    queue_pushunique(&queue, id)
                }
            }
        default:
            break  // another architecture: no foreign architectures are loaded
        }
    }

    private func forEachProvider(of dependency: Id, _ body: (Id, UnsafeMutablePointer<Solvable>) -> Void) {
        let pool = rawPool
        var provider = fw_whatprovides(pool, dependency)
        while let p = provider, p.pointee != 0 {
            body(p.pointee, fw_solvable(pool, p.pointee)!)
            provider = p + 1
        }
    }
}
