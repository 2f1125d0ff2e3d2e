package import Foundation
import PlatformSupport

// What every ``ForgeMetadataStore`` checks before it writes, and how values that have no column type
// of their own (push updates, branch rules, network lists) are stored as text: one place for both
// stores, so that SQLite and PostgreSQL accept, refuse and read back exactly the same things.

extension APIToken {
    /// Checks a token's name: 1 to 100 characters, no control characters.
    package static func validate(name: String) throws(ForgeError) {
        guard !name.isEmpty, name.utf8.count <= 100, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw ForgeError(.invalidArgument, "a token's name must have 1 to 100 characters and no control characters",
                             operation: "create token")
        }
    }
}

extension RepositorySecret {
    /// Checks a secret's value: 1 byte to 64 KiB, without NUL.
    package static func validate(value: String) throws(ForgeError) {
        guard !value.isEmpty, !value.utf8.contains(0), value.utf8.count <= 64 << 10 else {
            throw ForgeError(.invalidArgument, "a secret's value has 1 byte to 64 KiB, without NUL", operation: "set secret")
        }
    }
}

extension RepositoryWebhook {
    /// Checks a webhook's URL (``validate(url:)``) and secret (1 to 1,024 bytes when given).
    package static func validate(url: String, secret: String?, operation: String) throws(ForgeError) {
        try validate(url: url)
        if let secret, secret.isEmpty || secret.utf8.count > 1024 {
            throw ForgeError(.invalidArgument, "a webhook secret must have 1 to 1,024 bytes", operation: operation)
        }
    }
}

extension PullReview {
    /// Checks a review before it is stored: its body, the commit it was made on and its line comments.
    package static func validate(body: String, commit: String, comments: [NewPullComment]) throws(ForgeError) {
        guard body.utf8.count <= 64 << 10 else { throw ForgeError(.invalidArgument, "'body' has more than 64 KiB", operation: "review") }
        guard CommitStatus.isCommitID(commit) else { throw ForgeError(.invalidArgument, "'commit_id' must be a full commit id", operation: "review") }
        for comment in comments { try comment.validate() }
    }
}

extension PullRequest {
    /// Checks an edit and names the event it records: `edited`, `closed` or `reopened`.
    package static func editAction(title: String, body: String, from current: PullRequestState?, to state: PullRequestState) throws(ForgeError) -> String {
        try NewPullRequest.validate(title: title, body: body)
        guard state != .merged else { throw ForgeError(.invalidArgument, "a pull request is merged by merging it", operation: "edit pull request") }
        return state == current ? "edited" : state == .closed ? "closed" : "reopened"
    }
}

extension NewCommitStatus {
    /// Checks a status of `commit` (a full id) and returns its target URL as stored (nil for none or empty).
    package func checked(commit: String) throws(ForgeError) -> String? {
        guard CommitStatus.isCommitID(commit) else {
            throw ForgeError(.invalidArgument, "'\(commit.prefix(80))' is not a full commit id", operation: "create commit status")
        }
        try validate()
        return targetURL.flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension CommitStatus {
    /// The commits a lookup of latest statuses asks for: full ids only, each once, at most 500.
    package static func lookupCommits(_ commits: [String]) -> [String] {
        Array(Set(commits.filter(isCommitID)).prefix(500))
    }
}

extension BranchProtection {
    /// The rule as stored: JSON.
    package func storedText() throws(ForgeError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        } catch {
            throw ForgeError(.invalidArgument, "the rule cannot be stored: \(error)", operation: "protect branch")
        }
    }

    /// A rule read back from its stored JSON.
    package init(storedText text: String) throws(ForgeError) {
        do {
            self = try JSONDecoder().decode(BranchProtection.self, from: Data(text.utf8))
        } catch {
            throw ForgeError(.corrupt, "a stored branch rule cannot be read: \(error)", operation: "read protected branches")
        }
    }
}

extension RepositoryRecord {
    /// The columns a repository is read from that need checking: its kind, allowed networks
    /// (space-separated CIDRs) and pipeline network.
    package static func storedFields(kind kindText: String, networks networkText: String,
                                     pipelineNetwork pipelineText: String) throws(ForgeError) -> (RepositoryKind, [CIDR], PipelineNetwork) {
        guard let kind = RepositoryKind(rawValue: kindText) else {
            throw ForgeError(.corrupt, "unknown repository kind '\(kindText)'", operation: "read repository")
        }
        var networks: [CIDR] = []
        for part in networkText.split(separator: " ") {
            do { networks.append(try CIDR(String(part))) } catch {
                throw ForgeError(.corrupt, "a stored network '\(part)' cannot be read: \(error)", operation: "read repository")
            }
        }
        guard let network = PipelineNetwork(rawValue: pipelineText) else {
            throw ForgeError(.corrupt, "unknown pipeline network '\(pipelineText)'", operation: "read repository")
        }
        return (kind, networks, network)
    }

    /// The allowed networks as stored.
    package var storedNetworks: String { allowedNetworks.map(\.description).joined(separator: " ") }
}

extension PermissionFacts {
    /// The facts of every repository for `user` from their direct grants (by repository id) and their
    /// group grants (by lower-cased group path): what a listing needs, in one pass.
    package static func listing(_ repositories: [RepositoryRecord], user: ForgeUser?, direct: [Int64: AccessLevel],
                                byGroup: [String: AccessLevel]) -> [PermissionFacts] {
        repositories.map { repository in
            guard let user else { return PermissionFacts(repository: repository, user: nil, repositoryLevel: nil, groupLevels: []) }
            return PermissionFacts(repository: repository, user: user, repositoryLevel: direct[repository.id],
                                   groupLevels: repository.path.ancestors.map { byGroup[$0.description.lowercased()] })
        }
    }
}

extension PushEvent {
    /// The updates as stored: one line per update, `OLD NEW NAME`, a name's line breaks, control
    /// characters and `%` percent-escaped (a Mercurial bookmark may be named anything).
    package var storedUpdates: String {
        updates.map { "\($0.old.hex) \($0.new.hex) \(Self.escapedReference($0.name))" }.joined(separator: "\n")
    }

    /// Updates read back from ``storedUpdates``; `corrupt` naming push `pushID` when a line is malformed.
    package static func updates(stored text: String, pushID: Int64) throws(ForgeError) -> [ReferenceUpdate] {
        var updates: [ReferenceUpdate] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, let old = ObjectID(hex: String(fields[0])), let new = ObjectID(hex: String(fields[1])) else {
                throw ForgeError(.corrupt, "push \(pushID) has a malformed update", operation: "read pushes")
            }
            updates.append(ReferenceUpdate(name: String(fields[2]).removingPercentEncoding ?? String(fields[2]), old: old, new: new))
        }
        return updates
    }

    private static func escapedReference(_ name: String) -> String {
        var bytes: [UInt8] = []
        for byte in name.utf8 {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "%") {
                bytes += Array("%".utf8) + Array(Hex.encode([byte]).uppercased().utf8)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension WebhookDeliveryRecord.State {
    /// The state an attempt leaves a delivery in.
    package static func after(delivered: Bool, retryAt: Date?) -> Self {
        delivered ? .delivered : (retryAt == nil ? .failed : .pending)
    }
}
