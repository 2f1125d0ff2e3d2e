public import Foundation
import Crypto
import PlatformSupport

/// The version control system of a hosted repository.
public enum RepositoryKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A bare Git repository, served by `git http-backend`, read through libgit2.
    case git
    /// A Mercurial repository (without a working copy), served by hgweb, read through the command server.
    case hg
}

/// What a person may do with a repository: Kallithea's permission levels, in increasing order.
public enum AccessLevel: Int, Sendable, Hashable, Comparable, Codable, CaseIterable, CustomStringConvertible {
    /// Nothing; the repository is not even listed.
    case none = 0
    /// Browse, clone and pull.
    case read = 1
    /// Everything `read` allows, and push.
    case write = 2
    /// Everything `write` allows, and change the repository's settings, permissions and hooks, rename and delete it.
    case admin = 3

    public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `none`, `read`, `write` or `admin`.
    public var description: String {
        switch self {
        case .none: "none"
        case .read: "read"
        case .write: "write"
        case .admin: "admin"
        }
    }

    /// Parses `none`, `read`, `write` or `admin` (as ``description`` writes them).
    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = level
    }
}

/// A person (or a robot) with an account on the forge.
public struct ForgeUser: Sendable, Hashable, Codable, Identifiable {
    /// The user's database id.
    public let id: Int64
    /// The sign-in name: 1 to 64 characters from `A–Z a–z 0–9 . _ -`, unique regardless of case.
    public var name: String
    /// An e-mail address, shown on commits' authors and used for nothing else.
    public var email: String
    /// Whether the user is a global administrator (admin on every repository and group).
    public var isAdmin: Bool
    /// Whether the user may sign in; a disabled user's passwords and tokens stop working.
    public var isActive: Bool
    /// When the account was created.
    public var createdAt: Date
    /// Set when this value was authenticated by an API token: the most the request may do. nil for
    /// a password or a browser session (the user's full rights).
    public var tokenScope: TokenScope?

    /// Creates a user value (the store assigns ids; use ``ForgeMetadataStore/createUser(_:)``).
    public init(id: Int64, name: String, email: String, isAdmin: Bool, isActive: Bool, createdAt: Date) {
        self.id = id
        self.name = name
        self.email = email
        self.isAdmin = isAdmin
        self.isActive = isActive
        self.createdAt = createdAt
    }

    /// Checks a user name: 1 to 64 characters from `A–Z a–z 0–9 . _ -`, not starting with `.` or `-`.
    ///
    /// - Throws: ``ForgeError`` with code `invalidArgument`.
    public static func validate(name: String) throws(ForgeError) {
        let valid = !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        guard valid else {
            throw ForgeError(.invalidArgument,
                             "'\(String(name.prefix(64)).debugDescriptionEscaped)' is not a valid user name (1–64 letters, digits, '.', '_' or '-', not starting with '.' or '-')",
                             operation: "validate user name")
        }
    }
}

/// What a new user is made of.
public struct NewUser: Sendable {
    /// The sign-in name (see ``ForgeUser/validate(name:)``).
    public var name: String
    /// The e-mail address.
    public var email: String
    /// The password, at least 8 characters; nil for an account that signs in with tokens only.
    public var password: String?
    /// Whether the user is a global administrator.
    public var isAdmin: Bool

    /// Creates the description of a new user.
    public init(name: String, email: String = "", password: String?, isAdmin: Bool = false) {
        self.name = name
        self.email = email
        self.password = password
        self.isAdmin = isAdmin
    }
}

/// What an API token may do, as Gitea's and GitHub's token scopes: each includes the ones before it.
public enum TokenScope: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Read what the user can read (GET requests, clone and fetch).
    case read
    /// Also change what the user can write: push, create and edit repositories, deployments, runs.
    case write
    /// Also what needs admin rights: repository settings, permissions, webhooks, users (for site admins).
    case admin

    /// The highest repository level a request with this scope gets.
    public var ceiling: AccessLevel {
        switch self {
        case .read: .read
        case .write: .write
        case .admin: .admin
        }
    }

    public static func < (lhs: TokenScope, rhs: TokenScope) -> Bool {
        lhs.ceiling < rhs.ceiling
    }
}

/// An API token's description (the token itself is shown once, when it is created, and stored only as a digest).
public struct APIToken: Sendable, Hashable, Codable, Identifiable {
    /// The token's database id.
    public let id: Int64
    /// The user the token acts as.
    public let userID: Int64
    /// A label chosen by its owner (`ci`, `laptop`).
    public let name: String
    /// When it was created.
    public let createdAt: Date
    /// When it last authenticated a request, to the minute; nil when never.
    public let lastUsedAt: Date?
    /// What it may do.
    public let scope: TokenScope

    /// Creates a token description.
    public init(id: Int64, userID: Int64, name: String, createdAt: Date, lastUsedAt: Date?, scope: TokenScope = .admin) {
        self.id = id
        self.userID = userID
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.scope = scope
    }
}

/// A repository group: a folder of repositories and other groups, with its own permissions that the
/// repositories inside inherit.
public struct RepositoryGroup: Sendable, Hashable, Codable, Identifiable {
    /// The group's database id.
    public let id: Int64
    /// The group's path (`team`, `team/tools`).
    public let path: RepositoryPath
    /// A free-text description.
    public var description: String
    /// When it was created.
    public let createdAt: Date

    /// Creates a group value.
    public init(id: Int64, path: RepositoryPath, description: String, createdAt: Date) {
        self.id = id
        self.path = path
        self.description = description
        self.createdAt = createdAt
    }
}

/// A hosted repository's metadata.
public struct RepositoryRecord: Sendable, Hashable, Codable, Identifiable {
    /// The repository's database id; it survives renames.
    public let id: Int64
    /// Its path, which is also its clone URL's path and its folder under the store's root.
    public var path: RepositoryPath
    /// Git or Mercurial.
    public let kind: RepositoryKind
    /// Whether only users with a permission may see it; a public repository is readable by anyone, signed in or not.
    public var isPrivate: Bool
    /// A free-text description.
    public var description: String
    /// The user who created it (admin on it), if that user still exists.
    public var ownerID: Int64?
    /// The repository it was forked from, if that one still exists.
    public var forkOf: Int64?
    /// When set, only callers from these networks may use the repository at all (an IP allow-list).
    public var allowedNetworks: [CIDR]
    /// When it was created.
    public let createdAt: Date
    /// The network its pipelines' commands reach; only site admins change it
    /// (``ForgeMetadataStore/setPipelineNetwork(repositoryID:_:)``).
    public internal(set) var pipelineNetwork: PipelineNetwork

    /// Creates a repository value.
    public init(id: Int64, path: RepositoryPath, kind: RepositoryKind, isPrivate: Bool, description: String,
                ownerID: Int64?, forkOf: Int64?, allowedNetworks: [CIDR], createdAt: Date, pipelineNetwork: PipelineNetwork = .none) {
        self.id = id
        self.path = path
        self.kind = kind
        self.isPrivate = isPrivate
        self.description = description
        self.ownerID = ownerID
        self.forkOf = forkOf
        self.allowedNetworks = allowedNetworks
        self.createdAt = createdAt
        self.pipelineNetwork = pipelineNetwork
    }
}

/// The network a repository's pipeline commands reach from their sandbox.
public enum PipelineNetwork: String, Sendable, Hashable, Codable, CaseIterable {
    /// None: an empty network namespace (the default).
    case none
    /// The host's network.
    case host
}

/// A secret of a repository's pipelines: a variable its commands get, masked in logs. Its value is
/// never shown again once stored.
public struct RepositorySecret: Sendable, Hashable {
    /// The variable's name.
    public var name: String
    /// When it was last set.
    public var updatedAt: Date

    /// Creates a secret's description.
    public init(name: String, updatedAt: Date) {
        self.name = name
        self.updatedAt = updatedAt
    }

    /// Checks a secret's name: a shell variable name (`[A-Za-z_][A-Za-z0-9_]*`, at most 100
    /// characters) that is not one the forge sets itself (`PATH`, `HOME`, `LANG`, and the `SOURCE_`,
    /// `PIPELINE_`, `PARENT_` and `DEPLOY_` families).
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` saying what is wrong.
    public static func validate(name: String) throws(ForgeError) {
        let operation = "set secret"
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 100 else {
            throw ForgeError(.invalidArgument, "a secret's name has 1 to 100 characters", operation: operation)
        }
        func isLetter(_ byte: UInt8) -> Bool { (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F }
        guard isLetter(first), bytes.allSatisfy({ isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }) else {
            throw ForgeError(.invalidArgument, "'\(name)' is not a variable name (letters, digits and _, not starting with a digit)",
                             operation: operation)
        }
        let upper = name.uppercased()
        guard !["PATH", "HOME", "LANG"].contains(upper),
              !["SOURCE_", "PIPELINE_", "PARENT_", "DEPLOY_"].contains(where: { upper.hasPrefix($0) }) else {
            throw ForgeError(.invalidArgument, "'\(name)' is a variable the forge sets itself", operation: operation)
        }
    }
}

extension CIDR: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try CIDR(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The permissions that bear on one user and one repository, as the store found them; ``effectiveLevel``
/// combines them by Kallithea's rules.
public struct PermissionFacts: Sendable, Hashable {
    /// The repository.
    public var repository: RepositoryRecord
    /// The user, or nil for an anonymous caller.
    public var user: ForgeUser?
    /// The level granted to the user on the repository itself.
    public var repositoryLevel: AccessLevel?
    /// The levels granted to the user on each enclosing group, outermost first (nil where none is granted).
    public var groupLevels: [AccessLevel?]

    /// Creates the facts.
    public init(repository: RepositoryRecord, user: ForgeUser?, repositoryLevel: AccessLevel?, groupLevels: [AccessLevel?]) {
        self.repository = repository
        self.user = user
        self.repositoryLevel = repositoryLevel
        self.groupLevels = groupLevels
    }

    /// The level the user has, calling from `address` (nil when unknown):
    ///
    /// 1. A repository with an allow-list gives `none` to a caller outside it (or of unknown address).
    /// 2. A global administrator, and the repository's owner, have `admin`.
    /// 3. A level granted on the repository wins; else the one granted on the nearest enclosing group.
    /// 4. A public repository gives at least `read` to everyone, anonymous callers included.
    /// 5. A disabled user counts as anonymous.
    /// 6. A token's scope caps the result (``ForgeUser/tokenScope``).
    public func effectiveLevel(from address: IPAddress?) -> AccessLevel {
        let level = uncappedLevel(from: address)
        guard let scope = user?.tokenScope else { return level }
        return min(level, scope.ceiling)
    }

    private func uncappedLevel(from address: IPAddress?) -> AccessLevel {
        if !repository.allowedNetworks.isEmpty {
            guard let address, repository.allowedNetworks.contains(where: { $0.contains(address) }) else { return .none }
        }
        let floor: AccessLevel = repository.isPrivate ? .none : .read
        guard let user, user.isActive else { return floor }
        if user.isAdmin || repository.ownerID == user.id { return .admin }
        if let repositoryLevel { return max(repositoryLevel, floor) }
        if let nearest = groupLevels.last(where: { $0 != nil }) ?? nil { return max(nearest, floor) }
        return floor
    }
}

/// Something that happened to the forge's repositories.
public enum ForgeEvent: Sendable, Hashable {
    /// References were pushed (Kallithea's PUSH_HOOK).
    case push(PushEvent)
    /// A repository was created (or forked).
    case repositoryCreated(RepositoryRecord)
    /// A repository was deleted.
    case repositoryDeleted(RepositoryRecord)
}

/// A push: which references moved in which repository, and who pushed.
public struct PushEvent: Sendable, Hashable {
    /// The repository pushed to.
    public var repository: RepositoryRecord
    /// The user who pushed (nil when the server accepted an anonymous push).
    public var pusher: String?
    /// The references that changed, in the order the server applied them (``ObjectID/zero`` stands
    /// for a reference that did not exist before, or no longer exists). Mercurial pushes are reported
    /// as `refs/heads/BRANCH` for named branches' new heads and `refs/bookmarks/NAME` for bookmarks.
    public var updates: [ReferenceUpdate]
    /// When the push ended.
    public var date: Date

    /// Creates a push event.
    public init(repository: RepositoryRecord, pusher: String?, updates: [ReferenceUpdate], date: Date) {
        self.repository = repository
        self.pusher = pusher
        self.updates = updates
        self.date = date
    }
}

/// A push as the forge's outbox keeps it: recorded before the client is told the push succeeded,
/// numbered in the order pushes were recorded.
public struct StoredPush: Sendable, Hashable {
    /// Its number in the outbox (increasing).
    public var id: Int64
    /// The push, with the repository as it is now (renames followed by id).
    public var event: PushEvent

    /// Creates a stored push.
    public init(id: Int64, event: PushEvent) {
        self.id = id
        self.event = event
    }

    /// A delivery id derived from the push and one of its updates (and a webhook, for a webhook's
    /// delivery): the same every time it is derived, so that a consumer that runs again after a crash
    /// repeats the id rather than inventing one, and a receiver can de-duplicate. A UUID's text made
    /// from the SHA-256 of the repository, the push's number, the reference and its old and new ids.
    public func deliveryID(for update: ReferenceUpdate, webhookID: Int64? = nil) -> String {
        var text = "forgeworks-push\u{0}\(event.repository.id)\u{0}\(id)\u{0}\(update.name)\u{0}\(update.old.hex)\u{0}\(update.new.hex)"
        if let webhookID { text += "\u{0}webhook \(webhookID)" }
        var bytes = Array(SHA256.hash(data: Array(text.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Hex.encode(bytes)
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
