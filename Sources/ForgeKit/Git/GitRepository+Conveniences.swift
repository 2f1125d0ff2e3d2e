extension GitRepository {
    /// Resolves a revision expression to an object id. See ``GitSession/resolve(_:)``.
    public func resolve(_ revision: String) async throws -> ObjectID {
        try await withSession { try $0.resolve(revision) }
    }

    /// Reads the commit a revision names.
    public func commit(_ revision: String) async throws -> Commit {
        try await withSession { try $0.commit(revision) }
    }

    /// What `HEAD` points at.
    public func head() async throws -> Head {
        try await withSession { try $0.head() }
    }

    /// All references, sorted by name; see ``GitSession/references(prefix:)``.
    public func references(prefix: String? = nil) async throws -> [Reference] {
        try await withSession { try $0.references(prefix: prefix) }
    }

    /// The commits of a walk in `git log` order; see ``GitSession/log(_:)``.
    public func log(_ options: LogOptions) async throws -> [Commit] {
        try await withSession { try $0.log(options) }
    }

    /// The paths that differ between two revisions; see ``GitSession/changes(from:to:options:)``.
    public func changes(from: String, to: String, options: DiffOptions = DiffOptions()) async throws -> [PathChange] {
        try await withSession { try $0.changes(from: from, to: to, options: options) }
    }

    /// The bytes of the file at `path` in `revision`; see ``GitSession/blob(at:path:maxSize:)``.
    public func blob(at revision: String, path: String, maxSize: Int? = nil) async throws -> [UInt8] {
        try await withSession { try $0.blob(at: revision, path: path, maxSize: maxSize) }
    }

    /// The entries of a tree; see ``GitSession/tree(at:path:recursive:includeSizes:)``.
    public func tree(at revision: String, path: String = "", recursive: Bool = false, includeSizes: Bool = false) async throws -> [TreeEntry] {
        try await withSession { try $0.tree(at: revision, path: path, recursive: recursive, includeSizes: includeSizes) }
    }

    /// Writes the files of a revision into a directory; see ``GitSession/checkout(_:into:)``.
    public func checkout(_ revision: String, into directory: String) async throws {
        try await withSession { try $0.checkout(revision, into: directory) }
    }

    /// Whether `head` merges cleanly into `base`; see ``GitSession/mergeability(base:head:)``.
    public func mergeability(base: String, head: String) async throws -> Mergeability {
        try await withSession { try $0.mergeability(base: base, head: head) }
    }

}

extension GitRepository {
    /// Streams an archive of a revision to an open file descriptor; see ``GitSession/archive(_:format:to:prefix:)``.
    public func archive(_ revision: String, format: ArchiveFormat, toDescriptor descriptor: Int32, prefix: String = "") async throws {
        try await withSession { session in
            let sink = FileDescriptorSink(descriptor: descriptor)
            try session.archive(revision, format: format, to: sink, prefix: prefix)
        }
    }
}
