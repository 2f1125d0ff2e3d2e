import CLibSolv
import Foundation

/// Resolves build environments of source RPMs against binary repositories' primary indexes with
/// libsolv in RPM mode, as Koschei does with hawkey: the build group (Fedora's `build` group by
/// default) plus every BuildRequires — versioned, virtual (Provides), file, and rich dependencies
/// (`(a or b)`, `(a if b)`, `(a with b)`, …) — installed together; weak dependencies are not installed.
///
/// The libsolv pool is owned by this object and used by one thread at a time: it is not `Sendable`.
///
/// ```swift
/// let resolver = try RPMResolver(repositories: [RPMRepository(directory: "fedora/x86_64/os")])
/// for source in try RPMSourcePackage.load(primary: RPMRepository(directory: "fedora/source/tree").primaryPath) {
///     if case .unsatisfiable(let problems) = resolver.resolve(source) { print(source.name, problems) }
/// }
/// ```
public final class RPMResolver {
    /// Fedora's `build` group (what mock installs into every buildroot), Koschei's default.
    public static let defaultBuildGroup = [
        "bash", "bzip2", "coreutils", "cpio", "diffutils", "fedora-release-common", "findutils", "gawk",
        "glibc-minimal-langpack", "grep", "gzip", "info", "patch", "redhat-rpm-config", "rpm-build", "sed",
        "shadow-utils", "tar", "unzip", "util-linux", "which", "xz",
    ]
    /// The architectures this resolver knows.
    public static let knownArchitectures: Set<String> = [
        "x86_64", "i686", "i586", "i386", "aarch64", "armv7hl", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64", "noarch",
    ]

    /// The architecture builds are for.
    public let architecture: String
    /// The packages every build installs (by name).
    public let buildGroup: [String]
    /// How many binary packages were loaded.
    public let binaryCount: Int

    private let solvables: SolvablePool
    private lazy var fingerprintTable = solvables.fingerprints(essential: [])

    /// Loads the primary index of each repository.
    ///
    /// - Throws: ``RebuildError`` `.unknownArchitecture`, `.invalidIndex` with the file and line of
    ///   malformed XML, `.io`.
    public convenience init(repositories: [RPMRepository], architecture: String = "x86_64",
                            buildGroup: [String] = RPMResolver.defaultBuildGroup) throws(RebuildError) {
        try self.init(primary: repositories.map(\.primaryPath), architecture: architecture, buildGroup: buildGroup)
    }

    /// Loads primary indexes (`primary.xml`, plain or compressed) directly.
    public init(primary paths: [String], architecture: String = "x86_64", buildGroup: [String] = RPMResolver.defaultBuildGroup) throws(RebuildError) {
        guard Self.knownArchitectures.contains(architecture) else {
            throw RebuildError(.unknownArchitecture, "unknown RPM architecture '\(architecture)' (known: \(Self.knownArchitectures.sorted().joined(separator: ", ")))",
                               operation: "load repositories")
        }
        self.architecture = architecture
        self.buildGroup = buildGroup
        solvables = try SolvablePool(.rpm, architecture: architecture, operation: "load repositories")
        for path in paths { try Self.addPrimary(path, to: solvables) }
        solvables.finishLoading()
        var count = 0
        let pool = solvables.raw
        for id in 2..<Int(pool.pointee.nsolvables) where pool.pointee.solvables[id].repo != nil { count += 1 }
        binaryCount = count
    }

    /// Adds a primary index to the pool.
    static func addPrimary(_ path: String, to solvables: SolvablePool) throws(RebuildError) {
        let operation = "read primary index"
        guard FileManager.default.isReadableFile(atPath: path), let file = solv_xfopen(path, "r") else {
            throw RebuildError(.io, "cannot open", operation: operation, file: path)
        }
        defer { fclose(file) }
        guard let repo = repo_create(solvables.raw, path) else { throw RebuildError(.solver, "cannot create a repository", operation: operation) }
        guard repo_add_rpmmd(repo, file, nil, 0) == 0 else {
            let message = String(cString: fw_error(solvables.raw))
            throw RebuildError(.invalidIndex, message, operation: operation, file: path, line: Self.line(in: message))
        }
        guard ferror(file) == 0 else {
            throw RebuildError(.invalidIndex, "the file is truncated or corrupt (decompression failed)", operation: operation, file: path)
        }
    }

    private static func line(in message: String) -> Int? {
        guard let range = message.range(of: "line ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    /// Resolves a source RPM's build environment.
    public func resolve(_ source: RPMSourcePackage, environment: Bool = true) -> BuildResolution {
        resolve(buildRequires: source.buildRequires, environment: environment)
    }

    /// Resolves the build group plus `buildRequires` (as rpm writes them).
    public func resolve(buildRequires: [String], environment: Bool = true) -> BuildResolution {
        let pool = solvables.raw
        var job = Queue()
        queue_init(&job)
        defer { queue_free(&job) }
        var roots: [Id] = []
        var missing: [String] = []
        for name in buildGroup {
            let nameID = pool_str2id(pool, name, 0)
            var found = false
            if nameID != 0 {
                solvables.forEachProvider(of: nameID) { id, solvable in
                    if solvable.pointee.name == nameID { found = true; roots.append(id) }
                }
            }
            if found {
                queue_push2(&job, Id(SOLVER_INSTALL | SOLVER_SOLVABLE_NAME), nameID)
            } else {
                missing.append("build group package \(name) is not available")
            }
        }
        for text in buildRequires {
            let dependency: Id
            do { dependency = try self.dependency(text) } catch { return .unparsable(error.message) }
            solvables.forEachProvider(of: dependency) { id, _ in roots.append(id) }
            queue_push2(&job, Id(SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES), dependency)
        }
        if !missing.isEmpty { return .unsatisfiable(missing) }
        return solvables.solve(&job, roots: roots, environment: environment)
    }

    /// Every loaded binary's fingerprint: keep them with a snapshot's resolutions, and hand them to
    /// ``plan(previous:sources:)`` when the next snapshot comes.
    public func binaryFingerprints() -> [BinaryFingerprint] { fingerprintTable.fingerprints }

    /// Which of `sources` must be resolved again, given the binaries of the snapshot their stored
    /// resolutions came from (see ``IncrementalPlan`` for the rules). A source whose BuildRequires do
    /// not parse is not affected; a source package whose version changed is the caller's to resolve.
    public func plan(previous: [BinaryFingerprint], sources: [RPMSourcePackage]) -> IncrementalPlan {
        let pool = solvables.raw
        var requirements: [(name: String, dependencies: [Id])] = []
        for source in sources {
            var dependencies: [Id] = []
            do {
                for text in source.buildRequires { dependencies.append(try dependency(text)) }
            } catch { continue }
            requirements.append((source.name, dependencies))
        }
        let analysis = solvables.analyzeUpdate(previous: previous, current: fingerprintTable,
                                               requirements: requirements.flatMap(\.dependencies))
        var everything = analysis.essentialsChanged
        for name in buildGroup where !everything {
            if analysis.changedNameText.contains(name) { everything = true }
            let nameID = pool_str2id(pool, name, 0)
            if nameID != 0 {
                solvables.forEachProvider(of: nameID) { id, solvable in
                    if solvable.pointee.name == nameID, analysis.tainted[Int(id)] { everything = true }
                }
            }
        }
        var affected: Set<String> = []
        for (name, dependencies) in requirements where everything || dependencies.contains(where: { solvables.touches($0, analysis) }) {
            affected.insert(name)
        }
        return IncrementalPlan(changedBinaries: analysis.changedBinaries, relabeled: analysis.relabeled, everything: everything,
                               affected: affected)
    }

    /// The libsolv dependency for one BuildRequires: `name`, `name OP evr` (OP one of `<`, `<=`,
    /// `=`, `==`, `>=`, `>`), a file path, or a rich dependency in parentheses.
    ///
    /// - Throws: ``RebuildError`` `.invalidDependency` naming the text.
    func dependency(_ text: String) throws(RebuildError) -> Id {
        let pool = solvables.raw
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func invalid(_ why: String) -> RebuildError {
            RebuildError(.invalidDependency, "BuildRequires '\(text)': \(why)", operation: "parse BuildRequires")
        }
        if trimmed.hasPrefix("(") {
            let id = pool_parserpmrichdep(pool, trimmed)
            guard id != 0 else { throw invalid("not a valid rich dependency") }
            return id
        }
        let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let name = words.first, !name.contains(",") else {
            throw invalid("empty or malformed name")
        }
        let nameID = pool_str2id(pool, String(name), 1)
        switch words.count {
        case 1:
            return nameID
        case 3:
            let flags: Int32
            switch words[1] {
            case "<": flags = Int32(REL_LT)
            case "<=", "=<": flags = Int32(REL_LT | REL_EQ)
            case "=", "==": flags = Int32(REL_EQ)
            case ">=", "=>": flags = Int32(REL_GT | REL_EQ)
            case ">": flags = Int32(REL_GT)
            default: throw invalid("unknown comparison '\(words[1])'")
            }
            return pool_rel2id(pool, nameID, pool_str2id(pool, String(words[2]), 1), flags, 1)
        default:
            throw invalid("expected 'name' or 'name OP version'")
        }
    }
}
