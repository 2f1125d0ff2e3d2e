import Foundation

/// A request of Mercurial's HTTP wire protocol: `GET|POST /NAME?cmd=COMMAND…`.
public struct MercurialHTTPRequest: Sendable, Hashable {
    /// The repository, as named in the URL.
    public let repository: RepositoryPath
    /// The wire-protocol command (`capabilities`, `batch`, `getbundle`, `unbundle`, `pushkey`, …).
    public let command: String

    /// Whether the command changes the repository (`unbundle` pushes changesets, `pushkey` moves
    /// bookmarks and phases); such requests need `write`.
    public var isPush: Bool { command == "unbundle" || command == "pushkey" }

    /// The access level the request needs.
    public var requiredLevel: AccessLevel { isPush ? .write : .read }

    /// Recognises a wire-protocol request: nil when the query has no `cmd`.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` when the repository name is not a valid ``RepositoryPath``
    ///   or the command is not a plain word.
    public static func recognise(path: String, query: String?) throws(ForgeError) -> MercurialHTTPRequest? {
        guard let query else { return nil }
        let command = query.split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == "cmd" ? String(parts[1]) : nil
        }.first
        guard let command else { return nil }
        guard !command.isEmpty, command.utf8.count <= 64, command.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) else {
            throw ForgeError(.invalidArgument, "'\(command.prefix(64))' is not a Mercurial command", operation: "serve hg")
        }
        let encoded = String(path.drop(while: { $0 == "/" }))
        let trimmed = encoded.hasSuffix("/") ? String(encoded.dropLast()) : encoded
        guard let name = trimmed.removingPercentEncoding else {
            throw ForgeError(.invalidArgument, "the repository name is not valid percent-encoding", operation: "serve hg")
        }
        return MercurialHTTPRequest(repository: try RepositoryPath(name), command: command)
    }
}

/// Runs Mercurial's own web server code (hgweb, as a CGI program) for wire-protocol requests that the
/// caller has already authenticated and authorised. Pushes are allowed by hgweb's configuration
/// (authorisation is the caller's job), over plain HTTP; every request header is passed as CGI wants it.
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
            # Written by Forgeworks: serves one repository with Mercurial's hgweb, as CGI.
            import os
            from mercurial import demandimport
            demandimport.enable()
            from mercurial.hgweb import hgweb, wsgicgi
            wsgicgi.launch(hgweb(os.environ["FORGE_HG_REPOSITORY"].encode()))

            """
        let configuration = """
            [web]
            allow-push = *
            push_ssl = false
            allow-archive = gz, zip, bz2
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
    public func start(_ request: MercurialHTTPRequest, directory: RepositoryPath, method: String, query: String,
                      headers: [(String, String)], remoteUser: String?, remoteAddress: String?,
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
        if let remoteAddress { environment["REMOTE_ADDR"] = remoteAddress }
        let process = try ChildProcess([python, stateDirectory + "/hgweb.py"], environment: environment)
        return CGIExchange(process: process, pushRecord: nil)
    }
}
