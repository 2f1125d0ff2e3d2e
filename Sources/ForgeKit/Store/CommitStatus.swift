public import Foundation

/// The state of a commit status, as Gitea and GitHub name them.
public enum CommitStatusState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, success, error, failure, warning

    /// How bad a state is when statuses are combined (Gitea's order): error, then failure, warning,
    /// pending, success. The combined state of a commit is its worst latest status.
    var severity: Int {
        switch self {
        case .error: 4
        case .failure: 3
        case .warning: 2
        case .pending: 1
        case .success: 0
        }
    }
}

/// What a tool reports about a commit: a state under a context (`ci/lint`, `forge/build`), with a
/// description and a link to the details. Each report is kept; the newest of a context counts.
public struct NewCommitStatus: Sendable, Hashable {
    public var state: CommitStatusState
    /// Names what reported (Gitea's default is `default`); at most 255 bytes.
    public var context: String
    /// At most 1,024 bytes.
    public var description: String
    /// An http(s) URL with the details, or nil.
    public var targetURL: String?

    /// Creates a status report.
    public init(state: CommitStatusState, context: String = "default", description: String = "", targetURL: String? = nil) {
        self.state = state
        self.context = context
        self.description = description
        self.targetURL = targetURL
    }

    /// Refuses a context that is empty, too long or has control characters, a description over
    /// 1,024 bytes, and a target URL that is not http(s) (it is shown as a link).
    public func validate() throws(ForgeError) {
        guard !context.isEmpty, context.utf8.count <= 255, !context.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ForgeError(.invalidArgument, "'context' must have 1 to 255 bytes and no control characters", operation: "create commit status")
        }
        guard description.utf8.count <= 1024 else {
            throw ForgeError(.invalidArgument, "'description' has more than 1,024 bytes", operation: "create commit status")
        }
        if let targetURL, !targetURL.isEmpty {
            guard targetURL.utf8.count <= 2048, let components = URLComponents(string: targetURL),
                  let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https", components.host?.isEmpty == false else {
                throw ForgeError(.invalidArgument, "'target_url' must be an http(s) URL", operation: "create commit status")
            }
        }
    }
}

/// A stored commit status.
public struct CommitStatus: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var repositoryID: Int64
    /// The commit's full hexadecimal id.
    public var commit: String
    public var state: CommitStatusState
    public var context: String
    public var description: String
    public var targetURL: String?
    /// Who posted it; nil for the forge's own pipeline runs.
    public var creator: ForgeUser?
    /// The pipeline run it reports, for statuses the forge sets itself.
    public var runID: Int64?
    public var createdAt: Date

    /// Creates a stored status.
    public init(id: Int64, repositoryID: Int64, commit: String, state: CommitStatusState, context: String, description: String,
                targetURL: String?, creator: ForgeUser?, runID: Int64?, createdAt: Date) {
        self.id = id
        self.repositoryID = repositoryID
        self.commit = commit
        self.state = state
        self.context = context
        self.description = description
        self.targetURL = targetURL
        self.creator = creator
        self.runID = runID
        self.createdAt = createdAt
    }

    /// The newest status of each context, by context name.
    public static func latest(_ statuses: [CommitStatus]) -> [CommitStatus] {
        var newest: [String: CommitStatus] = [:]
        for status in statuses where newest[status.context].map({ $0.id < status.id }) ?? true {
            newest[status.context] = status
        }
        return newest.values.sorted { $0.context < $1.context }
    }

    /// The combined state of a commit: the worst of the newest status of each context, `pending`
    /// when there is none (as GitHub answers).
    public static func combined(_ statuses: [CommitStatus]) -> CommitStatusState {
        latest(statuses).map(\.state).max { $0.severity < $1.severity } ?? .pending
    }
}

extension CommitStatus {
    /// Whether `text` is a full hexadecimal commit id (40 characters, lower case), the only form
    /// statuses are stored under.
    public static func isCommitID(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
