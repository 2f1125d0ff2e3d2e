/// What a backend is asked to build.
public struct BuildRequest: Sendable, Hashable {
    public var collection: String
    public var package: String
    public var version: String
    public var architecture: String
    /// The resolved build environment the build is for.
    public var environment: [ResolvedPackage]

    public init(collection: String, package: String, version: String, architecture: String, environment: [ResolvedPackage]) {
        self.collection = collection
        self.package = package
        self.version = version
        self.architecture = architecture
        self.environment = environment
    }

    /// The attributes a pipeline's `rebuild` source carries, and the variables a shell build gets.
    public var attributes: [String: String] {
        ["collection": collection, "package": package, "version": version, "architecture": architecture]
    }
}

/// How a submitted build stands.
public enum BackendStatus: Sendable, Hashable {
    case running
    case succeeded
    case failed(String)
    case canceled
}

/// Where builds run: Koji or mock for Koschei; here a shell command or a PipelineKit configuration,
/// or a system of your own.
public protocol BuildBackend: Sendable {
    /// Starts a build and returns the backend's handle for it.
    func submit(_ request: BuildRequest) async throws(RebuildError) -> String
    /// How the build stands. A handle the backend does not know (after a restart) is a failed build.
    func poll(_ id: String) async throws(RebuildError) -> BackendStatus
    /// Stops a running build.
    func cancel(_ id: String) async throws(RebuildError)
}
