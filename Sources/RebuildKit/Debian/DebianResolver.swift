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
    /// Binary packages left out because their stanza is wrong though it could be read — an invalid
    /// version, a field given twice, a value that is not UTF-8 — each with file and line.
    public let rejectedBinaries: [String]

    /// Distances beyond this are unknown (Koschei caps its breadth-first search at 5).
    public static let maximumDistance = 5

    private let solvables: SolvablePool
    private var essentialJobs: [(Id, Id)] = []
    private var essentialIDs: Set<Id> = []
    private lazy var fingerprintTable = solvables.fingerprints(essential: essentialIDs)
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
        solvables = try SolvablePool(.debian, architecture: architecture.name, operation: "load packages")
        let pool = solvables.raw
        multiArchAllowed = pool_str2id(pool, "allowed", 1)
        var essentials: [(name: String, version: String)] = []
        var count = 0
        var rejected: [String] = []
        for path in packages {
            var bytes = try Deb822.read(path)
            // Our own pass checks the file (errors with line numbers) and finds Essential packages,
            // which libsolv's reader does not keep.
            let paragraphs = try Deb822.paragraphs(bytes, file: path)
            var kept: [Deb822Paragraph] = []
            for paragraph in paragraphs {
                guard let name = paragraph["Package"], let version = paragraph["Version"], !name.isEmpty, !version.isEmpty else {
                    throw RebuildError(.invalidIndex, "a binary package stanza lacks Package or Version", operation: "load packages",
                                       file: path, line: paragraph.line)
                }
                var problems = paragraph.problems
                if let reason = DebianVersion.problem(version) { problems.insert("line \(paragraph.line): invalid version '\(version)': \(reason)", at: 0) }
                guard problems.isEmpty else {
                    rejected.append("\(path): binary package '\(name)': " + problems.joined(separator: "; "))
                    continue
                }
                kept.append(paragraph)
                if paragraph["Essential"] == "yes" { essentials.append((name, version)) }
            }
            if kept.count < paragraphs.count {
                // libsolv reads the file itself: hand it the good stanzas only.
                var filtered: [UInt8] = []
                for paragraph in kept {
                    filtered.append(contentsOf: bytes[paragraph.bytes])
                    filtered.append(0x0A)
                }
                bytes = filtered
            }
            count += kept.count
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
        rejectedBinaries = rejected
        solvables.finishLoading()
        // One job per Essential name: install one of the Essential versions of it.
        var byName: [String: [String]] = [:]
        for essential in essentials { byName[essential.name, default: []].append(essential.version) }
        for (name, versions) in byName.sorted(by: { $0.key < $1.key }) {
            let nameID = pool_str2id(pool, name, 0)
            var queue = Queue()
            queue_init(&queue)
            defer { queue_free(&queue) }
            solvables.forEachProvider(of: nameID) { id, solvable in
                if solvable.pointee.name == nameID, versions.contains(solvables.versions[Int(id)]) {
                    queue_push(&queue, id)
                    essentialIDs.insert(id)
                }
            }
            if queue.count > 0 {
                essentialJobs.append((Id(SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF), pool_queuetowhatprovides(pool, &queue)))
            }
        }
    }

    private var rawPool: UnsafeMutablePointer<Pool> { solvables.raw }

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
        if let problem = source.problem { return .unparsable(problem) }
        // Extra-Source-Only stanzas are checked too: dose-builddebcheck 7 reports them.
        guard source.builds(on: architecture) else { return .notApplicable }
        let relations: (depends: [DependencyClause], conflicts: [DependencyClause])
        do { relations = try buildRelations(of: source) } catch { return .unparsable(source.location.isEmpty ? error.message : "\(source.location): \(error.message)") }
        return resolve(depends: buildGroup + relations.depends, conflicts: relations.conflicts, environment: environment)
    }

    /// A source package's build-dependencies and build-conflicts that apply here.
    private func buildRelations(of source: SourcePackage) throws(RebuildError) -> (depends: [DependencyClause], conflicts: [DependencyClause]) {
        let depends = try applicableClauses(source.buildDependsIndep, field: "Build-Depends-Indep")
            + applicableClauses(source.buildDepends, field: "Build-Depends")
            + applicableClauses(source.buildDependsArch, field: "Build-Depends-Arch")
        let conflicts = try applicableClauses(source.buildConflictsIndep, field: "Build-Conflicts-Indep")
            + applicableClauses(source.buildConflicts, field: "Build-Conflicts")
            + applicableClauses(source.buildConflictsArch, field: "Build-Conflicts-Arch")
        return (depends, conflicts)
    }

    /// Every loaded binary's fingerprint: keep them with a snapshot's resolutions, and hand them to
    /// ``plan(previous:sources:)`` when the next snapshot comes.
    public func binaryFingerprints() -> [BinaryFingerprint] { fingerprintTable.fingerprints }

    /// Which of `sources` must be resolved again, given the binaries of the snapshot their stored
    /// resolutions came from (see ``IncrementalPlan`` for the rules). A source whose build-dependencies
    /// do not parse is not affected: it stays unparsable whatever the binaries. A source package whose
    /// version changed is the caller's to resolve.
    public func plan(previous: [BinaryFingerprint], sources: [SourcePackage]) -> IncrementalPlan {
        var relations: [(name: String, depends: [DependencyClause], conflicts: [DependencyClause])] = []
        for source in sources where source.problem == nil && source.builds(on: architecture) {
            guard let parsed = try? buildRelations(of: source) else { continue }
            relations.append((source.name, parsed.depends, parsed.conflicts))
        }
        var requirements: [Id] = []
        func addVersioned(_ clauses: [DependencyClause]) {
            for clause in clauses {
                for alternative in clause.alternatives where alternative.version != nil {
                    requirements.append(dependencyID(alternative, create: true))
                }
            }
        }
        addVersioned(buildGroup)
        for entry in relations {
            addVersioned(entry.depends)
            addVersioned(entry.conflicts)
        }
        let analysis = solvables.analyzeUpdate(previous: previous, current: fingerprintTable, requirements: requirements)
        var candidates = Queue()
        queue_init(&candidates)
        defer { queue_free(&candidates) }
        func touched(_ clauses: [DependencyClause]) -> Bool {
            for clause in clauses {
                for alternative in clause.alternatives {
                    if analysis.changedNameText.contains(alternative.name) { return true }
                    queue_empty(&candidates)
                    collect(alternative, into: &candidates)
                    for index in 0..<Int(candidates.count) where analysis.tainted[Int(candidates.elements[index])] { return true }
                }
            }
            return false
        }
        let everything = analysis.essentialsChanged || touched(buildGroup) || essentialIDs.contains { analysis.tainted[Int($0)] }
        var affected: Set<String> = []
        for entry in relations where everything || touched(entry.depends) || touched(entry.conflicts) {
            affected.insert(entry.name)
        }
        return IncrementalPlan(changedBinaries: analysis.changedBinaries, relabeled: analysis.relabeled, everything: everything,
                               affected: affected)
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
        return solvables.solve(&job, roots: roots, environment: environment)
    }

    /// Adds the solvables that satisfy `alternative` to `queue`.
    private func collect(_ alternative: DependencyAlternative, into queue: inout Queue) {
        let nameID = pool_str2id(rawPool, alternative.name, 0)
        guard nameID != 0 else { return }
        let dependency = dependencyID(alternative, create: false)
        switch alternative.qualifier {
        case nil, "native", architecture.name:
            solvables.forEachProvider(of: dependency) { id, _ in queue_pushunique(&queue, id) }
        case "any":
            // Any package of that name, whatever its version (dose's archless self-provide), and
            // virtual packages only from Multi-Arch: allowed providers.
            solvables.forEachProvider(of: nameID) { id, solvable in
                if solvable.pointee.name == nameID { queue_pushunique(&queue, id) }
            }
            solvables.forEachProvider(of: dependency) { id, solvable in
                if solvable.pointee.name != nameID, solvable_lookup_id(solvable, Id(SOLVABLE_MULTIARCH.rawValue)) == multiArchAllowed {
                    queue_pushunique(&queue, id)
                }
            }
        default:
            break  // another architecture: no foreign architectures are loaded
        }
    }

    /// The libsolv dependency for an alternative (its name, or a relation with its version); 0 when
    /// the name is unknown and `create` is false.
    private func dependencyID(_ alternative: DependencyAlternative, create: Bool) -> Id {
        let pool = rawPool
        let nameID = pool_str2id(pool, alternative.name, create ? 1 : 0)
        guard nameID != 0, let (relation, version) = alternative.version else { return nameID }
        let flags: Int32
        switch relation {
        case .lessThan: flags = Int32(REL_LT)
        case .lessOrEqual: flags = Int32(REL_LT | REL_EQ)
        case .equal: flags = Int32(REL_EQ)
        case .greaterOrEqual: flags = Int32(REL_GT | REL_EQ)
        case .greaterThan: flags = Int32(REL_GT)
        }
        return pool_rel2id(pool, nameID, pool_str2id(pool, version, 1), flags, 1)
    }
}
