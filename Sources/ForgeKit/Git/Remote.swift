import CGit2

#if canImport(Glibc)
import Glibc
#endif
public import Logging

/// How to authenticate to a remote.
public enum Credentials: Sendable, Hashable {
    /// Offer nothing; the remote must allow anonymous access.
    case none
    /// HTTP(S) basic authentication: a user name and a password or token.
    case userPassword(username: String, password: String)
    /// SSH through the running ssh-agent.
    case sshAgent(username: String)
    /// SSH with a key pair on disk.
    case sshKey(username: String, publicKeyPath: String?, privateKeyPath: String, passphrase: String?)
}

/// How far a transfer has come.
public struct TransferProgress: Sendable, Hashable {
    /// Objects the remote will send.
    public let totalObjects: Int
    /// Objects received so far.
    public let receivedObjects: Int
    /// Objects indexed so far.
    public let indexedObjects: Int
    /// Bytes received so far.
    public let receivedBytes: Int
    /// Deltas to resolve.
    public let totalDeltas: Int
    /// Deltas resolved so far.
    public let indexedDeltas: Int

    /// Creates a progress value.
    public init(totalObjects: Int, receivedObjects: Int, indexedObjects: Int, receivedBytes: Int, totalDeltas: Int, indexedDeltas: Int) {
        self.totalObjects = totalObjects
        self.receivedObjects = receivedObjects
        self.indexedObjects = indexedObjects
        self.receivedBytes = receivedBytes
        self.totalDeltas = totalDeltas
        self.indexedDeltas = indexedDeltas
    }

    /// Overall completion from 0 to 1: receiving counts for half, resolving deltas for the other half.
    public var fraction: Double {
        let receiving = totalObjects > 0 ? Double(receivedObjects) / Double(totalObjects) : 0
        let resolving = totalDeltas > 0 ? Double(indexedDeltas) / Double(totalDeltas) : (receiving >= 1 ? 1 : 0)
        return (receiving + resolving) / 2
    }
}

/// Options for ``GitRepository/clone(from:to:options:logger:)``.
public struct CloneOptions: Sendable {
    /// Clone without a working directory.
    public var bare: Bool
    /// The branch to check out instead of the remote's default.
    public var branch: String?
    /// How to authenticate.
    public var credentials: Credentials
    /// Called as objects arrive, on the clone's thread; keep it quick.
    public var progress: (@Sendable (TransferProgress) -> Void)?
    /// Whether a clone of a local repository may hard-link its object files (fast, no extra disk)
    /// rather than copy them. Pass `false` when the clone will be given to someone who must not be
    /// able to change the original through a shared file.
    public var hardLinks: Bool
    /// An HTTP proxy (`http://HOST:PORT`) every connection of an http(s) clone goes through; an
    /// ``OutboundPolicy``'s ``OutboundPolicy/proxyURL()`` for locations users supplied.
    public var proxy: String?

    /// Creates clone options.
    public init(bare: Bool = false, branch: String? = nil, credentials: Credentials = .none,
                progress: (@Sendable (TransferProgress) -> Void)? = nil, hardLinks: Bool = true, proxy: String? = nil) {
        self.bare = bare
        self.branch = branch
        self.credentials = credentials
        self.progress = progress
        self.hardLinks = hardLinks
        self.proxy = proxy
    }
}

/// Options for ``GitSession/fetch(from:refspecs:options:)``.
public struct FetchOptions: Sendable {
    /// How to authenticate.
    public var credentials: Credentials
    /// Delete remote-tracking references that the remote no longer has.
    public var prune: Bool
    /// Called as objects arrive, on the fetch's thread.
    public var progress: (@Sendable (TransferProgress) -> Void)?
    /// An HTTP proxy (`http://HOST:PORT`) every connection of an http(s) fetch goes through.
    public var proxy: String?

    /// Creates fetch options.
    public init(credentials: Credentials = .none, prune: Bool = false, progress: (@Sendable (TransferProgress) -> Void)? = nil,
                proxy: String? = nil) {
        self.credentials = credentials
        self.prune = prune
        self.progress = progress
        self.proxy = proxy
    }
}

/// Runs `body` with `text` as a C string kept alive meanwhile, or with nil.
func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Options that make a transfer go through the proxy at `url`, when there is one.
func proxyOptions(_ url: UnsafePointer<CChar>?) -> git_proxy_options {
    var options = git_proxy_options()
    git_proxy_options_init(&options, UInt32(GIT_PROXY_OPTIONS_VERSION))
    if let url {
        options.type = GIT_PROXY_SPECIFIED
        options.url = url
    }
    return options
}

/// State the libgit2 callbacks of one transfer share. Passed unretained, kept alive around the C call.
final class TransferCallbacks {
    let credentials: Credentials
    let progress: (@Sendable (TransferProgress) -> Void)?
    let cancellation: CancellationFlag
    var credentialAttempts = 0
    var failure: ForgeError?

    init(credentials: Credentials, progress: (@Sendable (TransferProgress) -> Void)?, cancellation: CancellationFlag) {
        self.credentials = credentials
        self.progress = progress
        self.cancellation = cancellation
    }

    /// Fills libgit2's remote callbacks with ours; `self` must outlive the operation.
    func install(_ callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, _, usernameFromURL, allowed, payload in
            guard let payload, let out else { return -1 }
            let state = Unmanaged<TransferCallbacks>.fromOpaque(payload).takeUnretainedValue()
            return state.credential(out, usernameFromURL: usernameFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.transfer_progress = { stats, payload in
            guard let payload else { return 0 }
            let state = Unmanaged<TransferCallbacks>.fromOpaque(payload).takeUnretainedValue()
            if state.cancellation.isCancelled { return -1 }
            if let stats, let progress = state.progress {
                let s = stats.pointee
                progress(TransferProgress(totalObjects: Int(s.total_objects), receivedObjects: Int(s.received_objects),
                                          indexedObjects: Int(s.indexed_objects), receivedBytes: Int(s.received_bytes),
                                          totalDeltas: Int(s.total_deltas), indexedDeltas: Int(s.indexed_deltas)))
            }
            return 0
        }
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, usernameFromURL: String?, allowed: UInt32) -> Int32 {
        credentialAttempts += 1
        // libgit2 asks again after a refusal; answering the same again would loop forever.
        if credentialAttempts > 1 {
            failure = ForgeError(.authentication, "the remote refused the credentials", operation: "authenticate")
            return GIT_EAUTH.rawValue
        }
        switch credentials {
        case .none:
            failure = ForgeError(.authentication, "the remote asks for credentials and none were given", operation: "authenticate")
            return GIT_EAUTH.rawValue
        case .userPassword(let username, let password):
            guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_userpass_plaintext_new(out, username, password)
        case .sshAgent(let username):
            guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_ssh_key_from_agent(out, usernameFromURL ?? username)
        case .sshKey(let username, let publicKey, let privateKey, let passphrase):
            guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_ssh_key_new(out, usernameFromURL ?? username, publicKey, privateKey, passphrase)
        }
    }

    /// The error for a failed transfer: ours from a callback if there is one, else libgit2's.
    func error(_ result: Int32, operation: String, path: String?) -> ForgeError {
        let base = Libgit2.error(result, operation: operation, path: path)
        if cancellation.isCancelled {
            return ForgeError(.cancelled, "the \(operation) was cancelled", operation: operation, path: path)
        }
        if let failure {
            return ForgeError(failure.code, failure.message, operation: operation, path: path, libgit2: base.libgit2)
        }
        return base
    }
}

/// Checks that a remote location is one ForgeKit fetches from: a local path, or a file, http(s),
/// ssh or git URL.
func validateRemoteLocation(_ location: String, operation: String) throws(ForgeError) {
    guard !location.isEmpty, !location.utf8.contains(where: { $0 < 0x20 }) else {
        throw ForgeError(.invalidArgument, "'\(location)' is not a remote location", operation: operation)
    }
    if location.hasPrefix("-") {
        throw ForgeError(.invalidArgument, "a remote location may not start with '-'", operation: operation)
    }
    if let scheme = location.firstRange(of: "://").map({ location[..<$0.lowerBound].lowercased() }) {
        guard ["file", "http", "https", "ssh", "git"].contains(scheme) else {
            throw ForgeError(.unsupported, "the URL scheme '\(scheme)' is not supported", operation: operation)
        }
    }
}

extension GitRepository {
    /// Clones `location` (a path, or a `file://`, `http(s)://` or `ssh://` URL) into `path`.
    ///
    /// Runs off the cooperative pool; cancelling the task aborts the transfer and throws
    /// ``ForgeError/Code/cancelled``. Wrong or missing credentials throw ``ForgeError/Code/authentication``.
    public static func clone(from location: String, to path: String, options: CloneOptions = CloneOptions(),
                             logger: Logger = GitRepository.defaultLogger) async throws -> GitRepository {
        try validateRemoteLocation(location, operation: "clone")
        return try await runBlocking(on: setupQueue) { flag throws(ForgeError) in
            try cloneSync(from: location, to: path, options: options, cancellation: flag, logger: logger)
        }
    }

    /// Clones on the calling thread; see ``clone(from:to:options:logger:)``. For command-line tools and other
    /// synchronous code (it cannot be cancelled).
    public static func cloneBlocking(from location: String, to path: String, options: CloneOptions = CloneOptions(),
                                     logger: Logger = GitRepository.defaultLogger) throws(ForgeError) -> GitRepository {
        try validateRemoteLocation(location, operation: "clone")
        return try cloneSync(from: location, to: path, options: options, cancellation: CancellationFlag(), logger: logger)
    }

    static func cloneSync(from location: String, to path: String, options: CloneOptions,
                          cancellation flag: CancellationFlag, logger: Logger) throws(ForgeError) -> GitRepository {
        try Libgit2.ensureInitialized(operation: "clone")
        let callbacks = TransferCallbacks(credentials: options.credentials, progress: options.progress, cancellation: flag)
        var cloneOptions = git_clone_options()
        git_clone_options_init(&cloneOptions, UInt32(GIT_CLONE_OPTIONS_VERSION))
        cloneOptions.bare = options.bare ? 1 : 0
        if !options.hardLinks { cloneOptions.local = GIT_CLONE_LOCAL_NO_LINKS }
        callbacks.install(&cloneOptions.fetch_opts.callbacks)
        var pointer: OpaquePointer?
        let result: Int32 = withExtendedLifetime(callbacks) {
            withOptionalCString(options.proxy) { proxy in
                cloneOptions.fetch_opts.proxy_opts = proxyOptions(proxy)
                if let branch = options.branch {
                    return branch.withCString { name in
                        cloneOptions.checkout_branch = name
                        return git_clone(&pointer, location, path, &cloneOptions)
                    }
                }
                return git_clone(&pointer, location, path, &cloneOptions)
            }
        }
        guard result >= 0, let pointer else {
            throw callbacks.error(result, operation: "clone", path: location)
        }
        logger.debug("cloned", metadata: ["from": "\(location)", "to": "\(path)"])
        return GitRepository(handle: try RepositoryHandle(pointer: pointer, operation: "clone"), logger: logger)
    }
}

extension GitSession {
    /// Fetches from a remote, by name (`origin`) or location (a path or URL), and returns the references
    /// that changed.
    ///
    /// - Parameter refspecs: what to fetch, such as `+refs/heads/*:refs/remotes/origin/*`; when empty, a named
    ///   remote's configured refspecs are used.
    @discardableResult
    public func fetch(from remote: String, refspecs: [String] = [], options: FetchOptions = FetchOptions()) throws(ForgeError) -> [ReferenceUpdate] {
        let repo = try repository("fetch")
        var handle: OpaquePointer?
        var result: Int32 = GIT_ENOTFOUND.rawValue
        var valid: Int32 = 0
        if git_remote_name_is_valid(&valid, remote) >= 0, valid != 0 {
            result = git_remote_lookup(&handle, repo, remote)
        }
        if result == GIT_ENOTFOUND.rawValue {
            try validateRemoteLocation(remote, operation: "fetch")
            result = git_remote_create_anonymous(&handle, repo, remote)
        }
        guard result >= 0, let handle else { throw Libgit2.error(result, operation: "fetch", path: remote) }
        defer { git_remote_free(handle) }

        let before = Dictionary((try references()).map { ($0.name, $0.target) }, uniquingKeysWith: { a, _ in a })
        let callbacks = TransferCallbacks(credentials: options.credentials, progress: options.progress, cancellation: cancellation)
        var fetchOptions = git_fetch_options()
        git_fetch_options_init(&fetchOptions, UInt32(GIT_FETCH_OPTIONS_VERSION))
        fetchOptions.prune = options.prune ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE
        callbacks.install(&fetchOptions.callbacks)
        var specs: [UnsafeMutablePointer<CChar>?] = refspecs.map { strdup($0) }
        defer { specs.forEach { free($0) } }
        result = withExtendedLifetime(callbacks) {
            withOptionalCString(options.proxy) { proxy in
                fetchOptions.proxy_opts = proxyOptions(proxy)
                return specs.withUnsafeMutableBufferPointer { buffer in
                    var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                    if refspecs.isEmpty { return git_remote_fetch(handle, nil, &fetchOptions, nil) }
                    return git_remote_fetch(handle, &array, &fetchOptions, nil)
                }
            }
        }
        guard result >= 0 else { throw callbacks.error(result, operation: "fetch", path: remote) }
        let after = try references()
        var changed: [ReferenceUpdate] = []
        for reference in after where before[reference.name] != reference.target {
            changed.append(ReferenceUpdate(name: reference.name, old: before[reference.name] ?? .zero, new: reference.target))
        }
        return changed
    }
}
