public import Foundation
public import Logging
import PlatformSupport

/// A changeset of a Mercurial repository.
public struct MercurialChangeset: Sendable, Hashable, Codable {
    /// The local revision number.
    public let revision: Int
    /// The 40-hex node id.
    public let node: String
    /// The named branch.
    public let branch: String
    /// The author, as recorded (`Name <email>`).
    public let user: String
    /// When it was committed.
    public let date: Date
    /// The committer's offset from UTC, in seconds east (Mercurial stores seconds west; this is the usual sign).
    public let timeZoneOffsetSeconds: Int
    /// The whole message.
    public let message: String
    /// The parents' node ids.
    public let parents: [String]
    /// Bookmarks on it.
    public let bookmarks: [String]
    /// Tags on it (`tip` included when it is the tip).
    public let tags: [String]
    /// Its phase (`public`, `draft`, `secret`).
    public let phase: String

    /// The first line of the message.
    public var summary: String { String(message.prefix { $0 != "\n" }) }
}

/// Which changesets to log: a changeset someone named (looked up as a symbol, never evaluated as a
/// revset, so `remote(tip, 'http://…')` names nothing rather than connecting out), its ancestors, or
/// an expression the program wrote itself.
public struct MercurialRevisions: Sendable, Hashable {
    /// The revset hg is given.
    public let revset: String

    private init(revset: String) {
        self.revset = revset
    }

    /// The changeset `text` names — a node id or its prefix, a revision number, a branch, bookmark or
    /// tag — as a revset string literal, which hg only looks up as a symbol.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for an empty text or one over 1 KiB.
    public static func symbol(_ text: String) throws(ForgeError) -> MercurialRevisions {
        MercurialRevisions(revset: try literal(text))
    }

    /// The changeset `text` names and its ancestors, newest first.
    public static func ancestors(of text: String) throws(ForgeError) -> MercurialRevisions {
        MercurialRevisions(revset: "reverse(::\(try literal(text)))")
    }

    /// A revset the program wrote itself, from node ids it read from hg: never from input.
    public static func expression(_ revset: String) -> MercurialRevisions {
        MercurialRevisions(revset: revset)
    }

    /// `text` as a revset string literal: every byte written `\xHH` between single quotes.
    static func literal(_ text: String) throws(ForgeError) -> String {
        guard !text.isEmpty, text.utf8.count <= 1024 else {
            throw ForgeError(.invalidArgument, "'\(text.prefix(64))' is not a revision", operation: "hg revision")
        }
        let digits = Array("0123456789abcdef".utf8)
        var escaped: [UInt8] = [UInt8(ascii: "'")]
        for byte in text.utf8 {
            escaped += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
        }
        escaped.append(UInt8(ascii: "'"))
        return String(decoding: escaped, as: UTF8.self)
    }
}

/// A file a changeset changed, as `hg status --change` reports it.
public struct MercurialFileChange: Sendable, Hashable, Codable {
    /// `added`, `modified` or `removed`.
    public enum Kind: String, Sendable, Hashable, Codable {
        case added, modified, removed
    }

    /// The path in the repository.
    public let path: String
    /// What happened to it.
    public let kind: Kind

    /// Creates a change.
    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// Read access to a Mercurial repository through Mercurial's command server (`hg serve --cmdserver
/// pipe`): one `hg` process per open instance, which answers each command without starting Python
/// again — Mercurial's supported interface for other languages. The process lives as long as the
/// instance: keep one open to read a repository many times; each ``open(at:logger:)`` starts another.
///
/// Commands run one at a time (the type is an actor). Output is read in the command server's framed
/// channels and bounded; an archive streams to a file descriptor without being held in memory.
/// ``close()`` stops the process; a repository that is dropped stops it too.
public actor MercurialRepository {
    /// The repository's folder.
    public let path: String
    private let process: ChildProcess
    private var buffer: [UInt8] = []
    private var start = 0
    private let logger: Logger
    private var closed = false

    /// The most output a command other than ``archive(_:format:toDescriptor:prefix:)`` may produce.
    public static let outputLimit = 64 << 20

    private init(path: String, process: ChildProcess, logger: Logger) {
        self.path = path
        self.process = process
        self.logger = logger
    }

    /// Starts a command server on the repository at `path`.
    ///
    /// - Throws: ``ForgeError`` `notFound` when hg is not installed or `path` is not a Mercurial
    ///   repository, `io` when the server does not greet as expected.
    public static func open(at path: String, logger: Logger = Logger(label: "forgekit.hg")) async throws(ForgeError) -> MercurialRepository {
        guard FileManager.default.fileExists(atPath: path + "/.hg/requires") || FileManager.default.fileExists(atPath: path + "/.hg/00changelog.i") else {
            throw ForgeError(.notFound, "not a Mercurial repository", operation: "open hg repository", path: path)
        }
        guard let hg = GitHTTPBackend.findExecutable("hg") else {
            throw ForgeError(.notFound, "hg is not installed", operation: "open hg repository", path: path)
        }
        var environment = RepositoryStore.toolEnvironment()
        environment["HGENCODING"] = "UTF-8"
        let process = try ChildProcess([hg, "serve", "--cmdserver", "pipe", "-R", path, "--config", "ui.interactive=false"],
                                       environment: environment)
        let repository = MercurialRepository(path: path, process: process, logger: logger)
        try await repository.readHello()
        return repository
    }

    /// Clones the local repository at `source` into `destination` (which must not exist) with its
    /// working copy at `node` (40 hex digits): copying the history through the pull protocol, never
    /// hard-linking the source's files, with no configuration but the forge's (no hooks).
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for a node that is not 40 hex digits, `notFound` when
    ///   hg is not installed, `io` when the clone fails (with hg's words, without the source's folder).
    public static func clone(from source: String, to destination: String, node: String) async throws(ForgeError) {
        let operation = "clone hg repository"
        guard node.utf8.count == 40, node.utf8.allSatisfy({ Hex.value($0) != nil }) else {
            throw ForgeError(.invalidArgument, "'\(node.prefix(64))' is not a changeset id", operation: operation)
        }
        guard !source.hasPrefix("-"), !destination.hasPrefix("-") else {
            throw ForgeError(.invalidArgument, "a repository folder may not start with '-'", operation: operation)
        }
        guard let hg = GitHTTPBackend.findExecutable("hg") else {
            throw ForgeError(.notFound, "hg is not installed", operation: operation)
        }
        let result = try await ChildProcess.run([hg, "clone", "--pull", "--updaterev", node, "--", source, destination],
                                                environment: RepositoryStore.toolEnvironment(), limit: 1 << 20)
        guard result.status == 0 else {
            let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: source, with: "the repository")
            throw ForgeError(.io, "hg clone failed (\(result.status)): \(message.prefix(1000))", operation: operation, path: destination)
        }
    }

    /// Opens the repository at `path`, runs `body` with it, and stops its command server whatever happens.
    public static func withRepository<T>(at path: String, logger: Logger = Logger(label: "forgekit.hg"),
                                         isolation: isolated (any Actor)? = #isolation,
                                         _ body: (MercurialRepository) async throws -> T) async throws -> T {
        let repository = try await open(at: path, logger: logger)
        do {
            let value = try await body(repository)
            await repository.close()
            return value
        } catch {
            await repository.close()
            throw error
        }
    }

    private func readHello() async throws(ForgeError) {
        let (channel, data) = try await frame()
        let text = String(decoding: data, as: UTF8.self)
        guard channel == UInt8(ascii: "o"), text.contains("runcommand") else {
            throw ForgeError(.io, "the command server did not greet as expected", operation: "open hg repository", path: path)
        }
    }

    /// Runs `hg ARGUMENTS` in the command server; its exit code, output and error output.
    ///
    /// - Throws: ``ForgeError`` `io` when the server died or the output exceeded ``outputLimit``.
    public func run(_ arguments: [String]) async throws(ForgeError) -> (code: Int32, output: [UInt8], error: String) {
        var output: [UInt8] = []
        var errorOutput: [UInt8] = []
        let code = try await runStreaming(arguments) { (bytes: [UInt8]) throws(ForgeError) in
            guard output.count + bytes.count <= Self.outputLimit else {
                throw ForgeError(.io, "hg \(arguments.first ?? "") wrote more than \(Self.outputLimit) bytes", operation: "hg", path: path)
            }
            output += bytes
        } error: { errorOutput += $0 }
        return (code, output, String(decoding: errorOutput, as: UTF8.self))
    }

    private func runStreaming(_ arguments: [String], output: (([UInt8]) throws(ForgeError) -> Void),
                              error: ([UInt8]) -> Void) async throws(ForgeError) -> Int32 {
        guard !closed else { throw ForgeError(.misuse, "the repository was closed", operation: "hg", path: path) }
        guard !arguments.contains(where: { $0.utf8.contains(0) }) else {
            throw ForgeError(.invalidArgument, "an argument contains a NUL byte", operation: "hg", path: path)
        }
        let payload = Array(arguments.joined(separator: "\u{0}").utf8)
        var message = Array("runcommand\n".utf8)
        message += withUnsafeBytes(of: UInt32(payload.count).bigEndian, Array.init)
        message += payload
        try await process.write(message)
        var pendingError: ForgeError?
        while true {
            let (channel, data) = try await frame()
            switch channel {
            case UInt8(ascii: "o"):
                if pendingError == nil {
                    do throws(ForgeError) { try output(data) } catch { pendingError = error }
                }
            case UInt8(ascii: "e"):
                error(data)
            case UInt8(ascii: "r"):
                guard data.count == 4 else { throw ForgeError(.io, "malformed result from the command server", operation: "hg", path: path) }
                if let pendingError { throw pendingError }
                return Int32(bitPattern: UInt32(data[0]) << 24 | UInt32(data[1]) << 16 | UInt32(data[2]) << 8 | UInt32(data[3]))
            case UInt8(ascii: "I"), UInt8(ascii: "L"):
                // Input is never given: answer with an empty block, as the protocol allows.
                try await process.write([0, 0, 0, 0])
            case UInt8(ascii: "d"):
                continue
            default:
                // Upper-case channels are required; lower-case ones may be ignored.
                if channel >= UInt8(ascii: "A") && channel <= UInt8(ascii: "Z") {
                    throw ForgeError(.unsupported, "the command server asked for channel '\(UnicodeScalar(channel))'", operation: "hg", path: path)
                }
            }
        }
    }

    private func checked(_ arguments: [String], operation: String) async throws(ForgeError) -> [UInt8] {
        let (code, output, errorText) = try await run(arguments)
        guard code == 0 else {
            // What hg says is shown to people: never with the server's folders in it.
            let message = errorText.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: path, with: "the repository")
            let notFound = message.contains("unknown revision") || message.contains("no such file") || message.contains("not found")
                || message.contains("filtered revision") || message.contains("ambiguous")
            throw ForgeError(notFound ? .notFound : .io, message.isEmpty ? "hg \(arguments[0]) failed (\(code))" : message,
                             operation: operation, path: path)
        }
        return output
    }

    /// The changeset `revision` names, as a revset literal hg only looks up as a symbol (an argument
    /// that is never an option either: it starts with a quote).
    private func revisionArgument(_ revision: String, operation: String) throws(ForgeError) -> String {
        do {
            return try MercurialRevisions.literal(revision)
        } catch {
            throw ForgeError(.invalidArgument, error.message, operation: operation, path: path)
        }
    }

    private struct JSONChangeset: Decodable {
        let rev: Int
        let node: String
        let branch: String
        let user: String
        let date: [Double]
        let desc: String
        let parents: [String]
        let bookmarks: [String]
        let tags: [String]
        let phase: String
    }

    /// How many changesets `revisions` names (all when nil): one byte of output per changeset.
    public func count(_ revisions: MercurialRevisions? = nil) async throws(ForgeError) -> Int {
        var arguments = ["log", "-T", "."]
        if let revisions { arguments += ["-r", revisions.revset] }
        return try await checked(arguments, operation: "hg log").count
    }

    /// Changesets of `revisions` (all when nil), newest first, at most `limit`.
    public func log(_ revisions: MercurialRevisions? = nil, limit: Int? = nil) async throws(ForgeError) -> [MercurialChangeset] {
        var arguments = ["log", "-T", "json"]
        if let revisions { arguments += ["-r", revisions.revset] }
        if let limit { arguments += ["-l", String(max(1, limit))] }
        let output = try await checked(arguments, operation: "hg log")
        let decoded: [JSONChangeset]
        do {
            decoded = try JSONDecoder().decode([JSONChangeset].self, from: Data(output))
        } catch {
            throw ForgeError(.io, "unreadable hg log output: \(error)", operation: "hg log", path: path)
        }
        return decoded.map { item in
            MercurialChangeset(revision: item.rev, node: item.node, branch: item.branch, user: item.user,
                               date: Date(timeIntervalSince1970: item.date.first ?? 0),
                               timeZoneOffsetSeconds: -Int(item.date.count > 1 ? item.date[1] : 0), message: item.desc,
                               parents: item.parents, bookmarks: item.bookmarks, tags: item.tags, phase: item.phase)
        }
    }

    /// The files the changeset `revision` names (a symbol) changed against its first parent.
    public func changedFiles(_ revision: String) async throws(ForgeError) -> [MercurialFileChange] {
        let output = try await checked(["status", "--change", try revisionArgument(revision, operation: "hg status"), "-amr", "-T", "json"],
                                       operation: "hg status")
        struct Item: Decodable { let path: String; let status: String }
        let items: [Item]
        do {
            items = try JSONDecoder().decode([Item].self, from: Data(output))
        } catch {
            throw ForgeError(.io, "unreadable hg status output: \(error)", operation: "hg status", path: path)
        }
        return items.compactMap { item in
            switch item.status {
            case "A": MercurialFileChange(path: item.path, kind: .added)
            case "M": MercurialFileChange(path: item.path, kind: .modified)
            case "R": MercurialFileChange(path: item.path, kind: .removed)
            default: nil
            }
        }
    }

    /// The contents of `file` at the changeset `revision` names (a symbol).
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` for an absolute path or one with `..`, `notFound`
    ///   when the file or revision does not exist.
    public func file(at revision: String, path file: String) async throws(ForgeError) -> [UInt8] {
        let components = file.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.isEmpty, !file.hasPrefix("/"), !components.contains(".."), !components.contains(""), !file.utf8.contains(0) else {
            throw ForgeError(.invalidArgument, "'\(file.prefix(200))' is not a path inside the repository", operation: "hg cat", path: path)
        }
        // `path:` makes the argument a literal path, not a pattern.
        return try await checked(["cat", "-r", try revisionArgument(revision, operation: "hg cat"), "path:" + file], operation: "hg cat")
    }

    /// The tip-most head of each named branch that has open heads, and each bookmark, with their nodes.
    public func references() async throws(ForgeError) -> [String: String] {
        let output = try await checked(["log", "-r", "head() and not closed() or bookmark()", "-T", "{branch}\t{node}\t{bookmarks}\n"],
                                       operation: "hg heads")
        var references: [String: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            // Revisions come in increasing order, so the last head of a branch is its tip-most one.
            references["refs/heads/" + fields[0]] = String(fields[1])
            for bookmark in fields[2].split(separator: " ") { references["refs/bookmarks/" + bookmark] = String(fields[1]) }
        }
        return references
    }

    /// What a push can change, as references: the branch heads and bookmarks of ``references()``, and
    /// each changeset that is not public as `refs/phases/draft/NODE` or `refs/phases/secret/NODE` (at
    /// most 10,000 of them; a publishing server has few). Comparing two states tells what a push did.
    public func pushState() async throws(ForgeError) -> [String: String] {
        var state = try await references()
        let output = try await checked(["log", "-r", "not public()", "-l", "10000", "-T", "{phase}\t{node}\n"], operation: "hg phases")
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            guard fields.count == 2 else { continue }
            state["refs/phases/\(fields[0])/\(fields[1])"] = String(fields[1])
        }
        return state
    }

    /// Writes an archive of the changeset `revision` names (a symbol; `tar`, `tgz` or `zip`) to
    /// `descriptor`, streamed as hg produces it.
    public func archive(_ revision: String, format: String, toDescriptor descriptor: Int32, prefix: String = "") async throws(ForgeError) {
        guard ["tar", "tgz", "zip"].contains(format) else {
            throw ForgeError(.invalidArgument, "hg archives as tar, tgz or zip, not '\(format)'", operation: "hg archive", path: path)
        }
        guard !prefix.contains(".."), !prefix.hasPrefix("/"), !prefix.hasPrefix("-") else {
            throw ForgeError(.invalidArgument, "'\(prefix)' is not a valid archive prefix", operation: "hg archive", path: path)
        }
        var errorOutput: [UInt8] = []
        let code = try await runStreaming(["archive", "-r", try revisionArgument(revision, operation: "hg archive"), "-t", format,
                                           "--prefix", prefix.isEmpty ? "." : prefix, "-"]) { (bytes: [UInt8]) throws(ForgeError) in
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, $0.count - written) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ForgeError(.io, "cannot write the archive: \(String(cString: strerror(errno)))", operation: "hg archive", path: path)
                }
                written += count
            }
        } error: { errorOutput += $0 }
        guard code == 0 else {
            throw ForgeError(.notFound, String(decoding: errorOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                             operation: "hg archive", path: path)
        }
    }

    // MARK: - Frames: a channel byte, a big-endian 32-bit length, the data

    private func frame() async throws(ForgeError) -> (UInt8, [UInt8]) {
        let header = try await take(5)
        let channel = header[0]
        let length = Int(UInt32(header[1]) << 24 | UInt32(header[2]) << 16 | UInt32(header[3]) << 8 | UInt32(header[4]))
        // Input channels carry the wanted size, not data.
        if channel == UInt8(ascii: "I") || channel == UInt8(ascii: "L") { return (channel, []) }
        return (channel, try await take(length))
    }

    private func take(_ count: Int) async throws(ForgeError) -> [UInt8] {
        while buffer.count - start < count {
            let chunk = try await process.read()
            if chunk.isEmpty {
                let detail = await process.standardError()
                throw ForgeError(.io, "the command server stopped" + (detail.isEmpty ? "" : ": \(detail.prefix(500))"), operation: "hg", path: path)
            }
            if start > 0 {
                buffer.removeSubrange(..<start)
                start = 0
            }
            buffer += chunk
        }
        let result = Array(buffer[start..<(start + count)])
        start += count
        return result
    }

    /// Stops the command server.
    public func close() async {
        guard !closed else { return }
        closed = true
        process.closeInput()
        _ = await process.wait()
    }
}
