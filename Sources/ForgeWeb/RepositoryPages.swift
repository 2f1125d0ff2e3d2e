import DeployKit
import ForgeKit
import ForgeKitServer
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import NIOCore
import PipelineKit
import PlatformSupport

#if canImport(Glibc)
import Glibc
#endif

/// A repository URL taken apart: `/team/app/-/tree/main/src` is `team/app`, `tree`, `["main", "src"]`.
struct RepositoryRoute {
    var repository: RepositoryPath
    var action: String
    var rest: [String]

    /// Parses a request path; each segment is percent-decoded on its own, so `feature%2Fx` is one revision.
    static func parse(_ path: String) throws(ForgeError) -> RepositoryRoute {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(raw).removingPercentEncoding else {
                throw ForgeError(.invalidArgument, "the path is not valid percent-encoding", operation: "route")
            }
            segments.append(decoded)
        }
        guard !segments.isEmpty else { throw ForgeError(.notFound, "no such page", operation: "route") }
        if let dash = segments.firstIndex(of: "-") {
            let repository = try RepositoryPath(segments[..<dash].joined(separator: "/"))
            let after = Array(segments[(dash + 1)...])
            return RepositoryRoute(repository: repository, action: after.first ?? "", rest: Array(after.dropFirst()))
        }
        return RepositoryRoute(repository: try RepositoryPath(segments.joined(separator: "/")), action: "", rest: [])
    }
}

extension ForgeWebService {
    /// The repository, if the viewer may read it (else `notFound`, as for a missing one).
    func readable(_ path: RepositoryPath, viewer: Viewer, peer: String?) async throws(ForgeError) -> (RepositoryRecord, AccessLevel) {
        guard let facts = try await store.permissionFacts(repository: path, caller: viewer.user) else {
            throw ForgeError(.notFound, "no repository '\(path)'", operation: "open repository")
        }
        let level = facts.effectiveLevel(from: peer.flatMap { IPAddress($0) })
        guard level >= .read else { throw ForgeError(.notFound, "no repository '\(path)'", operation: "open repository") }
        return (facts.repository, level)
    }

    func cloneURL(_ repository: RepositoryRecord) -> String {
        options.publicURL + "/" + repository.path.description + (repository.kind == .git ? ".git" : "")
    }

    func link(_ repository: RepositoryRecord, _ action: String, _ parts: String...) -> String {
        var url = "/" + urlEncodePath(repository.path.description) + "/-/" + action
        for part in parts { url += "/" + urlEncode(part) }
        return url
    }

    func frame(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, title: String, active: String, body: String,
               scripts: [String] = []) -> Response {
        let base = "/" + urlEncodePath(repository.path.description)
        var tabs = "<nav class=\"tabs\"><a href=\"\(base)\">Summary</a><a href=\"\(base)/-/commits\">Commits</a>"
        if repository.kind == .git {
            tabs += "<a href=\"\(base)/-/tree\">Files</a><a href=\"\(base)/-/branches\">Branches</a><a href=\"\(base)/-/tags\">Tags</a>"
        }
        if runs != nil { tabs += "<a href=\"\(base)/-/runs\" id=\"runs-tab\">Pipeline runs</a>" }
        if deployments != nil { tabs += "<a href=\"\(base)/-/deployments\">Deployments</a>" }
        if level >= .admin { tabs += "<a href=\"\(base)/-/settings\">Settings</a>" }
        tabs += "</nav>"
        // The current tab marked (aria-current and a class), found by its href.
        let current: String = switch active {
        case "", "summary": "\"\(base)\""
        case "runs", "run": "\"\(base)/-/runs\""
        case "deployments", "deployment": "\"\(base)/-/deployments\""
        default: "\"\(base)/-/\(active)\""
        }
        tabs = tabs.replacingOccurrences(of: "href=\(current)", with: "href=\(current) class=\"current\" aria-current=\"page\"")
        let heading = "<h1><a href=\"\(base)\">\(escape(repository.path.description))</a> <small class=\"muted\">\(repository.kind.rawValue)"
            + "\(repository.isPrivate ? " · private" : "")</small></h1>"
        return Web.html(Page(title: "\(title) · \(repository.path)", viewer: viewer, body: heading + tabs + body, scripts: scripts))
    }

    /// Every GET below a repository.
    func repositoryPage(_ request: Request, viewer: Viewer, peer: String?) async throws -> Response {
        let route = try RepositoryRoute.parse(request.uri.path)
        if route.action == "" || route.action == "members", try await store.repository(route.repository) == nil,
           let group = try await store.group(route.repository) {
            // A group with nothing the viewer may see answers as one that does not exist.
            guard try await canSee(group, viewer: viewer, peer: peer) else {
                throw ForgeError(.notFound, "no repository '\(route.repository)'", operation: "open repository")
            }
            return try await groupPage(group, viewer: viewer, peer: peer, message: nil)
        }
        let (repository, level) = try await readable(route.repository, viewer: viewer, peer: peer)
        let query = Web.parseQuery(request.uri.query ?? "")
        switch (repository.kind, route.action) {
        case (_, ""): return try await summary(repository, viewer: viewer, level: level)
        case (.git, "tree"): return try await treePage(repository, viewer: viewer, level: level, rest: route.rest)
        case (.git, "blob"): return try await blobPage(repository, viewer: viewer, level: level, rest: route.rest, query: query)
        case (.git, "blame"): return try await blamePage(repository, viewer: viewer, level: level, rest: route.rest)
        case (.git, "search"): return try await searchPage(repository, viewer: viewer, level: level, query: query)
        case (.git, "compare"): return try await comparePage(repository, viewer: viewer, level: level, rest: route.rest, query: query)
        case (_, "raw"): return try await raw(repository, rest: route.rest)
        case (_, "commits"): return try await commitsPage(repository, viewer: viewer, level: level, revision: route.rest.first,
                                                            path: query["path"].flatMap { $0.isEmpty ? nil : $0 },
                                                            page: max(1, Int(query["page"] ?? "1") ?? 1))
        case (_, "commit"): return try await commitPage(repository, viewer: viewer, level: level, id: route.rest.first ?? "",
                                                          style: DiffView.Style(rawValue: query["style"] ?? "") ?? .unified)
        case (.git, "branches"), (.git, "tags"): return try await referencesPage(repository, viewer: viewer, level: level, kind: route.action)
        case (_, "archive"): return try await archive(repository, name: route.rest.first ?? "")
        case (_, "runs"): return try await runsPage(repository, viewer: viewer, level: level, query: query)
        case (_, "run"): return try await runPage(repository, viewer: viewer, level: level, id: route.rest.first ?? "")
        case (_, "deployments"): return try await deploymentsPage(repository, viewer: viewer, level: level, query: query)
        case (_, "deployment"): return try await deploymentPage(repository, viewer: viewer, level: level, id: route.rest.first ?? "")
        case (_, "settings"):
            guard level >= .admin else { throw ForgeError(.forbidden, "only the repository's admins see its settings", operation: "settings") }
            return try await settingsPage(repository, viewer: viewer, level: level, message: nil)
        default:
            throw ForgeError(.notFound, "no such page", operation: "route")
        }
    }

    // MARK: - Summary

    func summary(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel) async throws -> Response {
        var body = repository.description.isEmpty ? "" : "<div class=\"markdown description\" id=\"description\">\(Markdown.html(repository.description))</div>"
        body += "<p>Clone: <code id=\"clone-url\">\(escape(cloneURL(repository)))</code></p>"
        let directory = repositories.directory(for: repository.path)
        switch repository.kind {
        case .git:
            let (head, commits, entries, readme) = try await bounded { () async throws -> (Head, [Commit], [TreeEntry], (String, String)?) in
                let git = try await repositories.open.repository(at: directory)
                return try await git.withSession { session in
                    let head = try session.head()
                    guard let commit = head.commit else { return (head, [], [], nil) }
                    let commits = try session.log(LogOptions([commit.hex], limit: 5))
                    let entries = try session.tree(at: commit.hex)
                    return (head, commits, entries, try Self.readme(session, entries: entries))
                }
            }
            guard let tip = head.commit else {
                body += "<p id=\"empty\">This repository is empty. Push to it:</p><pre>git remote add origin \(escape(cloneURL(repository)))\ngit push origin main</pre>"
                return frame(repository, viewer: viewer, level: level, title: "Summary", active: "", body: body)
            }
            var revision = tip.hex
            if case .branch(let name, _) = head {
                revision = name
                body += "<p>Default branch <code>\(escape(name))</code> · <a href=\"\(link(repository, "compare"))\">Compare</a> · "
                body += "<a href=\"\(link(repository, "archive", name + ".tar.gz"))\">tar.gz</a> · <a href=\"\(link(repository, "archive", name + ".zip"))\">zip</a></p>"
            }
            body += codeSearchForm(repository) + "<h2>Latest commits</h2>" + commitTable(repository, commits)
            body += "<h2>Files</h2>" + treeTable(repository, revision: revision, directory: "", entries: entries)
            if let (name, text) = readme { body += readmeSection(repository, revision: revision, directory: "", name: name, text: text) }
        case .hg:
            let log = try await bounded {
                try await MercurialRepository.withRepository(at: directory) { try await $0.log(nil, limit: 5) }
            }
            if log.isEmpty {
                body += "<p id=\"empty\">This repository is empty. Push to it: <code>hg push \(escape(cloneURL(repository)))</code></p>"
            } else {
                body += "<h2>Latest changesets</h2>" + changesetTable(repository, log)
            }
        }
        return frame(repository, viewer: viewer, level: level, title: "Summary", active: "", body: body)
    }

    func commitTable(_ repository: RepositoryRecord, _ commits: [Commit]) -> String {
        var html = "<table class=\"commits\"><tr><th>Commit</th><th>Message</th><th>Author</th><th>Date</th></tr>"
        for commit in commits {
            let date = Date(timeIntervalSince1970: TimeInterval(commit.author.time))
            html += "<tr><td><a class=\"mono commit-link\" href=\"\(link(repository, "commit", commit.id.hex))\">\(commit.id.abbreviated(10))</a></td>"
            html += "<td>\(escape(commit.summary))</td><td>\(escape(commit.author.name))</td><td>\(Web.relativeTime(date))</td></tr>"
        }
        return html + "</table>"
    }

    func changesetTable(_ repository: RepositoryRecord, _ log: [MercurialChangeset]) -> String {
        var html = "<table class=\"commits\"><tr><th>Changeset</th><th>Message</th><th>Branch</th><th>Author</th><th>Date</th></tr>"
        for changeset in log {
            html += "<tr><td><a class=\"mono commit-link\" href=\"\(link(repository, "commit", changeset.node))\">\(changeset.revision):\(changeset.node.prefix(12))</a></td>"
            html += "<td>\(escape(changeset.summary))</td><td>\(escape(changeset.branch))</td><td>\(escape(changeset.user))</td>"
            html += "<td>\(Web.relativeTime(changeset.date))</td></tr>"
        }
        return html + "</table>"
    }

    func treeTable(_ repository: RepositoryRecord, revision: String, directory: String, entries: [TreeEntry]) -> String {
        var html = "<table id=\"files\"><tr><th>Name</th><th>Size</th></tr>"
        if !directory.isEmpty {
            let parent = directory.split(separator: "/").dropLast().joined(separator: "/")
            html += "<tr><td><a href=\"\(link(repository, "tree", revision))\(parent.isEmpty ? "" : "/" + urlEncodePath(parent))\">..</a></td><td></td></tr>"
        }
        let sorted = entries.sorted { ($0.mode == .tree ? 0 : 1, $0.name) < ($1.mode == .tree ? 0 : 1, $1.name) }
        for entry in sorted.prefix(options.largestTree) {
            let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
            switch entry.mode {
            case .tree:
                html += "<tr><td><a href=\"\(link(repository, "tree", revision))/\(urlEncodePath(path))\">\(escape(entry.name))/</a></td><td></td></tr>"
            case .gitlink:
                html += "<tr><td>\(escape(entry.name)) <span class=\"muted\">(submodule at \(entry.id.abbreviated()))</span></td><td></td></tr>"
            default:
                let label = entry.mode == .symlink ? " → (symlink)" : ""
                html += "<tr><td><a href=\"\(link(repository, "blob", revision))/\(urlEncodePath(path))\">\(escape(entry.name))</a>\(label)</td>"
                html += "<td>\(entry.size.map(String.init) ?? "")</td></tr>"
            }
        }
        if entries.count > options.largestTree {
            html += "<tr><td colspan=\"2\" class=\"muted\">\(entries.count - options.largestTree) more entries not shown</td></tr>"
        }
        return html + "</table>"
    }

    // MARK: - Files

    func raw(_ repository: RepositoryRecord, rest: [String]) async throws -> Response {
        guard rest.count >= 2 else { throw ForgeError(.notFound, "no file named", operation: "read file") }
        let revision = rest[0], path = rest.dropFirst().joined(separator: "/")
        let directory = repositories.directory(for: repository.path)
        let bytes: [UInt8]
        switch repository.kind {
        case .git:
            bytes = try await bounded { try await repositories.open.repository(at: directory).blob(at: revision, path: path, maxSize: 64 << 20) }
        case .hg:
            bytes = try await bounded {
                try await MercurialRepository.withRepository(at: directory) { try await $0.file(at: revision, path: path) }
            }
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let nosniff = HTTPField.Name("X-Content-Type-Options") { headers[nosniff] = "nosniff" }
        if !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil { headers[.contentType] = "text/plain; charset=utf-8" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: - History

    func commitsPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, revision: String?, path: String?, page: Int) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let perPage = 50
        var body = ""
        switch repository.kind {
        case .git:
            let revision = revision ?? "HEAD"
            let commits = try await bounded { () async throws -> [Commit] in
                let git = try await repositories.open.repository(at: directory)
                return try await git.withSession { session in
                    if case .unborn = try session.head(), revision == "HEAD" { return [] }
                    let all = try session.log(LogOptions([revision], limit: page * perPage, paths: path.map { [$0] } ?? []))
                    return Array(all.dropFirst((page - 1) * perPage))
                }
            }
            if let path {
                body += "<h2 id=\"history-title\">History of <code>\(escape(path))</code> on \(escape(revision))</h2>"
            } else {
                body += "<h2>Commits on \(escape(revision))</h2>"
            }
            body += commitTable(repository, commits)
            let pathQuery = path.map { "&path=" + urlEncode($0) } ?? ""
            if page > 1 {
                body += "<p><a id=\"newer\" href=\"\(link(repository, "commits", revision))?page=\(page - 1)\(pathQuery)\">Newer</a></p>"
            }
            if commits.count == perPage {
                body += "<p><a id=\"older\" href=\"\(link(repository, "commits", revision))?page=\(page + 1)\(pathQuery)\">Older</a></p>"
            }
        case .hg:
            let log = try await bounded {
                let all = try await MercurialRepository.withRepository(at: directory) {
                    try await $0.log(try revision.map { name throws(ForgeError) in try .ancestors(of: name) }, limit: page * perPage)
                }
                return Array(all.dropFirst((page - 1) * perPage))
            }
            body += "<h2>Changesets</h2>" + changesetTable(repository, log)
        }
        return frame(repository, viewer: viewer, level: level, title: "Commits", active: "commits", body: body)
    }

    func commitPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, id: String, style: DiffView.Style) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        var body = ""
        // A commit named by its full id never changes: its rendered page is kept.
        let key = id.utf8.count == 40 && id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
            ? "commit\u{0}\(directory)\u{0}\(id)\u{0}\(style.rawValue)" : nil
        if let key, let cached = rendered.body(key) {
            return frame(repository, viewer: viewer, level: level, title: "Commit", active: "commits", body: cached)
        }
        switch repository.kind {
        case .git:
            let (commit, changes, patch) = try await bounded { () async throws -> (Commit, [PathChange], CommitPatch) in
                let git = try await repositories.open.repository(at: directory)
                return try await git.withSession { session in
                    let commit = try session.commit(id)
                    return (commit, try session.changes(in: commit.id), try session.patch(for: commit.id))
                }
            }
            let date = Date(timeIntervalSince1970: TimeInterval(commit.author.time))
            body += "<h2 id=\"commit-summary\">\(escape(commit.summary))</h2><pre>\(escape(commit.message))</pre>"
            body += "<p class=\"mono\">commit \(commit.id.hex)<br>"
            for parent in commit.parentIDs { body += "parent <a href=\"\(link(repository, "commit", parent.hex))\">\(parent.hex)</a><br>" }
            body += "author \(escape(commit.author.name)) &lt;\(escape(commit.author.email))&gt; · \(escape(date.formatted(.iso8601)))</p>"
            body += "<p><a href=\"\(link(repository, "tree", commit.id.hex))\">Browse files</a> · "
            body += "<a href=\"\(link(repository, "archive", commit.id.hex + ".zip"))\">zip</a> · "
            body += "<a href=\"\(link(repository, "archive", commit.id.hex + ".tar.gz"))\">tar.gz</a> · "
            body += "<a href=\"\(link(repository, "archive", commit.id.hex + ".tar"))\">tar</a></p>"
            let diff = DiffView(patch: patch.text)
            body += changedFiles(changes, anchors: diff.anchors) + diff.html(style: style)
            if patch.truncated { body += "<p class=\"muted\">The diff is too large to show whole.</p>" }
            if let key { rendered.store(body, key) }
        case .hg:
            let (changeset, files) = try await bounded {
                try await MercurialRepository.withRepository(at: directory) { hg -> (MercurialChangeset, [MercurialFileChange]) in
                    guard let changeset = try await hg.log(try .symbol(id), limit: 1).first else {
                        throw ForgeError(.notFound, "no changeset '\(id)'", operation: "read changeset")
                    }
                    return (changeset, try await hg.changedFiles(changeset.node))
                }
            }
            body += "<h2 id=\"commit-summary\">\(escape(changeset.summary))</h2><pre>\(escape(changeset.message))</pre>"
            body += "<p class=\"mono\">changeset \(changeset.revision):\(changeset.node)<br>branch \(escape(changeset.branch))<br>"
            body += "user \(escape(changeset.user))</p><ul id=\"changed\">"
            for file in files { body += "<li>\(file.kind.rawValue) \(escape(file.path))</li>" }
            body += "</ul><p><a href=\"\(link(repository, "archive", changeset.node + ".zip"))\">zip</a> · "
            body += "<a href=\"\(link(repository, "archive", changeset.node + ".tar"))\">tar</a></p>"
        }
        return frame(repository, viewer: viewer, level: level, title: "Commit", active: "commits", body: body)
    }

    func referencesPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, kind: String) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let references = try await bounded {
            try await repositories.open.repository(at: directory).references(prefix: kind == "tags" ? "refs/tags/" : "refs/heads/")
        }
        var body = "<h2>\(kind == "tags" ? "Tags" : "Branches")</h2><table id=\"\(kind)\"><tr><th>Name</th><th>Commit</th><th>Downloads</th></tr>"
        for reference in references {
            body += "<tr><td><a href=\"\(link(repository, "commits", reference.shortName))\">\(escape(reference.shortName))</a></td>"
            body += "<td class=\"mono\"><a href=\"\(link(repository, "commit", reference.target.hex))\">\(reference.target.abbreviated(10))</a></td>"
            body += "<td><a href=\"\(link(repository, "archive", reference.shortName + ".zip"))\">zip</a> "
            body += "<a href=\"\(link(repository, "archive", reference.shortName + ".tar.gz"))\">tar.gz</a> "
            body += "<a href=\"\(link(repository, "archive", reference.shortName + ".tar"))\">tar</a></td></tr>"
        }
        return frame(repository, viewer: viewer, level: level, title: kind, active: kind, body: body + "</table>")
    }

    // MARK: - Archives

    /// `REV.tar` or `REV.zip`, streamed through a pipe as the archive is written (memory stays flat).
    func archive(_ repository: RepositoryRecord, name: String) async throws -> Response {
        guard let format = ["tar.gz", "tar", "zip"].first(where: { name.hasSuffix("." + $0) }) else {
            throw ForgeError(.notFound, "archives are REV.tar.gz, REV.tar or REV.zip", operation: "archive")
        }
        let revision = String(name.dropLast(format.count + 1))
        guard !revision.isEmpty else { throw ForgeError(.notFound, "no revision named", operation: "archive") }
        let directory = repositories.directory(for: repository.path)
        let prefix = repository.path.name + "-" + revision.replacingOccurrences(of: "/", with: "-") + "/"
        // Resolve first, so that a bad revision is a 404 page rather than a broken download.
        switch repository.kind {
        case .git: _ = try await repositories.open.repository(at: directory).resolve(revision)
        case .hg:
            guard try await !MercurialRepository.withRepository(at: directory, { try await $0.log(try .symbol(revision), limit: 1) }).isEmpty else {
                throw ForgeError(.notFound, "no revision '\(revision)'", operation: "archive")
            }
        }
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw ForgeError(.io, "cannot make a pipe", operation: "archive") }
        let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
        let kind = repository.kind
        let writer = Task {
            defer { close(writeEnd) }
            switch kind {
            case .git:
                try await repositories.open.repository(at: directory).archive(revision, format: ArchiveFormat(rawValue: format) ?? .tar,
                                                                   toDescriptor: writeEnd, prefix: prefix)
            case .hg:
                try await MercurialRepository.withRepository(at: directory) {
                    try await $0.archive(revision, format: format == "tar.gz" ? "tgz" : format, toDescriptor: writeEnd, prefix: String(prefix.dropLast()))
                }
            }
        }
        let reader = BlockingQueue.serial(label: "forgeweb.archive.reader")
        let body = ResponseBody { output in
            defer { close(readEnd) }
            while true {
                let chunk: [UInt8] = await reader.run {
                    var buffer = [UInt8](repeating: 0, count: 64 << 10)
                    let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    return count > 0 ? Array(buffer[..<count]) : []
                }
                if chunk.isEmpty { break }
                do {
                    try await output.write(ByteBuffer(bytes: chunk))
                } catch {
                    writer.cancel()
                    throw error
                }
            }
            _ = try? await writer.value
            try await output.finish(nil)
        }
        let filename = prefix.dropLast() + "." + format
        let types = ["tar": "application/x-tar", "tar.gz": "application/gzip", "zip": "application/zip"]
        var headers: HTTPFields = [.contentType: types[format] ?? "application/octet-stream"]
        headers[.contentDisposition] = "attachment; filename=\"\(filename.replacingOccurrences(of: "\"", with: ""))\""
        return Response(status: .ok, headers: headers, body: body)
    }
}
