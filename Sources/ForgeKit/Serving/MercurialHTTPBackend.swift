import Foundation

/// A request of Mercurial's HTTP wire protocol: `GET|POST /NAME?cmd=COMMAND…`, read exactly as hgweb
/// reads it, so that the access check and hgweb see the same command.
///
/// hgweb parses the query with Python's `parse_qsl` (pairs split at `&` only, `+` as a space, names and
/// values percent-decoded, the *last* `cmd` wins). Here a repeated `cmd` is refused outright, and so is
/// a query that is not ASCII (which hgweb fails on). A `batch` carries further commands in its `cmds`
/// argument — from the query, the `X-HgArg-N` headers, or the first `X-HgArgs-Post` bytes of the body,
/// in hgweb's order of precedence — each of which is classified too, nested batches included.
///
/// Only wire-protocol commands are recognised: a `cmd` naming one of hgweb's HTML pages (`log`,
/// `archive`, `static`, …) or anything else is refused, so a repository's URL never serves hgweb's
/// web interface.
public struct MercurialHTTPRequest: Sendable, Hashable {
    /// The repository, as named in the URL.
    public let repository: RepositoryPath
    /// The wire-protocol command (`capabilities`, `batch`, `getbundle`, `unbundle`, `pushkey`, …).
    public let command: String
    /// The command and, for a `batch`, every command inside it (nested ones included).
    public let commands: [String]

    /// The wire-protocol commands of Mercurial's HTTP server and whether each changes the repository
    /// (hgweb's `push` permission) or only reads it (`pull`).
    public static let wireCommands: [String: Bool] = [
        "pushkey": true, "unbundle": true,
        "batch": false, "between": false, "branchmap": false, "branches": false, "clonebundles": false, "capabilities": false,
        "changegroup": false, "changegroupsubset": false, "debugwireargs": false, "getbundle": false, "heads": false,
        "hello": false, "listkeys": false, "lookup": false, "known": false, "protocaps": false, "stream_out": false,
    ]

    /// Whether the request changes the repository: one of its commands is `unbundle` (changesets,
    /// bookmarks, phases) or `pushkey` (bookmarks, phases). Such requests need `write`.
    public var isPush: Bool { commands.contains { Self.wireCommands[$0] == true } }

    /// The access level the request needs.
    public var requiredLevel: AccessLevel { isPush ? .write : .read }

    /// What ``recognise(path:query:headers:body:)`` found.
    public enum Recognition: Sendable, Hashable {
        /// Not a wire-protocol request (no `cmd` in the query): another handler may serve the path.
        case none
        /// A wire-protocol request, classified.
        case request(MercurialHTTPRequest)
        /// A `batch` whose arguments are in the body: classify it again with the body's first
        /// `length` bytes.
        case needsBody(length: Int)
    }

    /// The most argument bytes read from a body (`X-HgArgs-Post`) before hgweb sees it.
    public static let maximumPostArguments = 1 << 20

    /// Recognises a wire-protocol request.
    ///
    /// - Parameters:
    ///   - headers: The request's header fields (names compared without regard to case).
    ///   - body: The body's first `X-HgArgs-Post` bytes, once ``Recognition/needsBody(length:)`` asked for them.
    /// - Throws: ``ForgeError`` `invalidArgument` for a malformed query, a repeated `cmd`, a command
    ///   that is not part of the wire protocol (or is inside a batch), a malformed `batch`, or a
    ///   repository name that is not a valid ``RepositoryPath``.
    public static func recognise(path: String, query: String?, headers: [(String, String)] = [],
                                 body: [UInt8]? = nil) throws(ForgeError) -> Recognition {
        let operation = "serve hg"
        // Only a query with a `cmd` is Mercurial's; any other is left to the rest of the server.
        guard let query, query.split(separator: "&").contains(where: { $0.hasPrefix("cmd=") }) else { return .none }
        let pairs = try parseQuery(query)
        let commands = pairs.filter { $0.0 == "cmd" }.map(\.1)
        guard let command = commands.first else { return .none }
        guard commands.count == 1 else {
            throw ForgeError(.invalidArgument, "the query names more than one command", operation: operation)
        }
        guard wireCommands[command] != nil else {
            throw ForgeError(.invalidArgument, "'\(command.prefix(64))' is not a Mercurial wire-protocol command", operation: operation)
        }
        let encoded = String(path.drop(while: { $0 == "/" }))
        let trimmed = encoded.hasSuffix("/") ? String(encoded.dropLast()) : encoded
        guard let name = trimmed.removingPercentEncoding else {
            throw ForgeError(.invalidArgument, "the repository name is not valid percent-encoding", operation: operation)
        }
        let repository = try RepositoryPath(name)
        var all = [command]
        if command == "batch" {
            // hgweb: arguments from the body when X-HgArgs-Post is set, else from the X-HgArg-N headers,
            // each source replacing the query's value of the same name; the first value counts.
            var arguments = pairs
            if let post = header("X-HgArgs-Post", in: headers) {
                guard !post.isEmpty, post.utf8.count <= 9, post.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(post),
                      length <= maximumPostArguments else {
                    throw ForgeError(.invalidArgument, "X-HgArgs-Post must be a length of at most \(maximumPostArguments) bytes",
                                     operation: operation)
                }
                if length > 0 {
                    guard let body else { return .needsBody(length: length) }
                    guard body.count == length, let text = String(validating: body, as: UTF8.self) else {
                        throw ForgeError(.invalidArgument, "the body is shorter than X-HgArgs-Post says", operation: operation)
                    }
                    arguments = replacing(arguments, with: try parseQuery(text))
                }
            } else {
                var joined = ""
                var index = 1
                while let part = header("X-HgArg-\(index)", in: headers) {
                    joined += part
                    index += 1
                    guard joined.utf8.count <= maximumPostArguments else {
                        throw ForgeError(.invalidArgument, "the X-HgArg headers are too long", operation: operation)
                    }
                }
                if !joined.isEmpty { arguments = replacing(arguments, with: try parseQuery(joined)) }
            }
            guard let cmds = arguments.first(where: { $0.0 == "cmds" })?.1 else {
                throw ForgeError(.invalidArgument, "batch without cmds", operation: operation)
            }
            all += try batchCommands(cmds, depth: 0)
        }
        return .request(MercurialHTTPRequest(repository: repository, command: command, commands: all))
    }

    /// The commands of a batch's `cmds` (`op args;op args`), nested batches included, as
    /// `wireprotov1server.batch` splits them (the op itself is not unescaped).
    static func batchCommands(_ cmds: String, depth: Int) throws(ForgeError) -> [String] {
        let operation = "serve hg"
        guard depth < 8 else { throw ForgeError(.invalidArgument, "batches nested too deep", operation: operation) }
        var found: [String] = []
        for pair in cmds.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            let op = String(parts[0])
            guard wireCommands[op] != nil else {
                throw ForgeError(.invalidArgument, "'\(op.prefix(64))' in a batch is not a Mercurial wire-protocol command", operation: operation)
            }
            found.append(op)
            guard op == "batch" else { continue }
            var nested: String?
            for argument in (parts.count > 1 ? parts[1] : "").split(separator: ",") where !argument.isEmpty {
                let halves = argument.split(separator: "=", omittingEmptySubsequences: false)
                guard halves.count == 2 else { throw ForgeError(.invalidArgument, "a malformed batch argument", operation: operation) }
                if unescapeBatchArgument(String(halves[0])) == "cmds" { nested = unescapeBatchArgument(String(halves[1])) }
            }
            guard let nested else { throw ForgeError(.invalidArgument, "a nested batch without cmds", operation: operation) }
            found += try batchCommands(nested, depth: depth + 1)
        }
        return found
    }

    /// `wireprototypes.unescapebatcharg`: four replacements, in this order.
    static func unescapeBatchArgument(_ text: String) -> String {
        text.replacingOccurrences(of: ":e", with: "=").replacingOccurrences(of: ":s", with: ";")
            .replacingOccurrences(of: ":o", with: ",").replacingOccurrences(of: ":c", with: ":")
    }

    /// A query as `parse_qsl(keep_blank_values=True)` reads it: pairs split at `&` only, `+` as a
    /// space, names and values percent-decoded; ASCII only.
    static func parseQuery(_ query: String) throws(ForgeError) -> [(String, String)] {
        guard query.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw ForgeError(.invalidArgument, "the query is not plain ASCII", operation: "serve hg")
        }
        func decode(_ text: Substring) throws(ForgeError) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            guard let decoded = spaced.removingPercentEncoding ?? (spaced.contains("%") ? nil : spaced),
                  decoded.utf8.allSatisfy({ $0 < 0x80 }) else {
                throw ForgeError(.invalidArgument, "the query's escapes are not plain ASCII", operation: "serve hg")
            }
            return decoded
        }
        var pairs: [(String, String)] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((try decode(halves[0]), halves.count > 1 ? try decode(halves[1]) : ""))
        }
        return pairs
    }

    /// `base` with every name that `replacement` has taking `replacement`'s values instead.
    private static func replacing(_ base: [(String, String)], with replacement: [(String, String)]) -> [(String, String)] {
        let names = Set(replacement.map(\.0))
        return replacement + base.filter { !names.contains($0.0) }
    }

    private static func header(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Runs Mercurial's own web server code (hgweb, as a CGI program) for wire-protocol requests that the
/// caller has already authenticated and authorised; every request header is passed as CGI wants it.
///
/// hgweb checks again, with its own parser: it serves wire-protocol commands only (anything else is a
/// 404), and accepts a push only from the user the caller names as `pusher` — whatever a repository's
/// own `.hg/hgrc` says, since the setting is made over every configuration file. A bundle part that
/// would make the server fetch a URL the pusher chose (`remote-changegroup`) is not accepted.
public struct MercurialHTTPBackend: Sendable {
    /// The folder that holds the repositories.
    public let root: String
    /// A folder the backend owns (its CGI script and configuration).
    public let stateDirectory: String
    /// The Python interpreter that runs Mercurial (read from `hg`'s first line).
    public let python: String

    /// Prepares the backend.
    ///
    /// - Throws: ``ForgeError`` `notFound` when Mercurial is not installed, `io` when the folder cannot be written.
    public init(root: String, stateDirectory: String) throws(ForgeError) {
        self.root = root
        self.stateDirectory = stateDirectory
        guard let hg = GitHTTPBackend.findExecutable("hg"), let script = try? String(contentsOfFile: hg, encoding: .utf8),
              script.hasPrefix("#!") else {
            throw ForgeError(.notFound, "Mercurial is not installed (no hg script on PATH)", operation: "prepare hg backend")
        }
        let shebang = script.prefix { $0 != "\n" }.dropFirst(2).trimmingCharacters(in: .whitespaces)
        guard let interpreter = shebang.split(separator: " ").first, interpreter.hasPrefix("/") else {
            throw ForgeError(.notFound, "cannot tell which Python runs hg ('\(shebang)')", operation: "prepare hg backend")
        }
        self.python = String(interpreter)
        let cgi = """
            # Written by Forgeworks: serves one repository's wire protocol with Mercurial's hgweb, as CGI.
            import os
            from mercurial import demandimport
            demandimport.enable()
            from mercurial import bundle2, ui as uimod, wireprotoserver
            from mercurial.hgweb import hgweb, request as requestmod, wsgicgi

            # A push must never make the server fetch a URL of the pusher's choosing.
            bundle2.parthandlermapping.pop(b'remote-changegroup', None)
            bundle2.capabilities.pop(b'remote-changegroup', None)

            # Pushes only from the user the forge authorised to push: set over every configuration file,
            # the repository's own .hg/hgrc included. Nobody when the forge names nobody.
            settings = uimod.ui.load()
            pusher = os.environ.get('FORGE_HG_PUSHER', '').encode()
            for name in (b'allow-push', b'allow_push'):
                settings.setconfig(b'web', name, pusher, b'forge')
            for name in (b'deny-push', b'deny_push'):
                settings.setconfig(b'web', name, b'', b'forge')
            settings.setconfig(b'web', b'push_ssl', b'false', b'forge')
            application = hgweb(os.environ['FORGE_HG_REPOSITORY'].encode(), baseui=settings)

            def wire_protocol_only(environ, start_response):
                request = requestmod.parserequestfromenv(environ)
                if b'cmd' in request.qsparams and not request.dispatchpath and wireprotoserver.iscmd(request.qsparams[b'cmd']):
                    return application(environ, start_response)
                start_response('404 Not Found', [('Content-Type', 'text/plain')])
                return [b'not found\\n']

            wsgicgi.launch(wire_protocol_only)

            """
        let configuration = """
            [ui]
            interactive = false

            """
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            try Data(cgi.utf8).write(to: URL(fileURLWithPath: stateDirectory + "/hgweb.py"), options: .atomic)
            try Data(configuration.utf8).write(to: URL(fileURLWithPath: stateDirectory + "/hgrc"), options: .atomic)
        } catch {
            throw ForgeError(.io, "cannot prepare \(stateDirectory): \(error)", operation: "prepare hg backend", path: stateDirectory)
        }
    }

    /// Starts hgweb for `request` on the repository stored at `directory`.
    ///
    /// - Parameters:
    ///   - headers: The request's headers (name, value); each becomes `HTTP_NAME` as CGI wants.
    ///   - pusher: The authenticated user allowed to push, when the caller found they may; nil lets
    ///     nobody push.
    public func start(_ request: MercurialHTTPRequest, directory: RepositoryPath, method: String, query: String,
                      headers: [(String, String)], remoteUser: String?, remoteAddress: String?, pusher: String? = nil,
                      serverName: String = "localhost", serverPort: Int = 80) throws(ForgeError) -> CGIExchange {
        var environment: [String: String] = [
            "FORGE_HG_REPOSITORY": root + "/" + directory.description,
            "REQUEST_METHOD": method,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "/" + directory.description,
            "PATH_INFO": "/",
            "SERVER_NAME": serverName,
            "SERVER_PORT": String(serverPort),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "HGRCPATH": stateDirectory + "/hgrc",
            "HGENCODING": "UTF-8",
            "HOME": stateDirectory,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "LANG": "C.UTF-8",
        ]
        for (name, value) in headers {
            let key = name.uppercased().replacingOccurrences(of: "-", with: "_")
            guard key.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else { continue }
            switch key {
            case "CONTENT_TYPE", "CONTENT_LENGTH": environment[key] = value
            case "AUTHORIZATION", "COOKIE", "PROXY_AUTHORIZATION": continue
            default: environment["HTTP_" + key] = value
            }
        }
        if let remoteUser { environment["REMOTE_USER"] = remoteUser }
        if let pusher, pusher == remoteUser, !pusher.contains(where: { $0 == "," || $0 == " " }) { environment["FORGE_HG_PUSHER"] = pusher }
        if let remoteAddress { environment["REMOTE_ADDR"] = remoteAddress }
        let process = try ChildProcess([python, stateDirectory + "/hgweb.py"], environment: environment)
        return CGIExchange(process: process, pushRecord: nil)
    }
}
