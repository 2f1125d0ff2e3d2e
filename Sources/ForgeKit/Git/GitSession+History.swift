import CGit2

/// What to walk: the revisions, the ranges, and how to limit the walk.
public struct LogOptions: Sendable, Hashable {
    /// Where to start, with git's range syntax: `main`, `v1.0..v2.0` (reachable from v2.0 but not v1.0),
    /// `^v1.0` (hide what v1.0 reaches), `a...b` (reachable from either but not from both).
    public var revisions: [String]
    /// Stop after this many commits.
    public var limit: Int?
    /// Follow only the first parent of merges, as `--first-parent`.
    public var firstParent: Bool
    /// Only commits that change something under these paths, with git's default history simplification.
    public var paths: [String]

    /// Creates log options.
    public init(_ revisions: [String] = ["HEAD"], limit: Int? = nil, firstParent: Bool = false, paths: [String] = []) {
        self.revisions = revisions
        self.limit = limit
        self.firstParent = firstParent
        self.paths = paths
    }
}

extension GitSession {
    /// The commits a walk reaches, newest first, in the order `git log` prints them.
    public func log(_ options: LogOptions) throws(ForgeError) -> [Commit] {
        var commits: [Commit] = []
        try walk(options) { (commit) throws(ForgeError) in
            commits.append(commit)
            return true
        }
        return commits
    }

    /// Walks history in `git log` order, calling `body` with each commit; return `false` to stop.
    public func walk(_ options: LogOptions, _ body: (Commit) throws(ForgeError) -> Bool) throws(ForgeError) {
        _ = try repository("log")
        let walker = try HistoryWalker(session: self, options: options)
        try walker.run { (id) throws(ForgeError) in
            try body(try objects.commit(id))
        }
    }

    /// Walks history in `git log` order, yielding only commit ids; the fastest way to list history.
    public func walkIDs(_ options: LogOptions, _ body: (ObjectID) throws(ForgeError) -> Bool) throws(ForgeError) {
        _ = try repository("log")
        let walker = try HistoryWalker(session: self, options: options)
        try walker.run(body)
    }
}

/// git's revision walk: a queue ordered by committer date (ties in insertion order), hidden commits
/// propagated to their ancestors, "limited" walks when anything is hidden, and TREESAME
/// simplification for path-limited walks.
final class HistoryWalker {
    private struct Node {
        let id: ObjectID
        var date: Int64 = 0
        var tree: ObjectID = .zero
        var parents: [Int32] = []
        var flags: UInt8 = 0
    }

    private static let seen: UInt8 = 1, uninteresting: UInt8 = 2, added: UInt8 = 4
    private static let treesame: UInt8 = 8, parsed: UInt8 = 16, queued: UInt8 = 32

    private struct QueueEntry {
        let date: Int64
        let sequence: Int64
        let node: Int32
        /// Higher priority pops first: newer date, then earlier insertion.
        @inline(__always) func before(_ other: QueueEntry) -> Bool {
            date != other.date ? date > other.date : sequence < other.sequence
        }
    }

    private let session: GitSession
    private let objects: ObjectStore
    private let options: LogOptions
    private let differ: TreeDiffer
    private let prune: Bool
    private var nodes: [Node] = []
    private var index: [ObjectID: Int32] = [:]
    private var heap: [QueueEntry] = []
    private var sequence: Int64 = 0
    private var limited = false
    private var interestingCache: Int32 = -1

    init(session: GitSession, options: LogOptions) throws(ForgeError) {
        self.session = session
        self.objects = session.objects
        self.options = options
        let specs = try GitSession.pathspecs(options.paths, operation: "log")
        self.differ = TreeDiffer(objects: session.objects, pathspecs: specs)
        self.prune = !specs.isEmpty
        if let limit = options.limit, limit < 0 {
            throw ForgeError(.invalidArgument, "a negative limit", operation: "log")
        }
        nodes.reserveCapacity(1024)
        try addTips()
    }

    // MARK: Nodes

    private func node(_ id: ObjectID) -> Int32 {
        if let existing = index[id] { return existing }
        let n = Int32(nodes.count)
        nodes.append(Node(id: id))
        index[id] = n
        return n
    }

    private func parse(_ n: Int32) throws(ForgeError) {
        if nodes[Int(n)].flags & Self.parsed != 0 { return }
        let header: CommitHeader
        do {
            header = try objects.commitHeader(nodes[Int(n)].id)
        } catch where error.code == .notFound {
            // Every commit walked was named by a reference or a child: a missing one is damage.
            throw ForgeError(.corrupt, "the repository is damaged: \(error.message)", operation: error.operation, path: error.path,
                             libgit2: error.libgit2)
        }
        var parents: [Int32] = []
        parents.reserveCapacity(header.parentIDs.count)
        for id in header.parentIDs { parents.append(node(id)) }
        nodes[Int(n)].parents = parents
        nodes[Int(n)].date = header.committerTime
        nodes[Int(n)].tree = header.treeID
        nodes[Int(n)].flags |= Self.parsed
    }

    @inline(__always) private func has(_ n: Int32, _ flag: UInt8) -> Bool { nodes[Int(n)].flags & flag != 0 }
    @inline(__always) private func set(_ n: Int32, _ flag: UInt8) { nodes[Int(n)].flags |= flag }

    // MARK: Setup

    private func addTips() throws(ForgeError) {
        var tips: [(Int32, Bool)] = []  // node, hidden
        let revisions = options.revisions.isEmpty ? ["HEAD"] : options.revisions
        for revision in revisions {
            if revision.hasPrefix("^"), revision.count > 1 {
                tips.append((try commitNode(String(revision.dropFirst())), true))
            } else if let range = revision.firstRange(of: "...") {
                let left = String(revision[..<range.lowerBound]), right = String(revision[range.upperBound...])
                let a = try commitNode(left.isEmpty ? "HEAD" : left)
                let b = try commitNode(right.isEmpty ? "HEAD" : right)
                tips.append((a, false))
                tips.append((b, false))
                for base in try session.mergeBases(nodes[Int(a)].id, nodes[Int(b)].id) {
                    tips.append((node(base), true))
                }
            } else if let range = revision.firstRange(of: "..") {
                let left = String(revision[..<range.lowerBound]), right = String(revision[range.upperBound...])
                tips.append((try commitNode(left.isEmpty ? "HEAD" : left), true))
                tips.append((try commitNode(right.isEmpty ? "HEAD" : right), false))
            } else {
                tips.append((try commitNode(revision), false))
            }
        }
        var start: [Int32] = []
        for (n, hidden) in tips {
            try parse(n)
            if hidden {
                set(n, Self.uninteresting)
                markParentsUninteresting(n)
                limited = true
            }
            if !has(n, Self.seen) {
                set(n, Self.seen)
                start.append(n)
            }
        }
        // A stable sort by date, newest first, then the queue keeps insertion order among equal dates.
        let ordered = start.enumerated().sorted { lhs, rhs in
            let l = nodes[Int(lhs.element)].date, r = nodes[Int(rhs.element)].date
            return l != r ? l > r : lhs.offset < rhs.offset
        }
        for (_, n) in ordered { push(n) }
    }

    private func commitNode(_ revision: String) throws(ForgeError) -> Int32 {
        node(try session.resolveCommit(revision))
    }

    // MARK: The queue

    private func push(_ n: Int32) {
        set(n, Self.queued)
        let entry = QueueEntry(date: nodes[Int(n)].date, sequence: sequence, node: n)
        sequence += 1
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].before(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Int32? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < heap.count, heap[left].before(heap[best]) { best = left }
                if right < heap.count, heap[right].before(heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        nodes[Int(top.node)].flags &= ~Self.queued
        return top.node
    }

    // MARK: Walking

    func run(_ emit: (ObjectID) throws(ForgeError) -> Bool) throws(ForgeError) {
        var remaining = options.limit ?? Int.max
        if remaining == 0 { return }
        if limited {
            for n in try limitList() {
                if has(n, Self.uninteresting) || (prune && has(n, Self.treesame)) { continue }
                try session.checkCancelled("log")
                if try !emit(nodes[Int(n)].id) { return }
                remaining -= 1
                if remaining == 0 { return }
            }
            return
        }
        var count = 0
        while let n = pop() {
            try processParents(n)
            if has(n, Self.uninteresting) || (prune && has(n, Self.treesame)) { continue }
            count += 1
            if count & 1023 == 0 { try session.checkCancelled("log") }
            if try !emit(nodes[Int(n)].id) { return }
            remaining -= 1
            if remaining == 0 { return }
        }
    }

    /// The whole walk done up front, as git does when something is hidden: stops once only hidden
    /// commits older than the last shown one remain (with git's slop of five extra steps).
    private func limitList() throws(ForgeError) -> [Int32] {
        let slopSteps = 5
        var slop = slopSteps
        var date = Int64.max
        var list: [Int32] = []
        var count = 0
        while let n = pop() {
            count += 1
            if count & 1023 == 0 { try session.checkCancelled("log") }
            try processParents(n)
            if has(n, Self.uninteresting) {
                markParentsUninteresting(n)
                slop = stillInteresting(date: date, slop: slop, full: slopSteps)
                if slop > 0 { continue }
                break
            }
            date = nodes[Int(n)].date
            list.append(n)
        }
        return list
    }

    private func stillInteresting(date: Int64, slop: Int, full: Int) -> Int {
        guard let top = heap.first else { return 0 }
        if date <= top.date { return full }
        if !everybodyUninteresting() { return full }
        return slop - 1
    }

    private func everybodyUninteresting() -> Bool {
        if interestingCache >= 0, has(interestingCache, Self.queued), !has(interestingCache, Self.uninteresting) {
            return false
        }
        for entry in heap where !has(entry.node, Self.uninteresting) {
            interestingCache = entry.node
            return false
        }
        return true
    }

    private func processParents(_ n: Int32) throws(ForgeError) {
        if has(n, Self.added) { return }
        set(n, Self.added)
        if has(n, Self.uninteresting) {
            for p in nodes[Int(n)].parents {
                set(p, Self.uninteresting)
                do { try parse(p) } catch { continue }  // a missing ancestor of a hidden commit is not an error
                if !nodes[Int(p)].parents.isEmpty { markParentsUninteresting(p) }
                if has(p, Self.seen) { continue }
                set(p, Self.seen)
                push(p)
            }
            return
        }
        if prune { try simplify(n) }
        for p in nodes[Int(n)].parents {
            try parse(p)
            if !has(p, Self.seen) {
                set(p, Self.seen)
                push(p)
            }
            if options.firstParent { break }
        }
    }

    /// Marks every known ancestor of `n` as hidden, stopping at ones already hidden.
    private func markParentsUninteresting(_ n: Int32) {
        var stack: [Int32] = nodes[Int(n)].parents.reversed()
        while var current = stack.popLast() {
            while true {
                if has(current, Self.uninteresting) { break }
                set(current, Self.uninteresting)
                let parents = nodes[Int(current)].parents
                if parents.isEmpty { break }  // not parsed yet, or a root
                for other in parents.dropFirst().reversed() { stack.append(other) }
                current = parents[0]
            }
        }
    }

    /// git's default history simplification for path-limited walks: a commit the same as one of its
    /// parents (under the paths) is hidden, and only that parent is followed.
    private func simplify(_ n: Int32) throws(ForgeError) {
        let parents = nodes[Int(n)].parents
        if parents.isEmpty {
            if try !differ.differs(nil, nodes[Int(n)].tree) { set(n, Self.treesame) }
            return
        }
        var relevantParents = 0
        var relevantChange = false, irrelevantChange = false
        for (position, p) in parents.enumerated() {
            let relevant = !has(p, Self.uninteresting)
            if relevant { relevantParents += 1 }
            if position == 1 && options.firstParent { break }
            try parse(p)
            if try !differ.differs(nodes[Int(p)].tree, nodes[Int(n)].tree) {
                if !relevant { continue }
                nodes[Int(n)].parents = [p]
                set(n, Self.treesame)
                return
            }
            if relevant { relevantChange = true } else { irrelevantChange = true }
        }
        if relevantParents > 0 ? !relevantChange : !irrelevantChange {
            set(n, Self.treesame)
        }
    }
}

extension GitSession {
    /// The parents of a commit, read from its header alone (cheaper than ``commit(_:)-(ObjectID)``).
    public func parents(of id: ObjectID) throws(ForgeError) -> [ObjectID] {
        _ = try repository("read commit")
        return try objects.commitHeader(id).parentIDs
    }
}
