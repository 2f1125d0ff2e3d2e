import Crypto
public import Foundation

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
        func entry(_ commit: PayloadCommit) -> [String: Any] {
            let person: [String: Any] = ["name": commit.authorName, "email": commit.authorEmail, "username": commit.authorName]
            return ["id": commit.id, "message": commit.message, "timestamp": commit.timestampText, "url": web + "/commit/" + commit.id,
                    "distinct": true, "author": person, "committer": person,
                    "added": commit.added, "removed": commit.removed, "modified": commit.modified]
        }
        let listed = Array(commits.suffix(maximumCommits))
        let owner = repository.path.parent?.description ?? repository.path.name
        var body: [String: Any] = [
            "ref": update.name,
            "before": update.old.isZero ? zero : update.old.hex,
            "after": update.new.isZero ? zero : update.new.hex,
            "created": update.isCreation,
            "deleted": update.isDeletion,
            "forced": forced,
            "base_ref": NSNull(),
            "compare": web + "/compare/" + (update.old.isZero ? zero : update.old.hex) + "..." + (update.new.isZero ? zero : update.new.hex),
            "commits": listed.map(entry),
            "head_commit": listed.last.map(entry) ?? NSNull(),
            "repository": [
                "id": repository.id, "name": repository.path.name, "full_name": repository.path.description,
                "private": repository.isPrivate, "html_url": web, "url": web, "clone_url": web + (repository.kind == .git ? ".git" : ""),
                "description": repository.description, "fork": repository.forkOf != nil, "default_branch": "main",
                "owner": ["name": owner, "login": owner],
            ] as [String: Any],
            "pusher": ["name": event.pusher ?? "anonymous", "email": ""],
        ]
        if let pusher = event.pusher { body["sender"] = ["login": pusher] }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }
}

/// GitHub's webhook signature: `sha256=` and the lowercase hex HMAC-SHA256 of the body under the secret,
/// sent as `X-Hub-Signature-256`.
public enum WebhookSignature {
    /// The header value for `body` signed with `secret`.
    public static func sign(_ body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + Hex.encode(code)
    }
}
