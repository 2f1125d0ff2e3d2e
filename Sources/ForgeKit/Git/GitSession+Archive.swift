import CGit2

#if canImport(Glibc)
import Glibc
#endif

/// The container format of an archive.
public enum ArchiveFormat: String, Sendable, Hashable, CaseIterable {
    /// POSIX ustar with pax extensions, as `git archive --format=tar` writes it.
    case tar
    /// ZIP with deflate, as `git archive --format=zip` writes it.
    case zip
}

/// What the archive writers have in common: entries in order, then a finish.
protocol ArchiveEncoder: AnyObject {
    func addDirectory(path: [UInt8], objectID: String?) throws(ForgeError)
    func addFile(path: [UInt8], objectID: String, executable: Bool, binary: Bool?, contents: UnsafeRawBufferPointer) throws(ForgeError)
    func addSymlink(path: [UInt8], objectID: String, target: UnsafeRawBufferPointer) throws(ForgeError)
    func addGitlink(path: [UInt8], objectID: String?) throws(ForgeError)
    func finish() throws(ForgeError)
}

extension TarArchiveWriter: ArchiveEncoder {
    func addFile(path: [UInt8], objectID: String, executable: Bool, binary: Bool?, contents: UnsafeRawBufferPointer) throws(ForgeError) {
        try addFile(path: path, objectID: objectID, executable: executable, contents: contents)
    }
}
extension ZipArchiveWriter: ArchiveEncoder {}

extension GitSession {
    /// Streams an archive of `revision` to `sink`, with the members, modes, symlinks and timestamps
    /// `git archive` writes (the commit time as every member's time, the commit id as comment).
    ///
    /// Memory stays flat whatever the repository's size: one file's contents at a time, never the archive.
    /// For a commit, its `.gitattributes` apply as `git archive` applies them: `export-ignore` leaves
    /// paths out and the checkout conversions (`text`/`eol`/`crlf`, `ident`) rewrite file contents.
    /// `export-subst` placeholders are left unexpanded. When `core.autocrlf`, `info/attributes` or a global
    /// attributes file is set, or a pattern is quoted, libgit2 decides each path, and then a directory
    /// pattern with a trailing slash (`build/ export-ignore`) does not match in a bare repository (write
    /// `build export-ignore`). A bare tree is archived without attributes.
    ///
    /// - Parameter prefix: prepended to every member path, as `git archive --prefix` (end it with `/`
    ///   for a directory).
    public func archive(_ revision: String, format: ArchiveFormat, to sink: any ByteSink, prefix: String = "") throws(ForgeError) {
        _ = try repository("archive")
        let object = try lookup(revision, operation: "archive")
        let objectType = git_object_type(object)
        git_object_free(object)
        let tree = try resolveTree(revision)
        var time: Int64
        var comment: String?
        var attributes: ArchiveAttributes?
        if objectType == GIT_OBJECT_TREE {
            // git uses the current time for a bare tree, and writes no commit id.
            time = Int64(Glibc.time(nil))
        } else {
            let commitID = try resolveCommit(revision)
            let commit = try objects.commit(commitID)
            time = commit.committer.time
            comment = commitID.hex
            attributes = ArchiveAttributes(repo: try repository("archive"), commit: commitID, gitPath: path, zip: format == .zip)
        }
        if prefix.utf8.contains(0) {
            throw ForgeError(.invalidArgument, "the prefix contains a NUL byte", operation: "archive")
        }
        let encoder: any ArchiveEncoder
        switch format {
        case .tar: encoder = TarArchiveWriter(sink: sink, modificationTime: time, commentID: comment, prefix: prefix)
        case .zip: encoder = ZipArchiveWriter(sink: sink, modificationTime: time, commentID: comment, prefix: prefix)
        }
        var path: [UInt8] = []
        path.reserveCapacity(256)
        try archiveTree(tree, path: &path, encoder: encoder, attributes: attributes)
        try encoder.finish()
    }

    private func archiveTree(_ id: ObjectID, path: inout [UInt8], encoder: any ArchiveEncoder,
                             attributes: ArchiveAttributes?) throws(ForgeError) {
        try checkCancelled("archive")
        let tree = try objects.tree(id)
        if let attributes {
            let name: [UInt8] = Array(".gitattributes".utf8)
            let found = name.withUnsafeBytes { tree.entry(named: $0) }
            if let found, found.mode & 0o170000 == 0o100000 {
                let blob = try objects.read(found.id, operation: "archive")
                attributes.addAttributesFile(blob.data, directory: path)
            }
        }
        for entry in tree.entries {
            let mark = path.count
            defer { path.removeSubrange(mark...) }
            path.append(contentsOf: UnsafeRawBufferPointer(start: tree.namePointer(entry), count: Int(entry.nameLength)))
            switch entry.mode & 0o170000 {
            case 0o040000:
                if let attributes, try attributes.isExportIgnored(path, isDirectory: true) { continue }
                try encoder.addDirectory(path: path, objectID: entry.id.hex)
                path.append(UInt8(ascii: "/"))
                try archiveTree(entry.id, path: &path, encoder: encoder, attributes: attributes)
            case 0o160000:
                if let attributes, try attributes.isExportIgnored(path, isDirectory: true) { continue }
                try encoder.addGitlink(path: path, objectID: entry.id.hex)
            case 0o120000:
                if let attributes, try attributes.isExportIgnored(path, isDirectory: false) { continue }
                let blob = try objects.read(entry.id, operation: "archive")
                try encoder.addSymlink(path: path, objectID: entry.id.hex, target: blob.data)
            case 0o100000:
                let rule = try attributes?.rule(forFile: path) ?? ArchiveAttributes.FileRule(action: .raw)
                if rule.action == .skip { continue }
                let blob = try objects.read(entry.id, operation: "archive")
                guard blob.kind == GIT_OBJECT_BLOB else {
                    throw ForgeError(.corrupt, "entry '\(String(decoding: path, as: UTF8.self))' names a \(ObjectStore.kindName(blob.kind)), not a blob", operation: "archive", path: self.path)
                }
                let executable = entry.mode & 0o111 != 0
                if rule.action == .filtered, let attributes {
                    try attributes.withCheckoutContents(path: path, id: entry.id, data: blob.data) { (contents) throws(ForgeError) in
                        try encoder.addFile(path: path, objectID: entry.id.hex, executable: executable, binary: rule.binary, contents: contents)
                    }
                } else {
                    try encoder.addFile(path: path, objectID: entry.id.hex, executable: executable, binary: rule.binary, contents: blob.data)
                }
            default:
                throw ForgeError(.corrupt, "entry '\(String(decoding: path, as: UTF8.self))' has an unknown mode \(String(entry.mode, radix: 8))", operation: "archive", path: self.path)
            }
        }
    }
}
