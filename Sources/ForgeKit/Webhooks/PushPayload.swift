import Crypto
public import Foundation
import PlatformSupport

/// A commit as a push payload lists it.
public struct PayloadCommit: Sendable, Hashable, Codable {
    /// The full id.
    public var id: String
    /// The whole message.
    public var message: String
    /// When it was authored.
    public var timestamp: Date
    /// The author's time-zone offset east of UTC, in minutes.
    public var timeZoneOffsetMinutes: Int
    /// The author's name.
    public var authorName: String
    /// The author's e-mail address.
    public var authorEmail: String
    /// Paths it added, removed and modified against its first parent.
    public var added: [String], removed: [String], modified: [String]

    /// Creates a commit entry.
    public init(id: String, message: String, timestamp: Date, timeZoneOffsetMinutes: Int, authorName: String, authorEmail: String,
                added: [String] = [], removed: [String] = [], modified: [String] = []) {
        self.id = id
        self.message = message
        self.timestamp = timestamp
        self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.added = added
        self.removed = removed
        self.modified = modified
    }
}

extension PayloadCommit {
    /// When it was authored, as webhooks write it: ISO 8601 in the author's offset.
    public var timestampText: String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: timeZoneOffsetMinutes * 60)
        return formatter.string(from: timestamp)
    }
}

/// GitHub's `push` webhook payload, which Gitea, Forgejo and most CI systems read: one payload per
/// moved reference, with `ref`, `before`, `after`, `created`, `deleted`, `forced`, `commits` (oldest
/// first, at most ``maximumCommits``), `head_commit`, `repository`, `pusher` and `sender`.
public enum GitHubPushPayload {
    /// The most commits a payload lists (GitHub lists at most 20 in `commits`).
    public static let maximumCommits = 20

    /// The JSON body for `update` of `event`.
    ///
    /// - Parameters:
    ///   - baseURL: The forge's public URL (`http://HOST:PORT`), for `clone_url`, `html_url` and commit URLs.
    ///   - commits: The commits the push brought to the reference, oldest first.
    ///   - forced: Whether the update was not a fast-forward.
    public static func encode(_ event: PushEvent, update: ReferenceUpdate, commits: [PayloadCommit], forced: Bool,
                              baseURL: String) -> [UInt8] {
        let repository = event.repository
        let web = baseURL + "/" + repository.path.description
        let zero = String(repeating: "0", count: 40)
        func entry(_ commit: PayloadCommit) -> Body.Commit {
            let person = Body.Person(name: commit.authorName, email: commit.authorEmail, username: commit.authorName)
            return Body.Commit(id: commit.id, message: commit.message, timestamp: commit.timestampText, url: web + "/commit/" + commit.id,
                               distinct: true, author: person, committer: person,
                               added: commit.added, removed: commit.removed, modified: commit.modified)
        }
        let listed = Array(commits.suffix(maximumCommits))
        let owner = repository.path.parent?.description ?? repository.path.name
        let before = update.old.isZero ? zero : update.old.hex, after = update.new.isZero ? zero : update.new.hex
        let body = Body(
            ref: update.name, before: before, after: after,
            created: update.isCreation, deleted: update.isDeletion, forced: forced,
            compare: web + "/compare/" + before + "..." + after,
            commits: listed.map(entry), headCommit: listed.last.map(entry),
            repository: Body.Repository(
                id: repository.id, name: repository.path.name, fullName: repository.path.description,
                private: repository.isPrivate, htmlURL: web, url: web, cloneURL: web + (repository.kind == .git ? ".git" : ""),
                description: repository.description, fork: repository.forkOf != nil, defaultBranch: "main",
                owner: Body.Owner(name: owner, login: owner)),
            pusher: Body.Pusher(name: event.pusher ?? "anonymous", email: ""),
            sender: event.pusher.map { Body.Sender(login: $0) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans only: encoding cannot fail.
        return Array((try? encoder.encode(body)) ?? Data("{}".utf8))
    }

    /// The payload's shape.
    private struct Body: Encodable {
        struct Person: Encodable { var name, email, username: String }
        struct Commit: Encodable {
            var id, message, timestamp, url: String
            var distinct: Bool
            var author, committer: Person
            var added, removed, modified: [String]
        }
        struct Owner: Encodable { var name, login: String }
        struct Repository: Encodable {
            var id: Int64
            var name, fullName: String
            var `private`: Bool
            var htmlURL, url, cloneURL, description: String
            var fork: Bool
            var defaultBranch: String
            var owner: Owner

            enum CodingKeys: String, CodingKey {
                case id, name, `private`, url, description, fork, owner
                case fullName = "full_name", htmlURL = "html_url", cloneURL = "clone_url", defaultBranch = "default_branch"
            }
        }
        struct Pusher: Encodable { var name, email: String }
        struct Sender: Encodable { var login: String }

        var ref, before, after: String
        var created, deleted, forced: Bool
        var compare: String
        var commits: [Commit]
        var headCommit: Commit?
        var repository: Repository
        var pusher: Pusher
        var sender: Sender?

        enum CodingKeys: String, CodingKey {
            case ref, before, after, created, deleted, forced, compare, commits, repository, pusher, sender
            case baseRef = "base_ref", headCommit = "head_commit"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ref, forKey: .ref)
            try container.encode(before, forKey: .before)
            try container.encode(after, forKey: .after)
            try container.encode(created, forKey: .created)
            try container.encode(deleted, forKey: .deleted)
            try container.encode(forced, forKey: .forced)
            try container.encodeNil(forKey: .baseRef)
            try container.encode(compare, forKey: .compare)
            try container.encode(commits, forKey: .commits)
            try container.encode(headCommit, forKey: .headCommit)
            try container.encode(repository, forKey: .repository)
            try container.encode(pusher, forKey: .pusher)
            try container.encodeIfPresent(sender, forKey: .sender)
        }
    }
}

/// GitHub's webhook signature: `sha256=` and the lowercase hex HMAC-SHA256 of the body under the secret,
/// sent as `X-Hub-Signature-256`.
public enum WebhookSignature {
    /// The header value for `body` signed with `secret`.
    public static func sign(_ body: [UInt8], secret: String) -> String {
        HMACSignature.github(body: body, secret: Array(secret.utf8))
    }
}
