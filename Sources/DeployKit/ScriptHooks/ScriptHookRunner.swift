public import ForgeKit
import Foundation
public import Logging
public import PipelineKit
import PlatformSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request to a script hook: which runbook, who asked and what they sent.
public struct ScriptHookRequest: Sendable, Hashable {
    /// The runbook's id: the name of `{id}.json` in the runner's directory.
    public var id: String
    /// The address of the direct peer (the TCP connection's other end), as text; nil when unknown.
    public var peerAddress: String?
    /// The request's header fields.
    public var headers: HTTPHeaderFields
    /// The raw request body.
    public var body: [UInt8]

    /// Creates a request.
    public init(id: String, peerAddress: String?, headers: HTTPHeaderFields = HTTPHeaderFields(), body: [UInt8] = []) {
        self.id = id
        self.peerAddress = peerAddress
        self.headers = headers
        self.body = body
    }
}

/// How one script ended, and what it printed.
public struct ScriptResult: Sendable, Hashable {
    /// What the script wrote to standard output (the last ``ScriptHookRunner/Options/outputLimit`` bytes).
    public var stdout: String
    /// What the script wrote to standard error (the last bytes, as for ``stdout``); a script that
    /// could not start has the reason here.
    public var stderr: String
    /// The exit status: 128 + n when signal n ended the script, 127 when the command does not exist,
    /// 126 when it exists but cannot be run.
    public var statusCode: Int32
    /// Whether the script ran past ``ScriptHookRunner/Options/timeout`` and was stopped.
    public var timedOut: Bool

    /// Creates a result.
    public init(stdout: String, stderr: String, statusCode: Int32, timedOut: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.statusCode = statusCode
        self.timedOut = timedOut
    }

    /// Whether the script exited with status 0.
    public var succeeded: Bool { statusCode == 0 }
}

/// Runs captainhook-style script hooks: `{id}.json` runbooks in a directory, read again on every
/// request, so edits apply without a restart.
///
/// For each request the runner, in this order:
/// 1. checks that the id is a safe name (`[A-Za-z0-9._-]+`, not `.` or `..`) and that `{id}.json`
///    exists — otherwise `notFound`;
/// 2. loads and checks the runbook — `invalidConfiguration` with the reason when it is malformed;
/// 3. finds the caller: the direct peer, or, when the peer is one of ``Options/trustedProxies``, the
///    right-most address of its `X-Forwarded-For` header — `forbidden` when that address is not in
///    the runbook's `allowedNetworks` (or unknown);
/// 4. checks the `X-Hub-Signature-256` signature when the runbook has a `secret` — `unauthenticated`;
/// 5. runs the scripts in order and returns one ``ScriptResult`` each. A script that fails (non-zero,
///    127 for a missing command, a timeout) does not stop the following ones, as in captainhook.
///
/// Nothing runs unless every check passed. Scripts run without a shell, each in a process group of
/// its own: with the runner's environment, in the runbook directory, or in PipelineKit's ``Sandbox``
/// when the runbook asks for it (``Runbook/sandbox``); on timeout the group
/// gets `SIGTERM`, then `SIGKILL` after ``Options/gracePeriod``. Whatever a script leaves running in
/// its group when it exits is killed.
///
/// ```swift
/// let runner = ScriptHookRunner(directory: "/etc/hookd", logger: logger)
/// let results = try await runner.run(ScriptHookRequest(id: "deploy", peerAddress: "192.30.252.41",
///                                                      headers: headers, body: body))
/// ```
public struct ScriptHookRunner: Sendable {
    /// How the runner behaves.
    public struct Options: Sendable {
        /// Peers whose `X-Forwarded-For` header is believed (its right-most address is the caller).
        public var trustedProxies: [CIDR]
        /// The longest one script may run.
        public var timeout: Duration
        /// How long a stopped script's group has between `SIGTERM` and `SIGKILL`.
        public var gracePeriod: Duration
        /// How many bytes of each of standard output and standard error a result keeps (the last ones).
        public var outputLimit: Int
        /// The sandbox of runbooks that ask for one (``Runbook/sandbox``); their network comes from
        /// the runbook.
        public var sandbox: Sandbox

        /// Creates options.
        public init(trustedProxies: [CIDR] = [], timeout: Duration = .seconds(60), gracePeriod: Duration = .seconds(5),
                    outputLimit: Int = 1 << 20, sandbox: Sandbox = Sandbox()) {
            self.trustedProxies = trustedProxies
            self.timeout = timeout
            self.gracePeriod = gracePeriod
            self.outputLimit = outputLimit
            self.sandbox = sandbox
        }
    }

    /// The directory holding the `{id}.json` runbooks.
    public let directory: String
    /// How the runner behaves.
    public let options: Options
    let logger: Logger

    /// Creates a runner over the runbooks in `directory`.
    public init(directory: String, options: Options = Options(), logger: Logger = Logger(label: "forgeworks.deploy.hooks")) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.options = options
        self.logger = logger
    }

    /// Whether `id` may name a runbook: `[A-Za-z0-9._-]+`, at most 200 characters, not `.` or `..`.
    public static func isSafeID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 200, id != ".", id != "..", !id.contains("..") else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Reads and checks the runbook `{id}.json`, off Swift's cooperative pool.
    ///
    /// - Throws: ``DeployError`` `notFound` for an unsafe id or a missing file, `invalidConfiguration`
    ///   for a malformed runbook, `io` when the file cannot be read.
    public func runbook(id: String) async throws(DeployError) -> Runbook {
        guard Self.isSafeID(id) else { throw DeployError(.notFound, "there is no hook '\(id)'", operation: "load runbook") }
        let path = directory + "/" + id + ".json"
        let bytes = try await BlockingQueue.shared.run { () throws(DeployError) -> [UInt8]? in try Self.read(path) }
        guard let bytes else { throw DeployError(.notFound, "there is no hook '\(id)'", operation: "load runbook") }
        return try Runbook.decode(bytes, name: id + ".json")
    }

    /// The caller's address: the peer's, or the right-most `X-Forwarded-For` entry when the peer is a
    /// trusted proxy. Nil when it is unknown or not an address.
    public func callerAddress(peer: String?, headers: HTTPHeaderFields) -> IPAddress? {
        guard let peer, let address = IPAddress(peer) else { return nil }
        guard options.trustedProxies.contains(where: { $0.contains(address) }),
              let forwarded = headers["X-Forwarded-For"] else { return address }
        guard let last = forwarded.split(separator: ",").last else { return nil }
        return IPAddress(last.trimmingCharacters(in: .whitespaces))
    }

    /// Checks the request against its runbook and runs the scripts; see ``ScriptHookRunner``.
    public func run(_ request: ScriptHookRequest) async throws(DeployError) -> [ScriptResult] {
        var logger = self.logger
        logger[metadataKey: "hook"] = "\(request.id)"
        let runbook = try await runbook(id: request.id)
        guard let caller = callerAddress(peer: request.peerAddress, headers: request.headers) else {
            logger.warning("hook refused: unknown caller", metadata: ["peer": "\(request.peerAddress ?? "none")"])
            throw DeployError(.forbidden, "the caller's address is unknown", operation: "run hook")
        }
        guard runbook.allows(caller) else {
            logger.warning("hook refused: caller outside the allowed networks", metadata: ["caller": "\(caller)"])
            throw DeployError(.forbidden, "\(caller) is not in the hook's allowed networks", operation: "run hook")
        }
        if let secret = runbook.secret {
            do {
                try WebhookVerifier(provider: .github, secret: secret).verify(headers: request.headers, body: request.body)
            } catch {
                logger.warning("hook refused: \(error.message)", metadata: ["caller": "\(caller)"])
                throw DeployError(.unauthenticated, error.message, operation: "run hook")
            }
        }
        let body = String(decoding: request.body, as: UTF8.self)
        let usesBody = runbook.scripts.contains { $0.args.contains { $0.contains(Runbook.bodyPlaceholder) } }
        if usesBody && body.utf8.contains(0) {
            throw DeployError(.invalidRequest, "the body contains a NUL byte and cannot become an argument", operation: "run hook")
        }
        logger.info("running hook", metadata: ["caller": "\(caller)", "scripts": "\(runbook.scripts.count)"])
        let arguments = try runbook.scripts.map { script throws(DeployError) in try Runbook.arguments(of: script, body: body) }
        var results: [ScriptResult] = []
        for (script, arguments) in zip(runbook.scripts, arguments) {
            let result = try await run(command: script.command, arguments: arguments, runbook: runbook)
            logger.info("script ended", metadata: ["command": "\(script.command)", "status": "\(result.statusCode)",
                                                   "timed_out": "\(result.timedOut)"])
            results.append(result)
        }
        return results
    }

    /// Runs one program without a shell and collects its standard output and error separately.
    ///
    /// A `command` with a slash is a path (relative to ``directory``), one without is looked up in
    /// `PATH`. A command that does not exist is a result with status 127 (126 when it cannot be run),
    /// not an error.
    ///
    /// - Throws: ``DeployError`` `cancelled` when the calling task is cancelled (the script's group is
    ///   stopped first).
    public func run(command: String, arguments: [String], runbook: Runbook? = nil) async throws(DeployError) -> ScriptResult {
        let resolved: String
        switch Self.resolve(command, directory: directory) {
        case .program(let path): resolved = path
        case .unavailable(let failure): return failure
        }
        return try await ScriptProcess.run(path: resolved, arguments: arguments, directory: directory,
                                           runbook: runbook ?? Runbook(scripts: [], allowedNetworks: []), options: options)
    }

    enum Resolution {
        case program(String)
        case unavailable(ScriptResult)
    }

    /// Finds the program to run, or the result of a command that cannot run.
    static func resolve(_ command: String, directory: String) -> Resolution {
        func check(_ path: String) -> ScriptResult? {
            var status = stat()
            guard stat(path, &status) == 0 else {
                return ScriptResult(stdout: "", stderr: "\(command): command not found\n", statusCode: 127)
            }
            guard status.st_mode & S_IFMT != S_IFDIR, access(path, X_OK) == 0 else {
                return ScriptResult(stdout: "", stderr: "\(command): permission denied\n", statusCode: 126)
            }
            return nil
        }
        if command.contains("/") {
            let path = command.hasPrefix("/") ? command : directory + "/" + command
            if let failure = check(path) { return .unavailable(failure) }
            return .program(path)
        }
        if let path = ExecutableSearch.find(command, accept: { check($0) == nil }) { return .program(path) }
        return .unavailable(ScriptResult(stdout: "", stderr: "\(command): command not found\n", statusCode: 127))
    }

    /// The file's bytes, or nil when it does not exist.
    private static func read(_ path: String) throws(DeployError) -> [UInt8]? {
        let maximum = 1 << 20
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw DeployError(.io, "cannot open \(path): \(String(cString: strerror(errno)))", operation: "load runbook")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DeployError(.io, "cannot read \(path): \(String(cString: strerror(errno)))", operation: "load runbook")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maximum else {
                throw DeployError(.invalidConfiguration, "\(path) is larger than \(maximum) bytes", operation: "load runbook")
            }
        }
    }
}
