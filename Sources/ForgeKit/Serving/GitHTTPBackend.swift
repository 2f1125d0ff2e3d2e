import Foundation
import Synchronization
import PlatformSupport

/// A Git smart-HTTP request, recognised from its method, path and query.
///
/// The three routes of the smart protocol, below a repository's path (with or without `.git`):
/// `GET …/info/refs?service=git-upload-pack|git-receive-pack`, `POST …/git-upload-pack` and
/// `POST …/git-receive-pack`. The older "dumb" protocol is not served.
public struct GitSmartHTTPRequest: Sendable, Hashable {
    /// The git service a request is for.
    public enum Service: String, Sendable, Hashable {
        /// Clone and fetch.
        case uploadPack = "git-upload-pack"
        /// Push.
        case receivePack = "git-receive-pack"
    }

    /// The repository, as named in the URL.
    public let repository: RepositoryPath
    /// The service.
    public let service: Service
    /// Whether this is the reference advertisement (`GET info/refs`) rather than the exchange (`POST`).
    public let isAdvertisement: Bool

    /// The access level the request needs: `write` for anything of a push, `read` otherwise.
    public var requiredLevel: AccessLevel { service == .receivePack ? .write : .read }

    /// Recognises a smart-HTTP request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The request path, percent-encoded as it arrived (`/team/app.git/info/refs`).
    ///   - query: The query string without `?`, if any.
    /// - Returns: nil when the path is not one of the smart-HTTP routes (another handler may serve it).
    /// - Throws: ``ForgeError`` `invalidArgument` for a smart-HTTP route whose repository name is not a
    ///   valid ``RepositoryPath`` (`..`, control characters, bad percent-encoding), `unsupported` for a
    ///   dumb-protocol request or a wrong method.
    public static func recognise(method: String, path: String, query: String?) throws(ForgeError) -> GitSmartHTTPRequest? {
        let suffixes: [(String, Service?, Bool)] = [
            ("/info/refs", nil, true), ("/git-upload-pack", .uploadPack, false), ("/git-receive-pack", .receivePack, false),
        ]
        guard let (suffix, fixedService, advertisement) = suffixes.first(where: { path.hasSuffix($0.0) }) else { return nil }
        let encoded = String(path.dropLast(suffix.count).drop(while: { $0 == "/" }))
        guard let name = encoded.removingPercentEncoding else {
            throw ForgeError(.invalidArgument, "the repository name is not valid percent-encoding", operation: "serve git")
        }
        let repository = try RepositoryPath(url: name)
        let service: Service
        if let fixedService {
            guard method == "POST" else {
                throw ForgeError(.unsupported, "\(fixedService.rawValue) takes POST, not \(method)", operation: "serve git")
            }
            service = fixedService
        } else {
            guard method == "GET" || method == "HEAD" else {
                throw ForgeError(.unsupported, "info/refs takes GET, not \(method)", operation: "serve git")
            }
            let requested = (query ?? "").split(separator: "&").compactMap { pair -> String? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "service" ? String(parts[1]) : nil
            }.first
            guard let requested, let known = Service(rawValue: requested) else {
                throw ForgeError(.unsupported, "only the smart HTTP protocol is served (info/refs?service=git-upload-pack or git-receive-pack)",
                                 operation: "serve git")
            }
            service = known
        }
        return GitSmartHTTPRequest(repository: repository, service: service, isAdvertisement: advertisement)
    }
}

/// Runs `git http-backend` (as Gitea and GitLab run git) for smart-HTTP requests that the caller has
/// already authenticated and authorised, streaming both bodies.
///
/// The backend runs with an isolated configuration (no system or user configuration files), with
/// pushes enabled (authorisation is the caller's job), with a `pre-receive` hook of its own that
/// refuses what protected branch rules forbid (``RequestInfo/protectedBranches``), and a `post-receive`
/// hook that records which references a push moved — so that ``CGIExchange/finish()`` can report them
/// exactly as git applied them, however many pushes run at once. Hooks inside the repositories are
/// not run.
public struct GitHTTPBackend: Sendable {
    /// The folder that holds the repositories (git's `GIT_PROJECT_ROOT`).
    public let root: String
    /// The git executable.
    public let git: String
    /// A folder of the backend's own: its hooks, and push records while pushes run.
    public let stateDirectory: String

    /// Prepares a backend serving the repositories under `root`.
    ///
    /// - Parameters:
    ///   - root: The repository root.
    ///   - stateDirectory: A folder the backend owns (created when missing).
    ///   - git: The git executable; by default the first `git` on `PATH`.
    /// - Throws: ``ForgeError`` `notFound` when there is no git, `io` when the folder cannot be written.
    public init(root: String, stateDirectory: String, git: String? = nil) throws(ForgeError) {
        self.root = root
        self.stateDirectory = stateDirectory
        guard let found = git ?? Self.findExecutable("git") else {
            throw ForgeError(.notFound, "git is not installed (no git on PATH)", operation: "prepare git backend")
        }
        self.git = found
        let hooks = stateDirectory + "/hooks"
        let postReceive = """
            #!/bin/sh
            # Written by Forgeworks: records the references a push moved, for the push event.
            if [ -n "$FORGE_PUSH_RECORD" ]; then cat > "$FORGE_PUSH_RECORD"; else cat > /dev/null; fi
            exit 0

            """
        // Before any reference moves: the references the forge keeps (a fork's pull request head,
        // refs/pull/N/head, and refs/forge/*) are never pushed to; protected branches follow their
        // rules. FORGE_PROTECTED has a line per rule, "1<TAB>PATTERN" when the pusher may push to its
        // branches directly, "0<TAB>PATTERN" when not. The new objects are readable here (git's
        // quarantine), so a force push is seen for what it is.
        let preReceive = """
            #!/bin/sh
            # Written by Forgeworks: refuses pushes to the forge's own references and those that
            # protected branch rules forbid.
            zero=0000000000000000000000000000000000000000
            status=0
            tab=$(printf '\t')
            while read -r old new ref; do
                case "$ref" in
                refs/pull/*|refs/forge/*) echo "$ref is kept by the forge (pull requests from forks): it cannot be pushed to" >&2; status=1; continue ;;
                refs/heads/*) branch=${ref#refs/heads/} ;;
                *) continue ;;
                esac
                [ -z "$FORGE_PROTECTED" ] && continue
                rules=$(printf '%s\n' "$FORGE_PROTECTED")
                while IFS="$tab" read -r may pattern; do
                    [ -z "$pattern" ] && continue
                    case "$branch" in
                    $pattern)
                        if [ "$new" = "$zero" ]; then
                            echo "$branch is a protected branch: it cannot be deleted" >&2; status=1
                        elif [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new" 2>/dev/null; then
                            echo "$branch is a protected branch: force pushes are refused" >&2; status=1
                        elif [ "$may" != "1" ]; then
                            echo "$branch is a protected branch: you may not push to it directly; open a pull request" >&2; status=1
                        fi
                        break ;;
                    esac
                done <<EOF_RULES
            $rules
            EOF_RULES
            done
            exit $status

            """
        do {
            try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: stateDirectory + "/pushes", withIntermediateDirectories: true)
            for (name, script) in [("post-receive", postReceive), ("pre-receive", preReceive)] {
                let hook = hooks + "/" + name
                if (try? String(contentsOfFile: hook, encoding: .utf8)) != script {
                    try Data(script.utf8).write(to: URL(fileURLWithPath: hook + ".tmp"), options: .atomic)
                    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook + ".tmp")
                    if rename(hook + ".tmp", hook) != 0 { throw ForgeError(.io, "cannot install the hook", operation: "prepare git backend") }
                }
            }
        } catch {
            throw ForgeError(.io, "cannot prepare \(stateDirectory): \(error)", operation: "prepare git backend", path: stateDirectory)
        }
    }

    /// The first executable named `name` on `PATH`.
    public static func findExecutable(_ name: String) -> String? {
        ExecutableSearch.find(name)
    }

    /// What a request carries beyond its route.
    public struct RequestInfo: Sendable {
        /// The HTTP method.
        public var method: String
        /// The query string (for `info/refs`).
        public var query: String?
        /// `Content-Type`.
        public var contentType: String?
        /// `Content-Length`, when the request gave one.
        public var contentLength: Int?
        /// `Content-Encoding` (git gzips large fetch negotiations).
        public var contentEncoding: String?
        /// `Git-Protocol` (protocol version 2 is asked for with `version=2`).
        public var gitProtocol: String?
        /// The authenticated user's name, if any.
        public var remoteUser: String?
        /// The caller's address.
        public var remoteAddress: String?
        /// The protected branch rules of the repository, with whether this caller may push to each
        /// rule's branches directly; enforced by the backend's `pre-receive` hook on pushes.
        public var protectedBranches: [(pattern: String, directPush: Bool)] = []

        /// Creates request information.
        public init(method: String, query: String? = nil, contentType: String? = nil, contentLength: Int? = nil,
                    contentEncoding: String? = nil, gitProtocol: String? = nil, remoteUser: String? = nil, remoteAddress: String? = nil) {
            self.method = method
            self.query = query
            self.contentType = contentType
            self.contentLength = contentLength
            self.contentEncoding = contentEncoding
            self.gitProtocol = gitProtocol
            self.remoteUser = remoteUser
            self.remoteAddress = remoteAddress
        }
    }

    /// Starts git for `request` on the repository stored at `directory` (a path relative to ``root``).
    public func start(_ request: GitSmartHTTPRequest, directory: RepositoryPath, info: RequestInfo) throws(ForgeError) -> CGIExchange {
        let suffix = request.isAdvertisement ? "/info/refs" : "/" + request.service.rawValue
        var environment: [String: String] = [
            "GIT_PROJECT_ROOT": root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": "/" + directory.description + suffix,
            "REQUEST_METHOD": info.method,
            "QUERY_STRING": info.query ?? "",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "HOME": stateDirectory,
            "GIT_CONFIG_COUNT": "3",
            "GIT_CONFIG_KEY_0": "core.hooksPath", "GIT_CONFIG_VALUE_0": stateDirectory + "/hooks",
            "GIT_CONFIG_KEY_1": "http.receivepack", "GIT_CONFIG_VALUE_1": "true",
            "GIT_CONFIG_KEY_2": "safe.directory", "GIT_CONFIG_VALUE_2": "*",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        if let contentType = info.contentType { environment["CONTENT_TYPE"] = contentType }
        if let contentLength = info.contentLength { environment["CONTENT_LENGTH"] = String(contentLength) }
        if let contentEncoding = info.contentEncoding { environment["HTTP_CONTENT_ENCODING"] = contentEncoding }
        if let gitProtocol = info.gitProtocol { environment["GIT_PROTOCOL"] = gitProtocol }
        if let remoteUser = info.remoteUser { environment["REMOTE_USER"] = remoteUser }
        if let remoteAddress = info.remoteAddress { environment["REMOTE_ADDR"] = remoteAddress }
        if request.service == .receivePack, !info.protectedBranches.isEmpty {
            // Patterns have no tabs or line breaks (BranchProtection.validate refuses control characters).
            environment["FORGE_PROTECTED"] = info.protectedBranches.map { ($0.directPush ? "1" : "0") + "\t" + $0.pattern }.joined(separator: "\n")
        }
        var record: String?
        if request.service == .receivePack, !request.isAdvertisement {
            let file = stateDirectory + "/pushes/" + UUID().uuidString
            environment["FORGE_PUSH_RECORD"] = file
            record = file
        }
        let process = try ChildProcess([git, "http-backend"], environment: environment)
        return CGIExchange(process: process, pushRecord: record)
    }
}

/// One running CGI program (`git http-backend`, hgweb): feed it the request body, read its response
/// head and body, then ``finish()``.
public final class CGIExchange: Sendable {
    private let process: ChildProcess
    private let pushRecord: String?
    private let leftover = Mutex<[UInt8]>([])

    init(process: ChildProcess, pushRecord: String?) {
        self.process = process
        self.pushRecord = pushRecord
    }

    /// Passes a piece of the request body to git.
    public func write(_ bytes: [UInt8]) async throws(ForgeError) { try await process.write(bytes) }

    /// Ends the request body.
    public func endRequest() { process.closeInput() }

    /// The response status and headers git wrote (CGI's `Status:` and the rest).
    ///
    /// - Throws: ``ForgeError`` `io` when git wrote no valid head (it failed before answering).
    public func responseHead(limit: Int = 16 << 10) async throws(ForgeError) -> (status: Int, headers: [(String, String)]) {
        var buffer: [UInt8] = []
        while true {
            if let (end, separator) = Self.headEnd(buffer) {
                leftover.withLock { $0 = Array(buffer[(end + separator)...]) }
                return try Self.parseHead(Array(buffer[..<end]))
            }
            guard buffer.count < limit else { throw ForgeError(.io, "the response head is too long", operation: "serve repository") }
            let chunk = try await process.read()
            if chunk.isEmpty {
                let detail = await process.standardError()
                throw ForgeError(.io, "the backend ended without answering" + (detail.isEmpty ? "" : ": \(detail.prefix(500))"),
                                 operation: "serve repository")
            }
            buffer += chunk
        }
    }

    /// The next piece of the response body; nil at its end.
    public func nextBodyChunk() async throws(ForgeError) -> [UInt8]? {
        let pending = leftover.withLock { value in
            defer { value = [] }
            return value
        }
        if !pending.isEmpty { return pending }
        // Large reads: a clone's pack passes through here, and each read is a hop to another thread.
        let chunk = try await process.read(maximum: 256 << 10)
        return chunk.isEmpty ? nil : chunk
    }

    /// How a finished request went.
    public struct Outcome: Sendable {
        /// git's exit status.
        public var status: Int32
        /// What git wrote to its standard error.
        public var standardError: String
        /// For a push, the references it moved (empty for anything else, or a push that moved nothing).
        public var updates: [ReferenceUpdate]
    }

    /// Waits for git to exit and reads what a push recorded.
    public func finish() async -> Outcome {
        process.closeInput()
        let status = await process.wait()
        let standardError = await process.standardError()
        var updates: [ReferenceUpdate] = []
        if let pushRecord {
            if let text = try? String(contentsOfFile: pushRecord, encoding: .utf8) {
                updates = Self.parseUpdates(text)
            }
            unlink(pushRecord)
        }
        return Outcome(status: status, standardError: standardError, updates: updates)
    }

    /// Stops git (the client went away).
    public func cancel() { process.signalGroup(SIGKILL) }

    /// `old new ref` lines, as git passes them to `post-receive`.
    static func parseUpdates(_ text: String) -> [ReferenceUpdate] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let old = ObjectID(hex: String(fields[0])), let new = ObjectID(hex: String(fields[1])) else { return nil }
            return ReferenceUpdate(name: String(fields[2]), old: old, new: new)
        }
    }

    private static func headEnd(_ buffer: [UInt8]) -> (Int, Int)? {
        var index = 0
        while index < buffer.count {
            if buffer[index] == 10 {
                if index + 1 < buffer.count, buffer[index + 1] == 10 { return (index, 2) }
                if index + 2 < buffer.count, buffer[index + 1] == 13, buffer[index + 2] == 10 { return (index, 3) }
            }
            index += 1
        }
        return nil
    }

    private static func parseHead(_ bytes: [UInt8]) throws(ForgeError) -> (status: Int, headers: [(String, String)]) {
        var status = 200
        var headers: [(String, String)] = []
        // Split bytes, not characters: Swift reads "\r\n" as one character.
        for rawLine in bytes.split(separator: UInt8(ascii: "\n")) {
            let line = String(decoding: rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine, as: UTF8.self)
            guard let colon = line.firstIndex(of: ":") else {
                throw ForgeError(.io, "git wrote a malformed header line", operation: "serve git")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                guard let code = Int(value.prefix(3)), (100...599).contains(code) else {
                    throw ForgeError(.io, "git wrote a malformed status '\(value)'", operation: "serve git")
                }
                status = code
            } else {
                headers.append((name, value))
            }
        }
        return (status, headers)
    }
}
