import CGit2

/// A commit's changes as a unified diff, bounded for display.
public struct CommitPatch: Sendable, Hashable {
    /// The patch text (`git show --format= --patch` style: `diff --git` headers, hunks), cut at the limit.
    public let text: String
    /// Whether the text was cut at the limit.
    public let truncated: Bool
    /// How many files changed.
    public let files: Int
}

extension GitSession {
    /// The unified diff of `commit` against its first parent (against the empty tree for a root commit).
    ///
    /// Blobs over `largestBlob` bytes are shown as binary, and the text stops after `limit` bytes, so
    /// that a hostile repository (huge files, huge commits) cannot make a page or an API answer unbounded.
    public func patch(for commit: ObjectID, limit: Int = 1 << 20, largestBlob: Int = 512 << 10) throws(ForgeError) -> CommitPatch {
        let header = try objects.commitHeader(commit)
        let parentTree = try header.parentIDs.first.map { (id) throws(ForgeError) in try objects.commitHeader(id).treeID }
        return try patch(fromTree: parentTree, toTree: header.treeID, limit: limit, largestBlob: largestBlob)
    }

    /// The unified diff between two commits' trees, as `git diff OLD NEW` prints it, with the same bounds
    /// as ``patch(for:limit:largestBlob:)``; compare views show the diff from the merge base this way.
    public func patch(from old: ObjectID, to new: ObjectID, limit: Int = 1 << 20, largestBlob: Int = 512 << 10) throws(ForgeError) -> CommitPatch {
        try patch(fromTree: try objects.commitHeader(old).treeID, toTree: try objects.commitHeader(new).treeID,
                  limit: limit, largestBlob: largestBlob)
    }

    private func patch(fromTree parentTree: ObjectID?, toTree newTreeID: ObjectID, limit: Int, largestBlob: Int) throws(ForgeError) -> CommitPatch {
        let repo = try repository("patch")
        func lookupTree(_ id: ObjectID?) throws(ForgeError) -> OpaquePointer? {
            guard let id else { return nil }
            var oid = id.gitOID
            var tree: OpaquePointer?
            let result = git_tree_lookup(&tree, repo, &oid)
            guard result >= 0 else { throw Libgit2.error(result, operation: "patch", path: path) }
            return tree
        }
        let oldTree = try lookupTree(parentTree)
        defer { git_tree_free(oldTree) }
        let newTree = try lookupTree(newTreeID)
        defer { git_tree_free(newTree) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        options.max_size = git_off_t(largestBlob)
        options.context_lines = 3
        var diff: OpaquePointer?
        let made = git_diff_tree_to_tree(&diff, repo, oldTree, newTree, &options)
        guard made >= 0, let diff else { throw Libgit2.error(made, operation: "patch", path: path) }
        defer { git_diff_free(diff) }
        let files = Int(git_diff_num_deltas(diff))

        final class Collector {
            var bytes: [UInt8] = []
            var truncated = false
            let limit: Int
            init(limit: Int) { self.limit = limit }
        }
        let collector = Collector(limit: max(0, limit))
        let printed = withExtendedLifetime(collector) {
            git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, { _, _, line, payload in
                guard let line, let payload else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue()
                if collector.bytes.count >= collector.limit {
                    collector.truncated = true
                    return -1
                }
                let origin = UInt8(bitPattern: line.pointee.origin)
                if origin == UInt8(ascii: "+") || origin == UInt8(ascii: "-") || origin == UInt8(ascii: " ") {
                    collector.bytes.append(origin)
                }
                if let content = line.pointee.content, line.pointee.content_len > 0 {
                    content.withMemoryRebound(to: UInt8.self, capacity: Int(line.pointee.content_len)) { bytes in
                        collector.bytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(line.pointee.content_len)))
                    }
                }
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        if printed < 0 && !collector.truncated { throw Libgit2.error(printed, operation: "patch", path: path) }
        if collector.bytes.count > collector.limit {
            collector.bytes.removeSubrange(collector.limit...)
            collector.truncated = true
        }
        return CommitPatch(text: String(decoding: collector.bytes, as: UTF8.self), truncated: collector.truncated, files: files)
    }
}
