import CGit2

#if canImport(Glibc)
import Glibc
#endif

/// The `.gitattributes` rules `git archive` applies, read from the archived commit itself (never
/// from a working directory): `export-ignore` leaves a path out, and the checkout filters (`text`,
/// `eol`, `crlf`, `ident`, with `core.autocrlf` and `core.eol`) convert file contents as a checkout would.
///
/// Known gap: libgit2 decides whether a path is a directory by looking at the file system, so a
/// directory pattern written with a trailing slash (`build/ export-ignore`) does not match in a bare
/// repository; `build export-ignore` does.
///
/// Confined to the session's thread, like the repository handle it borrows.
final class ArchiveAttributes {
    private let repo: OpaquePointer
    private var attributeOptions = git_attr_options()
    private var filterOptions = git_filter_options()
    private let gitPath: String
    /// `core.autocrlf=true` converts text files that no attribute mentions.
    private let autocrlf: Bool

    /// The attributes one file's lookup asks for: `export-ignore`, then those that turn checkout filters on.
    private static let fileAttributes = ["export-ignore", "text", "eol", "crlf", "ident", "filter"]
    private let fileAttributeNames: UnsafeMutablePointer<UnsafePointer<CChar>?>

    init(repo: OpaquePointer, commit: ObjectID, gitPath: String) {
        self.repo = repo
        self.gitPath = gitPath
        var config: OpaquePointer?
        var autocrlf: Int32 = 0
        if git_repository_config_snapshot(&config, repo) >= 0, let config {
            if git_config_get_bool(&autocrlf, config, "core.autocrlf") < 0 { autocrlf = 0 }
            git_config_free(config)
        }
        git_error_clear()
        self.autocrlf = autocrlf != 0
        fileAttributeNames = .allocate(capacity: Self.fileAttributes.count)
        for (index, name) in Self.fileAttributes.enumerated() {
            fileAttributeNames[index] = UnsafePointer(strdup(name))
        }
        attributeOptions.version = UInt32(GIT_ATTR_OPTIONS_VERSION)
        attributeOptions.flags = UInt32(GIT_ATTR_CHECK_INCLUDE_COMMIT | GIT_ATTR_CHECK_NO_SYSTEM)
        attributeOptions.attr_commit_id = commit.gitOID
        filterOptions.version = UInt32(GIT_FILTER_OPTIONS_VERSION)
        filterOptions.flags = GIT_FILTER_ATTRIBUTES_FROM_COMMIT.rawValue | GIT_FILTER_NO_SYSTEM_ATTRIBUTES.rawValue
        filterOptions.attr_commit_id = commit.gitOID
    }

    deinit {
        for index in Self.fileAttributes.indices { free(UnsafeMutablePointer(mutating: fileAttributeNames[index])) }
        fileAttributeNames.deallocate()
    }

    /// What an archive does with one file.
    enum FileRule {
        case skip
        case raw
        case filtered
    }

    /// Whether the file at `path` is left out (`export-ignore`), written as stored, or filtered.
    func rule(forFile path: [UInt8]) throws(ForgeError) -> FileRule {
        var values = [UnsafePointer<CChar>?](repeating: nil, count: Self.fileAttributes.count)
        let result = withCPath(path) { cPath in
            git_attr_get_many_ext(&values, repo, &attributeOptions, cPath, Self.fileAttributes.count, fileAttributeNames)
        }
        try Libgit2.check(result, "archive", path: gitPath)
        if git_attr_value(values[0]) == GIT_ATTR_VALUE_TRUE { return .skip }
        if autocrlf { return .filtered }
        for value in values.dropFirst() where git_attr_value(value) != GIT_ATTR_VALUE_UNSPECIFIED {
            return .filtered
        }
        return .raw
    }

    /// Whether `path` (a directory's path without the trailing slash) has `export-ignore` set.
    func isExportIgnored(_ path: [UInt8]) throws(ForgeError) -> Bool {
        var value: UnsafePointer<CChar>?
        let result = withCPath(path) { cPath in git_attr_get_ext(&value, repo, &attributeOptions, cPath, "export-ignore") }
        try Libgit2.check(result, "archive", path: gitPath)
        return git_attr_value(value) == GIT_ATTR_VALUE_TRUE
    }

    /// Runs `body` with the contents of the blob `id` at `path` as a checkout would write them: `data`
    /// itself when no filter applies, else the filtered copy (`ident` needs the blob's id).
    func withCheckoutContents<T>(path: [UInt8], id: ObjectID, data: UnsafeRawBufferPointer,
                                 _ body: (UnsafeRawBufferPointer) throws(ForgeError) -> T) throws(ForgeError) -> T {
        var blob: OpaquePointer?
        var oid = id.gitOID
        try Libgit2.check(git_blob_lookup(&blob, repo, &oid), "archive", path: gitPath)
        defer { git_blob_free(blob) }
        var filters: OpaquePointer?
        let loaded = withCPath(path) { cPath in
            git_filter_list_load_ext(&filters, repo, blob, cPath, GIT_FILTER_TO_WORKTREE, &filterOptions)
        }
        try Libgit2.check(loaded, "archive", path: gitPath)
        guard let filters else { return try body(data) }
        defer { git_filter_list_free(filters) }
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try Libgit2.check(git_filter_list_apply_to_blob(&buffer, filters, blob), "archive", path: gitPath)
        return try body(UnsafeRawBufferPointer(start: buffer.ptr, count: buffer.size))
    }

    private func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress.unsafelyUnwrapped) }
        }
    }
}
