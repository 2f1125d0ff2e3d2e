import CGit2

/// A run of consecutive lines that one commit last changed (one hunk of `git blame --porcelain`).
public struct BlameHunk: Sendable, Hashable {
    /// The commit that last changed these lines.
    public let commit: ObjectID
    /// The first line, counted from 1, in the blamed revision's file.
    public let startLine: Int
    /// How many lines the hunk covers.
    public let lineCount: Int
    /// The path of the file in `commit` (differs from the blamed path across renames).
    public let originalPath: String
}

/// Who last changed each line of a file.
public struct Blame: Sendable, Hashable {
    /// The hunks in line order; together they cover every line of the file once.
    public let hunks: [BlameHunk]
    /// The commits the hunks name, by id (summary, author and date for display).
    public let commits: [ObjectID: Commit]
}

extension GitSession {
    /// Blames `path` as of `revision`: for each line, the newest commit reachable from `revision`
    /// that changed it, following the file across whole-file renames as `git blame` does.
    ///
    /// Blame walks history and diffs every version of the file, so it is the slowest read the forge
    /// offers; servers cache results by (commit, path), which never change.
    public func blame(at revision: String, path: String) throws(ForgeError) -> Blame {
        let repo = try repository("blame")
        let commitID = try resolveCommit(revision)
        let entry = try entry(at: commitID.hex, path: path)
        guard entry.mode != .tree, entry.mode != .gitlink else {
            throw ForgeError(.invalidArgument, "'\(path)' is not a file", operation: "blame", path: self.path)
        }
        var options = git_blame_options()
        git_blame_options_init(&options, UInt32(GIT_BLAME_OPTIONS_VERSION))
        options.newest_commit = commitID.gitOID
        var handle: OpaquePointer?
        let result = git_blame_file(&handle, repo, entry.path, &options)
        guard result >= 0, let handle else { throw Libgit2.error(result, operation: "blame", path: self.path) }
        defer { git_blame_free(handle) }
        var hunks: [BlameHunk] = []
        var commits: [ObjectID: Commit] = [:]
        let count = git_blame_get_hunk_count(handle)
        hunks.reserveCapacity(Int(count))
        for index in 0..<count {
            guard let hunk = git_blame_get_hunk_byindex(handle, index) else { continue }
            let id = ObjectID(hunk.pointee.final_commit_id)
            if commits[id] == nil { commits[id] = try objects.commit(id) }
            hunks.append(BlameHunk(commit: id, startLine: Int(hunk.pointee.final_start_line_number),
                                   lineCount: Int(hunk.pointee.lines_in_hunk),
                                   originalPath: hunk.pointee.orig_path.map { String(cString: $0) } ?? entry.path))
        }
        return Blame(hunks: hunks, commits: commits)
    }
}
