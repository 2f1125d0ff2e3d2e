import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A protected branch rule of a repository: which branches it covers (a name or a glob such as
/// `release/*`), who may push to them directly, and what a pull request into them needs to be merged.
/// A protected branch is never force-pushed or deleted. Site admins get no bypass: only the rule's
/// list lets anyone push directly.
public struct BranchProtection: Sendable, Hashable, Codable {
    /// Who may push to the branches directly (changes otherwise go through pull requests).
    public enum DirectPush: String, Sendable, Hashable, Codable {
        /// Nobody.
        case none
        /// Everyone with write on the repository.
        case writers
        /// Only the users in ``pushAllowlist``.
        case listed
    }

    /// A branch name, or a glob (`*`, `?`, `[…]`).
    public var pattern: String
    public var directPush: DirectPush
    public var pushAllowlist: [String]
    /// Status contexts (globs) that must be present and successful on a pull request's head; `*`
    /// means every status present must succeed and at least one must exist. Empty: none required.
    public var statusChecks: [String]
    /// Approvals by others than the author that a merge needs.
    public var requiredApprovals: Int
    /// Whether approvals of an older head stop counting when new commits are pushed.
    public var dismissStaleApprovals: Bool
    /// Whether a reviewer's request for changes blocks the merge until they approve.
    public var blockOnRejectedReviews: Bool

    /// Creates a rule.
    public init(pattern: String, directPush: DirectPush = .none, pushAllowlist: [String] = [], statusChecks: [String] = [],
                requiredApprovals: Int = 0, dismissStaleApprovals: Bool = false, blockOnRejectedReviews: Bool = false) {
        self.pattern = pattern
        self.directPush = directPush
        self.pushAllowlist = pushAllowlist
        self.statusChecks = statusChecks
        self.requiredApprovals = requiredApprovals
        self.dismissStaleApprovals = dismissStaleApprovals
        self.blockOnRejectedReviews = blockOnRejectedReviews
    }

    /// Refuses an empty or over-long pattern (255 bytes, no control characters or spaces), more than
    /// 100 contexts or users, and approvals outside 0…50.
    public func validate() throws(ForgeError) {
        guard !pattern.isEmpty, pattern.utf8.count <= 255,
              !pattern.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            throw ForgeError(.invalidArgument, "'rule_name' must be a branch name or glob of 1 to 255 bytes without spaces", operation: "protect branch")
        }
        guard statusChecks.count <= 100, pushAllowlist.count <= 100, statusChecks.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 255 }) else {
            throw ForgeError(.invalidArgument, "'status_check_contexts' and 'push_whitelist_usernames' take up to 100 names", operation: "protect branch")
        }
        guard (0...50).contains(requiredApprovals) else {
            throw ForgeError(.invalidArgument, "'required_approvals' must be from 0 to 50", operation: "protect branch")
        }
    }

    /// Whether the rule covers `branch` (a glob matched as the shell's `case` does).
    public func matches(_ branch: String) -> Bool {
        pattern == branch || fnmatch(pattern, branch, 0) == 0
    }

    /// The rule that covers `branch`: the one naming it exactly, else the longest matching glob.
    public static func rule(for branch: String, in rules: [BranchProtection]) -> BranchProtection? {
        rules.first { $0.pattern == branch } ?? rules.filter { $0.matches(branch) }.max { $0.pattern.utf8.count < $1.pattern.utf8.count }
    }

    /// Whether `user` may push to the branches directly.
    public func allowsDirectPush(by user: String?) -> Bool {
        switch directPush {
        case .none: false
        case .writers: true
        case .listed: user.map { name in pushAllowlist.contains { $0.lowercased() == name.lowercased() } } ?? false
        }
    }

    /// Why the required statuses do not hold for a head with these newest statuses; nil when they do.
    public func missingStatuses(_ latest: [CommitStatus]) -> String? {
        for required in statusChecks {
            let matching = latest.filter { $0.context == required || fnmatch(required, $0.context, 0) == 0 }
            guard !matching.isEmpty else { return "the required status '\(required)' has not been reported" }
            if let failing = matching.first(where: { $0.state != .success }) {
                return "the required status '\(failing.context)' is \(failing.state.rawValue)"
            }
        }
        return nil
    }
}
