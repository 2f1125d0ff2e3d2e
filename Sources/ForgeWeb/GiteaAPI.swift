import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport

/// The routes that follow Gitea's API (its paths, JSON fields and status codes), so that Gitea's
/// clients and tools work against the forge. A repository here is Gitea's `{owner}/{repo}`: a path
/// of two segments; deeper repository paths keep the forge's own `…/repos/NAME/-/…` routes, which
/// all go on answering as before.
extension ForgeAPI {
    // MARK: - Users, tokens, repositories

    func version() -> Response {
        Self.json(.ok, GiteaVersion(version: "1.22.0+forgeworks"))
    }

    /// `GET /users/{username}`: an active user (any user for site admins).
    func giteaUser(named name: String, caller: APICaller) async throws -> Response {
        guard let found = try await store.user(named: name), found.isActive || caller.user?.isAdmin == true else {
            throw APIError(status: .notFound, message: "no user '\(name)'")
        }
        return Self.json(.ok, GiteaUser(found, shownTo: caller.user))
    }

    /// `GET /users/{username}/repos`: the repositories under a user's (or group's) name the caller can read.
    func repositories(ownedBy owner: String, request: Request, caller: APICaller) async throws -> Response {
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let owned = try await web.visibleRepositories(.init(user: caller.user), peer: caller.peer).filter {
            $0.0.path.segments.first?.lowercased() == owner.lowercased()
        }
        return try await repositoryList(owned, page: page, request: request)
    }

    /// `GET /user/repos`: the repositories the caller can write to.
    func myRepositories(_ request: Request, caller: APICaller) async throws -> Response {
        let me = try requireUser(caller.user)
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let mine = try await web.visibleRepositories(.init(user: me), peer: caller.peer).filter { $0.1 >= .write }
        return try await repositoryList(mine, page: page, request: request)
    }

    /// `GET /admin/users`.
    func adminUsers(_ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else { throw APIError(status: .forbidden, message: "only site administrators list users") }
        let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
        let users = try await store.users()
        return Self.list(page.slice(users).map { GiteaUser($0, shownTo: caller.user) }, total: users.count, page: page, request: request)
    }

    /// `POST /admin/users` (Gitea's CreateUserOption): every user made has a password to sign in with.
    func adminCreateUser(_ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else { throw APIError(status: .forbidden, message: "only site administrators add users") }
        let fields = try await body(request, as: GiteaUserRequest.self)
        guard let name = fields.username, !name.isEmpty else { throw APIError(status: .unprocessableContent, message: "'username' is required") }
        guard let password = fields.password, !password.isEmpty else {
            throw APIError(status: .unprocessableContent, message: "'password' is required: a user must be able to sign in")
        }
        guard try await store.user(named: name) == nil else { throw APIError(status: .unprocessableContent, message: "user '\(name)' already exists") }
        let created = try await web.accounts.createUser(NewUser(name: name, email: fields.email ?? "", password: password, isAdmin: fields.admin ?? false))
        return Self.json(.created, GiteaUser(created, shownTo: caller.user))
    }

    /// `PATCH` and `DELETE /admin/users/{username}`.
    func adminChangeUser(named name: String, _ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else { throw APIError(status: .forbidden, message: "only site administrators change users") }
        guard var target = try await store.user(named: name) else { throw APIError(status: .notFound, message: "no user '\(name)'") }
        if request.method == .delete {
            guard target.id != caller.user?.id else { throw APIError(status: .unprocessableContent, message: "you cannot delete yourself") }
            try await store.deleteUser(id: target.id)
            return Response(status: .noContent)
        }
        let fields = try await body(request, as: GiteaUserRequest.self)
        if target.id == caller.user?.id, fields.admin == false || fields.active == false {
            // Nobody locks themselves out: another site admin must do it.
            throw APIError(status: .unprocessableContent, message: "you cannot take your own admin rights or disable yourself")
        }
        if let email = fields.email { target.email = email }
        if let admin = fields.admin { target.isAdmin = admin }
        if let active = fields.active { target.isActive = active }
        try await store.updateUser(target)
        if let password = fields.password, !password.isEmpty { try await web.accounts.setPassword(userID: target.id, password) }
        return Self.json(.ok, GiteaUser(try await store.user(id: target.id) ?? target, shownTo: caller.user))
    }

    /// `POST /admin/users/{username}/repos`: a repository under another user's name (site admins).
    func adminCreateRepository(owner: String, _ request: Request, caller: APICaller) async throws -> Response {
        guard try requireUser(caller.user).isAdmin else {
            throw APIError(status: .forbidden, message: "only site administrators create repositories for others")
        }
        return try await createRepository(request, owner: owner, user: try requireUser(caller.user), peer: caller.peer)
    }

    /// `GET /repos/search?q=`: Gitea's search results, by name and description.
    func searchRepositories(_ request: Request, caller: APICaller) async throws -> Response {
        let query = Web.parseQuery(request.uri.query ?? "")
        let page = try Pagination(query, defaultLimit: 30)
        let text = (query["q"] ?? "").lowercased()
        let found = try await web.visibleRepositories(.init(user: caller.user), peer: caller.peer).filter {
            text.isEmpty || $0.0.path.description.lowercased().contains(text) || $0.0.description.lowercased().contains(text)
        }
        var data: [GiteaRepository] = []
        for (repository, level) in page.slice(found) { data.append(try await repositoryJSON(repository, level: level)) }
        var response = Self.json(.ok, GiteaSearchResults(ok: true, data: data))
        response.headers.append(contentsOf: page.headers(total: found.count, path: request.uri.path, query: query))
        return response
    }

    // MARK: - A repository's routes

    /// A repository reached through Gitea's `{owner}/{repo}`, as the caller may see it.
    struct GiteaTarget {
        var repository: RepositoryRecord
        var level: AccessLevel
        var caller: APICaller
        var query: [String: String]
        /// The repository's API and page URLs.
        var base: String
        var html: String

        func requireAdmin() throws {
            guard level >= .admin else { throw ForgeAPIError(status: .forbidden, message: "this needs admin on \(repository.path)") }
        }
    }

    /// The repository of `…/repos/{owner}/{repo}/…`; nil when the path is one of the forge's own
    /// (`…/-/…`) or names a deeper repository of its own (`team/app/branches`), which keeps them.
    func giteaTarget(_ request: Request, owner: String, repo: String, endpoint: String, gitOnly: Bool,
                     caller: APICaller) async throws -> GiteaTarget? {
        let segments = try Self.segments(of: request).dropFirst()
        // `…/repos/NAME/-/…` is the forge's own route, whatever NAME's depth.
        if segments.contains("-") { return nil }
        if let whole = try? RepositoryPath(segments.joined(separator: "/")), try await store.repository(whole) != nil { return nil }
        let (repository, level) = try await web.readable(try RepositoryPath(owner + "/" + repo), viewer: .init(user: caller.user), peer: caller.peer)
        if gitOnly, repository.kind != .git {
            throw APIError(status: .notFound, message: "Gitea's \(endpoint) routes serve git repositories; use …/repos/\(repository.path)/-/\(endpoint)")
        }
        return GiteaTarget(repository: repository, level: level, caller: caller, query: Web.parseQuery(request.uri.query ?? ""),
                           base: web.options.publicURL + "/api/v1/repos/" + repository.path.description,
                           html: web.options.publicURL + "/" + repository.path.description)
    }

    func git(_ target: GiteaTarget) async throws -> GitRepository {
        try await web.repositories.open.repository(at: web.repositories.directory(for: target.repository.path))
    }

    /// `GET branches` and `branches/{branch}`.
    func giteaBranches(_ target: GiteaTarget, named name: String?, request: Request) async throws -> Response {
        let git = try await git(target)
        let branches = try await web.bounded {
            try await git.withSession { session in
                try session.branches().filter { name == nil || $0.shortName == name }.map { (reference: $0, commit: try session.commit($0.target)) }
            }
        }
        let shaped = branches.map { branch in
            GiteaBranch(name: branch.reference.shortName, commit: payloadCommit(branch.commit, base: target.base), userCanPush: target.level >= .write,
                        userCanMerge: target.level >= .write)
        }
        if let name {
            guard let one = shaped.first else { throw APIError(status: .notFound, message: "no branch '\(name)'") }
            return Self.json(.ok, one)
        }
        let page = try Pagination(target.query)
        return Self.list(page.slice(shaped), total: shaped.count, page: page, request: request)
    }

    /// `GET tags` and `tags/{tag}`.
    func giteaTags(_ target: GiteaTarget, named name: String?, request: Request) async throws -> Response {
        let git = try await git(target)
        let (base, html) = (target.base, target.html)
        let tags = try await web.bounded {
            try await git.withSession { session in
                try session.tags().filter { name == nil || $0.shortName == name }.map { tag -> GiteaTag in
                    let commit = try session.resolveCommit(tag.name)
                    let message = (try? session.commit(commit).message) ?? ""
                    return GiteaTag(name: tag.shortName, message: message, id: tag.target.hex,
                                    commit: GiteaCommitMeta(url: base + "/git/commits/" + commit.hex, sha: commit.hex, created: nil),
                                    zipballURL: html + "/-/archive/" + tag.shortName + ".zip", tarballURL: html + "/-/archive/" + tag.shortName + ".tar.gz")
                }
            }
        }
        if let name {
            guard let one = tags.first else { throw APIError(status: .notFound, message: "no tag '\(name)'") }
            return Self.json(.ok, one)
        }
        let page = try Pagination(target.query)
        return Self.list(page.slice(tags), total: tags.count, page: page, request: request)
    }

    /// `GET commits`: `?sha=` (a branch, tag or commit), `?path=`, `?page=`, `?limit=`; X-Total-Count counts them all.
    func giteaCommits(_ target: GiteaTarget, request: Request) async throws -> Response {
        let page = try Pagination(target.query, defaultLimit: 30)
        let revision = target.query["sha"].flatMap { $0.isEmpty ? nil : $0 }
        let paths = target.query["path"].flatMap { $0.isEmpty ? nil : [$0] } ?? []
        let counts = web.historyCounts
        let directory = web.repositories.directory(for: target.repository.path)
        let git = try await git(target)
        let (commits, total) = try await web.bounded { () async throws -> ([Commit], Int) in
            try await git.withSession { session in
                if revision == nil, case .unborn = try session.head() { return ([], 0) }
                let options = LogOptions([revision ?? "HEAD"], paths: paths)
                let total = try counts.count(session, directory: directory, options)
                var window = options
                window.limit = page.offset + page.limit
                return (Array(try session.log(window).dropFirst(page.offset)), total)
            }
        }
        return Self.list(commits.map { giteaCommit($0, base: target.base, html: target.html) }, total: total, page: page, request: request)
    }

    /// `GET git/commits/{sha}`: one commit with its changed files.
    func giteaCommit(_ target: GiteaTarget, sha: String) async throws -> Response {
        let git = try await git(target)
        let (commit, changes) = try await web.bounded {
            try await git.withSession { session in
                let commit = try session.commit(sha)
                return (commit, try session.changes(in: commit.id))
            }
        }
        var shaped = giteaCommit(commit, base: target.base, html: target.html)
        shaped.files = changes.map { GiteaAffectedFile(filename: $0.path, status: Self.giteaStatus($0.kind)) }
        return Self.json(.ok, shaped)
    }

    /// `GET raw/{filepath}?ref=REF`, or `raw/{ref}/{filepath}` when the first segment names a reference.
    func giteaRaw(_ target: GiteaTarget, path rest: [String]) async throws -> Response {
        guard !rest.isEmpty else { throw APIError(status: .notFound, message: "no file named") }
        let git = try await git(target)
        var reference = target.query["ref"].flatMap { $0.isEmpty ? nil : $0 } ?? "HEAD"
        var filePath = rest.joined(separator: "/")
        if target.query["ref"] == nil, rest.count > 1, (try? await git.resolve(rest[0])) != nil,
           (try? await git.withSession({ [filePath] in try $0.entry(at: "HEAD", path: filePath) })) == nil {
            reference = rest[0]
            filePath = rest.dropFirst().joined(separator: "/")
        }
        let (chosen, file) = (reference, filePath)
        let bytes = try await web.bounded { try await git.blob(at: chosen, path: file, maxSize: 64 << 20) }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let nosniff = HTTPField.Name("X-Content-Type-Options") { headers[nosniff] = "nosniff" }
        if !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil { headers[.contentType] = "text/plain; charset=utf-8" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func giteaStatus(_ kind: PathChange.Kind) -> String {
        switch kind {
        case .added: "added"
        case .deleted: "removed"
        case .renamed: "renamed"
        case .modified, .typeChanged: "modified"
        }
    }

    func giteaCommit(_ commit: Commit, base: String, html: String) -> GiteaCommit {
        func person(_ signature: Signature) -> GiteaCommitUser {
            GiteaCommitUser(name: signature.name, email: signature.email,
                            date: giteaTime(seconds: signature.time, offsetMinutes: signature.timeZoneOffsetMinutes))
        }
        let created = giteaTime(seconds: commit.committer.time, offsetMinutes: commit.committer.timeZoneOffsetMinutes)
        return GiteaCommit(url: base + "/git/commits/" + commit.id.hex, sha: commit.id.hex, created: created,
                           htmlURL: html + "/-/commit/" + commit.id.hex,
                           commit: GiteaRepoCommit(url: base + "/git/commits/" + commit.id.hex, author: person(commit.author),
                                                   committer: person(commit.committer), message: commit.message,
                                                   tree: GiteaCommitMeta(url: base + "/git/trees/" + commit.treeID.hex, sha: commit.treeID.hex, created: nil)),
                           author: nil, committer: nil,
                           parents: commit.parentIDs.map { GiteaCommitMeta(url: base + "/git/commits/" + $0.hex, sha: $0.hex, created: nil) })
    }

    func payloadCommit(_ commit: Commit, base: String) -> GiteaPayloadCommit {
        GiteaPayloadCommit(id: commit.id.hex, message: commit.message, url: base + "/git/commits/" + commit.id.hex,
                           author: GiteaCommitUser(name: commit.author.name, email: commit.author.email, username: ""),
                           committer: GiteaCommitUser(name: commit.committer.name, email: commit.committer.email, username: ""),
                           timestamp: giteaTime(seconds: commit.committer.time, offsetMinutes: commit.committer.timeZoneOffsetMinutes))
    }

    /// Gitea's contents: a file as base64 with its metadata, a folder as the list of its entries.
    func giteaContents(_ git: GitRepository, path: String, reference: String?, base: String, html: String) async throws -> Response {
        let revision = reference.flatMap { $0.isEmpty ? nil : $0 } ?? "HEAD"
        let largest = web.options.largestBlob
        let (commit, entry, listing, bytes) = try await web.bounded { () async throws -> (ObjectID, TreeEntry?, [TreeEntry], [UInt8]?) in
            try await git.withSession { session in
                let commit = try session.resolveCommit(revision)
                guard !path.isEmpty else { return (commit, nil, try session.tree(at: commit.hex, includeSizes: true), nil) }
                let entry = try session.entry(at: commit.hex, path: path)
                if entry.mode == .tree { return (commit, entry, try session.tree(at: commit.hex, path: path, includeSizes: true), nil) }
                let bytes = entry.mode == .gitlink || (entry.size ?? 0) > largest ? nil : try session.blob(entry.id)
                return (commit, entry, [], bytes)
            }
        }
        func describe(_ entry: TreeEntry, content: [UInt8]?) -> GiteaContents {
            let type: String = switch entry.mode {
            case .tree: "dir"
            case .symlink: "symlink"
            case .gitlink: "submodule"
            default: "file"
            }
            let encoded = urlEncodePath(entry.path)
            let selfURL = base + "/contents/" + encoded + "?ref=" + urlEncode(revision)
            return GiteaContents(name: entry.name, path: entry.path, sha: entry.id.hex, lastCommitSHA: commit.hex, type: type, size: entry.size ?? 0,
                                 encoding: content == nil ? nil : "base64", content: content.map { Data($0).base64EncodedString() },
                                 target: entry.mode == .symlink ? content.map { String(decoding: $0, as: UTF8.self) } : nil,
                                 url: selfURL, htmlURL: html + "/-/" + (type == "dir" ? "tree" : "blob") + "/" + commit.hex + "/" + encoded,
                                 gitURL: base + "/git/" + (type == "dir" ? "trees/" : "blobs/") + entry.id.hex,
                                 downloadURL: type == "file" ? base + "/raw/" + encoded + "?ref=" + urlEncode(revision) : nil,
                                 submoduleGitURL: nil,
                                 links: .init(self: selfURL, git: base + "/git/blobs/" + entry.id.hex,
                                              html: html + "/-/blob/" + commit.hex + "/" + encoded))
        }
        if let entry, entry.mode != .tree { return Self.json(.ok, describe(entry, content: bytes)) }
        return Self.json(.ok, listing.map { describe($0, content: nil) })
    }

    /// The repositories of a page, in Gitea's shape, with the paging headers.
    func repositoryList(_ all: [(RepositoryRecord, AccessLevel)], page: Pagination, request: Request) async throws -> Response {
        var shaped: [GiteaRepository] = []
        for (repository, level) in page.slice(all) { shaped.append(try await repositoryJSON(repository, level: level)) }
        return Self.list(shaped, total: all.count, page: page, request: request)
    }

    /// Gitea's `POST /user/repos` and `POST /admin/users/{owner}/repos`: `owner/name`, with a first
    /// commit holding a README when `auto_init` asks for one (on `default_branch`, else `main`).
    func createRepository(_ request: Request, owner: String, user: ForgeUser, peer: String?) async throws -> Response {
        let fields = try await body(request, as: GiteaRepositoryRequest.self)
        guard let name = fields.name, !name.isEmpty else { throw APIError(status: .unprocessableContent, message: "'name' is required") }
        guard !name.contains("/") else { throw APIError(status: .unprocessableContent, message: "'name' is one path segment; use POST /repos for deeper paths") }
        let path = try RepositoryPath(owner + "/" + name)
        guard try await store.repository(path) == nil else { throw APIError(status: .conflict, message: "repository '\(path)' already exists") }
        try await web.requireCreation(of: path, by: user)
        let owningUser = try await store.user(named: owner)
        let record = try await web.repositories.create(path, kind: .git, isPrivate: fields.private ?? false, description: fields.description ?? "",
                                                       owner: owningUser ?? user)
        if fields.autoInit == true {
            let branch = fields.defaultBranch.flatMap { $0.isEmpty ? nil : $0 } ?? "main"
            let readme = "# \(name)\n" + ((fields.description ?? "").isEmpty ? "" : "\n\(fields.description ?? "")\n")
            let author = Signature(name: user.name, email: user.email.isEmpty ? "\(user.name)@forgeworks.invalid" : user.email, time: Int64(Date().timeIntervalSince1970))
            try await web.repositories.git(path).withSession { session in
                let blob = try session.writeBlob(Array(readme.utf8))
                let tree = try session.writeTree([TreeEntryInput(name: "README.md", mode: .regular, id: blob)])
                let commit = try session.writeCommit(tree: tree, parents: [], author: author, committer: author, message: "Initial commit\n")
                try session.updateReference("refs/heads/" + branch, to: commit, message: "forgeworks: auto_init")
                try session.setHead("refs/heads/" + branch)
            }
        }
        return Self.json(.created, try await repositoryJSON(record, level: .admin))
    }

    /// Gitea's tokens of a user: `GET`/`POST /users/{name}/tokens`, `DELETE …/tokens/{id or name}`. Only
    /// the user themself (or a site admin, for listing and revoking) — as Gitea, which asks for basic
    /// authentication here.
    func giteaTokens(_ request: Request, name: String, tokenID: String?, user: ForgeUser?) async throws -> Response {
        let me = try requireUser(user)
        guard let owner = try await store.user(named: name) else { throw APIError(status: .notFound, message: "no user '\(name)'") }
        guard owner.id == me.id || (me.isAdmin && request.method != .post) else {
            throw APIError(status: .forbidden, message: "only \(owner.name) manages their tokens")
        }
        switch request.method {
        case .get:
            let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
            let tokens = try await store.tokens(userID: owner.id)
            return Self.list(page.slice(tokens).map(APITokenListItem.init), total: tokens.count, page: page, request: request)
        case .post:
            return try await createToken(request, user: me)
        case .delete:
            let tokens = try await store.tokens(userID: owner.id)
            guard let token = tokens.first(where: { String($0.id) == tokenID || $0.name == tokenID }) else {
                throw APIError(status: .notFound, message: "no token '\(tokenID ?? "")'")
            }
            try await store.deleteToken(id: token.id, userID: owner.id)
            return Response(status: .noContent)
        default:
            throw APIError(status: .methodNotAllowed, message: "\(request.method) is not allowed here")
        }
    }

    /// `…/statuses/{sha}` (GET lists, POST reports, with write) and `…/commits/{ref}/statuses|status`
    /// (the list, or the combined status): Gitea's commit status routes, also at any depth as
    /// `…/repos/NAME/-/statuses/{sha}`. The revision is resolved to its commit first (a status of an
    /// unknown commit is a 404).
    func commitStatuses(_ request: Request, repository: RepositoryRecord, level: AccessLevel, revision: String, combined: Bool,
                        query: [String: String], user: ForgeUser?) async throws -> Response {
        guard request.method == .get || request.method == .post, !(combined && request.method == .post) else {
            throw APIError(status: .methodNotAllowed, message: "\(request.method) is not allowed here")
        }
        let directory = web.repositories.directory(for: repository.path)
        let commit: String = switch repository.kind {
        case .git:
            try await web.bounded { try await web.repositories.open.repository(at: directory).withSession { try $0.resolveCommit(revision).hex } }
        case .hg:
            try await web.bounded {
                guard let changeset = try await MercurialRepository.withRepository(at: directory, { try await $0.log(try .symbol(revision), limit: 1) }).first else {
                    throw ForgeError(.notFound, "no revision '\(revision)'", operation: "commit status")
                }
                return changeset.node
            }
        }
        let base = web.options.publicURL + "/api/v1/repos/" + repository.path.description
        if request.method == .post {
            guard level >= .write else { throw APIError(status: .forbidden, message: "reporting statuses needs write on \(repository.path)") }
            let fields = try await body(request, as: GiteaStatusRequest.self)
            guard let name = fields.state else { throw APIError(status: .unprocessableContent, message: "'state' is required") }
            guard let state = CommitStatusState(rawValue: name) else {
                throw APIError(status: .unprocessableContent, message: "'state' must be pending, success, error, failure or warning")
            }
            let status = NewCommitStatus(state: state, context: fields.context.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
                                         description: fields.description ?? "", targetURL: fields.targetURL)
            do {
                try status.validate()
            } catch {
                throw APIError(status: .unprocessableContent, message: error.message)
            }
            let stored = try await store.createCommitStatus(repositoryID: repository.id, commit: commit, status, creatorID: user?.id, runID: nil)
            return Self.json(.created, GiteaCommitStatus(stored, base: base, viewer: user))
        }
        if combined {
            let latest = try await store.latestCommitStatuses(repositoryID: repository.id, commits: [commit])[commit] ?? []
            return Self.json(.ok, GiteaCombinedStatus(state: CommitStatus.combined(latest).rawValue, sha: commit, totalCount: latest.count,
                                                      statuses: latest.map { GiteaCommitStatus($0, base: base, viewer: user) },
                                                      repository: try await repositoryJSON(repository, level: level),
                                                      commitURL: base + "/git/commits/" + commit, url: base + "/commits/" + commit + "/status"))
        }
        let page = try Pagination(query)
        let statuses = try await store.commitStatuses(repositoryID: repository.id, commit: commit, limit: page.limit, offset: page.offset)
        let total = try await store.commitStatusCount(repositoryID: repository.id, commit: commit)
        return Self.list(statuses.map { GiteaCommitStatus($0, base: base, viewer: user) }, total: total, page: page, request: request)
    }

    /// Gitea's hooks of a repository (admin): list, create, read, change, delete.
    func giteaHooks(_ request: Request, repository: RepositoryRecord, rest: [String], requireAdmin: () throws -> Void) async throws -> Response {
        try requireAdmin()
        let hooks = try await store.webhooks(repositoryID: repository.id)
        if rest.isEmpty {
            switch request.method {
            case .get:
                let page = try Pagination(Web.parseQuery(request.uri.query ?? ""))
                return Self.list(page.slice(hooks).map(GiteaHook.init), total: hooks.count, page: page, request: request)
            case .post:
                let fields = try await body(request, as: GiteaHookRequest.self)
                guard let type = fields.type, ["gitea", "gogs", "forgejo", "slack", "msteams", "discord"].contains(type) || type == "forgeworks" else {
                    throw APIError(status: .unprocessableContent, message: "'type' is required (gitea)")
                }
                guard let url = fields.config?["url"], !url.isEmpty else { throw APIError(status: .unprocessableContent, message: "'config.url' is required") }
                var hook = try await store.createWebhook(repositoryID: repository.id, url: url, secret: fields.config?["secret"].flatMap { $0.isEmpty ? nil : $0 })
                if fields.active == false {
                    hook.isActive = false
                    try await store.updateWebhook(hook)
                }
                return Self.json(.created, GiteaHook(hook))
            default:
                throw APIError(status: .methodNotAllowed, message: "\(request.method) is not allowed here")
            }
        }
        guard rest.count == 1, let id = Int64(rest[0]), var hook = hooks.first(where: { $0.id == id }) else {
            throw APIError(status: .notFound, message: "no webhook '\(rest.joined(separator: "/"))' in \(repository.path)")
        }
        switch request.method {
        case .get:
            return Self.json(.ok, GiteaHook(hook))
        case .patch:
            let fields = try await body(request, as: GiteaHookRequest.self)
            if let url = fields.config?["url"] { hook.url = url }
            if let secret = fields.config?["secret"] { hook.secret = secret.isEmpty ? nil : secret }
            if let active = fields.active { hook.isActive = active }
            try await store.updateWebhook(hook)
            return Self.json(.ok, GiteaHook(hook))
        case .delete:
            try await store.deleteWebhook(id: id)
            return Response(status: .noContent)
        default:
            throw APIError(status: .methodNotAllowed, message: "\(request.method) is not allowed here")
        }
    }

    /// A repository in Gitea's shape (and today's fields), with its owner, default branch and whether it is empty.
    func repositoryJSON(_ repository: RepositoryRecord, level: AccessLevel) async throws -> GiteaRepository {
        let ownerName = repository.path.segments.first ?? ""
        var owner: GiteaUser?
        if let user = try await store.user(named: ownerName) {
            owner = GiteaUser(user, shownTo: nil)  // a repository's readers see no owner's address
        } else if let group = try await store.group(try RepositoryPath(ownerName)) {
            owner = GiteaUser(group: group)
        }
        var defaultBranch = "main", empty = true
        let directory = web.repositories.directory(for: repository.path)
        switch repository.kind {
        case .git:
            if let head = try? await web.repositories.open.repository(at: directory).head() {
                switch head {
                case .branch(let name, _): (defaultBranch, empty) = (name, false)
                case .unborn(let name): defaultBranch = name
                case .detached: empty = false
                }
            }
        case .hg:
            defaultBranch = "default"
            empty = (try? await MercurialRepository.withRepository(at: directory) { try await $0.log(nil, limit: 1) })?.isEmpty ?? true
        }
        let updated = giteaTime(repository.createdAt)
        return GiteaRepository(id: repository.id, owner: owner, name: repository.path.name, fullName: repository.path.description,
                               description: repository.description, empty: empty, private: repository.isPrivate, fork: repository.forkOf != nil,
                               htmlURL: web.options.publicURL + "/" + repository.path.description,
                               url: web.options.publicURL + "/api/v1/repos/" + repository.path.description, cloneURL: web.cloneURL(repository),
                               defaultBranch: defaultBranch, createdAt: updated, updatedAt: updated,
                               permissions: GiteaPermission(admin: level >= .admin, push: level >= .write, pull: level >= .read),
                               type: repository.kind.rawValue, permission: level.description, pipelineNetwork: repository.pipelineNetwork.rawValue)
    }
}
