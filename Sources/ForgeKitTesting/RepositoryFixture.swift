public import ForgeKit
import Foundation

/// A change a fixture commit makes to the tree of its parent.
public enum FixtureChange: Sendable, Hashable {
    /// Writes a regular file with UTF-8 text.
    case write(String, String)
    /// Writes a regular file with raw bytes (binary content).
    case writeBytes(String, [UInt8])
    /// Writes an executable file (mode 100755).
    case executable(String, String)
    /// Creates a symbolic link at the path pointing to `target` (which may lead anywhere, even outside).
    case symlink(String, target: String)
    /// Adds a submodule entry pointing at a commit id.
    case submodule(String, commit: ObjectID)
    /// Removes a file (or a whole directory).
    case delete(String)
    /// Moves a file to a new path, keeping its content and mode.
    case rename(String, to: String)
    /// Sets or clears the executable bit of an existing file.
    case chmod(String, executable: Bool)
}

/// A git repository in a temporary directory, built commit by commit for tests.
///
/// ```swift
/// let fixture = try await RepositoryFixture.make()
/// defer { fixture.remove() }
/// let first = try await fixture.build { repo in
///     try repo.commit("initial", [.write("README.md", "hello\n"), .executable("run.sh", "#!/bin/sh\n")])
/// }
/// ```
///
/// Commits get fixed authors and increasing times, so the same build gives the same ids every time.
public struct RepositoryFixture: Sendable {
    /// The temporary directory holding the repository; ``remove()`` deletes it.
    public let root: String
    /// The repository's path (its working directory, or the bare repository).
    public let path: String
    /// The opened repository.
    public let repository: GitRepository

    /// Creates an empty repository in a new temporary directory.
    public static func make(bare: Bool = false, initialBranch: String = "main") async throws -> RepositoryFixture {
        let root = try temporaryDirectory(prefix: "forgekit-fixture")
        let path = root + (bare ? "/repo.git" : "/repo")
        let repository = try await GitRepository.create(at: path, bare: bare, initialBranch: initialBranch)
        return RepositoryFixture(root: root, path: path, repository: repository)
    }

    /// Runs `body` with a builder on the repository's queue; a non-bare repository's working directory
    /// is then made to match `HEAD`.
    @discardableResult
    public func build<T: Sendable>(_ body: @escaping @Sendable (FixtureBuilder) throws -> T) async throws -> T {
        let result = try await repository.withSession { session in
            try body(FixtureBuilder(session: session))
        }
        if let workdir = repository.workingDirectory {
            if case .unborn = try await repository.head() { return result }
            try await repository.checkout("HEAD", into: workdir)
        }
        return result
    }

    /// Deletes the temporary directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Makes a new empty temporary directory (mode 0711) and returns its path.
    public static func temporaryDirectory(prefix: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else {
            throw ForgeError(.io, "cannot create a temporary directory in \(base)", operation: "fixture")
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Searchable (not readable) by others, as a data folder is: a sandbox's own user must reach
        // the workspaces made inside.
        chmod(path, 0o711)
        return path
    }
}

/// Builds commits, branches, merges and tags in a fixture repository; used inside ``RepositoryFixture/build(_:)``.
public final class FixtureBuilder {
    /// The session the builder writes through.
    public let session: GitSession
    /// The author and committer of the next commits; their time advances a minute per commit.
    public var author = Signature(name: "Fixture Author", email: "author@example.com", time: 1_700_000_000, timeZoneOffsetMinutes: 120)

    init(session: GitSession) {
        self.session = session
        if let latest = try? session.head().commit, let commit = try? session.commit(latest) {
            author = Signature(name: author.name, email: author.email, time: commit.committer.time, timeZoneOffsetMinutes: author.timeZoneOffsetMinutes)
        }
    }

    private struct FileEntry: Hashable {
        var mode: FileMode
        var id: ObjectID
    }

    /// Commits `changes` on top of `branch` (created if new) and moves the branch; returns the commit id.
    @discardableResult
    public func commit(_ message: String, on branch: String = "main", _ changes: [FixtureChange] = [], time: Int64? = nil) throws -> ObjectID {
        let parent = try tip(branch)
        let id = try commit(message, parents: parent.map { [$0] } ?? [], changes, time: time)
        try session.updateReference("refs/heads/" + branch, to: id)
        return id
    }

    /// Commits with explicit parents (the first parent's tree plus `changes`) without moving any branch.
    @discardableResult
    public func commit(_ message: String, parents: [ObjectID], _ changes: [FixtureChange], time: Int64? = nil) throws -> ObjectID {
        var files = try files(of: parents.first)
        try apply(changes, to: &files)
        let tree = try writeTree(files)
        return try makeCommit(message, tree: tree, parents: parents, time: time)
    }

    /// Merges branch `from` into branch `into` with a merge commit: the changes `from` made since the
    /// merge base are applied over `into` (its side wins where both changed a file), then `changes`.
    @discardableResult
    public func merge(_ from: String, into: String = "main", message: String? = nil, _ changes: [FixtureChange] = []) throws -> ObjectID {
        guard let ours = try tip(into), let theirs = try tip(from) else {
            throw ForgeError(.notFound, "both branches must exist to merge", operation: "fixture merge")
        }
        let base = try session.mergeBases(ours, theirs).first
        var files = try files(of: ours)
        let baseTree = try base.map { try session.commit($0).treeID }
        let theirTree = try session.commit(theirs).treeID
        for change in try session.changes(fromTree: baseTree, toTree: theirTree) {
            let path = change.path
            if let newID = change.newID, let mode = change.newMode {
                files[path] = FileEntry(mode: mode, id: newID)
            } else {
                files[path] = nil
            }
        }
        try apply(changes, to: &files)
        let id = try makeCommit(message ?? "Merge branch '\(from)' into \(into)", tree: try writeTree(files), parents: [ours, theirs], time: nil)
        try session.updateReference("refs/heads/" + into, to: id)
        return id
    }

    /// Creates or moves a branch to a commit.
    public func branch(_ name: String, at commit: ObjectID) throws {
        try session.updateReference("refs/heads/" + name, to: commit)
    }

    /// Creates a tag: lightweight, or annotated when a message is given.
    public func tag(_ name: String, at commit: ObjectID, message: String? = nil) throws {
        if let message {
            let tag = try session.writeTag(name: name, target: commit, tagger: nextSignature(), message: message.hasSuffix("\n") ? message : message + "\n")
            try session.updateReference("refs/tags/" + name, to: tag)
        } else {
            try session.updateReference("refs/tags/" + name, to: commit)
        }
    }

    /// Points `HEAD` at a branch.
    public func setHead(_ branch: String) throws {
        try session.setHead("refs/heads/" + branch)
    }

    /// The commit a branch points at, or nil if it does not exist.
    public func tip(_ branch: String) throws -> ObjectID? {
        do {
            return try session.resolveCommit("refs/heads/" + branch)
        } catch let error where error.code == .notFound {
            return nil
        }
    }

    /// Stores a blob as a loose object and returns its id.
    public func blob(_ text: String) throws -> ObjectID {
        try session.writeBlob(Array(text.utf8))
    }

    /// Overwrites the loose object file of `id` with bytes that do not inflate, to test damage handling.
    public func corrupt(_ id: ObjectID) throws {
        let hex = id.hex
        let file = session.gitDirectory + "objects/" + hex.prefix(2) + "/" + hex.dropFirst(2)
        guard FileManager.default.fileExists(atPath: file) else {
            throw ForgeError(.notFound, "object \(hex) is not stored as a loose object", operation: "fixture corrupt")
        }
        try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        try Data("this is not a zlib stream".utf8).write(to: URL(fileURLWithPath: file))
    }

    // MARK: Internals

    private func nextSignature(_ time: Int64? = nil) -> Signature {
        let next = time ?? author.time + 60
        author = Signature(name: author.name, email: author.email, time: next, timeZoneOffsetMinutes: author.timeZoneOffsetMinutes)
        return author
    }

    private func makeCommit(_ message: String, tree: ObjectID, parents: [ObjectID], time: Int64?) throws -> ObjectID {
        let signature = nextSignature(time)
        let text = message.hasSuffix("\n") ? message : message + "\n"
        return try session.writeCommit(tree: tree, parents: parents, author: signature, committer: signature, message: text)
    }

    private func files(of commit: ObjectID?) throws -> [String: FileEntry] {
        guard let commit else { return [:] }
        var files: [String: FileEntry] = [:]
        for entry in try session.tree(at: commit.hex, recursive: true) where entry.mode != .tree {
            files[entry.path] = FileEntry(mode: entry.mode, id: entry.id)
        }
        return files
    }

    /// Makes room for a file at `path`: a file standing where one of its directories goes, or a
    /// directory standing where the file goes, is removed (as `git add` of the new layout would).
    private func clear(_ path: String, in files: inout [String: FileEntry]) {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += (prefix.isEmpty ? "" : "/") + component
            files[prefix] = nil
        }
        for key in files.keys where key.hasPrefix(path + "/") { files[key] = nil }
    }

    private func apply(_ changes: [FixtureChange], to files: inout [String: FileEntry]) throws {
        for change in changes {
            switch change {
            case .write(let path, _), .writeBytes(let path, _), .executable(let path, _), .symlink(let path, _), .submodule(let path, _):
                clear(path, in: &files)
            case .rename(_, let to):
                clear(to, in: &files)
            case .delete, .chmod:
                break
            }
            switch change {
            case .write(let path, let text):
                files[path] = FileEntry(mode: .regular, id: try session.writeBlob(Array(text.utf8)))
            case .writeBytes(let path, let bytes):
                files[path] = FileEntry(mode: .regular, id: try session.writeBlob(bytes))
            case .executable(let path, let text):
                files[path] = FileEntry(mode: .executable, id: try session.writeBlob(Array(text.utf8)))
            case .symlink(let path, let target):
                files[path] = FileEntry(mode: .symlink, id: try session.writeBlob(Array(target.utf8)))
            case .submodule(let path, let commit):
                files[path] = FileEntry(mode: .gitlink, id: commit)
            case .delete(let path):
                if files.removeValue(forKey: path) == nil {
                    let prefix = path + "/"
                    let doomed = files.keys.filter { $0.hasPrefix(prefix) }
                    guard !doomed.isEmpty else {
                        throw ForgeError(.notFound, "no file '\(path)' to delete", operation: "fixture commit")
                    }
                    for key in doomed { files[key] = nil }
                }
            case .rename(let from, let to):
                guard let entry = files.removeValue(forKey: from) else {
                    throw ForgeError(.notFound, "no file '\(from)' to rename", operation: "fixture commit")
                }
                files[to] = entry
            case .chmod(let path, let executable):
                guard var entry = files[path], entry.mode == .regular || entry.mode == .executable else {
                    throw ForgeError(.notFound, "no file '\(path)' to chmod", operation: "fixture commit")
                }
                entry.mode = executable ? .executable : .regular
                files[path] = entry
            }
        }
    }

    /// Writes nested trees for a flat path map.
    private func writeTree(_ files: [String: FileEntry]) throws -> ObjectID {
        var direct: [TreeEntryInput] = []
        var nested: [String: [String: FileEntry]] = [:]
        for (path, entry) in files {
            if let slash = path.firstIndex(of: "/") {
                let head = String(path[..<slash])
                nested[head, default: [:]][String(path[path.index(after: slash)...])] = entry
            } else {
                direct.append(TreeEntryInput(name: path, mode: entry.mode, id: entry.id))
            }
        }
        for (name, children) in nested {
            direct.append(TreeEntryInput(name: name, mode: .tree, id: try writeTree(children)))
        }
        return try session.writeTree(direct)
    }
}
