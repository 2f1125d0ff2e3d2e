import CGit2

extension GitSession {
    /// What `HEAD` points at.
    public func head() throws(ForgeError) -> Head {
        let repo = try repository("read HEAD")
        var ref: OpaquePointer?
        let result = git_repository_head(&ref, repo)
        if result == GIT_EUNBORNBRANCH.rawValue {
            var symbolic: OpaquePointer?
            let lookup = git_reference_lookup(&symbolic, repo, "HEAD")
            defer { git_reference_free(symbolic) }
            guard lookup >= 0, let symbolic, let target = git_reference_symbolic_target(symbolic) else {
                throw Libgit2.error(lookup, operation: "read HEAD", path: path)
            }
            return .unborn(branch: Self.shortName(String(cString: target)))
        }
        guard result >= 0, let ref else { throw Libgit2.error(result, operation: "read HEAD", path: path) }
        defer { git_reference_free(ref) }
        guard let oid = git_reference_target(ref) else {
            throw ForgeError(.corrupt, "HEAD does not resolve to an object", operation: "read HEAD", path: path)
        }
        let commit = ObjectID(oid)
        if git_repository_head_detached(repo) == 1 {
            return .detached(commit: commit)
        }
        return .branch(name: Self.shortName(String(cString: git_reference_name(ref))), commit: commit)
    }

    /// All references, sorted by full name; pass a prefix such as `refs/heads/` to list fewer.
    public func references(prefix: String? = nil) throws(ForgeError) -> [Reference] {
        let repo = try repository("list references")
        var iterator: OpaquePointer?
        let glob = prefix.map { $0.hasSuffix("/") ? $0 + "*" : $0 + "*" }
        let start: Int32 = glob.map { git_reference_iterator_glob_new(&iterator, repo, $0) }
            ?? git_reference_iterator_new(&iterator, repo)
        guard start >= 0, let iterator else { throw Libgit2.error(start, operation: "list references", path: path) }
        defer { git_reference_iterator_free(iterator) }
        var references: [Reference] = []
        while true {
            var ref: OpaquePointer?
            let next = git_reference_next(&ref, iterator)
            if next == GIT_ITEROVER.rawValue { break }
            guard next >= 0, let ref else { throw Libgit2.error(next, operation: "list references", path: path) }
            defer { git_reference_free(ref) }
            if let value = try reference(from: ref, repo: repo) { references.append(value) }
        }
        references.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return references
    }

    /// Local branches (`refs/heads/`).
    public func branches() throws(ForgeError) -> [Reference] { try references(prefix: "refs/heads/") }

    /// Tags (`refs/tags/`), with ``Reference/peeledTarget`` naming the tagged commit.
    public func tags() throws(ForgeError) -> [Reference] { try references(prefix: "refs/tags/") }

    /// Looks up one reference by its full name (`refs/heads/main`) or a short name git would accept (`main`).
    public func reference(named name: String) throws(ForgeError) -> Reference {
        let repo = try repository("look up reference")
        var ref: OpaquePointer?
        let result = git_reference_dwim(&ref, repo, name)
        guard result >= 0, let ref else {
            if result == GIT_ENOTFOUND.rawValue {
                throw ForgeError(.notFound, "no reference named '\(name)'", operation: "look up reference", path: path)
            }
            throw Libgit2.error(result, operation: "look up reference", path: path)
        }
        defer { git_reference_free(ref) }
        guard let value = try reference(from: ref, repo: repo) else {
            throw ForgeError(.notFound, "reference '\(name)' does not resolve", operation: "look up reference", path: path)
        }
        return value
    }

    private func reference(from ref: OpaquePointer, repo: OpaquePointer) throws(ForgeError) -> Reference? {
        let name = String(cString: git_reference_name(ref))
        var symbolicTarget: String?
        var resolved: OpaquePointer? = nil
        if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC {
            symbolicTarget = git_reference_symbolic_target(ref).map { String(cString: $0) }
            let result = git_reference_resolve(&resolved, ref)
            if result == GIT_ENOTFOUND.rawValue { return nil }  // dangling symbolic ref
            if result < 0 { throw Libgit2.error(result, operation: "resolve reference", path: path) }
        }
        defer { if let resolved { git_reference_free(resolved) } }
        guard let oid = git_reference_target(resolved ?? ref) else { return nil }
        let target = ObjectID(oid)
        let kind = Reference.kind(of: name)
        var peeled: ObjectID? = target
        if kind == .tag {
            var object: OpaquePointer?
            let result = git_reference_peel(&object, resolved ?? ref, GIT_OBJECT_COMMIT)
            if result >= 0, let object {
                peeled = ObjectID(git_object_id(object))
                git_object_free(object)
            } else {
                peeled = nil  // a tag of a tree or blob
            }
        }
        return Reference(name: name, shortName: Self.shortName(name), kind: kind, target: target,
                         peeledTarget: peeled, symbolicTarget: symbolicTarget)
    }

    static func shortName(_ name: String) -> String {
        for prefix in ["refs/heads/", "refs/tags/", "refs/remotes/", "refs/"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    // MARK: Revisions

    /// Resolves a revision expression to an object id, as `git rev-parse` does.
    ///
    /// Accepts full and abbreviated ids, short and full reference names, `HEAD`, and git's suffixes:
    /// `main~3`, `v1.0^{commit}`, `HEAD^2`, `main@{upstream}`, `REV:path`. An unknown revision throws
    /// ``ForgeError/Code/notFound``; an abbreviation matching several objects throws
    /// ``ForgeError/Code/ambiguous``; a malformed expression throws ``ForgeError/Code/invalidArgument``.
    public func resolve(_ revision: String) throws(ForgeError) -> ObjectID {
        let object = try lookup(revision, operation: "resolve")
        defer { git_object_free(object) }
        return ObjectID(git_object_id(object))
    }

    /// Resolves a revision to the commit it names, peeling annotated tags.
    public func resolveCommit(_ revision: String) throws(ForgeError) -> ObjectID {
        try peel(revision, to: GIT_OBJECT_COMMIT, kind: "commit", operation: "resolve")
    }

    /// Resolves a revision to a tree: a commit's root tree, or a tree named directly (`main:src`).
    public func resolveTree(_ revision: String) throws(ForgeError) -> ObjectID {
        // A full commit id, the common case for servers and pipelines, goes straight to the cached commit header.
        if revision.utf8.count == 40, let id = ObjectID(hex: revision), let header = try? objects.commitHeader(id) {
            return header.treeID
        }
        return try peel(revision, to: GIT_OBJECT_TREE, kind: "tree", operation: "resolve")
    }

    func peel(_ revision: String, to type: git_object_t, kind: String, operation: String) throws(ForgeError) -> ObjectID {
        let object = try lookup(revision, operation: operation)
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        let result = git_object_peel(&peeled, object, type)
        guard result >= 0, let peeled else {
            if result == GIT_ENOTFOUND.rawValue {
                let cause = Libgit2.error(result, operation: operation, path: path)
                throw ForgeError(.corrupt, "the repository is damaged: the \(kind) of '\(revision)' cannot be read (\(cause.message))",
                                 operation: operation, path: path, libgit2: cause.libgit2)
            }
            throw ForgeError(.invalidArgument, "'\(revision)' does not name a \(kind)", operation: operation, path: path,
                             libgit2: .init(errorClass: git_error_last()?.pointee.klass ?? 0, errorCode: result))
        }
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled))
    }

    /// `git_revparse_single`, with failures turned into errors that name the revision. Caller frees.
    func lookup(_ revision: String, operation: String) throws(ForgeError) -> OpaquePointer {
        let repo = try repository(operation)
        guard !revision.isEmpty, !revision.utf8.contains(0) else {
            throw ForgeError(.invalidArgument, "an empty revision", operation: operation, path: path)
        }
        var object: OpaquePointer?
        let result = git_revparse_single(&object, repo, revision)
        guard result >= 0, let object else {
            let error = revisionError(result, revision, operation: operation)
            if error.code == .notFound, let damage = damage(behind: revision, repo, libgit2: error.libgit2, operation: operation) {
                throw damage
            }
            throw error
        }
        return object
    }

    /// Why a revision that libgit2 could not find names something after all: its reference exists
    /// but points to an object that cannot be read, or an object on the way (a parent, a tree) is
    /// missing — a truncated pack or a lost object, reported as ``ForgeError/Code/corrupt``. Nil when
    /// the name is simply unknown.
    func damage(behind revision: String, _ repo: OpaquePointer, libgit2: ForgeError.Libgit2Detail?, operation: String) -> ForgeError? {
        // What libgit2 said before the checks below overwrite it.
        let said = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? ""
        let name = String(revision.prefix { !"~^:".contains($0) }.split(separator: "@{", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard !name.isEmpty, !name.utf8.contains(0) else { return nil }
        var reference: OpaquePointer?
        guard git_reference_dwim(&reference, repo, name) == 0, let reference else { return nil }
        defer { git_reference_free(reference) }
        var resolved: OpaquePointer?
        // A symbolic reference to a branch that does not exist yet is unborn, not damaged.
        guard git_reference_resolve(&resolved, reference) == 0, let resolved else { return nil }
        defer { git_reference_free(resolved) }
        guard let target = git_reference_target(resolved) else { return nil }
        let id = ObjectID(target)
        var object: OpaquePointer?
        let lookup = git_object_lookup(&object, repo, target, GIT_OBJECT_ANY)
        if lookup < 0 || object == nil {
            let cause = Libgit2.error(lookup, operation: operation, path: path)
            return ForgeError(.corrupt, "the repository is damaged: '\(name)' points to \(id), which cannot be read (\(cause.message))",
                              operation: operation, path: path, libgit2: cause.libgit2)
        }
        git_object_free(object)
        // The name's own object is there; one reached from it is missing.
        guard said.contains("no match for id") else { return nil }
        return ForgeError(.corrupt, "the repository is damaged: an object that '\(revision)' leads to is missing (\(said))",
                          operation: operation, path: path, libgit2: libgit2)
    }

    func revisionError(_ result: Int32, _ revision: String, operation: String) -> ForgeError {
        let base = Libgit2.error(result, operation: operation, path: path)
        switch result {
        case GIT_ENOTFOUND.rawValue:
            return ForgeError(.notFound, "unknown revision '\(revision)'", operation: operation, path: path, libgit2: base.libgit2)
        case GIT_EAMBIGUOUS.rawValue:
            return ForgeError(.ambiguous, "'\(revision)' is ambiguous: \(base.message)", operation: operation, path: path, libgit2: base.libgit2)
        case GIT_EINVALIDSPEC.rawValue:
            return ForgeError(.invalidArgument, "'\(revision)' is not a valid revision: \(base.message)", operation: operation, path: path, libgit2: base.libgit2)
        default:
            return base
        }
    }

    /// Reads one commit.
    public func commit(_ id: ObjectID) throws(ForgeError) -> Commit {
        _ = try repository("read commit")
        return try objects.commit(id)
    }

    /// Reads the commit a revision names.
    public func commit(_ revision: String) throws(ForgeError) -> Commit {
        try commit(try resolveCommit(revision))
    }

    /// The best common ancestors of two commits (more than one for criss-cross merges); empty when unrelated.
    public func mergeBases(_ a: ObjectID, _ b: ObjectID) throws(ForgeError) -> [ObjectID] {
        let repo = try repository("merge base")
        var array = git_oidarray()
        var oids = [a.gitOID, b.gitOID]
        let result = git_merge_bases_many(&array, repo, 2, &oids)
        if result == GIT_ENOTFOUND.rawValue { return [] }
        guard result >= 0 else { throw Libgit2.error(result, operation: "merge base", path: path) }
        defer { git_oidarray_dispose(&array) }
        return (0..<array.count).map { ObjectID(array.ids[$0]) }
    }

    /// Whether `ancestor` is reachable from `descendant` (a commit counts as its own ancestor).
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws(ForgeError) -> Bool {
        if ancestor == descendant { return true }
        let repo = try repository("ancestry")
        var a = ancestor.gitOID, d = descendant.gitOID
        let result = git_graph_descendant_of(repo, &d, &a)
        guard result >= 0 else { throw Libgit2.error(result, operation: "ancestry", path: path) }
        return result == 1
    }
}
