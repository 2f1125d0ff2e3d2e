import CGit2
import Foundation
import PlatformSupport

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

extension GitRepository {
    /// Blames `path` at `commit` with git's own algorithm (`git blame --porcelain`, run with ForgeKit's
    /// process runner), which is an order of magnitude faster than libgit2's on long histories (git.git's
    /// `sequencer.c`: about 1 s against 11 s); ``GitSession/blame(at:path:)`` answers when no git client
    /// is installed. The same hunks either way: lines in order, each run of one commit's lines one hunk.
    public func blame(at commit: ObjectID, path: String) async throws -> Blame {
        _ = try GitSession.validatedComponents(path, operation: "blame", allowEmpty: false)
        guard let git = ExecutableSearch.find("git") else {
            return try await withSession { try $0.blame(at: commit.hex, path: path) }
        }
        let environment = ["PATH": ExecutableSearch.processPath, "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "LC_ALL": "C",
                           "GIT_TERMINAL_PROMPT": "0"]
        let result = try await ChildProcess.run([git, "-c", "safe.directory=*", "--git-dir=" + gitDirectory, "blame", "--porcelain",
                                                 commit.hex, "--", path], environment: environment, limit: 256 << 20)
        guard result.status == 0 else {
            let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
            let code: ForgeError.Code = message.contains("no such path") || message.contains("does not exist") ? .notFound : .git
            throw ForgeError(code, "git blame failed: \(message.prefix(500))", operation: "blame", path: gitDirectory)
        }
        var hunks: [BlameHunk] = []
        var paths: [ObjectID: String] = [:]
        var current: (commit: ObjectID, line: Int)?
        for line in result.output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.first == UInt8(ascii: "\t") { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            if fields.count >= 3, fields[0].count == 40, let id = ObjectID(hex: String(decoding: fields[0], as: UTF8.self)),
               let final = Int(String(decoding: fields[2], as: UTF8.self)) {
                current = (id, final)
                // A header with a count starts a run of lines from one commit: one hunk.
                if fields.count >= 4, let count = Int(String(decoding: fields[3], as: UTF8.self)) {
                    hunks.append(BlameHunk(commit: id, startLine: final, lineCount: count, originalPath: paths[id] ?? path))
                }
            } else if let current, line.starts(with: Array("filename ".utf8)) {
                let name = String(decoding: line.dropFirst("filename ".utf8.count), as: UTF8.self)
                paths[current.commit] = name
                if let last = hunks.indices.last, hunks[last].commit == current.commit {
                    hunks[last] = BlameHunk(commit: current.commit, startLine: hunks[last].startLine, lineCount: hunks[last].lineCount, originalPath: name)
                }
            }
        }
        let ids = Array(Set(hunks.map(\.commit)))
        let commits = try await withSession { session in
            var found: [ObjectID: Commit] = [:]
            for id in ids { found[id] = try session.commit(id) }
            return found
        }
        return Blame(hunks: hunks, commits: commits)
    }
}
