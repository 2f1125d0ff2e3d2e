import CGit2

#if canImport(Glibc)
import Glibc
#endif

/// An object read from the object database. Owns its `git_odb_object` and frees it once.
final class RawObject {
    private let pointer: OpaquePointer
    let id: ObjectID
    let kind: git_object_t
    let data: UnsafeRawBufferPointer

    init(pointer: OpaquePointer, id: ObjectID) {
        self.pointer = pointer
        self.id = id
        self.kind = git_odb_object_type(pointer)
        let size = git_odb_object_size(pointer)
        if let base = git_odb_object_data(pointer) {
            data = UnsafeRawBufferPointer(start: base, count: size)
        } else {
            data = UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    deinit { git_odb_object_free(pointer) }
}

/// One entry of a parsed tree; the name stays in the raw object's buffer.
struct RawTreeEntry {
    var nameOffset: Int32
    let nameLength: Int32
    let mode: UInt32
    let id: ObjectID

    @inline(__always) var isTree: Bool { mode & 0o170000 == 0o040000 }
}

/// A tree object parsed into entries that point into its raw bytes.
final class ParsedTree {
    let object: RawObject
    let entries: [RawTreeEntry]

    init(object: RawObject) throws(ForgeError) {
        self.object = object
        var entries: [RawTreeEntry] = []
        entries.reserveCapacity(object.data.count / 28 + 1)  // the smallest entry is 28 bytes
        _ = try Self.parseEntries(object, from: 0, into: &entries, until: { _ in false })
        self.entries = entries
    }

    private init(object: RawObject, entries: [RawTreeEntry]) {
        self.object = object
        self.entries = entries
    }

    /// Parses `object` using `other`, a parsed tree with the same name order, for the bytes both share
    /// at their start and end: entries inside the common first bytes are the same entries, and so is
    /// every entry after a point where the remaining bytes of both are equal. Only the entries between
    /// are decoded, which for the trees of consecutive commits is usually one or two.
    ///
    /// Returns the tree with the number of entries shared at the start and at the end, the same
    /// counts ``sharedEnds(_:_:)`` finds for the pair.
    static func decode(_ object: RawObject, sharingWith other: ParsedTree) throws(ForgeError) -> (tree: ParsedTree, prefix: Int, suffix: Int) {
        let a = other.object.data, b = object.data
        guard let aBase = a.baseAddress, let bBase = b.baseAddress, !other.entries.isEmpty else {
            return (try ParsedTree(object: object), 0, 0)
        }
        let prefixBytes = Self.commonPrefix(aBase, bBase, min(a.count, b.count))
        // Entries of `other` that end inside the common prefix decode identically here.
        let shared = other.entryCount(endingBy: prefixBytes)
        let start = shared == 0 ? 0 : other.end(of: shared - 1)
        let suffixBytes = Self.commonSuffix(aBase, a.count, bBase, b.count, limit: min(a.count, b.count) - start)
        // An offset here that is an entry start in `other` at or after `suffixStart`, shifted by `delta`,
        // starts the same run of entries in both.
        let suffixStart = a.count - suffixBytes, delta = b.count - a.count
        var entries: [RawTreeEntry] = []
        entries.reserveCapacity(other.entries.count + 4)
        entries.append(contentsOf: other.entries[0..<shared])
        var resumeAt = other.entries.count
        let stoppedAt = try Self.parseEntries(object, from: start, into: &entries, until: { offset in
            let offsetInOther = offset - delta
            guard offsetInOther >= suffixStart, offsetInOther < a.count else { return false }
            guard let index = other.entryIndex(startingAt: offsetInOther, from: shared) else { return false }
            resumeAt = index
            return true
        })
        var suffix = 0
        if stoppedAt < b.count {
            suffix = other.entries.count - resumeAt
            let first = entries.count
            entries.append(contentsOf: other.entries[resumeAt...])
            if delta != 0 {
                let shift = Int32(delta)
                entries.withUnsafeMutableBufferPointer { buffer in
                    for index in first..<buffer.count { buffer[index].nameOffset &+= shift }
                }
            }
        }
        return (ParsedTree(object: object, entries: entries), shared, suffix)
    }

    /// The offset just past entry `index` in the raw bytes.
    @inline(__always) func end(of index: Int) -> Int {
        Int(entries[index].nameOffset) + Int(entries[index].nameLength) + 21
    }

    /// The offset where entry `index` starts in the raw bytes.
    @inline(__always) func start(of index: Int) -> Int {
        index == 0 ? 0 : end(of: index - 1)
    }

    /// How many leading entries end at or before `offset`.
    func entryCount(endingBy offset: Int) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if end(of: mid) <= offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The index (at or after `from`) of the entry that starts exactly at `offset`, if one does.
    func entryIndex(startingAt offset: Int, from: Int) -> Int? {
        let index = entryCount(endingBy: offset)
        guard index >= from, index < entries.count, start(of: index) == offset else { return nil }
        return index
    }

    /// How many leading and trailing entries two parsed trees share (same bytes at the same place from
    /// their start, or from their end); the two counts never overlap in either tree.
    static func sharedEnds(_ a: ParsedTree, _ b: ParsedTree) -> (prefix: Int, suffix: Int) {
        guard let aBase = a.object.data.baseAddress, let bBase = b.object.data.baseAddress else { return (0, 0) }
        let aCount = a.object.data.count, bCount = b.object.data.count
        let prefixBytes = commonPrefix(aBase, bBase, min(aCount, bCount))
        let prefix = min(a.entryCount(endingBy: prefixBytes), b.entries.count)
        let start = prefix == 0 ? 0 : a.end(of: prefix - 1)
        let suffixBytes = commonSuffix(aBase, aCount, bBase, bCount, limit: min(aCount, bCount) - start)
        // Entries of `a` that start inside the common last bytes, first to last: the first whose start
        // is also an entry start of `b` (at the same distance from the end) begins the shared run.
        var index = max(a.entryCount(endingBy: aCount - suffixBytes), prefix)
        while index < a.entries.count {
            let fromEnd = aCount - a.start(of: index)
            if fromEnd > suffixBytes { index += 1; continue }
            if let other = b.entryIndex(startingAt: bCount - fromEnd, from: prefix) {
                return (prefix, min(a.entries.count - index, b.entries.count - other))
            }
            index += 1
        }
        return (prefix, 0)
    }

    /// The length of the common first bytes of two buffers: `memcmp` over blocks, then eight bytes at a time.
    static func commonPrefix(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Int {
        var i = 0
        while i + 256 <= count, memcmp(a + i, b + i, 256) == 0 { i += 256 }
        while i + 8 <= count {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != 0 { return i + UInt64(littleEndian: x).trailingZeroBitCount / 8 }
            i += 8
        }
        while i < count, a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) { i += 1 }
        return i
    }

    /// The length of the common last bytes of two buffers, at most `limit`.
    static func commonSuffix(_ a: UnsafeRawPointer, _ aCount: Int, _ b: UnsafeRawPointer, _ bCount: Int, limit: Int) -> Int {
        var n = 0
        while n + 256 <= limit, memcmp(a + (aCount - n - 256), b + (bCount - n - 256), 256) == 0 { n += 256 }
        while n + 8 <= limit {
            let x = a.loadUnaligned(fromByteOffset: aCount - n - 8, as: UInt64.self)
                ^ b.loadUnaligned(fromByteOffset: bCount - n - 8, as: UInt64.self)
            if x != 0 { return n + UInt64(littleEndian: x).leadingZeroBitCount / 8 }
            n += 8
        }
        while n < limit, a.load(fromByteOffset: aCount - n - 1, as: UInt8.self) == b.load(fromByteOffset: bCount - n - 1, as: UInt8.self) {
            n += 1
        }
        return n
    }

    /// Decodes entries from `offset` until the end, or until `stop` returns true for the offset of
    /// the next entry; returns the offset where it stopped.
    private static func parseEntries(_ object: RawObject, from offset: Int, into entries: inout [RawTreeEntry],
                                     until stop: (Int) -> Bool) throws(ForgeError) -> Int {
        let data = object.data
        let count = data.count
        guard let base = data.baseAddress else { return 0 }
        var i = offset
        while i < count {
            if stop(i) { return i }
            var mode: UInt32 = 0
            var digits = 0
            while i < count, base.load(fromByteOffset: i, as: UInt8.self) != 0x20 {
                let c = base.load(fromByteOffset: i, as: UInt8.self)
                guard c >= 0x30, c <= 0x37, digits < 7 else {
                    throw ForgeError(.corrupt, "tree \(object.id) has a malformed entry mode", operation: "read tree")
                }
                mode = mode << 3 | UInt32(c - 0x30)
                digits += 1
                i += 1
            }
            i += 1
            guard digits > 0, i < count else {
                throw ForgeError(.corrupt, "tree \(object.id) is truncated", operation: "read tree")
            }
            guard let nul = memchr(base + i, 0, count - i) else {
                throw ForgeError(.corrupt, "tree \(object.id) has an unterminated entry name", operation: "read tree")
            }
            let nameEnd = base.distance(to: UnsafeRawPointer(nul))
            guard nameEnd > i, nameEnd + 21 <= count else {
                throw ForgeError(.corrupt, "tree \(object.id) is truncated", operation: "read tree")
            }
            entries.append(RawTreeEntry(nameOffset: Int32(i), nameLength: Int32(nameEnd - i), mode: mode,
                                        id: ObjectID(rawBytes: base + nameEnd + 1)))
            i = nameEnd + 21
        }
        return i
    }

    @inline(__always) func namePointer(_ entry: RawTreeEntry) -> UnsafeRawPointer {
        object.data.baseAddress.unsafelyUnwrapped + Int(entry.nameOffset)
    }

    func name(_ entry: RawTreeEntry) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: namePointer(entry), count: Int(entry.nameLength)))
    }

    /// Finds the entry named `name` (any mode), by binary search in git's tree order.
    func entry(named name: UnsafeRawBufferPointer) -> RawTreeEntry? {
        // Tree order puts a directory "a" as if it were "a/", so search linearly around the byte-order
        // position: names are unique, and entries sharing `name` as a prefix are adjacent.
        guard let wanted = name.baseAddress, name.count > 0 else { return nil }
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let e = entries[mid]
            let r = compareNames(namePointer(e), Int(e.nameLength), wanted, name.count)
            if r < 0 { low = mid + 1 } else { high = mid }
        }
        var index = low
        while index < entries.count {
            let e = entries[index]
            let n = Int(e.nameLength)
            if n == name.count, memcmp(namePointer(e), wanted, n) == 0 { return e }
            // Past every name that starts with `name`: stop.
            if n < name.count || memcmp(namePointer(e), wanted, name.count) != 0 { break }
            index += 1
        }
        return nil
    }

    private func compareNames(_ a: UnsafeRawPointer, _ la: Int, _ b: UnsafeRawPointer?, _ lb: Int) -> Int32 {
        let common = min(la, lb)
        if common > 0, let b {
            let r = memcmp(a, b, common)
            if r != 0 { return r }
        }
        return la == lb ? 0 : (la < lb ? -1 : 1)
    }
}

/// The header fields a history walk needs, parsed without decoding the message.
struct CommitHeader {
    let treeID: ObjectID
    let parentIDs: [ObjectID]
    let committerTime: Int64
}

/// Reads objects straight from the object database, with a small cache of parsed trees.
///
/// Confined to its repository's executor, like the handle that owns it.
final class ObjectStore {
    let odb: OpaquePointer
    let path: String
    private var trees = RecentCache<ParsedTree>(generation: 256)
    private var headers = RecentCache<CommitHeader>(generation: 2048)

    init(odb: OpaquePointer, path: String) {
        self.odb = odb
        self.path = path
    }

    deinit { git_odb_free(odb) }

    func read(_ id: ObjectID, operation: @autoclosure () -> String) throws(ForgeError) -> RawObject {
        var oid = id.gitOID
        var object: OpaquePointer?
        let result = git_odb_read(&object, odb, &oid)
        guard result >= 0, let object else {
            throw readError(result, id, operation: operation())
        }
        return RawObject(pointer: object, id: id)
    }

    /// The error for a failed object read: missing, or (anything else) damaged. Reads git_error_last at once.
    private func readError(_ result: Int32, _ id: ObjectID, operation: String) -> ForgeError {
        let error = Libgit2.error(result, operation: operation, path: path)
        if result == GIT_ENOTFOUND.rawValue {
            return ForgeError(.notFound, "object \(id) is missing", operation: operation, path: path, libgit2: error.libgit2)
        }
        return ForgeError(error.code == .git || error.code == .io ? .corrupt : error.code,
                          "object \(id) cannot be read: \(error.message)", operation: operation, path: path,
                          libgit2: error.libgit2)
    }

    /// Reads the object's type and size without inflating it where the store allows.
    func header(_ id: ObjectID, operation: @autoclosure () -> String) throws(ForgeError) -> (kind: git_object_t, size: Int) {
        var oid = id.gitOID
        var size = 0
        var kind = GIT_OBJECT_INVALID
        let result = git_odb_read_header(&size, &kind, odb, &oid)
        if result < 0 {
            throw readError(result, id, operation: operation())
        }
        return (kind, size)
    }

    func tree(_ id: ObjectID) throws(ForgeError) -> ParsedTree {
        if let hit = trees[id] { return hit }
        let parsed = try ParsedTree(object: treeObject(id))
        trees[id] = parsed
        return parsed
    }

    /// The parsed tree `id` and the number of entries it shares with `similar` (the tree it is about
    /// to be compared with) at their start and end. When `id` must be decoded, those shared entries
    /// are taken from `similar` instead of decoded again.
    func tree(_ id: ObjectID, sharingWith similar: ParsedTree) throws(ForgeError) -> (tree: ParsedTree, prefix: Int, suffix: Int) {
        if let hit = trees[id] {
            let (prefix, suffix) = ParsedTree.sharedEnds(similar, hit)
            return (hit, prefix, suffix)
        }
        let decoded = try ParsedTree.decode(treeObject(id), sharingWith: similar)
        trees[id] = decoded.tree
        return decoded
    }

    private func treeObject(_ id: ObjectID) throws(ForgeError) -> RawObject {
        let object = try read(id, operation: "read tree")
        guard object.kind == GIT_OBJECT_TREE else {
            throw ForgeError(.invalidArgument, "object \(id) is a \(Self.kindName(object.kind)), not a tree", operation: "read tree", path: path)
        }
        return object
    }

    /// The parsed tree `id` if it is cached.
    func cachedTree(_ id: ObjectID) -> ParsedTree? {
        trees[id]
    }

    func commitObject(_ id: ObjectID) throws(ForgeError) -> RawObject {
        let object = try read(id, operation: "read commit")
        guard object.kind == GIT_OBJECT_COMMIT else {
            throw ForgeError(.invalidArgument, "object \(id) is a \(Self.kindName(object.kind)), not a commit", operation: "read commit", path: path)
        }
        return object
    }

    /// A commit's tree, parents and time; recent ones are cached, since a walk and the diffs along it
    /// ask for the same commits again.
    func commitHeader(_ id: ObjectID) throws(ForgeError) -> CommitHeader {
        if let hit = headers[id] { return hit }
        let object = try commitObject(id)
        let header = try CommitParser.header(object.data, id: id)
        headers[id] = header
        return header
    }

    func commit(_ id: ObjectID) throws(ForgeError) -> Commit {
        let object = try commitObject(id)
        return try CommitParser.commit(object.data, id: id)
    }

    static func kindName(_ kind: git_object_t) -> String {
        switch kind {
        case GIT_OBJECT_COMMIT: return "commit"
        case GIT_OBJECT_TREE: return "tree"
        case GIT_OBJECT_BLOB: return "blob"
        case GIT_OBJECT_TAG: return "tag"
        default: return "object of unknown type"
        }
    }
}

/// A small cache of recently used values by object id, in two generations: a hit in the older one
/// moves up, and the older one is dropped whole when the newer one fills.
struct RecentCache<Value> {
    private var recent: [ObjectID: Value] = [:]
    private var older: [ObjectID: Value] = [:]
    private let generation: Int

    init(generation: Int) {
        self.generation = generation
    }

    subscript(id: ObjectID) -> Value? {
        mutating get {
            if let hit = recent[id] { return hit }
            guard let old = older[id] else { return nil }
            self[id] = old
            return old
        }
        set {
            guard let newValue else { return }
            if recent.count >= generation {
                older = recent
                recent = [:]
                recent.reserveCapacity(generation)
            }
            recent[id] = newValue
        }
    }
}

/// Parses the text of commit objects.
enum CommitParser {
    static func header(_ data: UnsafeRawBufferPointer, id: ObjectID) throws(ForgeError) -> CommitHeader {
        var tree: ObjectID?
        var parents: [ObjectID] = []
        var committerTime: Int64 = 0
        try forEachHeaderLine(data, id: id) { (key, value) throws(ForgeError) -> Bool in
            switch key {
            case .tree: tree = try hexID(value, id: id)
            case .parent: parents.append(try hexID(value, id: id))
            case .committer:
                committerTime = parseSignature(value).time
            default: break
            }
            return true
        }
        guard let tree else {
            throw ForgeError(.corrupt, "commit \(id) has no tree", operation: "read commit")
        }
        return CommitHeader(treeID: tree, parentIDs: parents, committerTime: committerTime)
    }

    static func commit(_ data: UnsafeRawBufferPointer, id: ObjectID) throws(ForgeError) -> Commit {
        var tree: ObjectID?
        var parents: [ObjectID] = []
        var author = Signature(name: "", email: "", time: 0)
        var committer = Signature(name: "", email: "", time: 0)
        let bodyStart = try forEachHeaderLine(data, id: id) { (key, value) throws(ForgeError) -> Bool in
            switch key {
            case .tree: tree = try hexID(value, id: id)
            case .parent: parents.append(try hexID(value, id: id))
            case .author: author = parseSignature(value)
            case .committer: committer = parseSignature(value)
            case .other: break
            }
            return true
        }
        guard let tree else {
            throw ForgeError(.corrupt, "commit \(id) has no tree", operation: "read commit")
        }
        let message = bodyStart < data.count
            ? String(decoding: UnsafeRawBufferPointer(rebasing: data[bodyStart...]), as: UTF8.self)
            : ""
        return Commit(id: id, treeID: tree, parentIDs: parents, author: author, committer: committer, message: message)
    }

    enum Key { case tree, parent, author, committer, other }

    /// Calls `body` for each header line (continuation lines of multi-line headers are skipped) and
    /// returns the offset where the message starts.
    @discardableResult
    static func forEachHeaderLine(
        _ data: UnsafeRawBufferPointer, id: ObjectID,
        _ body: (Key, UnsafeRawBufferPointer) throws(ForgeError) -> Bool
    ) throws(ForgeError) -> Int {
        guard let base = data.baseAddress else {
            throw ForgeError(.corrupt, "commit \(id) is empty", operation: "read commit")
        }
        let count = data.count
        var i = 0
        while i < count {
            let lineEnd: Int
            if let nl = memchr(base + i, 0x0a, count - i) {
                lineEnd = base.distance(to: UnsafeRawPointer(nl))
            } else {
                lineEnd = count
            }
            if lineEnd == i { return lineEnd + 1 }  // blank line: the message follows
            let first = base.load(fromByteOffset: i, as: UInt8.self)
            if first != 0x20 {  // not a continuation line
                let line = UnsafeRawBufferPointer(start: base + i, count: lineEnd - i)
                let key: Key
                var valueStart = 0
                if startsWith(line, "tree ") { key = .tree; valueStart = 5 }
                else if startsWith(line, "parent ") { key = .parent; valueStart = 7 }
                else if startsWith(line, "author ") { key = .author; valueStart = 7 }
                else if startsWith(line, "committer ") { key = .committer; valueStart = 10 }
                else { key = .other }
                if key != .other {
                    let value = UnsafeRawBufferPointer(rebasing: line[valueStart...])
                    if try !body(key, value) { return count }
                }
            }
            i = lineEnd + 1
        }
        return count
    }

    @inline(__always)
    private static func startsWith(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard line.count >= n, let base = line.baseAddress else { return false }
        return memcmp(base, prefix.utf8Start, n) == 0
    }

    static func hexID(_ value: UnsafeRawBufferPointer, id: ObjectID) throws(ForgeError) -> ObjectID {
        guard value.count >= 40 else {
            throw ForgeError(.corrupt, "commit \(id) has a malformed object id", operation: "read commit")
        }
        var bytes = (UInt64(0), UInt64(0), UInt32(0))
        var ok = true
        withUnsafeMutableBytes(of: &bytes) { out in
            for index in 0..<20 {
                guard let h = nibble(value[index * 2]), let l = nibble(value[index * 2 + 1]) else {
                    ok = false
                    return
                }
                out[index] = h << 4 | l
            }
        }
        guard ok else {
            throw ForgeError(.corrupt, "commit \(id) has a malformed object id", operation: "read commit")
        }
        return withUnsafeBytes(of: &bytes) { ObjectID(rawBytes: $0.baseAddress.unsafelyUnwrapped) }
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// Parses `Name <email> 1234567890 +0200`, leniently as git does for damaged signatures.
    static func parseSignature(_ value: UnsafeRawBufferPointer) -> Signature {
        let bytes = Array(value)
        guard let open = bytes.firstIndex(of: UInt8(ascii: "<")),
              let close = bytes.lastIndex(of: UInt8(ascii: ">")), close > open else {
            return Signature(name: String(decoding: bytes, as: UTF8.self), email: "", time: 0)
        }
        var nameEnd = open
        while nameEnd > 0, bytes[nameEnd - 1] == 0x20 { nameEnd -= 1 }
        let name = String(decoding: bytes[..<nameEnd], as: UTF8.self)
        let email = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let rest = bytes[(close + 1)...].split(separator: 0x20)
        var time: Int64 = 0
        var offset = 0
        if let first = rest.first { time = Int64(String(decoding: first, as: UTF8.self)) ?? 0 }
        if rest.count > 1 {
            let tz = Array(rest[rest.startIndex + 1])
            if tz.count == 5, let value = Int(String(decoding: tz[1...], as: UTF8.self)) {
                let minutes = (value / 100) * 60 + value % 100
                offset = tz[0] == UInt8(ascii: "-") ? -minutes : minutes
            }
        }
        return Signature(name: name, email: email, time: time, timeZoneOffsetMinutes: offset)
    }
}
