import CGit2

extension GitSession {
    /// The entry at `path` in the tree of `revision` (a commit, tag or tree), with its size for blobs.
    ///
    /// Throws ``ForgeError/Code/notFound`` when the path does not exist there and
    /// ``ForgeError/Code/invalidArgument`` for an absolute path or one with `.`/`..` components.
    public func entry(at revision: String, path: String) throws(ForgeError) -> TreeEntry {
        let root = try resolveTree(revision)
        let components = try Self.validatedComponents(path, operation: "read path", allowEmpty: false)
        guard let found = try TreeDiffer(objects: objects).lookup(root, components) else {
            throw ForgeError(.notFound, "path '\(path)' does not exist in '\(revision)'", operation: "read path", path: self.path)
        }
        guard let mode = FileMode(raw: found.mode) else {
            throw ForgeError(.corrupt, "path '\(path)' has an unknown mode \(String(found.mode, radix: 8))", operation: "read path", path: self.path)
        }
        let size = mode.objectKind == .blob ? try objects.header(found.id, operation: "read path").size : nil
        let name = components.last.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return TreeEntry(name: name, path: components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/"),
                         mode: mode, id: found.id, size: size)
    }

    /// The bytes of the file at `path` in `revision` (the link target, for a symlink).
    ///
    /// - Parameter maxSize: refuse blobs larger than this many bytes with ``ForgeError/Code/invalidArgument``
    ///   before reading them; protects servers from huge files.
    public func blob(at revision: String, path: String, maxSize: Int? = nil) throws(ForgeError) -> [UInt8] {
        let root = try resolveTree(revision)
        let components = try Self.validatedComponents(path, operation: "read file", allowEmpty: false)
        guard let found = try TreeDiffer(objects: objects).lookup(root, components) else {
            throw ForgeError(.notFound, "path '\(path)' does not exist in '\(revision)'", operation: "read file", path: self.path)
        }
        guard let mode = FileMode(raw: found.mode), mode.objectKind == .blob else {
            let kind = FileMode(raw: found.mode)?.objectKind.rawValue ?? "entry of unknown mode"
            throw ForgeError(.invalidArgument, "'\(path)' in '\(revision)' is a \(kind), not a file", operation: "read file", path: self.path)
        }
        return try blob(found.id, maxSize: maxSize)
    }

    /// The bytes of a `REV:PATH` expression, as `git show REV:PATH` prints them for a file.
    public func blob(expression: String, maxSize: Int? = nil) throws(ForgeError) -> [UInt8] {
        guard let colon = expression.firstIndex(of: ":"), colon != expression.startIndex else {
            throw ForgeError(.invalidArgument, "'\(expression)' is not of the form REV:PATH", operation: "read file", path: path)
        }
        let revision = String(expression[..<colon])
        let file = String(expression[expression.index(after: colon)...])
        return try blob(at: revision, path: file, maxSize: maxSize)
    }

    /// The bytes of a blob by id.
    public func blob(_ id: ObjectID, maxSize: Int? = nil) throws(ForgeError) -> [UInt8] {
        _ = try repository("read blob")
        if let maxSize {
            let header = try objects.header(id, operation: "read blob")
            if header.size > maxSize {
                throw ForgeError(.invalidArgument, "blob \(id) has \(header.size) bytes, more than the limit of \(maxSize)", operation: "read blob", path: path)
            }
        }
        let object = try objects.read(id, operation: "read blob")
        guard object.kind == GIT_OBJECT_BLOB else {
            throw ForgeError(.invalidArgument, "object \(id) is a \(ObjectStore.kindName(object.kind)), not a blob", operation: "read blob", path: path)
        }
        return [UInt8](object.data)
    }

    /// The entries of the tree at `path` in `revision` (the root tree for an empty path).
    ///
    /// - Parameters:
    ///   - recursive: list subtrees too, depth first, each directory before its contents.
    ///   - includeSizes: read each blob's size (costs an object header read per file).
    public func tree(at revision: String, path: String = "", recursive: Bool = false, includeSizes: Bool = false) throws(ForgeError) -> [TreeEntry] {
        let root = try resolveTree(revision)
        let components = try Self.validatedComponents(path, operation: "list tree", allowEmpty: true)
        var start = root
        if !components.isEmpty {
            guard let found = try TreeDiffer(objects: objects).lookup(root, components) else {
                throw ForgeError(.notFound, "path '\(path)' does not exist in '\(revision)'", operation: "list tree", path: self.path)
            }
            guard found.mode & 0o170000 == 0o040000 else {
                throw ForgeError(.invalidArgument, "'\(path)' in '\(revision)' is not a directory", operation: "list tree", path: self.path)
            }
            start = found.id
        }
        let base = components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
        var result: [TreeEntry] = []
        try list(start, prefix: base.isEmpty ? "" : base + "/", recursive: recursive, sizes: includeSizes, into: &result)
        return result
    }

    private func list(_ id: ObjectID, prefix: String, recursive: Bool, sizes: Bool, into result: inout [TreeEntry]) throws(ForgeError) {
        let parsed = try objects.tree(id)
        for raw in parsed.entries {
            let name = String(decoding: parsed.name(raw), as: UTF8.self)
            guard let mode = FileMode(raw: raw.mode) else {
                throw ForgeError(.corrupt, "tree \(id) has an entry with unknown mode \(String(raw.mode, radix: 8))", operation: "list tree", path: path)
            }
            let size = sizes && mode.objectKind == .blob ? try objects.header(raw.id, operation: "list tree").size : nil
            result.append(TreeEntry(name: name, path: prefix + name, mode: mode, id: raw.id, size: size))
            if recursive && mode == .tree {
                try list(raw.id, prefix: prefix + name + "/", recursive: true, sizes: sizes, into: &result)
            }
        }
    }
}
