import Foundation
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Release directories and an atomically switched `current` symlink, as Capistrano and Kamal keep them.
///
/// The layout under `root`:
/// ```
/// ROOT/releases/<name>/        one directory per deployment (the runner checks out and builds into it)
/// ROOT/current -> releases/<name>   a relative symlink to the live release
/// ROOT/history                 append-only, one "<ISO 8601 time> <name>" line per activation
/// ROOT/lock                    an flock(2) lock file serialising changes between processes
/// ```
///
/// ```swift
/// let releases = try ReleaseManager(root: "/srv/kaha", keep: 5, logger: logger)
/// let directory = try releases.prepare("20250101-1200-4f2a9c1")   // check out and build into it
/// try releases.activate("20250101-1200-4f2a9c1")                  // `current` now points at it
/// let previous = try releases.rollback()                          // back, without rebuilding
/// ```
///
/// `activate` never leaves a moment without `current`: it creates `current.tmp-<random>` and
/// `rename(2)`s it over `current`. It then appends to `history` (fsynced) and prunes: it keeps the
/// `keep` most recently activated releases (the current one is always the most recent) and the
/// previous one, and removes older release directories that were activated before. A release that
/// was prepared but never activated is left alone (it may still be being filled).
///
/// `rollback()` goes to the release activated most recently before the current one became current
/// (like `cd -`: rolling back twice returns to where you started; name a release to go further back).
/// When `history` is missing or names no other existing release, the other release directories are
/// ordered by modification time instead.
///
/// Crash safety: a crash between the steps leaves either the old or the new `current`; a leftover
/// `current.tmp-*` symlink, or a half-removed pruned directory, is cleaned up by the next `init`.
///
/// - Important: Every method makes blocking file-system calls (and may wait for another process's
///   lock). The API is synchronous on purpose; async callers should run it off Swift's cooperative
///   thread pool themselves (a dedicated thread or `NIOThreadPool`).
///
/// ## Topics
/// ### Creating a manager
/// - ``init(root:keep:logger:)``
/// ### Deploying
/// - ``prepare(_:)``
/// - ``activate(_:)``
/// - ``rollback(to:)``
/// ### Inspecting
/// - ``releases()``
/// - ``current``
/// - ``isValidName(_:)``
public struct ReleaseManager: Sendable {
    /// The absolute root directory.
    public let root: String
    /// How many activated releases pruning keeps (at least 1; the previous one is kept as well).
    public let keep: Int
    let logger: Logger

    /// The longest release name accepted, in UTF-8 bytes.
    public static let maximumNameLength = 128

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Opens (creating if needed) the layout under `root`, and removes leftovers of an interrupted
    /// activation or pruning.
    ///
    /// - Parameters:
    ///   - root: The deployment's directory; a relative path is resolved against the working directory.
    ///   - keep: How many activated releases to keep (at least 1).
    ///   - logger: Where switches, rollbacks and pruning are logged.
    /// - Throws: ``DeployError`` `.invalidConfiguration` for `keep < 1` or an empty root, `.io` when
    ///   the directories cannot be created.
    public init(root: String, keep: Int = 5,
                logger: Logger = Logger(label: "forgeworks.deploy.releases")) throws(DeployError) {
        let operation = "open releases"
        guard keep >= 1 else {
            throw DeployError(.invalidConfiguration, "keep must be at least 1, not \(keep)", operation: operation)
        }
        guard !root.isEmpty, !root.utf8.contains(0) else {
            throw DeployError(.invalidConfiguration, "the root directory is empty or contains NUL", operation: operation)
        }
        var absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        while absolute.count > 1, absolute.hasSuffix("/") { absolute.removeLast() }
        self.root = absolute
        self.keep = keep
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: releasesDirectory, withIntermediateDirectories: true)
        } catch {
            throw DeployError(.io, "cannot create \(releasesDirectory): \(error)", operation: operation)
        }
        try withLock(operation) { () throws(DeployError) in try cleanLeftovers(operation) }
    }

    // MARK: - Paths

    var releasesDirectory: String { root + "/releases" }
    var currentPath: String { root + "/current" }
    var historyPath: String { root + "/history" }
    var lockPath: String { root + "/lock" }
    func releasePath(_ name: String) -> String { releasesDirectory + "/" + name }

    // MARK: - Names

    /// Whether `name` is a valid release name: 1 to ``maximumNameLength`` bytes of `[A-Za-z0-9._-]`,
    /// not `.` and without `..`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumNameLength, name != ".", !name.contains("..") else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// Throws ``DeployError`` `.invalidRequest` unless `name` is a valid release name
    /// (``isValidName(_:)``): whatever names a release — a runner's report, a rollback request, a
    /// folder — is checked here.
    public static func validate(_ name: String, _ operation: String) throws(DeployError) {
        guard Self.isValidName(name) else {
            let shown = name.utf8.count > 64 ? String(name.prefix(64)) + "…" : name
            throw DeployError(.invalidRequest,
                              "invalid release name '\(shown)' (1 to \(Self.maximumNameLength) bytes of A-Z a-z 0-9 . _ -, no '..')",
                              operation: operation)
        }
    }

    // MARK: - Deploying

    /// Creates the empty directory `releases/<name>` and returns its absolute path, for the runner
    /// to fill (checkout, build) before ``activate(_:)``.
    ///
    /// - Throws: ``DeployError`` `.invalidRequest` for an invalid name or a release that already
    ///   exists, `.io` when the directory cannot be created.
    public func prepare(_ name: String) throws(DeployError) -> String {
        let operation = "prepare release"
        try Self.validate(name, operation)
        let path = releasePath(name)
        try withLock(operation) { () throws(DeployError) in
            guard mkdir(path, 0o755) == 0 else {
                let error = errno
                if error == EEXIST {
                    throw DeployError(.invalidRequest, "release '\(name)' already exists", operation: operation)
                }
                throw Self.ioError("mkdir \(path)", error, operation)
            }
        }
        logger.info("prepared release", metadata: ["release": "\(name)"])
        return path
    }

    /// Makes `current` point at `releases/<name>`, atomically; records the switch in `history`;
    /// then prunes old releases.
    ///
    /// A failure to prune is logged, not thrown: the switch has happened.
    /// - Throws: ``DeployError`` `.invalidRequest` for an invalid name, `.notFound` when the release
    ///   does not exist (`current` is unchanged), `.io` when the switch or the history write fails.
    public func activate(_ name: String) throws(DeployError) {
        let operation = "activate release"
        try Self.validate(name, operation)
        try withLock(operation) { () throws(DeployError) in try activateLocked(name, operation) }
    }

    /// Removes a release that was prepared but never became current (a deployment whose script
    /// failed), so that failed attempts do not pile up.
    ///
    /// - Throws: ``DeployError`` `.invalidRequest` for an invalid name or for the current release,
    ///   `.io` when it cannot be removed. A release that does not exist is not an error.
    public func discard(_ name: String) throws(DeployError) {
        let operation = "discard release"
        try Self.validate(name, operation)
        try withLock(operation) { () throws(DeployError) in
            guard current != name else {
                throw DeployError(.invalidRequest, "release '\(name)' is current and cannot be discarded", operation: operation)
            }
            let path = releasePath(name)
            guard FileManager.default.fileExists(atPath: path) else { return }
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw DeployError(.io, "cannot remove \(path): \(error)", operation: operation)
            }
        }
        logger.info("discarded release", metadata: ["release": "\(name)"])
    }

    /// Activates the previous release, or the one named, without rebuilding anything; returns its name.
    ///
    /// The previous release is the one activated most recently before the current one (from
    /// `history`, skipping releases that were pruned or no longer exist).
    /// - Throws: ``DeployError`` `.notFound` when there is no previous release or the named one does
    ///   not exist, `.invalidRequest` for an invalid name, `.io` as ``activate(_:)``.
    @discardableResult
    public func rollback(to name: String? = nil) throws(DeployError) -> String {
        let operation = "roll back"
        if let name { try Self.validate(name, operation) }
        return try withLock(operation) { () throws(DeployError) -> String in
            let target: String
            if let name {
                target = name
            } else {
                let listing = try listing(operation)
                guard let current = listing.current else {
                    throw DeployError(.notFound, "there is no current release to roll back from", operation: operation)
                }
                guard let previous = listing.previous else {
                    throw DeployError(.notFound, "there is no release before '\(current)'", operation: operation)
                }
                target = previous
            }
            let from = current
            try activateLocked(target, operation)
            logger.notice("rolled back", metadata: ["from": "\(from ?? "none")", "to": "\(target)"])
            return target
        }
    }

    // MARK: - Inspecting

    /// The release directories, newest activation first: the current one, then those in `history`
    /// (most recent activation first), then the rest by modification time, newest first.
    public func releases() throws(DeployError) -> [Release] {
        let listing = try listing("list releases")
        return listing.order.map { name in
            Release(name: name, path: releasePath(name), activatedAt: listing.activatedAt[name],
                    isCurrent: name == listing.current)
        }
    }

    /// The name of the release `current` points at (from `readlink(2)`), or nil when there is no
    /// `current` or it does not point at `releases/<valid name>`.
    public var current: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(currentPath, &buffer, buffer.count)
        guard count > 0, count < buffer.count else { return nil }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard target.hasPrefix("releases/") else { return nil }
        let name = String(target.dropFirst("releases/".count))
        return Self.isValidName(name) ? name : nil
    }

    // MARK: - Internals

    private func activateLocked(_ name: String, _ operation: String) throws(DeployError) {
        guard Self.isDirectory(releasePath(name)) else {
            throw DeployError(.notFound, "release '\(name)' does not exist", operation: operation)
        }
        let temporary = root + "/current.tmp-" + Self.randomSuffix()
        guard symlink("releases/" + name, temporary) == 0 else {
            throw Self.ioError("symlink \(temporary)", errno, operation)
        }
        guard rename(temporary, currentPath) == 0 else {
            let error = errno
            unlink(temporary)
            throw Self.ioError("rename \(temporary) to \(currentPath)", error, operation)
        }
        Self.syncDirectory(root)
        do {
            try appendHistory(name, operation)
        } catch {
            throw DeployError(.io, "release '\(name)' is current, but recording it failed: \(error.message)",
                              operation: operation)
        }
        logger.info("activated release", metadata: ["release": "\(name)"])
        prune(operation)
    }

    private func appendHistory(_ name: String, _ operation: String) throws(DeployError) {
        let fd = open(historyPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError("open \(historyPath)", errno, operation) }
        defer { close(fd) }
        var line = Array("\(Date().formatted(Self.timeFormat)) \(name)\n".utf8)
        // An earlier crash may have left a partial last line; start on a fresh one.
        var status = stat()
        if fstat(fd, &status) == 0, status.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, status.st_size - 1) == 1, last != UInt8(ascii: "\n") {
                line.insert(UInt8(ascii: "\n"), at: 0)
            }
        }
        var written = 0
        while written < line.count {
            let result = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.ioError("write \(historyPath)", errno, operation)
            }
            written += result
        }
        guard fsync(fd) == 0 else { throw Self.ioError("fsync \(historyPath)", errno, operation) }
    }

    private struct HistoryEntry {
        let date: Date
        let name: String
    }

    /// The history's valid lines in file order; nil when there is no history file.
    private func readHistory() -> [HistoryEntry]? {
        guard let data = FileManager.default.contents(atPath: historyPath) else { return nil }
        var entries: [HistoryEntry] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { continue }
            let time = String(decoding: line[line.startIndex..<space], as: UTF8.self)
            let name = String(decoding: line[(space + 1)...], as: UTF8.self)
            guard Self.isValidName(name), let date = try? Self.timeFormat.parse(time) else { continue }
            entries.append(HistoryEntry(date: date, name: name))
        }
        return entries
    }

    private struct Listing {
        /// All releases, newest activation first.
        var order: [String] = []
        var activatedAt: [String: Date] = [:]
        var current: String?
        /// The rollback target.
        var previous: String?
        /// Releases that pruning may remove (activated ones, or all when there is no history).
        var prunable: Set<String> = []
    }

    private func listing(_ operation: String) throws(DeployError) -> Listing {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: releasesDirectory)
                .filter { Self.isValidName($0) && Self.isDirectory(releasePath($0)) }
        } catch {
            throw DeployError(.io, "cannot list \(releasesDirectory): \(error)", operation: operation)
        }
        let existing = Set(names)
        var listing = Listing()
        var seen = Set<String>()
        if let current, existing.contains(current) {
            listing.current = current
            listing.order.append(current)
            seen.insert(current)
        }
        let history = readHistory()
        var activated: [String] = []
        for entry in (history ?? []).reversed() where existing.contains(entry.name) {
            if listing.activatedAt[entry.name] == nil { listing.activatedAt[entry.name] = entry.date }
            if seen.insert(entry.name).inserted { activated.append(entry.name) }
        }
        let rest = names.filter { !seen.contains($0) && !activated.contains($0) }
            .map { (name: $0, modified: Self.modificationTime(releasePath($0))) }
            .sorted { $0.modified != $1.modified ? $0.modified > $1.modified : $0.name > $1.name }
            .map(\.name)
        listing.order += activated + rest
        listing.previous = activated.first ?? rest.first
        listing.prunable = Set(activated)
        if history == nil { listing.prunable.formUnion(rest) }
        return listing
    }

    private func prune(_ operation: String) {
        let listing: Listing
        do {
            listing = try self.listing(operation)
        } catch {
            logger.warning("not pruning releases: \(error.message)")
            return
        }
        var kept = Set(listing.order.prefix(keep))
        if let current = listing.current { kept.insert(current) }
        if let previous = listing.previous { kept.insert(previous) }
        for name in listing.order where listing.prunable.contains(name) && !kept.contains(name) {
            // Move it out of releases/ first, so a half-removed directory is never a release.
            let doomed = root + "/pruning-" + name + "-" + Self.randomSuffix()
            guard rename(releasePath(name), doomed) == 0 else {
                logger.warning("cannot prune release", metadata: ["release": "\(name)",
                                                                 "error": "\(String(cString: strerror(errno)))"])
                continue
            }
            do {
                try FileManager.default.removeItem(atPath: doomed)
                logger.info("pruned release", metadata: ["release": "\(name)"])
            } catch {
                logger.warning("cannot remove pruned release", metadata: ["path": "\(doomed)", "error": "\(error)"])
            }
        }
    }

    private func cleanLeftovers(_ operation: String) throws(DeployError) {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: root)
        } catch {
            throw DeployError(.io, "cannot list \(root): \(error)", operation: operation)
        }
        for entry in entries {
            let path = root + "/" + entry
            if entry.hasPrefix("current.tmp-") {
                var status = stat()
                guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { continue }
                if unlink(path) == 0 {
                    logger.notice("removed a leftover temporary symlink", metadata: ["path": "\(path)"])
                } else {
                    logger.warning("cannot remove a leftover temporary symlink", metadata: ["path": "\(path)"])
                }
            } else if entry.hasPrefix("pruning-") {
                do {
                    try FileManager.default.removeItem(atPath: path)
                    logger.notice("removed a half-pruned release", metadata: ["path": "\(path)"])
                } catch {
                    logger.warning("cannot remove a half-pruned release", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
        }
    }

    /// Runs `body` holding an exclusive flock(2) on `ROOT/lock` (blocking until other processes
    /// or managers release it).
    private func withLock<T>(_ operation: String, _ body: () throws(DeployError) -> T) throws(DeployError) -> T {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.ioError("open \(lockPath)", errno, operation) }
        defer { close(fd) }  // closing the descriptor releases the lock
        while flock(fd, LOCK_EX) != 0 {
            let error = errno
            if error != EINTR { throw Self.ioError("flock \(lockPath)", error, operation) }
        }
        return try body()
    }

    private static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    private static func modificationTime(_ path: String) -> Double {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        #if canImport(Darwin)
        return Double(status.st_mtimespec.tv_sec) + Double(status.st_mtimespec.tv_nsec) / 1e9
        #else
        return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        #endif
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func randomSuffix() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16)
    }

    private static func ioError(_ what: String, _ error: Int32, _ operation: String) -> DeployError {
        DeployError(.io, "\(what): \(String(cString: strerror(error)))", operation: operation)
    }
}
