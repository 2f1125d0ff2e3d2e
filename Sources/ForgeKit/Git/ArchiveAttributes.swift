import CGit2
import Foundation

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

    /// Skips lookups for paths no relevant line can match; `nil` when every path must be asked
    /// (`core.autocrlf`, or attributes outside the commit: `info/attributes`, a global attributes file).
    private var prefilter: AttributePrefilter?

    /// The attributes one file's lookup asks for: `export-ignore`, then those that turn checkout filters on.
    /// For a zip, `diff` too: git's zip writer marks a file binary when `diff` is unset (`-diff`, as the
    /// `binary` macro sets), or when its diff driver is configured `binary`.
    private let fileAttributes: [String]
    private let fileAttributeNames: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let zip: Bool

    init(repo: OpaquePointer, commit: ObjectID, gitPath: String, zip: Bool = false) {
        self.zip = zip
        fileAttributes = ["export-ignore", "text", "eol", "crlf", "ident", "filter"] + (zip ? ["diff"] : [])
        self.repo = repo
        self.gitPath = gitPath
        var config: OpaquePointer?
        var autocrlf: Int32 = 0
        if git_repository_config_snapshot(&config, repo) >= 0, let config {
            if git_config_get_bool(&autocrlf, config, "core.autocrlf") < 0 { autocrlf = 0 }
            git_config_free(config)
        }
        var globalFile = false
        if git_repository_config_snapshot(&config, repo) >= 0, let config {
            var value: UnsafePointer<CChar>?
            if git_config_get_string(&value, config, "core.attributesFile") >= 0, value != nil { globalFile = true }
            git_config_free(config)
        }
        git_error_clear()
        self.autocrlf = autocrlf != 0
        let environment = ProcessInfo.processInfo.environment
        let candidates = [
            environment["XDG_CONFIG_HOME"].map { $0 + "/git/attributes" },
            environment["HOME"].map { $0 + "/.config/git/attributes" },
            git_repository_path(repo).map { String(cString: $0) + "info/attributes" },
        ].compactMap { $0 }
        if !self.autocrlf && !globalFile && !candidates.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
            prefilter = AttributePrefilter(extraNames: zip ? ["diff"] : [])
        }
        fileAttributeNames = .allocate(capacity: fileAttributes.count)
        for (index, name) in fileAttributes.enumerated() {
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
        for index in fileAttributes.indices { free(UnsafeMutablePointer(mutating: fileAttributeNames[index])) }
        fileAttributeNames.deallocate()
    }

    /// What an archive does with one file.
    struct FileRule {
        enum Action {
            case skip
            case raw
            case filtered
        }

        var action: Action
        /// For a zip: `true` or `false` when the attributes decide the text flag, `nil` to look at the contents.
        var binary: Bool?
    }

    /// Takes in the `.gitattributes` file of `directory` (`[]` for the root, else `dir/`), before the
    /// directory's entries are looked up.
    func addAttributesFile(_ contents: UnsafeRawBufferPointer, directory: [UInt8]) {
        prefilter?.add(file: contents, directory: directory)
    }

    /// Whether the file at `path` is left out (`export-ignore`), written as stored, or filtered.
    func rule(forFile path: [UInt8]) throws(ForgeError) -> FileRule {
        if let prefilter, !prefilter.mayMatch(path) { return FileRule(action: .raw) }
        var values = [UnsafePointer<CChar>?](repeating: nil, count: fileAttributes.count)
        let result = withCPath(path) { cPath in
            git_attr_get_many_ext(&values, repo, &attributeOptions, cPath, fileAttributes.count, fileAttributeNames)
        }
        try Libgit2.check(result, "archive", path: gitPath)
        if git_attr_value(values[0]) == GIT_ATTR_VALUE_TRUE { return FileRule(action: .skip) }
        var binary: Bool?
        if zip, let diff = values.last {
            switch git_attr_value(diff) {
            case GIT_ATTR_VALUE_FALSE: binary = true
            case GIT_ATTR_VALUE_STRING: binary = diff.flatMap { driverIsBinary(String(cString: $0)) }
            default: binary = nil
            }
        }
        if autocrlf { return FileRule(action: .filtered, binary: binary) }
        guard values[1..<6].contains(where: { git_attr_value($0) != GIT_ATTR_VALUE_UNSPECIFIED }) else {
            return FileRule(action: .raw, binary: binary)
        }
        // Checkout writes the stored bytes unchanged when no ident or filter driver applies and the
        // line endings stay LF: `eol=lf`, or not text at all (`-text`, `-crlf`). Skipping the filter
        // list saves its second attribute lookup for most files that name `text`.
        let (text, eol, crlf, ident, filter) = (values[1], values[2], values[3], values[4], values[5])
        let noDriver = git_attr_value(ident) != GIT_ATTR_VALUE_TRUE && git_attr_value(ident) != GIT_ATTR_VALUE_STRING
            && git_attr_value(filter) != GIT_ATTR_VALUE_STRING && git_attr_value(filter) != GIT_ATTR_VALUE_TRUE
        let staysLF = (git_attr_value(eol) == GIT_ATTR_VALUE_STRING && eol.map { strcmp($0, "lf") == 0 } == true)
            || git_attr_value(text) == GIT_ATTR_VALUE_FALSE || git_attr_value(crlf) == GIT_ATTR_VALUE_FALSE
        if noDriver && staysLF { return FileRule(action: .raw, binary: binary) }
        return FileRule(action: .filtered, binary: binary)
    }

    private var driverBinary: [String: Bool?] = [:]

    /// `diff.<driver>.binary` from the repository's configuration, when set.
    private func driverIsBinary(_ driver: String) -> Bool? {
        if let known = driverBinary[driver] { return known }
        var answer: Bool?
        var config: OpaquePointer?
        if git_repository_config_snapshot(&config, repo) >= 0, let config {
            var value: Int32 = 0
            if git_config_get_bool(&value, config, "diff.\(driver).binary") >= 0 { answer = value != 0 }
            git_config_free(config)
        }
        git_error_clear()
        driverBinary[driver] = answer
        return answer
    }

    /// Whether `path` (a directory's path without the trailing slash) has `export-ignore` set.
    func isExportIgnored(_ path: [UInt8]) throws(ForgeError) -> Bool {
        if let prefilter, !prefilter.mayMatch(path) { return false }
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
