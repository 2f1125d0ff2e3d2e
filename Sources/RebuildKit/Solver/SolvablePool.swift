import CLibSolv
import Foundation

/// A libsolv pool with the binary packages of one snapshot, and the solve that both the Debian and
/// the RPM resolvers share: a job in, the installed set with distances (or the problems) out.
///
/// Owned by one resolver and used by one thread at a time.
final class SolvablePool {
    /// libsolv's distribution semantics.
    enum Flavor {
        case debian, rpm
    }

    let raw: UnsafeMutablePointer<Pool>
    /// Each solvable's name and version as Swift strings, and its rank in (name, version) order.
    private(set) var names: [String] = []
    private(set) var versions: [String] = []
    private var order: [Int32] = []
    /// Per-solvable scratch space of one resolution (all 0 between resolutions).
    private var scratch: [UInt8] = []

    init(_ flavor: Flavor, architecture: String, operation: String) throws(RebuildError) {
        guard let pool = pool_create() else { throw RebuildError(.solver, "cannot create a pool", operation: operation) }
        raw = pool
        switch flavor {
        case .debian:
            _ = pool_setdisttype(pool, Int32(DISTTYPE_DEB))
            pool_setarchpolicy(pool, architecture)
        case .rpm:
            _ = pool_setdisttype(pool, Int32(DISTTYPE_RPM))
            pool_setarch(pool, architecture)
        }
    }

    deinit {
        pool_free(raw)
    }

    /// Called once every repository is loaded: drops the weak relationships, indexes providers and
    /// caches names and versions.
    ///
    /// Recommends, Suggests, Enhances and Supplements never make a build environment unsatisfiable
    /// (dose-builddebcheck ignores them, and so do build tools that install no weak dependencies), but
    /// libsolv still walks them when it collects the packages a solve may involve: with them a solve
    /// for a Debian package with no build-dependencies considered 12,900 solvables and 62,000 rules,
    /// without them 219 and 706 — 35 times faster on bookworm.
    func finishLoading() {
        let pool = raw
        let count = Int(pool.pointee.nsolvables)
        for id in 2..<count {
            let solvable = pool.pointee.solvables + id
            solvable.pointee.recommends = 0
            solvable.pointee.suggests = 0
            solvable.pointee.enhances = 0
            solvable.pointee.supplements = 0
        }
        pool_addfileprovides(pool)
        pool_createwhatprovides(pool)
        names = [String](repeating: "", count: count)
        versions = [String](repeating: "", count: count)
        for id in 2..<count {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            names[id] = String(cString: pool_id2str(pool, solvable.pointee.name))
            versions[id] = String(cString: pool_id2str(pool, solvable.pointee.evr))
        }
        var ranked = Array(0..<count)
        ranked.sort { (names[$0], versions[$0]) < (names[$1], versions[$1]) }
        order = [Int32](repeating: 0, count: count)
        for (rank, id) in ranked.enumerated() { order[id] = Int32(rank) }
        scratch = [UInt8](repeating: 0, count: count)
    }

    /// The solvable with `id`.
    func solvable(_ id: Id) -> UnsafeMutablePointer<Solvable> { raw.pointee.solvables + Int(id) }

    /// Calls `body` with every solvable providing `dependency`.
    func forEachProvider(of dependency: Id, _ body: (Id, UnsafeMutablePointer<Solvable>) -> Void) {
        guard var provider = fw_whatprovides(raw, dependency) else { return }
        while provider.pointee != 0 {
            body(provider.pointee, solvable(provider.pointee))
            provider += 1
        }
    }

    /// Solves `job` (libsolv job pairs), ignoring weak dependencies. `roots` are the candidates of
    /// the requested packages, at distance 1. With `environment` false a satisfiable result carries no
    /// package list.
    func solve(_ job: inout Queue, roots: [Id], environment: Bool) -> BuildResolution {
        guard let solver = solver_create(raw) else { return .unsatisfiable(["libsolv could not create a solver"]) }
        defer { solver_free(solver) }
        _ = solver_set_flag(solver, Int32(SOLVER_FLAG_IGNORE_RECOMMENDED), 1)
        if solver_solve(solver, &job) > 0 {
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

    /// Breadth-first distances over the requirements inside the installed set (the entries of
    /// `scratch` that are not 0): installed roots are at 1; a package that an installed package at n
    /// requires (a provider of it that is installed) is at n + 1; up to
    /// ``DebianResolver/maximumDistance``.
    private func assignDistances(from roots: [Id]) {
        let pool = raw
        let prerequisiteMarker = Id(SOLVABLE_PREREQMARKER.rawValue)
        var frontier: [Id] = []
        var next: [Id] = []
        scratch.withUnsafeMutableBufferPointer { scratch in
            for root in roots where scratch[Int(root)] == Self.unknownMark {
                scratch[Int(root)] = 1
                frontier.append(root)
            }
            var level = 1
            while !frontier.isEmpty, level < DebianResolver.maximumDistance {
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
}
