import CGit2

#if canImport(Glibc)
import Glibc
#endif

/// Whether a branch can be merged into another, as a pull request's "mergeable" check asks.
public enum Mergeability: Hashable, Sendable {
    /// The head already is part of the base: nothing to merge.
    case upToDate
    /// The base is an ancestor of the head: the base can simply move forward.
    case fastForward
    /// A merge commit would be needed, and the merge has no conflicts.
    case clean
    /// The merge has conflicts in these paths (sorted).
    case conflict(paths: [String])
    /// The two have no common history.
    case unrelated

    /// Whether the head can be merged without a person resolving anything.
    public var isMergeable: Bool {
        switch self {
        case .upToDate, .fastForward, .clean: return true
        case .conflict, .unrelated: return false
        }
    }
}

extension GitSession {
    /// Writes the files of `revision` into `directory` (created if missing), as `git checkout` would
    /// lay them out: modes, symlinks and git's filters (line endings, `ident`) applied.
    ///
    /// The repository may be bare; its index and `HEAD` are not touched. Files already in the
    /// directory with the same paths are overwritten; others are left alone.
    public func checkout(_ revision: String, into directory: String) throws(ForgeError) {
        let repo = try repository("checkout")
        guard !directory.isEmpty else {
            throw ForgeError(.invalidArgument, "an empty target directory", operation: "checkout", path: path)
        }
        let treeish = try lookup(revision, operation: "checkout")
        defer { git_object_free(treeish) }
        var tree: OpaquePointer?
        let peeled = git_object_peel(&tree, treeish, GIT_OBJECT_TREE)
        guard peeled >= 0, let tree else {
            throw ForgeError(.invalidArgument, "'\(revision)' does not name a commit or tree", operation: "checkout", path: path)
        }
        defer { git_object_free(tree) }

        // An empty baseline makes every file "new", so that all of them are written.
        var baseline: OpaquePointer?
        var result = git_index_new(&baseline)
        guard result >= 0, let baseline else { throw Libgit2.error(result, operation: "checkout", path: path) }
        defer { git_index_free(baseline) }

        var options = git_checkout_options()
        git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
            | GIT_CHECKOUT_RECREATE_MISSING.rawValue
        options.baseline_index = baseline
        options.notify_flags = GIT_CHECKOUT_NOTIFY_UPDATED.rawValue
        let flag = Unmanaged.passUnretained(cancellation)
        options.notify_payload = flag.toOpaque()
        options.notify_cb = { _, _, _, _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<CancellationFlag>.fromOpaque(payload).takeUnretainedValue().isCancelled ? -1 : 0
        }
        result = withExtendedLifetime(cancellation) {
            directory.withCString { target in
                options.target_directory = target
                return git_checkout_tree(repo, tree, &options)
            }
        }
        guard result >= 0 else {
            if cancellation.isCancelled {
                throw ForgeError(.cancelled, "the checkout was cancelled", operation: "checkout", path: directory)
            }
            throw Libgit2.error(result, operation: "checkout", path: directory)
        }
    }

    /// Whether `head` merges into `base`: already merged, a fast-forward, a clean merge, or which paths conflict.
    ///
    /// Computes the merge in memory; nothing in the repository changes.
    public func mergeability(base: String, head: String) throws(ForgeError) -> Mergeability {
        let ours = try resolveCommit(base)
        let theirs = try resolveCommit(head)
        if ours == theirs { return .upToDate }
        let bases = try mergeBases(ours, theirs)
        if bases.isEmpty { return .unrelated }
        if bases.contains(theirs) { return .upToDate }
        if bases.contains(ours) { return .fastForward }

        let paths = try withMergeIndex(ours, theirs) { index throws(ForgeError) in try conflictPaths(index) }
        return paths.isEmpty ? .clean : .conflict(paths: paths)
    }

    /// The tree of `theirs` merged into `ours` (git's recursive merge, in memory), written to the
    /// object database; no reference moves. A merge with conflicts throws `conflict` naming the paths.
    public func mergedTree(_ ours: ObjectID, _ theirs: ObjectID) throws(ForgeError) -> ObjectID {
        let repo = try repository("merge")
        return try withMergeIndex(ours, theirs) { index throws(ForgeError) in
            try writeTree(of: index, in: repo, operation: "merge", what: "the merge")
        }
    }

    /// The tree of `commit`'s change replayed onto `onto` (a cherry-pick: the three-way merge of
    /// `onto` and `commit` from `commit`'s parent), written to the object database; no reference
    /// moves. A merge commit cannot be replayed (`unsupported`); conflicts throw `conflict` naming the paths.
    public func cherryPickedTree(_ commit: ObjectID, onto: ObjectID) throws(ForgeError) -> ObjectID {
        let repo = try repository("replay")
        return try withMergeIndex(onto, commit, cherryPick: true) { index throws(ForgeError) in
            try writeTree(of: index, in: repo, operation: "replay", what: "replaying \(commit.hex.prefix(10))")
        }
    }

    /// Writes a merge's in-memory index as a tree to the object database; conflicts throw `conflict`
    /// naming the paths ("WHAT has conflicts in …").
    private func writeTree(of index: OpaquePointer, in repo: OpaquePointer, operation: String,
                           what: String) throws(ForgeError) -> ObjectID {
        let paths = try conflictPaths(index)
        guard paths.isEmpty else {
            throw ForgeError(.conflict, "\(what) has conflicts in \(paths.joined(separator: ", "))", operation: operation, path: path)
        }
        var tree = git_oid()
        let result = git_index_write_tree_to(&tree, index, repo)
        guard result >= 0 else { throw Libgit2.error(result, operation: operation, path: path) }
        return ObjectID(tree)
    }

    /// Runs `body` with the in-memory index of `theirs` merged into `ours` — or, with `cherryPick`,
    /// of `theirs`'s own change applied to `ours`.
    private func withMergeIndex<T>(_ ours: ObjectID, _ theirs: ObjectID, cherryPick: Bool = false,
                                   _ body: (OpaquePointer) throws(ForgeError) -> T) throws(ForgeError) -> T {
        let repo = try repository("merge")
        func commitObject(_ id: ObjectID) throws(ForgeError) -> OpaquePointer {
            var oid = id.gitOID
            var commit: OpaquePointer?
            let result = git_commit_lookup(&commit, repo, &oid)
            guard result >= 0, let commit else { throw Libgit2.error(result, operation: "merge", path: path) }
            return commit
        }
        let ourCommit = try commitObject(ours)
        defer { git_commit_free(ourCommit) }
        let theirCommit = try commitObject(theirs)
        defer { git_commit_free(theirCommit) }
        var options = git_merge_options()
        git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION))
        var index: OpaquePointer?
        if cherryPick, git_commit_parentcount(theirCommit) != 1 {
            throw ForgeError(.unsupported, "\(theirs.hex.prefix(10)) is a merge or root commit: it cannot be replayed", operation: "replay", path: path)
        }
        let result = cherryPick ? git_cherrypick_commit(&index, repo, theirCommit, ourCommit, 0, &options)
            : git_merge_commits(&index, repo, ourCommit, theirCommit, &options)
        guard result >= 0, let index else { throw Libgit2.error(result, operation: "merge", path: path) }
        defer { git_index_free(index) }
        return try body(index)
    }

    /// The paths with conflicts in a merge index, sorted.
    private func conflictPaths(_ index: OpaquePointer) throws(ForgeError) -> [String] {
        guard git_index_has_conflicts(index) != 0 else { return [] }
        var iterator: OpaquePointer?
        let started = git_index_conflict_iterator_new(&iterator, index)
        guard started >= 0, let iterator else { throw Libgit2.error(started, operation: "merge", path: path) }
        defer { git_index_conflict_iterator_free(iterator) }
        var paths = Set<String>()
        while true {
            var ancestor: UnsafePointer<git_index_entry>?
            var our: UnsafePointer<git_index_entry>?
            var their: UnsafePointer<git_index_entry>?
            let next = git_index_conflict_next(&ancestor, &our, &their, iterator)
            if next == GIT_ITEROVER.rawValue { break }
            guard next >= 0 else { throw Libgit2.error(next, operation: "merge", path: path) }
            for entry in [ancestor, our, their] {
                if let entry, let name = entry.pointee.path { paths.insert(String(cString: name)) }
            }
        }
        return paths.sorted()
    }
}
