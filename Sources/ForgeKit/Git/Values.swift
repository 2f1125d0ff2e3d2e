/// A person and a moment, as git records an author or a committer.
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    /// The name, as recorded.
    public let name: String
    /// The e-mail address, without the angle brackets.
    public let email: String
    /// Seconds since 1970-01-01 00:00 UTC.
    public let time: Int64
    /// The time zone offset from UTC in minutes, as recorded (`+0200` is 120).
    public let timeZoneOffsetMinutes: Int

    /// Creates a signature.
    public init(name: String, email: String, time: Int64, timeZoneOffsetMinutes: Int = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
    }

    /// The offset as git writes it, such as `+0200` or `-0530`.
    public var timeZone: String {
        let sign = timeZoneOffsetMinutes < 0 ? "-" : "+"
        let minutes = abs(timeZoneOffsetMinutes)
        let hours = minutes / 60, rest = minutes % 60
        return sign + (hours < 10 ? "0" : "") + String(hours) + (rest < 10 ? "0" : "") + String(rest)
    }

    public var description: String { "\(name) <\(email)> \(time) \(timeZone)" }
}

/// A commit, read from a repository: a Sendable snapshot of its header and message.
public struct Commit: Hashable, Sendable, Identifiable {
    /// The commit's object id.
    public let id: ObjectID
    /// The id of its root tree.
    public let treeID: ObjectID
    /// Its parents, first parent first; empty for a root commit.
    public let parentIDs: [ObjectID]
    /// Who wrote the change.
    public let author: Signature
    /// Who made the commit.
    public let committer: Signature
    /// The whole message, as recorded (decoded as UTF-8; invalid bytes become U+FFFD).
    public let message: String

    /// Creates a commit value.
    public init(id: ObjectID, treeID: ObjectID, parentIDs: [ObjectID], author: Signature, committer: Signature, message: String) {
        self.id = id
        self.treeID = treeID
        self.parentIDs = parentIDs
        self.author = author
        self.committer = committer
        self.message = message
    }

    /// The subject line as `git log --format=%s` prints it: the first paragraph, its lines joined by spaces.
    /// Reads lines only up to the end of the first paragraph (a long message is not split whole:
    /// commit lists ask for the summaries of dozens of commits).
    public var summary: String {
        var lines: [Substring] = []
        var started = false
        var rest = message[...]
        while !rest.isEmpty {
            let line: Substring
            if let newline = rest.firstIndex(of: "\n") {
                line = rest[..<newline]
                rest = rest[rest.index(after: newline)...]
            } else {
                line = rest
                rest = ""
            }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if trimmed.isEmpty {
                if started { break }
                continue
            }
            started = true
            var end = line
            while let last = end.last, last == " " || last == "\t" || last == "\r" { end = end.dropLast() }
            lines.append(lines.isEmpty ? Substring(end.drop(while: { $0 == " " || $0 == "\t" })) : end)
        }
        return lines.joined(separator: " ")
    }

    /// Whether the commit has more than one parent.
    public var isMerge: Bool { parentIDs.count > 1 }
}

/// The kind of object a tree entry names.
public enum ObjectKind: String, Hashable, Sendable {
    case commit, tree, blob, tag
}

/// A tree entry's mode, as git stores it.
public enum FileMode: UInt32, Hashable, Sendable, CustomStringConvertible {
    /// A directory (`040000`).
    case tree = 0o040000
    /// A regular file (`100644`).
    case regular = 0o100644
    /// An executable file (`100755`).
    case executable = 0o100755
    /// A symbolic link (`120000`); the blob holds the link target.
    case symlink = 0o120000
    /// A submodule commit (`160000`).
    case gitlink = 0o160000

    /// Interprets a raw mode as git does: any other `100xxx` is a regular file, executable if any x bit is set.
    init?(raw: UInt32) {
        if let exact = FileMode(rawValue: raw) {
            self = exact
            return
        }
        switch raw & 0o170000 {
        case 0o100000: self = raw & 0o111 != 0 ? .executable : .regular
        case 0o040000: self = .tree
        case 0o120000: self = .symlink
        case 0o160000: self = .gitlink
        default: return nil
        }
    }

    /// The kind of object an entry with this mode names.
    public var objectKind: ObjectKind {
        switch self {
        case .tree: return .tree
        case .gitlink: return .commit
        default: return .blob
        }
    }

    /// The mode in octal, as `git ls-tree` prints it (`100644`, `040000`).
    public var description: String {
        let octal = String(rawValue, radix: 8)
        return String(repeating: "0", count: max(0, 6 - octal.count)) + octal
    }
}

/// One entry of a tree: a name, a mode and the object it names.
public struct TreeEntry: Hashable, Sendable {
    /// The entry's name within its tree.
    public let name: String
    /// The entry's path from the root of the tree that was listed.
    public let path: String
    /// The mode.
    public let mode: FileMode
    /// The object the entry names.
    public let id: ObjectID
    /// The blob's size in bytes, for blobs and symlinks when it was asked for; `nil` otherwise.
    public let size: Int?

    /// Creates a tree entry.
    public init(name: String, path: String, mode: FileMode, id: ObjectID, size: Int?) {
        self.name = name
        self.path = path
        self.mode = mode
        self.id = id
        self.size = size
    }
}

/// A reference: a branch, a tag, a remote-tracking branch or another name under `refs/`.
public struct Reference: Hashable, Sendable {
    /// What kind of reference this is, by its namespace.
    public enum Kind: String, Hashable, Sendable {
        case branch, tag, remoteBranch = "remote-branch", note, other
    }

    /// The full name, such as `refs/heads/main`.
    public let name: String
    /// The short name git shows, such as `main` or `v1.0`.
    public let shortName: String
    /// The kind, from the namespace.
    public let kind: Kind
    /// The object the reference points at, after following symbolic references.
    public let target: ObjectID
    /// For a tag, the commit it leads to (through annotated tags); for a branch, the same as ``target``.
    public let peeledTarget: ObjectID?
    /// The reference this one points to, for a symbolic reference (like `HEAD` -> `refs/heads/main`).
    public let symbolicTarget: String?

    /// Creates a reference value.
    public init(name: String, shortName: String, kind: Kind, target: ObjectID, peeledTarget: ObjectID?, symbolicTarget: String?) {
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.target = target
        self.peeledTarget = peeledTarget
        self.symbolicTarget = symbolicTarget
    }

    static func kind(of name: String) -> Kind {
        if name.hasPrefix("refs/heads/") { return .branch }
        if name.hasPrefix("refs/tags/") { return .tag }
        if name.hasPrefix("refs/remotes/") { return .remoteBranch }
        if name.hasPrefix("refs/notes/") { return .note }
        return .other
    }
}

/// What `HEAD` is.
public enum Head: Hashable, Sendable {
    /// HEAD names a branch that has commits.
    case branch(name: String, commit: ObjectID)
    /// HEAD names a branch with no commits yet (a new repository).
    case unborn(branch: String)
    /// HEAD points straight at a commit.
    case detached(commit: ObjectID)

    /// The commit HEAD points at, if any.
    public var commit: ObjectID? {
        switch self {
        case .branch(_, let commit), .detached(let commit): return commit
        case .unborn: return nil
        }
    }
}

/// A reference that moved: from ``old`` to ``new``, either being ``ObjectID/zero`` for created or deleted.
public struct ReferenceUpdate: Hashable, Sendable {
    /// The full reference name.
    public let name: String
    /// Where it pointed before, or ``ObjectID/zero`` if it did not exist.
    public let old: ObjectID
    /// Where it points now, or ``ObjectID/zero`` if it was deleted.
    public let new: ObjectID

    /// Creates an update.
    public init(name: String, old: ObjectID, new: ObjectID) {
        self.name = name
        self.old = old
        self.new = new
    }

    /// The reference did not exist before.
    public var isCreation: Bool { old.isZero }
    /// The reference no longer exists.
    public var isDeletion: Bool { new.isZero }
}
