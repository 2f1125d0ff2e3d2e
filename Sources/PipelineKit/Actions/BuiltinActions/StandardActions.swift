public import AsyncHTTPClient
public import ForgeKit

/// The built-in actions and what they need to run.
///
/// ```swift
/// let client = HTTPClient(eventLoopGroupProvider: .singleton)   // or leave the default, HTTPClient.shared
/// var actions = ActionRegistry.standard(.init(httpClient: client, token: environment["PIPELINE_GITHUB_TOKEN"]))
/// actions.register("flake8_diff", ShellAction(command: "flake8-diff \"origin/$SOURCE_BASE_BRANCH\""))
/// // …run pipelines…
/// try await client.shutdown()                                   // the application owns its client
/// ```
public enum StandardActions {
    /// Settings of the built-in actions.
    public struct Options: Sendable {
        /// The HTTP client `pull_request_comment` sends through (to the operator's ``apiBaseURL``,
        /// trusted). Whoever created it shuts it down after the last run; the default,
        /// ``HTTPClient/shared``, lives as long as the process. (`http` goes through ``outbound``.)
        public var httpClient: HTTPClient
        /// The forge API `pull_request_comment` talks to (GitHub's; `https://HOST/api/v1` for Gitea).
        public var apiBaseURL: String
        /// The API token `pull_request_comment` sends, if any. Add it to the workspaces' masker too.
        public var token: String?
        /// The most bytes of a response body `http` keeps.
        public var responseBodyLimit: Int
        /// Where `http` requests may go (their URLs come from configurations).
        public var outbound: OutboundPolicy

        /// Creates options.
        public init(httpClient: HTTPClient = .shared, apiBaseURL: String = "https://api.github.com", token: String? = nil,
                    responseBodyLimit: Int = 1 << 20, outbound: OutboundPolicy = .standard) {
            self.httpClient = httpClient
            self.apiBaseURL = apiBaseURL
            self.token = token
            self.responseBodyLimit = responseBodyLimit
            self.outbound = outbound
        }
    }
}

extension ActionRegistry {
    /// A registry with the built-in actions: `shell` (``ShellAction``), `noop` (``NoopAction``),
    /// `mergeable` (``MergeableAction``), `http` (``HTTPAction``) and `pull_request_comment`
    /// (``PullRequestCommentAction``).
    public static func standard(_ options: StandardActions.Options = StandardActions.Options()) -> ActionRegistry {
        var registry = ActionRegistry()
        registry.register("shell", ShellAction())
        registry.register("noop", NoopAction())
        registry.register("mergeable", MergeableAction())
        registry.register("http", HTTPAction(outbound: options.outbound, bodyLimit: options.responseBodyLimit))
        registry.register("pull_request_comment",
                          PullRequestCommentAction(client: options.httpClient, baseURL: options.apiBaseURL, token: options.token))
        return registry
    }
}
