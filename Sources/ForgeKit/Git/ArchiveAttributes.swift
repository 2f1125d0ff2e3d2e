import CGit2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `.gitattributes` rules `git archive` applies, read from the archived commit itself (never
/// from a working directory): `export-ignore` leaves a path out, and the checkout filters (`text`,
/// `eol`, `crlf`, `ident`, with `core.autocrlf` and `core.eol`) convert file contents as a checkout would.
///
/// Paths are decided by ``AttributeRules`` from the `.gitattributes` files met while walking the tree,
/// without libgit2's per-path lookup. libgit2 decides instead when something outside the commit can
/// apply (`core.autocrlf`, `info/attributes`, a global attributes file) or a pattern is quoted; then a
/// directory pattern with a trailing slash (`build/ export-ignore`) does not match in a bare
/// repository, because libgit2 looks for the directory in the file system. libgit2 also loads the
/// checkout filters of the few files that need converting.
///
/// Confined to the session's thread, like the repository handle it borrows.
final class ArchiveAttributes {
    private let repo: OpaquePointer
    private var attributeOptions = git_attr_options()
    private var filterOptions = git_filter_options()
    private let gitPath: String
    /// `core.autocrlf=true` converts text files that no attribute mentions.
    private let autocrlf: Bool

    /// The commit's rules, evaluated natively; `nil` when libgit2 must be asked for every path
    /// (`core.autocrlf`, or attributes outside the commit: `info/attributes`, a global attributes file).
    private var native: AttributeRules?

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
            native = AttributeRules(attributes: fileAttributes)
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
        native?.add(file: contents, directory: directory)
        if native?.isComplete == false { native = nil }
    }

    /// Whether the file at `path` is left out (`export-ignore`), written as stored, or filtered.
    func rule(forFile path: [UInt8]) throws(ForgeError) -> FileRule {
        let states: [AttributeRules.State]
        if let native {
            states = native.states(of: path)
        } else {
            states = try libgit2States(path)
        }
        if states[0] == .set { return FileRule(action: .skip) }
        var binary: Bool?
        if zip, let diff = states.last {
            switch diff {
            case .unset: binary = true
            case .value(let driver): binary = driverIsBinary(driver)
            default: binary = nil
            }
        }
        if autocrlf { return FileRule(action: .filtered, binary: binary) }
        guard states[1..<6].contains(where: { $0 != .unspecified }) else {
            return FileRule(action: .raw, binary: binary)
        }
        // Checkout writes the stored bytes unchanged when no ident or filter driver applies and the
        // line endings stay LF: `eol=lf`, or not text at all (`-text`, `-crlf`). Other files go through
        // libgit2's filter list, which looks their attributes up again.
        let (text, eol, crlf, ident, filter) = (states[1], states[2], states[3], states[4], states[5])
        let noDriver = !Self.isSetOrValue(ident) && !Self.isSetOrValue(filter)
        let staysLF = eol == .value("lf") || text == .unset || crlf == .unset
        if noDriver && staysLF { return FileRule(action: .raw, binary: binary) }
        return FileRule(action: .filtered, binary: binary)
    }

    private static func isSetOrValue(_ state: AttributeRules.State) -> Bool {
        switch state {
        case .set, .value: return true
        case .unset, .unspecified: return false
        }
    }

    /// The file attributes of `path` as libgit2 finds them.
    private func libgit2States(_ path: [UInt8]) throws(ForgeError) -> [AttributeRules.State] {
        var values = [UnsafePointer<CChar>?](repeating: nil, count: fileAttributes.count)
        let result = withCPath(path) { cPath in
            git_attr_get_many_ext(&values, repo, &attributeOptions, cPath, fileAttributes.count, fileAttributeNames)
        }
        try Libgit2.check(result, "archive", path: gitPath)
        return values.map { value in
            switch git_attr_value(value) {
            case GIT_ATTR_VALUE_TRUE: return .set
            case GIT_ATTR_VALUE_FALSE: return .unset
            case GIT_ATTR_VALUE_STRING: return .value(value.map { String(cString: $0) } ?? "")
            default: return .unspecified
            }
        }
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

    /// Whether `path` (without a trailing slash; a directory or submodule when `isDirectory`) has
    /// `export-ignore` set.
    func isExportIgnored(_ path: [UInt8], isDirectory: Bool) throws(ForgeError) -> Bool {
        if let native { return native.states(of: path, isDirectory: isDirectory)[0] == .set }
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
