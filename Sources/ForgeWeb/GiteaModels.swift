import ForgeKit
import Foundation

// Gitea's JSON shapes (its swagger's definitions), for the routes that follow Gitea's API so that its
// clients work against the forge. Fields Gitea has and the forge has no notion of (stars, issues,
// avatars) are answered with Gitea's neutral values.

/// Gitea's time format: RFC 3339 with a numeric offset (`2026-12-05T10:00:00+00:00`), which Gitea's
/// clients parse.
func giteaTime(_ date: Date) -> String {
    let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    return giteaTime(seconds: seconds, offsetMinutes: 0)
}

func giteaTime(seconds: Int64, offsetMinutes: Int) -> String {
    var components = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: offsetMinutes * 60) ?? .gmt,
                                                                     from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    components.nanosecond = 0
    let sign = offsetMinutes < 0 ? "-" : "+"
    let offset = abs(offsetMinutes)
    func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
    return "\(String(format: "%04d", components.year ?? 1970))-\(two(components.month))-\(two(components.day))T"
        + "\(two(components.hour)):\(two(components.minute)):\(two(components.second))\(sign)\(two(offset / 60)):\(two(offset % 60))"
}

/// Gitea's `User` (plus today's `name`, `admin`, `active`).
struct GiteaUser: Encodable {
    var id: Int64
    var login: String
    var loginName: String
    var username: String
    var fullName = ""
    var email: String
    var avatarURL = ""
    var language = ""
    var isAdmin: Bool
    var lastLogin: String
    var created: String
    var restricted = false
    var active: Bool
    var prohibitLogin: Bool
    var location = ""
    var website = ""
    var description = ""
    var visibility = "public"
    var followersCount = 0
    var followingCount = 0
    var starredReposCount = 0
    // Today's fields.
    var name: String
    var admin: Bool

    /// `user` as `viewer` sees it: the e-mail address only for the user themself and site admins,
    /// a placeholder for everyone else (as Gitea does for signed-out callers and private addresses).
    init(_ user: ForgeUser, shownTo viewer: ForgeUser?) {
        id = user.id
        login = user.name
        loginName = user.name
        username = user.name
        email = viewer.map { $0.id == user.id || $0.isAdmin } == true ? user.email : user.name + "@noreply.invalid"
        isAdmin = user.isAdmin
        lastLogin = giteaTime(user.createdAt)
        created = giteaTime(user.createdAt)
        active = user.isActive
        prohibitLogin = !user.isActive
        name = user.name
        admin = user.isAdmin
    }

    /// An owner that is a group (Gitea's organization: no e-mail).
    init(group: RepositoryGroup) {
        id = -group.id
        login = group.path.description
        loginName = ""
        username = group.path.description
        fullName = group.description
        email = ""
        isAdmin = false
        lastLogin = giteaTime(group.createdAt)
        created = giteaTime(group.createdAt)
        active = true
        prohibitLogin = false
        name = group.path.description
        admin = false
    }

    enum CodingKeys: String, CodingKey {
        case id, login, username, email, language, created, restricted, active, location, website, description, visibility, name, admin
        case loginName = "login_name", fullName = "full_name", avatarURL = "avatar_url", isAdmin = "is_admin", lastLogin = "last_login"
        case prohibitLogin = "prohibit_login", followersCount = "followers_count", followingCount = "following_count"
        case starredReposCount = "starred_repos_count"
    }
}

/// Gitea's `Permission`.
struct GiteaPermission: Encodable {
    var admin: Bool
    var push: Bool
    var pull: Bool
}

/// Gitea's `Repository`, with today's fields (`type`, `permission`, `pipeline_network`) beside.
struct GiteaRepository: Encodable {
    var id: Int64
    var owner: GiteaUser?
    var name: String
    var fullName: String
    var description: String
    var empty: Bool
    var `private`: Bool
    var fork: Bool
    var template = false
    var mirror = false
    var size = 0
    var htmlURL: String
    var url: String
    var sshURL = ""
    var cloneURL: String
    var website = ""
    var starsCount = 0
    var forksCount = 0
    var watchersCount = 0
    var openIssuesCount = 0
    var defaultBranch: String
    var archived = false
    var createdAt: String
    var updatedAt: String
    var permissions: GiteaPermission
    var hasIssues = false
    var hasWiki = false
    var hasPullRequests = false
    var `internal` = false
    // Today's fields.
    var type: String
    var permission: String
    var pipelineNetwork: String

    enum CodingKeys: String, CodingKey {
        case id, owner, name, description, empty, `private`, fork, template, mirror, size, url, website, archived, permissions, `internal`
        case type, permission
        case fullName = "full_name", htmlURL = "html_url", sshURL = "ssh_url", cloneURL = "clone_url", starsCount = "stars_count"
        case forksCount = "forks_count", watchersCount = "watchers_count", openIssuesCount = "open_issues_count"
        case defaultBranch = "default_branch", createdAt = "created_at", updatedAt = "updated_at", hasIssues = "has_issues"
        case hasWiki = "has_wiki", hasPullRequests = "has_pull_requests", pipelineNetwork = "pipeline_network"
    }
}

/// Gitea's `CommitUser` / `PayloadUser`.
struct GiteaCommitUser: Encodable {
    var name: String
    var email: String
    var date: String?
    var username: String?
}

struct GiteaCommitMeta: Encodable {
    var url: String
    var sha: String
    var created: String?
}

/// Gitea's `RepoCommit` (inside `Commit`).
struct GiteaRepoCommit: Encodable {
    var url: String
    var author: GiteaCommitUser
    var committer: GiteaCommitUser
    var message: String
    var tree: GiteaCommitMeta
}

/// Gitea's `CommitAffectedFiles`.
struct GiteaAffectedFile: Encodable {
    var filename: String
    var status: String
}

/// Gitea's `Commit`.
struct GiteaCommit: Encodable {
    var url: String
    var sha: String
    var created: String
    var htmlURL: String
    var commit: GiteaRepoCommit
    @NullEncoded var author: GiteaUser?
    @NullEncoded var committer: GiteaUser?
    var parents: [GiteaCommitMeta]
    var files: [GiteaAffectedFile]?

    enum CodingKeys: String, CodingKey { case url, sha, created, commit, author, committer, parents, files, htmlURL = "html_url" }
}

/// Gitea's `PayloadCommit` (a branch's tip).
struct GiteaPayloadCommit: Encodable {
    var id: String
    var message: String
    var url: String
    var author: GiteaCommitUser
    var committer: GiteaCommitUser
    var timestamp: String
}

/// Gitea's `Branch`.
struct GiteaBranch: Encodable {
    var name: String
    var commit: GiteaPayloadCommit
    var protected = false
    var requiredApprovals = 0
    var enableStatusCheck = false
    var statusCheckContexts: [String] = []
    var userCanPush: Bool
    var userCanMerge: Bool
    var effectiveBranchProtectionName = ""

    enum CodingKeys: String, CodingKey {
        case name, commit, protected
        case requiredApprovals = "required_approvals", enableStatusCheck = "enable_status_check", statusCheckContexts = "status_check_contexts"
        case userCanPush = "user_can_push", userCanMerge = "user_can_merge", effectiveBranchProtectionName = "effective_branch_protection_name"
    }
}

/// Gitea's `Tag`.
struct GiteaTag: Encodable {
    var name: String
    var message: String
    var id: String
    var commit: GiteaCommitMeta
    var zipballURL: String
    var tarballURL: String

    enum CodingKeys: String, CodingKey { case name, message, id, commit, zipballURL = "zipball_url", tarballURL = "tarball_url" }
}

/// Gitea's `ContentsResponse`.
struct GiteaContents: Encodable {
    struct Links: Encodable {
        var `self`: String
        var git: String
        var html: String
    }

    var name: String
    var path: String
    var sha: String
    var lastCommitSHA: String
    var type: String
    var size: Int
    @NullEncoded var encoding: String?
    @NullEncoded var content: String?
    @NullEncoded var target: String?
    var url: String
    var htmlURL: String
    var gitURL: String
    @NullEncoded var downloadURL: String?
    @NullEncoded var submoduleGitURL: String?
    var links: Links

    enum CodingKeys: String, CodingKey {
        case name, path, sha, type, size, encoding, content, target, url
        case lastCommitSHA = "last_commit_sha", htmlURL = "html_url", gitURL = "git_url", downloadURL = "download_url"
        case submoduleGitURL = "submodule_git_url", links = "_links"
    }
}

/// Gitea's `Hook`.
struct GiteaHook: Encodable {
    var id: Int64
    var type = "gitea"
    var branchFilter = ""
    var config: [String: String]
    var events: [String]
    var authorizationHeader = ""
    var active: Bool
    var updatedAt: String
    var createdAt: String
    // Today's fields.
    var url: String
    var signed: Bool

    init(_ hook: RepositoryWebhook) {
        id = hook.id
        config = ["url": hook.url, "content_type": "json", "http_method": "post"]
        events = ["push"]
        active = hook.isActive
        updatedAt = giteaTime(hook.createdAt)
        createdAt = giteaTime(hook.createdAt)
        url = hook.url
        signed = hook.secret != nil
    }

    enum CodingKeys: String, CodingKey {
        case id, type, config, events, active, url, signed
        case branchFilter = "branch_filter", authorizationHeader = "authorization_header", updatedAt = "updated_at", createdAt = "created_at"
    }
}

/// Gitea's `CreateHookOption` and `EditHookOption`.
struct GiteaHookRequest: Decodable {
    var type: String?
    var config: [String: String]?
    var events: [String]?
    var active: Bool?
}

/// Gitea's `CreateRepoOption` and `EditRepoOption`.
struct GiteaRepositoryRequest: Decodable {
    var name: String?
    var description: String?
    var `private`: Bool?
    var autoInit: Bool?
    var defaultBranch: String?
    var readme: String?

    enum CodingKeys: String, CodingKey { case name, description, `private`, readme, autoInit = "auto_init", defaultBranch = "default_branch" }
}

/// Gitea's `CreateUserOption` and `EditUserOption`.
struct GiteaUserRequest: Decodable {
    var username: String?
    var loginName: String?
    var email: String?
    var password: String?
    var admin: Bool?
    var active: Bool?
    var mustChangePassword: Bool?

    enum CodingKeys: String, CodingKey {
        case username, email, password, admin, active
        case loginName = "login_name", mustChangePassword = "must_change_password"
    }
}

/// Gitea's `SearchResults`.
struct GiteaSearchResults: Encodable {
    var ok: Bool
    var data: [GiteaRepository]
}

/// Gitea's `ServerVersion`.
struct GiteaVersion: Encodable {
    var version: String
}

/// Gitea's `CommitStatus`.
struct GiteaCommitStatus: Encodable {
    var id: Int64
    var status: String
    var targetURL: String
    var description: String
    var url: String
    var context: String
    /// Who posted it; absent for the forge's own pipeline runs.
    var creator: GiteaUser?
    var createdAt: String
    var updatedAt: String

    init(_ status: CommitStatus, base: String, viewer: ForgeUser?) {
        id = status.id
        self.status = status.state.rawValue
        targetURL = status.targetURL ?? ""
        description = status.description
        url = base + "/statuses/" + status.commit
        context = status.context
        creator = status.creator.map { GiteaUser($0, shownTo: viewer) }
        createdAt = giteaTime(status.createdAt)
        updatedAt = giteaTime(status.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, description, url, context, creator
        case targetURL = "target_url", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Gitea's `CombinedStatus`: the worst newest status of each context.
struct GiteaCombinedStatus: Encodable {
    var state: String
    var sha: String
    var totalCount: Int
    var statuses: [GiteaCommitStatus]
    var repository: GiteaRepository
    var commitURL: String
    var url: String

    enum CodingKeys: String, CodingKey {
        case state, sha, statuses, repository, url
        case totalCount = "total_count", commitURL = "commit_url"
    }
}

/// Gitea's `CreateStatusOption`.
struct GiteaStatusRequest: Decodable {
    var state: String?
    var targetURL: String?
    var description: String?
    var context: String?

    enum CodingKeys: String, CodingKey {
        case state, description, context
        case targetURL = "target_url"
    }
}

/// Gitea's `PRBranchInfo`: one side of a pull request.
struct GiteaPRBranch: Encodable {
    var label: String
    var ref: String
    var sha: String
    var repoID: Int64
    /// Null for a fork that is gone, or that the viewer cannot read.
    var repo: GiteaRepository?

    enum CodingKeys: String, CodingKey {
        case label, ref, sha, repo
        case repoID = "repo_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(label, forKey: .label)
        try container.encode(ref, forKey: .ref)
        try container.encode(sha, forKey: .sha)
        try container.encode(repoID, forKey: .repoID)
        try container.encode(repo, forKey: .repo)
    }
}

/// Gitea's `PullRequest` (a merged one is `closed` with `merged` true).
struct GiteaPullRequest: Encodable {
    var id: Int64
    var url: String
    var number: Int64
    var user: GiteaUser?
    var title: String
    var body: String
    var state: String
    var htmlURL: String
    var diffURL: String
    var patchURL: String
    var mergeable: Bool
    var merged: Bool
    var mergedAt: String?
    var mergeCommitSHA: String?
    var mergedBy: GiteaUser?
    var base: GiteaPRBranch
    var head: GiteaPRBranch
    var mergeBase: String
    var createdAt: String
    var updatedAt: String
    var closedAt: String?
    var comments = 0
    var isLocked = false

    enum CodingKeys: String, CodingKey {
        case id, url, number, user, title, body, state, mergeable, merged, base, head, comments
        case htmlURL = "html_url", diffURL = "diff_url", patchURL = "patch_url", mergedAt = "merged_at", mergeCommitSHA = "merge_commit_sha"
        case mergedBy = "merged_by", mergeBase = "merge_base", createdAt = "created_at", updatedAt = "updated_at", closedAt = "closed_at"
        case isLocked = "is_locked"
    }
}

/// Gitea's `CreatePullRequestOption` and `EditPullRequestOption`.
struct GiteaPullRequestRequest: Decodable {
    var head: String?
    var base: String?
    var title: String?
    var body: String?
    var state: String?
}

/// Gitea's `MergePullRequestOption`.
struct GiteaMergeRequest: Decodable {
    var style: String?
    var message: String?
    var title: String?
    var deleteBranch: Bool?

    enum CodingKeys: String, CodingKey {
        case style = "Do", message = "MergeMessageField", title = "MergeTitleField", deleteBranch = "delete_branch_after_merge"
    }
}

/// Gitea's `ChangedFile`.
struct GiteaChangedFile: Encodable {
    var filename: String
    var status: String
    var htmlURL: String

    enum CodingKeys: String, CodingKey {
        case filename, status
        case htmlURL = "html_url"
    }
}

/// Gitea's `Comment` (a pull request's conversation) and `PullReviewComment` (on a line of its diff).
struct GiteaComment: Encodable {
    var id: Int64
    var htmlURL: String
    var pullRequestURL: String
    var user: GiteaUser?
    var body: String
    var path: String?
    var line: Int?
    var commitID: String
    var outdated: Bool
    var reviewID: Int64?
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, user, body, path, line, outdated
        case htmlURL = "html_url", pullRequestURL = "pull_request_url", commitID = "commit_id", reviewID = "pull_request_review_id"
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Gitea's `PullReview`.
struct GiteaPullReview: Encodable {
    var id: Int64
    var user: GiteaUser?
    var body: String
    var state: String
    var commitID: String
    var stale: Bool
    var dismissed = false
    var official: Bool
    var commentsCount: Int
    var submittedAt: String
    var htmlURL: String
    var pullRequestURL: String

    enum CodingKeys: String, CodingKey {
        case id, user, body, state, stale, dismissed, official
        case commitID = "commit_id", commentsCount = "comments_count", submittedAt = "submitted_at", htmlURL = "html_url"
        case pullRequestURL = "pull_request_url"
    }
}

/// Gitea's `CreatePullReviewOptions` with its `CreatePullReviewComment`s.
struct GiteaReviewRequest: Decodable {
    struct LineComment: Decodable {
        var path: String?
        var body: String?
        var newPosition: Int?

        enum CodingKeys: String, CodingKey {
            case path, body
            case newPosition = "new_position"
        }
    }

    var body: String?
    var event: String?
    var commitID: String?
    var comments: [LineComment]?

    enum CodingKeys: String, CodingKey {
        case body, event, comments
        case commitID = "commit_id"
    }
}

/// Gitea's `CreateIssueCommentOption`.
struct GiteaCommentRequest: Decodable {
    var body: String?
}

/// Gitea's `PullReviewRequestOptions`.
struct GiteaReviewersRequest: Decodable {
    var reviewers: [String]?
}

/// Gitea's `BranchProtection`.
struct GiteaBranchProtection: Encodable {
    var branchName: String
    var ruleName: String
    var enablePush: Bool
    var enablePushWhitelist: Bool
    var pushWhitelistUsernames: [String]
    var enableStatusCheck: Bool
    var statusCheckContexts: [String]
    var requiredApprovals: Int
    var dismissStaleApprovals: Bool
    var blockOnRejectedReviews: Bool

    init(_ rule: BranchProtection) {
        branchName = rule.pattern
        ruleName = rule.pattern
        enablePush = rule.directPush != .none
        enablePushWhitelist = rule.directPush == .listed
        pushWhitelistUsernames = rule.pushAllowlist
        enableStatusCheck = !rule.statusChecks.isEmpty
        statusCheckContexts = rule.statusChecks
        requiredApprovals = rule.requiredApprovals
        dismissStaleApprovals = rule.dismissStaleApprovals
        blockOnRejectedReviews = rule.blockOnRejectedReviews
    }

    enum CodingKeys: String, CodingKey {
        case branchName = "branch_name", ruleName = "rule_name", enablePush = "enable_push", enablePushWhitelist = "enable_push_whitelist"
        case pushWhitelistUsernames = "push_whitelist_usernames", enableStatusCheck = "enable_status_check"
        case statusCheckContexts = "status_check_contexts", requiredApprovals = "required_approvals"
        case dismissStaleApprovals = "dismiss_stale_approvals", blockOnRejectedReviews = "block_on_rejected_reviews"
    }
}

/// Gitea's `CreateBranchProtectionOption` and `EditBranchProtectionOption`.
struct GiteaBranchProtectionRequest: Decodable {
    var branchName: String?
    var ruleName: String?
    var enablePush: Bool?
    var enablePushWhitelist: Bool?
    var pushWhitelistUsernames: [String]?
    var enableStatusCheck: Bool?
    var statusCheckContexts: [String]?
    var requiredApprovals: Int?
    var dismissStaleApprovals: Bool?
    var blockOnRejectedReviews: Bool?

    enum CodingKeys: String, CodingKey {
        case branchName = "branch_name", ruleName = "rule_name", enablePush = "enable_push", enablePushWhitelist = "enable_push_whitelist"
        case pushWhitelistUsernames = "push_whitelist_usernames", enableStatusCheck = "enable_status_check"
        case statusCheckContexts = "status_check_contexts", requiredApprovals = "required_approvals"
        case dismissStaleApprovals = "dismiss_stale_approvals", blockOnRejectedReviews = "block_on_rejected_reviews"
    }

    /// `rule` with these fields applied (absent ones kept).
    func applied(to rule: BranchProtection) -> BranchProtection {
        var rule = rule
        let push = enablePush ?? (rule.directPush != .none), listed = enablePushWhitelist ?? (rule.directPush == .listed)
        rule.directPush = !push ? .none : listed ? .listed : .writers
        if let names = pushWhitelistUsernames { rule.pushAllowlist = names }
        if enableStatusCheck == false { rule.statusChecks = [] } else if let contexts = statusCheckContexts { rule.statusChecks = contexts }
        if let approvals = requiredApprovals { rule.requiredApprovals = approvals }
        if let dismiss = dismissStaleApprovals { rule.dismissStaleApprovals = dismiss }
        if let block = blockOnRejectedReviews { rule.blockOnRejectedReviews = block }
        return rule
    }
}
