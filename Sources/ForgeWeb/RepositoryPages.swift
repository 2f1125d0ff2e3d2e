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

    /// A template's output with the viewer's CSRF token and sign-in state in its context.
    func content(_ template: String, _ context: [String: Any], viewer: Viewer) throws -> String {
        try Templates.render(template, context, csrf: viewer.csrf, signedIn: viewer.user != nil)
    }

    /// A repository page from `template` and `context` (see ``frame(_:viewer:level:title:active:content:scripts:)``).
    func frame(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, title: String, active: String,
               template: String, _ context: [String: Any], scripts: [String] = []) throws -> Response {
        frame(repository, viewer: viewer, level: level, title: title, active: active,
              content: try content(template, context, viewer: viewer), scripts: scripts)
    }

    /// A repository page: its heading and tabs (the current one marked) around `content`, HTML from a
    /// template (kept rendered for pages that never change).
    func frame(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, title: String, active: String, content: String,
               scripts: [String] = []) -> Response {
        let base = "/" + urlEncodePath(repository.path.description)
        var tabs: [(href: String, label: String, id: String?)] = [(base, "Summary", nil), (base + "/-/commits", "Commits", nil)]
        if repository.kind == .git {
            tabs += [(base + "/-/tree", "Files", nil), (base + "/-/branches", "Branches", nil), (base + "/-/tags", "Tags", nil),
                     (base + "/-/pulls", "Pull requests", "pulls-tab")]
        }
        if runs != nil { tabs.append((base + "/-/runs", "Pipeline runs", "runs-tab")) }
        if deployments != nil { tabs.append((base + "/-/deployments", "Deployments", nil)) }
        if level >= .admin { tabs.append((base + "/-/settings", "Settings", nil)) }
        let current: String = switch active {
        case "", "summary": base
        case "runs", "run": base + "/-/runs"
        case "deployments", "deployment": base + "/-/deployments"
        case "pulls", "pull": base + "/-/pulls"
        default: base + "/-/" + active
        }
        let context = view([
            "base": base, "repositoryPath": repository.path.description, "repositoryKind": repository.kind.rawValue,
            "repositoryPrivate": repository.isPrivate, "content": content,
            "tabs": tabs.map { view(["tabHref": $0.href, "tabLabel": $0.label, "tabID": $0.id, "tabCurrent": $0.href == current]) },
        ])
        return Web.html(Page(title: "\(title) · \(repository.path)", viewer: viewer, template: "repository", context, scripts: scripts))
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
        case (.git, "pulls"): return try await pullsPage(repository, viewer: viewer, level: level, rest: route.rest, query: query)
        case (.git, "pull"): return try await pullPage(repository, viewer: viewer, level: level, number: route.rest.first ?? "")
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
        var context = view(["descriptionHTML": repository.description.isEmpty ? nil : Markdown.html(repository.description),
                            "cloneURL": cloneURL(repository)])
        let directory = repositories.directory(for: repository.path)
        switch repository.kind {
        case .git:
            let cache = rendered
            let (head, commits, folder) = try await bounded { () async throws -> (Head, [Commit], FolderRead?) in
                let git = try await repositories.open.repository(at: directory)
                return try await git.withSession { session in
                    let head = try session.head()
                    guard let commit = head.commit else { return (head, [], nil) }
                    let commits = try session.log(LogOptions([commit.hex], limit: 5))
                    var revision = commit.hex
                    if case .branch(let name, _) = head { revision = name }
                    return (head, commits, try Self.readFolder(session, commit: commit, revision: revision, path: "", sizes: false,
                                                               directory: directory, cache: cache))
                }
            }
            guard let tip = head.commit else {
                context["emptyGit"] = true
                return try frame(repository, viewer: viewer, level: level, title: "Summary", active: "", template: "summary", context)
            }
            var revision = tip.hex
            if case .branch(let name, _) = head {
                revision = name
                context.merge(view(["defaultBranch": name, "compareHref": link(repository, "compare"),
                                    "tarHref": link(repository, "archive", name + ".tar.gz"), "zipHref": link(repository, "archive", name + ".zip")])) { $1 }
            }
            context["hasCommits"] = true
            context["commits"] = try await commitRows(repository, commits)
            context.merge(codeSearchContext(repository)) { $1 }
            if let folder { context["filesHTML"] = try filesHTML(repository, folder, revision: revision, path: "", viewer: viewer) }
        case .hg:
            let log = try await bounded {
                try await MercurialRepository.withRepository(at: directory) { try await $0.log(nil, limit: 5) }
            }
            context["emptyHg"] = log.isEmpty
            context["hasChangesets"] = !log.isEmpty
            context["changesets"] = changesetRows(repository, log)
        }
        return try frame(repository, viewer: viewer, level: level, title: "Summary", active: "", template: "summary", context)
    }

    /// The rows of the `commit-table` template, each with its commit's combined status.
    func commitRows(_ repository: RepositoryRecord, _ commits: [Commit]) async throws -> [[String: Any]] {
        let statuses = try await store.latestCommitStatuses(repositoryID: repository.id, commits: commits.map(\.id.hex))
        // Every row has every key: a missing one would be looked for again in the page's values.
        return commits.map { commit in
            ["commitHref": link(repository, "commit", commit.id.hex), "commitShort": commit.id.abbreviated(10), "commitSummary": commit.summary,
             "commitAuthor": commit.author.name, "commitWhen": Web.relativeTime(Date(timeIntervalSince1970: TimeInterval(commit.author.time))),
             "commitStatus": statusBadge(statuses[commit.id.hex] ?? []) ?? false]
        }
    }

    /// The values of the `status-badge` template: a commit's combined status with each context's
    /// newest state in its title; nil when the commit has none.
    func statusBadge(_ latest: [CommitStatus]) -> [String: Any]? {
        guard !latest.isEmpty else { return nil }
        let state = CommitStatus.combined(latest)
        let symbol = switch state {
        case .success: "✓"
        case .pending: "●"
        case .warning: "!"
        case .failure, .error: "✗"
        }
        return ["badgeClass": Self.statusClass(state), "badgeSymbol": symbol, "badgeState": state.rawValue,
                "badgeTitle": latest.map { "\($0.context): \($0.state.rawValue)" + ($0.description.isEmpty ? "" : " — " + $0.description) }
                    .joined(separator: "\n")]
    }

    /// A row of the `commit` template's statuses: the details link only when it is http(s).
    func statusRow(_ status: CommitStatus) -> [String: Any] {
        view(["statusContext": status.context, "statusState": status.state.rawValue, "statusClass": Self.statusClass(status.state),
              "statusDescription": status.description, "statusWhen": Web.relativeTime(status.createdAt),
              "statusTarget": status.targetURL.flatMap { $0.lowercased().hasPrefix("http://") || $0.lowercased().hasPrefix("https://") ? $0 : nil }])
    }

    /// The stylesheet's class of a status state (`error` is the error box's, so errors are `error-state`).
    static func statusClass(_ state: CommitStatusState) -> String {
        state == .error ? "error-state" : state.rawValue
    }

    /// The rows of the `changeset-table` template.
    func changesetRows(_ repository: RepositoryRecord, _ log: [MercurialChangeset]) -> [[String: Any]] {
        log.map { changeset in
            ["changesetHref": link(repository, "commit", changeset.node), "changesetName": "\(changeset.revision):\(changeset.node.prefix(12))",
             "changesetSummary": changeset.summary, "changesetBranch": changeset.branch, "changesetUser": changeset.user,
             "changesetWhen": Web.relativeTime(changeset.date)]
        }
    }

    /// A folder at a commit as the `files` template shows it — its entries and README — or, under
    /// `key`, the fragment rendered before: a commit's folders never change, and a large folder's
    /// rows are most of its page's time.
    struct FolderRead: Sendable {
        var key: String
        var cached: String?
        var entries: [TreeEntry] = []
        var readme: (String, String)?
    }

    /// Reads `path` at `commit` unless its fragment is kept (`revision` is the name its links use).
    static func readFolder(_ session: GitSession, commit: ObjectID, revision: String, path: String, sizes: Bool, directory: String,
                           cache: RenderedCache) throws(ForgeError) -> FolderRead {
        let key = "files\u{0}\(directory)\u{0}\(commit.hex)\u{0}\(revision)\u{0}\(path)\u{0}\(sizes)"
        if let cached = cache.body(key) { return FolderRead(key: key, cached: cached) }
        let entries = try session.tree(at: commit.hex, path: path, includeSizes: sizes)
        return FolderRead(key: key, entries: entries, readme: try readme(session, entries: entries))
    }

    /// The `files` fragment of a folder read by ``readFolder(_:commit:revision:path:sizes:directory:cache:)``, kept once rendered.
    func filesHTML(_ repository: RepositoryRecord, _ folder: FolderRead, revision: String, path: String, viewer: Viewer) throws -> String {
        if let cached = folder.cached { return cached }
        var context = treeContext(repository, revision: revision, directory: path, entries: folder.entries)
        if let (name, text) = folder.readme { context.merge(readmeContext(repository, revision: revision, directory: path, name: name, text: text)) { $1 } }
        let html = try content("files", context, viewer: viewer)
        rendered.store(html, folder.key)
        return html
    }

    /// The values of the `tree-table` template: a directory's entries, folders first.
    func treeContext(_ repository: RepositoryRecord, revision: String, directory: String, entries: [TreeEntry]) -> [String: Any] {
        var parent: String?
        if !directory.isEmpty {
            let above = directory.split(separator: "/").dropLast().joined(separator: "/")
            parent = link(repository, "tree", revision) + (above.isEmpty ? "" : "/" + urlEncodePath(above))
        }
        let sorted = entries.sorted { ($0.mode == .tree ? 0 : 1, $0.name) < ($1.mode == .tree ? 0 : 1, $1.name) }
        // Every row has every key (false or empty when it does not apply): a key missing from a row
        // would be looked for again in the page's values, for each of hundreds of rows.
        let rows = sorted.prefix(options.largestTree).map { entry -> [String: Any] in
            let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
            return switch entry.mode {
            case .tree: ["entryLabel": entry.name + "/", "entryHref": link(repository, "tree", revision) + "/" + urlEncodePath(path),
                         "entryNote": false, "entrySize": ""]
            case .gitlink: ["entryLabel": entry.name, "entryHref": false, "entryNote": "(submodule at \(entry.id.abbreviated()))", "entrySize": ""]
            default: ["entryLabel": entry.name, "entryHref": link(repository, "blob", revision) + "/" + urlEncodePath(path),
                      "entryNote": entry.mode == .symlink ? "→ (symlink)" : false, "entrySize": entry.size.map(String.init) ?? ""]
            }
        }
        return view(["treeParent": parent, "treeEntries": rows,
                     "treeMore": entries.count > options.largestTree ? entries.count - options.largestTree : nil])
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
        var context: [String: Any]
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
            let pathQuery = path.map { "&path=" + urlEncode($0) } ?? ""
            let pages = link(repository, "commits", revision) + "?page="
            context = view(["revision": revision, "historyPath": path, "commits": try await commitRows(repository, commits),
                            "newerHref": page > 1 ? pages + String(page - 1) + pathQuery : nil,
                            "olderHref": commits.count == perPage ? pages + String(page + 1) + pathQuery : nil])
        case .hg:
            let log = try await bounded {
                let all = try await MercurialRepository.withRepository(at: directory) {
                    try await $0.log(try revision.map { name throws(ForgeError) in try .ancestors(of: name) }, limit: page * perPage)
                }
                return Array(all.dropFirst((page - 1) * perPage))
            }
            let pages = link(repository, "commits") + (revision.map { "/" + urlEncode($0) } ?? "") + "?page="
            context = view(["isHg": true, "changesets": changesetRows(repository, log),
                            "newerHref": page > 1 ? pages + String(page - 1) : nil, "olderHref": log.count == perPage ? pages + String(page + 1) : nil])
        }
        return try frame(repository, viewer: viewer, level: level, title: "Commits", active: "commits", template: "commits", context)
    }

    func commitPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, id: String, style: DiffView.Style) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let body: String
        switch repository.kind {
        case .git:
            // A commit named by its full id never changes: its rendered diff is kept (its statuses are read each time).
            let key = CommitStatus.isCommitID(id) ? "commit\u{0}\(directory)\u{0}\(id)\u{0}\(style.rawValue)" : nil
            let cached = key.flatMap { rendered.body($0) }
            let (commit, diff) = try await bounded { () async throws -> (Commit, (changes: [PathChange], patch: CommitPatch)?) in
                let git = try await repositories.open.repository(at: directory)
                return try await git.withSession { session in
                    let commit = try session.commit(id)
                    guard cached == nil else { return (commit, nil) }
                    return (commit, (try session.changes(in: commit.id), try session.patch(for: commit.id)))
                }
            }
            var diffHTML = cached ?? ""
            if let diff {
                let view = DiffView(patch: diff.patch.text)
                var context = changedFilesContext(diff.changes, anchors: view.anchors)
                context.merge(view.context(style: style)) { $1 }
                context["truncated"] = diff.patch.truncated
                diffHTML = try content("diff-section", context, viewer: viewer)
                if let key { rendered.store(diffHTML, key) }
            }
            let date = Date(timeIntervalSince1970: TimeInterval(commit.author.time))
            let statuses = try await store.latestCommitStatuses(repositoryID: repository.id, commits: [commit.id.hex])[commit.id.hex] ?? []
            body = try content("commit", view([
                "summary": commit.summary, "message": commit.message, "commitID": commit.id.hex,
                "parents": commit.parentIDs.map { ["parentHref": link(repository, "commit", $0.hex), "parentID": $0.hex] },
                "authorName": commit.author.name, "authorEmail": commit.author.email, "authorDate": date.formatted(.iso8601),
                "browseHref": link(repository, "tree", commit.id.hex), "zipHref": link(repository, "archive", commit.id.hex + ".zip"),
                "tarGzHref": link(repository, "archive", commit.id.hex + ".tar.gz"), "tarHref": link(repository, "archive", commit.id.hex + ".tar"),
                "commitStatus": statusBadge(statuses), "statuses": statuses.map(statusRow), "diffHTML": diffHTML,
            ]), viewer: viewer)
        case .hg:
            let (changeset, files) = try await bounded {
                try await MercurialRepository.withRepository(at: directory) { hg -> (MercurialChangeset, [MercurialFileChange]) in
                    guard let changeset = try await hg.log(try .symbol(id), limit: 1).first else {
                        throw ForgeError(.notFound, "no changeset '\(id)'", operation: "read changeset")
                    }
                    return (changeset, try await hg.changedFiles(changeset.node))
                }
            }
            body = try content("changeset", view([
                "summary": changeset.summary, "message": changeset.message, "changesetID": "\(changeset.revision):\(changeset.node)",
                "branch": changeset.branch, "user": changeset.user,
                "files": files.map { ["fileKind": $0.kind.rawValue, "filePath": $0.path] },
                "zipHref": link(repository, "archive", changeset.node + ".zip"), "tarHref": link(repository, "archive", changeset.node + ".tar"),
            ]), viewer: viewer)
        }
        return frame(repository, viewer: viewer, level: level, title: "Commit", active: "commits", content: body)
    }

    func referencesPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, kind: String) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let references = try await bounded {
            try await repositories.open.repository(at: directory).references(prefix: kind == "tags" ? "refs/tags/" : "refs/heads/")
        }
        let statuses = try await store.latestCommitStatuses(repositoryID: repository.id, commits: references.map(\.target.hex))
        let rows = references.map { reference in
            view(["commitStatus": statusBadge(statuses[reference.target.hex] ?? []),
             "referenceHref": link(repository, "commits", reference.shortName), "referenceName": reference.shortName,
             "targetHref": link(repository, "commit", reference.target.hex), "targetShort": reference.target.abbreviated(10),
             "zipHref": link(repository, "archive", reference.shortName + ".zip"),
             "tarGzHref": link(repository, "archive", reference.shortName + ".tar.gz"), "tarHref": link(repository, "archive", reference.shortName + ".tar")])
        }
        return try frame(repository, viewer: viewer, level: level, title: kind, active: kind, template: "references",
                         ["heading": kind == "tags" ? "Tags" : "Branches", "kind": kind, "references": rows])
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
