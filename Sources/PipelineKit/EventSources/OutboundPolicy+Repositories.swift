import ForgeKit

extension OutboundPolicy {
    /// The proxy to fetch a repository at `location` through when a user supplied it: nil for a path
    /// on this machine (whether those are allowed is decided elsewhere), the policy's proxy for an
    /// http(s) URL once the URL passed the policy.
    ///
    /// - Throws: ``PipelineError/Code/invalidEvent`` when the URL is refused (saying why) or is not
    ///   http(s) (`ssh://` and `git://` cannot be checked, so repositories that users name are fetched
    ///   over HTTP only).
    func repositoryProxy(for location: String, operation: String) async throws(PipelineError) -> String? {
        let remote = RemoteLocation(location)
        guard !RepositoryConfigurationReader.isLocal(remote.location) else { return nil }
        let lowered = remote.location.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw PipelineError(.invalidEvent, "\(remote.display) is not an http(s) URL; repositories that users name are fetched over HTTP(S) only",
                                operation: operation)
        }
        do {
            try await check(url: remote.location)
            return try proxyURL()
        } catch {
            throw PipelineError(.invalidEvent, "\(remote.display): \(error.message)", operation: operation)
        }
    }
}
