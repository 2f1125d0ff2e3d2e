import CLibSolv
import Crypto
public import Foundation
import PlatformSupport

/// What resolution reads of one binary package, kept with a snapshot so that the next snapshot can
/// tell which binaries changed and how.
public struct BinaryFingerprint: Sendable, Hashable, Codable {
    /// The package's name.
    public var name: String
    /// Its version.
    public var version: String
    /// Its architecture.
    public var architecture: String
    /// Every name it provides, its own included, sorted.
    public var provides: [String]
    /// Whether it is `Essential: yes` (Debian; always false for RPM).
    public var essential: Bool
    /// A digest of everything else resolution reads — provides, requires (pre-dependencies marked),
    /// conflicts, obsoletes, multi-arch — with the package's own version written as a placeholder,
    /// so that two versions that differ in nothing but their version have the same shape.
    public var shape: String

    /// Creates a fingerprint.
    public init(name: String, version: String, architecture: String, provides: [String], essential: Bool, shape: String) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.provides = provides
        self.essential = essential
        self.shape = shape
    }
}

extension BinaryFingerprint {
    /// A compact form for storing a snapshot's binaries: one line per binary, tab-separated fields
    /// (name, version, architecture, essential 0/1, shape, provides separated by spaces).
    public static func encode(_ fingerprints: [BinaryFingerprint]) -> Data {
        var text = ""
        text.reserveCapacity(fingerprints.count * 96)
        for fingerprint in fingerprints {
            text += "\(fingerprint.name)\t\(fingerprint.version)\t\(fingerprint.architecture)\t\(fingerprint.essential ? 1 : 0)\t"
            text += "\(fingerprint.shape)\t\(fingerprint.provides.joined(separator: " "))\n"
        }
        return Data(text.utf8)
    }

    /// Reads what ``encode(_:)`` wrote.
    ///
    /// - Throws: ``RebuildError`` `.store` for a line that is not six fields.
    public static func decode(_ data: Data) throws(RebuildError) -> [BinaryFingerprint] {
        var result: [BinaryFingerprint] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 6 else {
                throw RebuildError(.store, "stored binary \(number + 1) has \(fields.count) fields, not 6", operation: "read snapshot binaries")
            }
            result.append(BinaryFingerprint(name: String(fields[0]), version: String(fields[1]), architecture: String(fields[2]),
                                            provides: fields[5].split(separator: " ").map(String.init), essential: fields[3] == "1",
                                            shape: String(fields[4])))
        }
        return result
    }
}

/// Which source packages a repository update can affect, from the binaries that changed.
///
/// A binary counts as *changed* when it was added or removed, or when more than its version
/// changed. A source package must be resolved again when its build-dependencies, the build group or
/// the Essential set reach a changed binary, or name something a changed binary provides or provided
/// — through requirements, transitively, over every alternative the solver may consider, not only the
/// packages it installed. Conflicts need no walk: a conflicting package matters only when a
/// requirement reaches it.
///
/// A binary whose new version differs from the old in nothing but its version — same relationships,
/// same provides, and every versioned relationship on it (build-dependencies included) deciding the
/// same way for both versions — is *relabeled* instead: the solver sees the same problem, so an
/// environment that held the old version holds the new one in its place without a solve. Security
/// and stable updates are mostly of this kind.
public struct IncrementalPlan: Sendable, Hashable {
    /// A binary whose environments keep it at a new version.
    public struct Relabel: Sendable, Hashable, Codable {
        public var oldVersion: String
        public var newVersion: String

        /// Creates a relabel.
        public init(oldVersion: String, newVersion: String) {
            self.oldVersion = oldVersion
            self.newVersion = newVersion
        }
    }

    /// How many binaries were added, removed or changed beyond their version.
    public var changedBinaries: Int
    /// Binaries whose version alone changed, by name.
    public var relabeled: [String: Relabel]
    /// True when every environment must be resolved again: the build group or the Essential set changed.
    public var everything: Bool
    /// The source packages to resolve again (every one when ``everything``).
    public var affected: Set<String>

    /// The environment an unaffected package keeps: `environment` with relabeled binaries at their new version.
    public func relabel(_ environment: [ResolvedPackage]) -> [ResolvedPackage] {
        guard !relabeled.isEmpty else { return environment }
        return environment.map { package in
            guard let relabel = relabeled[package.name], relabel.oldVersion == package.version else { return package }
            var moved = package
            moved.version = relabel.newVersion
            return moved
        }
    }
}

/// The result of comparing a snapshot's binaries with the previous snapshot's, in the new pool.
struct UpdateAnalysis {
    /// By solvable id: changed, or requiring (transitively) something that changed.
    var tainted: [Bool]
    /// Names (string ids) provided by changed binaries, old or new.
    var changedNames: Set<Id>
    /// The same names as text (a removed binary's name may have no id in the new pool).
    var changedNameText: Set<String>
    var relabeled: [String: IncrementalPlan.Relabel]
    var changedBinaries: Int
    var essentialsChanged: Bool
}

extension SolvablePool {
    /// Every loaded binary's fingerprint, with the solvable ids in the same order. `essential` says
    /// which solvables are Essential.
    func fingerprints(essential: Set<Id>) -> (ids: [Id], fingerprints: [BinaryFingerprint]) {
        let pool = raw
        var ids: [Id] = []
        var result: [BinaryFingerprint] = []
        let multiArch = Id(SOLVABLE_MULTIARCH.rawValue)
        for id in 2..<Int(pool.pointee.nsolvables) {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            let own = solvable.pointee.evr
            var text = "arch \(string(solvable.pointee.arch))\nmulti-arch \(string(solvable_lookup_id(solvable, multiArch)))\n"
            var provided: Set<String> = [names[id]]
            for (label, offset) in [("provides", solvable.pointee.provides), ("requires", solvable.pointee.requires),
                                    ("conflicts", solvable.pointee.conflicts), ("obsoletes", solvable.pointee.obsoletes)] {
                text += label
                forEachDependency(of: solvable, at: offset) { dependency in
                    if label == "provides" { baseNames(of: dependency) { provided.insert(string($0)) } }
                    text += " "
                    describe(dependency, own: own, into: &text)
                }
                text += "\n"
            }
            let digest = SHA256.hash(data: Data(text.utf8))
            ids.append(Id(id))
            result.append(BinaryFingerprint(name: names[id], version: versions[id], architecture: string(solvable.pointee.arch),
                                            provides: provided.sorted(), essential: essential.contains(Id(id)),
                                            shape: Hex.encode(digest.prefix(16))))
        }
        return (ids, result)
    }

    /// Compares the previous snapshot's binaries with this pool's. `requirements` are the dependency
    /// ids that jobs ask for directly (build-dependencies, the build group): versioned ones among them
    /// also decide whether a binary can be relabeled.
    func analyzeUpdate(previous: [BinaryFingerprint], current: (ids: [Id], fingerprints: [BinaryFingerprint]),
                       requirements: [Id]) -> UpdateAnalysis {
        let pool = raw
        let count = Int(pool.pointee.nsolvables)
        var before: [String: [BinaryFingerprint]] = [:]
        for fingerprint in previous { before[fingerprint.name, default: []].append(fingerprint) }
        var after: [String: [(id: Id, fingerprint: BinaryFingerprint)]] = [:]
        for (id, fingerprint) in zip(current.ids, current.fingerprints) { after[fingerprint.name, default: []].append((id, fingerprint)) }

        var changed = [Bool](repeating: false, count: count)
        var changedNames: Set<String> = []
        var changedBinaries = 0
        var candidates: [Id: String] = [:]  // solvable → its old version
        for name in Set(before.keys).union(after.keys) {
            let old = before[name] ?? [], new = after[name] ?? []
            if old.count == 1, new.count == 1, let was = old.first, let now = new.first?.fingerprint,
               was.architecture == now.architecture, was.shape == now.shape, was.provides == now.provides, was.essential == now.essential {
                if was.version != now.version, let id = new.first?.id { candidates[id] = was.version }
                continue
            }
            let kept = Set(old).intersection(new.map(\.fingerprint))
            var gone = 0, came = 0
            for was in old where !kept.contains(was) {
                changedNames.formUnion(was.provides)
                gone += 1
            }
            for (id, now) in new where !kept.contains(now) {
                changed[Int(id)] = true
                changedNames.formUnion(now.provides)
                came += 1
            }
            changedBinaries += max(gone, came)
        }
        let essentialsBefore = Set(previous.filter(\.essential).map(\.name))
        let essentialsAfter = Set(current.fingerprints.filter(\.essential).map(\.name))

        // A relabel holds when every versioned relationship that involves a relabeled package decides
        // the same way with the old versions as with the new.
        for id in invalidRelabels(candidates, requirements: requirements) {
            candidates[id] = nil
            changed[Int(id)] = true
            changedBinaries += 1
            for entry in after[names[Int(id)]] ?? [] where entry.id == id { changedNames.formUnion(entry.fingerprint.provides) }
        }
        var relabeled: [String: IncrementalPlan.Relabel] = [:]
        for (id, old) in candidates { relabeled[names[Int(id)]] = .init(oldVersion: old, newVersion: versions[Int(id)]) }

        var nameIDs: Set<Id> = []
        for name in changedNames {
            let id = pool_str2id(pool, name, 0)
            if id != 0 { nameIDs.insert(id) }
        }
        let tainted = propagate(seeds: changed, names: nameIDs)
        return UpdateAnalysis(tainted: tainted, changedNames: nameIDs, changedNameText: changedNames, relabeled: relabeled, changedBinaries: changedBinaries,
                              essentialsChanged: essentialsBefore != essentialsAfter)
    }

    /// Whether a job asking for `dependency` can see a change: it names something a changed binary
    /// provides (or provided), or a provider of it is tainted.
    func touches(_ dependency: Id, _ analysis: UpdateAnalysis) -> Bool {
        var named = false
        baseNames(of: dependency) { if analysis.changedNames.contains($0) { named = true } }
        if named { return true }
        var reached = false
        forEachProvider(of: dependency) { id, _ in if analysis.tainted[Int(id)] { reached = true } }
        return reached
    }

    /// Taints the seeds, every solvable requiring a changed name, and every solvable that requires
    /// something a tainted solvable provides, to a fixed point.
    private func propagate(seeds: [Bool], names: Set<Id>) -> [Bool] {
        let pool = raw
        let count = Int(pool.pointee.nsolvables)
        var tainted = seeds
        // Reverse edges: provider → the solvables requiring something it provides (CSR layout).
        var edges: [(provider: Int32, requirer: Int32)] = []
        var work: [Int32] = []
        for id in 2..<count {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            forEachDependency(of: solvable, at: solvable.pointee.requires) { dependency in
                if !tainted[id] {
                    var named = false
                    baseNames(of: dependency) { if names.contains($0) { named = true } }
                    if named { tainted[id] = true }
                }
                forEachProvider(of: dependency) { provider, _ in edges.append((provider, Int32(id))) }
            }
        }
        for id in 0..<count where tainted[id] { work.append(Int32(id)) }
        edges.sort { $0.provider < $1.provider }
        var start = [Int](repeating: 0, count: count + 1)
        for edge in edges { start[Int(edge.provider) + 1] += 1 }
        for index in 0..<count { start[index + 1] += start[index] }
        while let provider = work.popLast() {
            for index in start[Int(provider)]..<start[Int(provider) + 1] {
                let requirer = Int(edges[index].requirer)
                if !tainted[requirer] {
                    tainted[requirer] = true
                    work.append(Int32(requirer))
                }
            }
        }
        return tainted
    }

    /// The relabel candidates that some versioned relationship tells apart.
    private func invalidRelabels(_ candidates: [Id: String], requirements: [Id]) -> Set<Id> {
        guard !candidates.isEmpty else { return [] }
        let pool = raw
        var oldEVR: [Id: Id] = [:]
        for (id, version) in candidates { oldEVR[id] = pool_str2id(pool, version, 1) }
        // The names whose versioned relationships can decide differently: what a candidate provides
        // at its own version, and what a candidate requires at its own version.
        var sensitive: Set<Id> = []
        for id in candidates.keys {
            let solvable = self.solvable(id)
            let own = solvable.pointee.evr
            for offset in [solvable.pointee.provides, solvable.pointee.requires, solvable.pointee.conflicts, solvable.pointee.obsoletes] {
                forEachDependency(of: solvable, at: offset) { dependency in
                    forEachComparison(in: dependency) { name, _, evr in if evr == own { sensitive.insert(name) } }
                }
            }
        }
        // Every versioned provide of those names, with its solvable.
        var provides: [Id: [(solvable: Id, flags: Int32, evr: Id)]] = [:]
        for id in 2..<Int(pool.pointee.nsolvables) {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            forEachDependency(of: solvable, at: solvable.pointee.provides) { dependency in
                guard let relation = fw_reldep(pool, dependency), relation.pointee.flags >= 1, relation.pointee.flags <= 7,
                      sensitive.contains(relation.pointee.name) else { return }
                provides[relation.pointee.name, default: []].append((Id(id), relation.pointee.flags, relation.pointee.evr))
            }
        }
        var invalid: Set<Id> = []
        func check(requirer: Id?, _ dependency: Id) {
            let own = requirer.map { self.solvable($0).pointee.evr }
            forEachComparison(in: dependency) { name, flags, evr in
                guard let providers = provides[name] else { return }
                let requirerOld = requirer.flatMap { oldEVR[$0] }
                for provider in providers {
                    let providerOld = oldEVR[provider.solvable]
                    guard requirerOld != nil || providerOld != nil else { continue }
                    let now = pool_intersect_evrs(pool, provider.flags, provider.evr, flags, evr)
                    let providedBefore = providerOld != nil && provider.evr == self.solvable(provider.solvable).pointee.evr ? providerOld! : provider.evr
                    let requiredBefore = requirerOld != nil && evr == own ? requirerOld! : evr
                    let before = pool_intersect_evrs(pool, provider.flags, providedBefore, flags, requiredBefore)
                    if now != before {
                        if providerOld != nil { invalid.insert(provider.solvable) }
                        if let requirer, requirerOld != nil { invalid.insert(requirer) }
                    }
                }
            }
        }
        for id in 2..<Int(pool.pointee.nsolvables) {
            let solvable = pool.pointee.solvables + id
            guard solvable.pointee.repo != nil else { continue }
            for offset in [solvable.pointee.requires, solvable.pointee.conflicts, solvable.pointee.obsoletes] {
                forEachDependency(of: solvable, at: offset) { check(requirer: Id(id), $0) }
            }
        }
        for dependency in requirements { check(requirer: nil, dependency) }
        return invalid
    }

    /// Calls `body` with each dependency of an id array (`offset` into the solvable's repository),
    /// skipping the pre-dependency marker and stopping at the file-provides marker.
    func forEachDependency(of solvable: UnsafeMutablePointer<Solvable>, at offset: Offset, _ body: (Id) -> Void) {
        guard offset != 0, let repo = solvable.pointee.repo else { return }
        var dependency = repo.pointee.idarraydata + Int(offset)
        let prerequisite = Id(SOLVABLE_PREREQMARKER.rawValue), files = Id(SOLVABLE_FILEMARKER.rawValue)
        while dependency.pointee != 0 {
            defer { dependency += 1 }
            if dependency.pointee == files { return }
            if dependency.pointee == prerequisite { continue }
            body(dependency.pointee)
        }
    }

    /// The package names a dependency mentions (both sides of rich dependencies).
    func baseNames(of dependency: Id, _ body: (Id) -> Void) {
        guard let relation = fw_reldep(raw, dependency) else { return body(dependency) }
        baseNames(of: relation.pointee.name, body)
        switch relation.pointee.flags {
        case Int32(REL_AND), Int32(REL_OR), Int32(REL_WITH), Int32(REL_WITHOUT), Int32(REL_COND), Int32(REL_UNLESS), Int32(REL_ELSE):
            baseNames(of: relation.pointee.evr, body)
        default:
            break
        }
    }

    /// Every versioned comparison inside a dependency: its base name, flags and version.
    private func forEachComparison(in dependency: Id, _ body: (Id, Int32, Id) -> Void) {
        guard let relation = fw_reldep(raw, dependency) else { return }
        let flags = relation.pointee.flags
        if flags >= 1, flags <= 7 {
            baseNames(of: relation.pointee.name) { body($0, flags, relation.pointee.evr) }
            return
        }
        forEachComparison(in: relation.pointee.name, body)
        switch flags {
        case Int32(REL_AND), Int32(REL_OR), Int32(REL_WITH), Int32(REL_WITHOUT), Int32(REL_COND), Int32(REL_UNLESS), Int32(REL_ELSE):
            forEachComparison(in: relation.pointee.evr, body)
        default:
            break
        }
    }

    /// A dependency as text, with `own` (the package's version) written as `@`.
    private func describe(_ dependency: Id, own: Id, into text: inout String) {
        guard let relation = fw_reldep(raw, dependency) else { return text += string(dependency) }
        let flags = relation.pointee.flags
        text += "("
        describe(relation.pointee.name, own: own, into: &text)
        text += " #\(flags) "
        if flags >= 1, flags <= 7, relation.pointee.evr == own {
            text += "@"
        } else {
            describe(relation.pointee.evr, own: own, into: &text)
        }
        text += ")"
    }

    private func string(_ id: Id) -> String {
        id == 0 ? "" : String(cString: pool_id2str(raw, id))
    }
}
