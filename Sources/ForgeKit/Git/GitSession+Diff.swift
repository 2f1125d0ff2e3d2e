import CGit2

#if canImport(Glibc)
import Glibc
#endif

/// How to compare two trees.
public struct DiffOptions: Sendable, Hashable {
    /// Detect renames (git's similarity rename detection, as `git diff -M`); off by default, as with
    /// `--no-renames`. Detection reads blob contents, so it is much slower than a plain comparison.
    public var detectRenames: Bool
    /// With ``detectRenames``: how similar, in percent, a deleted and an added file must be to pair them.
    public var renameThreshold: Int
    /// Only report paths equal to or below one of these (literal paths from the root, such as `src/app`).
    public var paths: [String]

    /// Creates diff options.
    public init(detectRenames: Bool = false, renameThreshold: Int = 50, paths: [String] = []) {
        self.detectRenames = detectRenames
        self.renameThreshold = renameThreshold
        self.paths = paths
    }
}

extension GitSession {
    /// The paths that differ between two revisions (commits, tags or trees), in git's order.
    ///
    /// Equal to `git diff --name-status --no-renames FROM TO` unless renames are asked for.
    public func changes(from: String, to: String, options: DiffOptions = DiffOptions()) throws(ForgeError) -> [PathChange] {
        let old = try resolveTree(from)
        let new = try resolveTree(to)
        return try changes(fromTree: old, toTree: new, options: options)
    }

    /// The paths that differ between two trees; `nil` stands for the empty tree.
    public func changes(fromTree old: ObjectID?, toTree new: ObjectID?, options: DiffOptions = DiffOptions()) throws(ForgeError) -> [PathChange] {
        _ = try repository("diff")
        let specs = try Self.pathspecs(options.paths, operation: "diff")
        if options.detectRenames {
            return try libgit2Changes(from: old, to: new, options: options)
        }
        return try TreeDiffer(objects: objects, pathspecs: specs).changes(from: old, to: new)
    }

    /// What a commit changed against its first parent (everything is added for a root commit).
    public func changes(in commit: ObjectID, options: DiffOptions = DiffOptions()) throws(ForgeError) -> [PathChange] {
        _ = try repository("diff")
        let header = try objects.commitHeader(commit)
        let parentTree = try header.parentIDs.first.map { (id) throws(ForgeError) in try objects.commitHeader(id).treeID }
        return try changes(fromTree: parentTree, toTree: header.treeID, options: options)
    }

    /// Validates literal pathspecs: relative, no `.` or `..` components, no NUL.
    static func pathspecs(_ paths: [String], operation: String) throws(ForgeError) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for path in paths {
            let components = try validatedComponents(path, operation: operation, allowEmpty: false)
            result.append(Array(components.joined(separator: [UInt8(ascii: "/")])))
        }
        return result
    }

    /// Splits a path inside a repository into components, refusing anything that could escape it.
    static func validatedComponents(_ path: String, operation: String, allowEmpty: Bool) throws(ForgeError) -> [[UInt8]] {
        let bytes = Array(path.utf8)
        if bytes.contains(0) {
            throw ForgeError(.invalidArgument, "path contains a NUL byte", operation: operation)
        }
        if bytes.first == UInt8(ascii: "/") {
            throw ForgeError(.invalidArgument, "'\(path)' is absolute; paths are relative to the repository root", operation: operation)
        }
        var components = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
        if components.last?.isEmpty == true { components.removeLast() }  // a trailing slash
        if components.isEmpty || (components.count == 1 && components[0].isEmpty) {
            if allowEmpty { return [] }
            throw ForgeError(.invalidArgument, "empty path", operation: operation)
        }
        for component in components {
            if component.isEmpty || component == [UInt8(ascii: ".")] || component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                throw ForgeError(.invalidArgument, "'\(path)' has an empty, '.' or '..' component", operation: operation)
            }
        }
        return components
    }

    /// Rename detection through libgit2's diff machinery (similarity needs blob contents).
    private func libgit2Changes(from old: ObjectID?, to new: ObjectID?, options: DiffOptions) throws(ForgeError) -> [PathChange] {
        let repo = try repository("diff")
        func lookupTree(_ id: ObjectID?) throws(ForgeError) -> OpaquePointer? {
            guard let id else { return nil }
            var oid = id.gitOID
            var tree: OpaquePointer?
            let result = git_tree_lookup(&tree, repo, &oid)
            guard result >= 0 else { throw Libgit2.error(result, operation: "diff", path: path) }
            return tree
        }
        let oldTree = try lookupTree(old)
        defer { git_tree_free(oldTree) }
        let newTree = try lookupTree(new)
        defer { git_tree_free(newTree) }

        var diffOptions = git_diff_options()
        git_diff_options_init(&diffOptions, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var specStorage: [UnsafeMutablePointer<CChar>?] = options.paths.map { strdup($0) }
        defer { specStorage.forEach { free($0) } }
        var diff: OpaquePointer?
        let made: Int32 = specStorage.withUnsafeMutableBufferPointer { buffer in
            if !options.paths.isEmpty {
                diffOptions.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                diffOptions.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
            }
            return git_diff_tree_to_tree(&diff, repo, oldTree, newTree, &diffOptions)
        }
        guard made >= 0, let diff else { throw Libgit2.error(made, operation: "diff", path: path) }
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        find.rename_threshold = UInt16(max(0, min(100, options.renameThreshold)))
        let found = git_diff_find_similar(diff, &find)
        guard found >= 0 else { throw Libgit2.error(found, operation: "detect renames", path: path) }

        var result: [PathChange] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let oldPath = delta.old_file.path.map { Array(String(cString: $0).utf8) } ?? []
            let newPath = delta.new_file.path.map { Array(String(cString: $0).utf8) } ?? []
            let oldMode = FileMode(raw: UInt32(delta.old_file.mode))
            let newMode = FileMode(raw: UInt32(delta.new_file.mode))
            let oldID = ObjectID(delta.old_file.id), newID = ObjectID(delta.new_file.id)
            switch delta.status {
            case GIT_DELTA_ADDED:
                result.append(PathChange(kind: .added, pathBytes: newPath, oldMode: nil, newMode: newMode, oldID: nil, newID: newID))
            case GIT_DELTA_DELETED:
                result.append(PathChange(kind: .deleted, pathBytes: oldPath, oldMode: oldMode, newMode: nil, oldID: oldID, newID: nil))
            case GIT_DELTA_RENAMED:
                result.append(PathChange(kind: .renamed, pathBytes: newPath, oldPathBytes: oldPath, oldMode: oldMode, newMode: newMode, oldID: oldID, newID: newID))
            case GIT_DELTA_TYPECHANGE:
                result.append(PathChange(kind: .typeChanged, pathBytes: newPath, oldMode: oldMode, newMode: newMode, oldID: oldID, newID: newID))
            default:
                result.append(PathChange(kind: .modified, pathBytes: newPath, oldMode: oldMode, newMode: newMode, oldID: oldID, newID: newID))
            }
        }
        return result
    }
}
