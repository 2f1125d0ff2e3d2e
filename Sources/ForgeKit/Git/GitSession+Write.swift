import CGit2

/// An entry to put in a tree written with ``GitSession/writeTree(_:)``.
public struct TreeEntryInput: Hashable, Sendable {
    /// The name within the tree (no `/`).
    public let name: String
    /// The mode.
    public let mode: FileMode
    /// The object: a blob for files and symlinks, a tree for directories, a commit for submodules.
    public let id: ObjectID

    /// Creates a tree entry to write.
    public init(name: String, mode: FileMode, id: ObjectID) {
        self.name = name
        self.mode = mode
        self.id = id
    }
}

extension GitSession {
    /// Stores bytes as a blob and returns its id.
    public func writeBlob(_ bytes: [UInt8]) throws(ForgeError) -> ObjectID {
        try writeObject(bytes, type: GIT_OBJECT_BLOB, operation: "write blob")
    }

    /// Stores a tree with the given entries (in any order; git's order is applied) and returns its id.
    public func writeTree(_ entries: [TreeEntryInput]) throws(ForgeError) -> ObjectID {
        let repo = try repository("write tree")
        var builder: OpaquePointer?
        var result = git_treebuilder_new(&builder, repo, nil)
        guard result >= 0, let builder else { throw Libgit2.error(result, operation: "write tree", path: path) }
        defer { git_treebuilder_free(builder) }
        for entry in entries {
            guard !entry.name.isEmpty, !entry.name.contains("/"), entry.name != ".", entry.name != ".." else {
                throw ForgeError(.invalidArgument, "'\(entry.name)' is not a valid tree entry name", operation: "write tree", path: path)
            }
            var oid = entry.id.gitOID
            result = git_treebuilder_insert(nil, builder, entry.name, &oid, git_filemode_t(entry.mode.rawValue))
            guard result >= 0 else { throw Libgit2.error(result, operation: "write tree", path: path) }
        }
        var out = git_oid()
        result = git_treebuilder_write(&out, builder)
        guard result >= 0 else { throw Libgit2.error(result, operation: "write tree", path: path) }
        return ObjectID(out)
    }

    /// Stores a commit and returns its id. Does not move any reference (see ``updateReference(_:to:expected:message:)``).
    public func writeCommit(tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String) throws(ForgeError) -> ObjectID {
        var text = "tree \(tree.hex)\n"
        for parent in parents { text += "parent \(parent.hex)\n" }
        text += "author \(try Self.signatureText(author))\n"
        text += "committer \(try Self.signatureText(committer))\n\n"
        text += message
        return try writeObject(Array(text.utf8), type: GIT_OBJECT_COMMIT, operation: "write commit")
    }

    private static func signatureText(_ signature: Signature) throws(ForgeError) -> String {
        for field in [signature.name, signature.email] where field.contains(where: { $0 == "<" || $0 == ">" || $0 == "\n" }) {
            throw ForgeError(.invalidArgument, "a signature field may not contain '<', '>' or a newline", operation: "write commit")
        }
        return "\(signature.name) <\(signature.email)> \(signature.time) \(signature.timeZone)"
    }

    /// Stores an annotated tag object pointing at `target` and returns the tag object's id.
    public func writeTag(name: String, target: ObjectID, tagger: Signature, message: String) throws(ForgeError) -> ObjectID {
        let kind = try objects.header(target, operation: "write tag").kind
        var text = "object \(target.hex)\ntype \(ObjectStore.kindName(kind))\ntag \(name)\n"
        text += "tagger \(try Self.signatureText(tagger))\n\n\(message)"
        return try writeObject(Array(text.utf8), type: GIT_OBJECT_TAG, operation: "write tag")
    }

    private func writeObject(_ bytes: [UInt8], type: git_object_t, operation: String) throws(ForgeError) -> ObjectID {
        _ = try repository(operation)
        var out = git_oid()
        let result = bytes.withUnsafeBytes { git_odb_write(&out, objects.odb, $0.baseAddress, $0.count, type) }
        guard result >= 0 else { throw Libgit2.error(result, operation: operation, path: path) }
        return ObjectID(out)
    }

    /// Points the reference `name` (a full name such as `refs/heads/main`) at `target`.
    ///
    /// - Parameter expected: when given, the update happens only if the reference currently points there
    ///   (``ObjectID/zero`` meaning "does not exist yet"); otherwise it throws ``ForgeError/Code/conflict``.
    public func updateReference(_ name: String, to target: ObjectID, expected: ObjectID? = nil, message: String = "forgekit: update") throws(ForgeError) {
        let repo = try repository("update reference")
        guard name.hasPrefix("refs/"), git_reference_is_valid_name(name) != 0 else {
            throw ForgeError(.invalidArgument, "'\(name)' is not a valid full reference name", operation: "update reference", path: path)
        }
        var oid = target.gitOID
        var ref: OpaquePointer?
        let result: Int32
        if let expected {
            if expected.isZero {
                result = git_reference_create(&ref, repo, name, &oid, 0, message)
            } else {
                var old = expected.gitOID
                result = git_reference_create_matching(&ref, repo, name, &oid, 1, &old, message)
            }
        } else {
            result = git_reference_create(&ref, repo, name, &oid, 1, message)
        }
        git_reference_free(ref)
        guard result >= 0 else { throw Libgit2.error(result, operation: "update reference", path: path) }
    }

    /// Deletes a reference by full name.
    public func deleteReference(_ name: String) throws(ForgeError) {
        let repo = try repository("delete reference")
        var ref: OpaquePointer?
        var result = git_reference_lookup(&ref, repo, name)
        guard result >= 0, let ref else { throw Libgit2.error(result, operation: "delete reference", path: path) }
        defer { git_reference_free(ref) }
        result = git_reference_delete(ref)
        guard result >= 0 else { throw Libgit2.error(result, operation: "delete reference", path: path) }
    }

    /// Makes `HEAD` a symbolic reference to `name` (such as `refs/heads/main`), which need not exist yet.
    public func setHead(_ name: String) throws(ForgeError) {
        let repo = try repository("set HEAD")
        let result = git_repository_set_head(repo, name)
        guard result >= 0 else { throw Libgit2.error(result, operation: "set HEAD", path: path) }
    }
}
