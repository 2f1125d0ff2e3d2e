/// A forge that sends webhooks in a format PipelineKit decodes.
///
/// Forgejo sends Gitea's payloads (with both `X-Forgejo-*` and `X-Gitea-*` headers), so it is decoded
/// as ``gitea``.
public enum WebhookProvider: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// GitHub (github.com and GitHub Enterprise Server).
    case github
    /// GitLab (gitlab.com and self-managed).
    case gitlab
    /// Gitea, and Forgejo, which sends the same format.
    case gitea

    /// The raw value (`github`, `gitlab`, `gitea`).
    public var description: String { rawValue }
}
