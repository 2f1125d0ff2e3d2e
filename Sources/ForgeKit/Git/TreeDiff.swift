#if canImport(Glibc)
import Glibc
#endif

/// One path that differs between two trees.
public struct PathChange: Hashable, Sendable, CustomStringConvertible {
    /// How the path changed.
    public enum Kind: String, Hashable, Sendable {
        /// The path is new.
        case added = "A"
        /// The path is gone.
        case deleted = "D"
        /// The content or the executable bit changed.
        case modified = "M"
        /// The kind of entry changed: a file became a symlink or a submodule, or back.
        case typeChanged = "T"
        /// The path was renamed from ``PathChange/oldPath`` (only when renames are detected).
        case renamed = "R"
    }

    /// How the path changed.
    public let kind: Kind
    /// The path (the new one, for a rename), as raw bytes: git paths need not be UTF-8.
    public let pathBytes: [UInt8]
    /// The old path, for a rename.
    public let oldPathBytes: [UInt8]?
    /// The mode before, or `nil` when added.
    public let oldMode: FileMode?
    /// The mode after, or `nil` when deleted.
    public let newMode: FileMode?
    /// The object before, or `nil` when added.
    public let oldID: ObjectID?
    /// The object after, or `nil` when deleted.
    public let newID: ObjectID?

    /// Creates a change.
    public init(kind: Kind, pathBytes: [UInt8], oldPathBytes: [UInt8]? = nil, oldMode: FileMode?, newMode: FileMode?, oldID: ObjectID?, newID: ObjectID?) {
        self.kind = kind
        self.pathBytes = pathBytes
        self.oldPathBytes = oldPathBytes
        self.oldMode = oldMode
        self.newMode = newMode
        self.oldID = oldID
        self.newID = newID
    }

    /// The path as a string (invalid UTF-8 shows as U+FFFD).
    public var path: String { String(decoding: pathBytes, as: UTF8.self) }
    /// The old path as a string, for a rename.
    public var oldPath: String? { oldPathBytes.map { String(decoding: $0, as: UTF8.self) } }

    public var description: String {
        if let oldPath { return "\(kind.rawValue)\t\(oldPath)\t\(path)" }
        return "\(kind.rawValue)\t\(path)"
    }
}

/// Compares trees by object id, descending only into subtrees whose ids differ, and reports changed
/// paths in git's order (the order of `git diff --name-only`).
struct TreeDiffer {
    let objects: ObjectStore
    /// Literal pathspecs (`src`, `docs/README.md`): only paths equal to one or below one are reported.
    let pathspecs: [[UInt8]]

    init(objects: ObjectStore, pathspecs: [[UInt8]] = []) {
        self.objects = objects
        self.pathspecs = pathspecs
    }

    /// The changes from `old` to `new`; either may be `nil` for "no tree" (a root commit's parent).
    func changes(from old: ObjectID?, to new: ObjectID?) throws(ForgeError) -> [PathChange] {
        var out: [PathChange] = []
        var prefix: [UInt8] = []
        prefix.reserveCapacity(256)
        if old == new { return out }
        try diff(old, new, prefix: &prefix, into: &out)
        return out
    }

    /// Whether anything under the pathspecs differs between two trees, without listing it.
    func differs(_ old: ObjectID?, _ new: ObjectID?) throws(ForgeError) -> Bool {
        if old == new { return false }
        if pathspecs.isEmpty { return true }
        for spec in pathspecs {
            let components = spec.split(separator: UInt8(ascii: "/")).map(Array.init)
            let a = try lookup(old, components)
            let b = try lookup(new, components)
            if a?.id != b?.id || a?.mode != b?.mode { return true }
        }
        return false
    }

    /// The entry at a path (given as components) inside a tree, or nil.
    func lookup(_ tree: ObjectID?, _ components: [[UInt8]]) throws(ForgeError) -> (mode: UInt32, id: ObjectID)? {
        guard var current = tree else { return nil }
        var mode: UInt32 = 0o040000
        for component in components {
            guard mode & 0o170000 == 0o040000 else { return nil }
            let parsed = try objects.tree(current)
            let found = component.withUnsafeBytes { parsed.entry(named: $0) }
            guard let entry = found else { return nil }
            current = entry.id
            mode = entry.mode
        }
        return (mode, current)
    }

    // MARK: The walk

    private enum SpecMatch { case none, inside, partial }

    /// Whether `path` (a directory when `isTree`) is wanted: inside a pathspec, on the way to one, or neither.
    private func match(_ path: [UInt8], isTree: Bool) -> SpecMatch {
        if pathspecs.isEmpty { return .inside }
        var result = SpecMatch.none
        for spec in pathspecs {
            if path.count >= spec.count, path.starts(with: spec),
               path.count == spec.count || path[spec.count] == UInt8(ascii: "/") {
                return .inside
            }
            if isTree, spec.count > path.count, spec.starts(with: path), spec[path.count] == UInt8(ascii: "/") {
                result = .partial
            }
        }
        return result
    }

    private func diff(_ old: ObjectID?, _ new: ObjectID?, prefix: inout [UInt8], into out: inout [PathChange]) throws(ForgeError) {
        let oldTree: ParsedTree?, newTree: ParsedTree?
        // Entries both trees share at their start and end are equal: only the ones between are compared.
        var shared = (prefix: 0, suffix: 0)
        if let old, let new {
            // The tree not yet decoded borrows the entries it shares with the other (in a history walk,
            // one side was decoded for the previous commit).
            if let cached = objects.cachedTree(new) {
                newTree = cached
                let found = try objects.tree(old, sharingWith: cached)
                oldTree = found.tree
                shared = (found.prefix, found.suffix)
            } else {
                let parsedOld = try objects.tree(old)
                oldTree = parsedOld
                let found = try objects.tree(new, sharingWith: parsedOld)
                newTree = found.tree
                shared = (found.prefix, found.suffix)
            }
        } else {
            oldTree = try old.map { (id) throws(ForgeError) in try objects.tree(id) }
            newTree = try new.map { (id) throws(ForgeError) in try objects.tree(id) }
        }
        var i = shared.prefix, j = shared.prefix
        let aEnd = (oldTree?.entries.count ?? 0) - shared.suffix, bEnd = (newTree?.entries.count ?? 0) - shared.suffix
        // Raw bases taken once: the loop below touches no class instance, so no reference counting.
        let aBase = oldTree?.object.data.baseAddress, bBase = newTree?.object.data.baseAddress
        let a = oldTree?.entries ?? [], b = newTree?.entries ?? []
        defer { withExtendedLifetime(oldTree) {}; withExtendedLifetime(newTree) {} }
        while i < aEnd || j < bEnd {
            let order: Int32
            if i >= aEnd { order = 1 }
            else if j >= bEnd { order = -1 }
            else { order = Self.compare(aBase.unsafelyUnwrapped, a[i], bBase.unsafelyUnwrapped, b[j]) }

            if order == 0 {
                let x = a[i], y = b[j]
                i += 1; j += 1
                if x.id == y.id && x.mode == y.mode { continue }
                try pair(aBase.unsafelyUnwrapped, x, y, prefix: &prefix, into: &out)
            } else if order < 0 {
                let x = a[i]
                i += 1
                try one(aBase.unsafelyUnwrapped, x, added: false, prefix: &prefix, into: &out)
            } else {
                let y = b[j]
                j += 1
                try one(bBase.unsafelyUnwrapped, y, added: true, prefix: &prefix, into: &out)
            }
        }
    }

    /// Both sides have an entry with this name (and the same tree-ness, by the ordering).
    private func pair(_ base: UnsafeRawPointer, _ x: RawTreeEntry, _ y: RawTreeEntry, prefix: inout [UInt8], into out: inout [PathChange]) throws(ForgeError) {
        let mark = prefix.count
        defer { prefix.removeSubrange(mark...) }
        append(base, x, to: &prefix)
        if x.isTree {
            // Same name sorts equal only when both are trees.
            switch match(prefix, isTree: true) {
            case .none: return
            case .inside, .partial:
                prefix.append(UInt8(ascii: "/"))
                try diff(x.id, y.id, prefix: &prefix, into: &out)
            }
            return
        }
        guard match(prefix, isTree: false) == .inside else { return }
        let oldMode = FileMode(raw: x.mode), newMode = FileMode(raw: y.mode)
        let kind: PathChange.Kind = (x.mode & 0o170000) == (y.mode & 0o170000) ? .modified : .typeChanged
        out.append(PathChange(kind: kind, pathBytes: prefix, oldMode: oldMode, newMode: newMode, oldID: x.id, newID: y.id))
    }

    /// An entry only one side has: the whole subtree is added or deleted.
    private func one(_ base: UnsafeRawPointer, _ entry: RawTreeEntry, added: Bool, prefix: inout [UInt8], into out: inout [PathChange]) throws(ForgeError) {
        let mark = prefix.count
        defer { prefix.removeSubrange(mark...) }
        append(base, entry, to: &prefix)
        if entry.isTree {
            if match(prefix, isTree: true) == .none { return }
            prefix.append(UInt8(ascii: "/"))
            try diff(added ? nil : entry.id, added ? entry.id : nil, prefix: &prefix, into: &out)
            return
        }
        guard match(prefix, isTree: false) == .inside else { return }
        let mode = FileMode(raw: entry.mode)
        if added {
            out.append(PathChange(kind: .added, pathBytes: prefix, oldMode: nil, newMode: mode, oldID: nil, newID: entry.id))
        } else {
            out.append(PathChange(kind: .deleted, pathBytes: prefix, oldMode: mode, newMode: nil, oldID: entry.id, newID: nil))
        }
    }

    @inline(__always)
    private func append(_ base: UnsafeRawPointer, _ entry: RawTreeEntry, to prefix: inout [UInt8]) {
        prefix.append(contentsOf: UnsafeRawBufferPointer(start: base + Int(entry.nameOffset), count: Int(entry.nameLength)))
    }

    /// git's tree-entry order: bytewise, with a directory's name compared as if it ended in "/".
    @inline(__always)
    static func compare(_ b1: UnsafeRawPointer, _ e1: RawTreeEntry, _ b2: UnsafeRawPointer, _ e2: RawTreeEntry) -> Int32 {
        let l1 = Int(e1.nameLength), l2 = Int(e2.nameLength)
        let common = min(l1, l2)
        let p1 = b1 + Int(e1.nameOffset), p2 = b2 + Int(e2.nameOffset)
        let r = memcmp(p1, p2, common)
        if r != 0 { return r }
        let c1: UInt8 = l1 > common ? p1.load(fromByteOffset: common, as: UInt8.self) : (e1.isTree ? 0x2f : 0)
        let c2: UInt8 = l2 > common ? p2.load(fromByteOffset: common, as: UInt8.self) : (e2.isTree ? 0x2f : 0)
        return Int32(c1) - Int32(c2)
    }
}
