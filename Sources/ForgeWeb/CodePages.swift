import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport
import Synchronization

/// What views that never change are made of — a commit's rendered diff, a file's blame at a
/// commit, the commits and changed files between two commits — by key, kept for `lifetime` (their
/// relative dates age) within a byte budget, least recently used dropped first. Blame is the slowest
/// read; a merge's diff the largest page; a pull request's commits a walk of its base's history.
final class RenderedCache: Sendable {
    private struct Entry { var value: any Sendable; var bytes: Int; var stored: ContinuousClock.Instant; var lastUse: UInt64 }
    private let state = Mutex<(entries: [String: Entry], bytes: Int, clock: UInt64)>(([:], 0, 0))
    private let budget: Int
    private let lifetime: Duration

    init(budget: Int = 64 << 20, lifetime: Duration = .seconds(600)) {
        self.budget = budget
        self.lifetime = lifetime
    }

    /// A rendered body kept under `key`.
    func body(_ key: String) -> String? { value(key, as: String.self) }

    /// Keeps a rendered body.
    func store(_ body: String, _ key: String) { store(value: body, bytes: body.utf8.count, key) }

    /// A value of type `T` kept under `key`.
    func value<T: Sendable>(_ key: String, as type: T.Type) -> T? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            guard ContinuousClock.now - entry.stored < lifetime else {
                state.bytes -= entry.bytes
                state.entries[key] = nil
                return nil
            }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.value as? T
        }
    }

    /// Keeps `value`, counted as `bytes` against the budget (a value over a quarter of it is not kept).
    func store<T: Sendable>(value: T, bytes: Int, _ key: String) {
        guard bytes <= budget / 4 else { return }
        state.withLock { state in
            state.clock += 1
            if let old = state.entries.updateValue(Entry(value: value, bytes: bytes, stored: .now, lastUse: state.clock), forKey: key) {
                state.bytes -= old.bytes
            }
            state.bytes += bytes
            while state.bytes > budget, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.bytes -= state.entries[oldest]?.bytes ?? 0
                state.entries[oldest] = nil
            }
        }
    }
}

/// The file views of git repositories: trees, files with line numbers and highlighting, Markdown,
/// blame, file history and compare.
extension ForgeWebService {
    /// Branches and tags, for the picker.
    struct References: Sendable {
        var branches: [String]
        var tags: [String]

        static func read(_ session: GitSession) throws(ForgeError) -> References {
            References(branches: try session.branches().prefix(200).map(\.shortName), tags: try session.tags().prefix(200).map(\.shortName))
        }
    }

    /// The values of the `picker` template: a disclosure of links to the same view at each branch and
    /// tag (no script).
    func pickerContext(_ repository: RepositoryRecord, _ references: References, revision: String, view kind: String, path: String) -> [String: Any] {
        func target(_ name: String) -> String {
            let base = link(repository, kind, name)
            if kind == "commits" { return base + (path.isEmpty ? "" : "?path=" + urlEncode(path)) }
            return base + (path.isEmpty ? "" : "/" + urlEncodePath(path))
        }
        func entries(_ names: [String]) -> [[String: Any]] {
            names.map { ["refHref": target($0), "refName": $0, "refCurrent": $0 == revision] }
        }
        return ["pickerKind": references.tags.contains(revision) ? "Tag" : "Branch",
                "pickerLabel": revision.count == 40 ? String(revision.prefix(10)) : revision,
                "hasBranches": !references.branches.isEmpty, "pickerBranches": entries(references.branches),
                "hasTags": !references.tags.isEmpty, "pickerTags": entries(references.tags)]
    }

    /// The values of the `breadcrumbs` template: `repository / dir / file`, each directory linked to
    /// its tree at `revision`.
    func breadcrumbsContext(_ repository: RepositoryRecord, revision: String, path: String) -> [String: Any] {
        let parts = path.split(separator: "/")
        let crumbs = parts.enumerated().map { index, part in
            view(["crumbName": String(part),
                  "crumbHref": index == parts.count - 1 ? nil : link(repository, "tree", revision) + "/" + urlEncodePath(parts[...index].joined(separator: "/"))])
        }
        return ["crumbsRoot": link(repository, "tree", revision), "crumbsName": repository.path.name, "crumbs": crumbs]
    }

    // MARK: - Trees and files

    func treePage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String]) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let revision = rest.first ?? "HEAD"
        let path = rest.dropFirst().joined(separator: "/")
        let cache = rendered
        let (folder, references) = try await bounded { () async throws -> (FolderRead, References) in
            try await repositories.open.repository(at: directory).withSession { session in
                let commit = try session.resolveCommit(revision)
                return (try Self.readFolder(session, commit: commit, revision: revision, path: path, sizes: true, directory: directory, cache: cache),
                        try References.read(session))
            }
        }
        var context = pickerContext(repository, references, revision: revision, view: "tree", path: path)
        context.merge(breadcrumbsContext(repository, revision: revision, path: path)) { $1 }
        context["historyHref"] = link(repository, "commits", revision) + (path.isEmpty ? "" : "?path=" + urlEncode(path))
        context["filesHTML"] = try filesHTML(repository, folder, revision: revision, path: path, viewer: viewer)
        return try frame(repository, viewer: viewer, level: level, title: "Files", active: "tree", template: "tree", context)
    }

    /// The README of a listing, if there is one: its name and text (at most 256 KiB).
    static func readme(_ session: GitSession, entries: [TreeEntry]) throws(ForgeError) -> (String, String)? {
        let names = ["readme.md", "readme.markdown", "readme", "readme.txt"]
        let ranked = entries.compactMap { entry -> (Int, TreeEntry)? in
            guard entry.mode != .tree, entry.mode != .gitlink, let rank = names.firstIndex(of: entry.name.lowercased()) else { return nil }
            return (rank, entry)
        }
        guard let entry = ranked.min(by: { $0.0 < $1.0 })?.1,
              let bytes = try? session.blob(entry.id, maxSize: 256 << 10), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return (entry.name, text)
    }

    /// The values of the `readme` template: Markdown rendered, other text shown as it is.
    func readmeContext(_ repository: RepositoryRecord, revision: String, directory: String, name: String, text: String) -> [String: Any] {
        guard Self.isMarkdown(name) else { return ["readmeName": name, "readmeText": text] }
        return ["readmeName": name, "readmeHTML": Markdown.html(text, links: markdownLinks(repository, revision: revision, directory: directory))]
    }

    func markdownLinks(_ repository: RepositoryRecord, revision: String, directory: String) -> MarkdownLinks {
        MarkdownLinks(blob: link(repository, "blob", revision), raw: link(repository, "raw", revision), directory: directory)
    }

    static func isMarkdown(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".md") || lower.hasSuffix(".markdown")
    }

    /// highlight.js's name for a file's language, from its name; nil when unknown (shown plain).
    static func language(of name: String) -> String? {
        let lower = name.lowercased()
        let byName = ["makefile": "makefile", "gnumakefile": "makefile", "dockerfile": "dockerfile", "cmakelists.txt": "cmake",
                      "package.swift": "swift", "gemfile": "ruby", "rakefile": "ruby"]
        if let language = byName[lower] { return language }
        guard let dot = lower.lastIndex(of: ".") else { return nil }
        let byExtension = [
            "swift": "swift", "c": "c", "h": "c", "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "hpp": "cpp", "m": "objectivec",
            "py": "python", "rb": "ruby", "go": "go", "rs": "rust", "java": "java", "kt": "kotlin", "scala": "scala",
            "js": "javascript", "mjs": "javascript", "ts": "typescript", "json": "json", "yml": "yaml", "yaml": "yaml",
            "toml": "ini", "ini": "ini", "cfg": "ini", "sh": "bash", "bash": "bash", "zsh": "bash", "pl": "perl", "pm": "perl",
            "php": "php", "html": "xml", "htm": "xml", "xml": "xml", "svg": "xml", "css": "css", "scss": "scss", "sql": "sql",
            "md": "markdown", "markdown": "markdown", "lua": "lua", "hs": "haskell", "ex": "elixir", "exs": "elixir", "erl": "erlang",
            "cs": "cs", "fs": "fsharp", "r": "r", "tex": "latex", "diff": "diff", "patch": "diff", "cmake": "cmake", "el": "lisp",
            "clj": "clojure", "dart": "dart", "vim": "vim", "proto": "protobuf", "mk": "makefile",
        ]
        return byExtension[String(lower[lower.index(after: dot)...])]
    }

    func blobPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String], query: [String: String]) async throws -> Response {
        guard rest.count >= 2 else {
            // `/-/blob/REV` (a Markdown link to the repository's root) is its tree.
            return Web.redirect(link(repository, "tree", rest.first ?? "HEAD"))
        }
        let revision = rest[0], path = rest.dropFirst().joined(separator: "/")
        let directory = repositories.directory(for: repository.path)
        let largest = options.largestBlob
        let (entry, bytes, references) = try await bounded { () async throws -> (TreeEntry, [UInt8]?, References) in
            try await repositories.open.repository(at: directory).withSession { session in
                let entry = try session.entry(at: revision, path: path)
                guard entry.mode != .tree, entry.mode != .gitlink, (entry.size ?? 0) <= largest else { return (entry, nil, try References.read(session)) }
                return (entry, try session.blob(entry.id), try References.read(session))
            }
        }
        if entry.mode == .tree { return Web.redirect(link(repository, "tree", revision) + "/" + urlEncodePath(path)) }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let markdown = Self.isMarkdown(name)
        let rendered = markdown && query["plain"] != "1"
        var context = pickerContext(repository, references, revision: revision, view: "blob", path: path)
        context.merge(breadcrumbsContext(repository, revision: revision, path: path)) { $1 }
        context.merge(view(["markdown": markdown, "rawHref": link(repository, "raw", revision) + "/" + urlEncodePath(path),
                            "blameHref": link(repository, "blame", revision) + "/" + urlEncodePath(path),
                            "historyHref": link(repository, "commits", revision) + "?path=" + urlEncode(path), "size": entry.size])) { $1 }
        if let bytes, !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) {
            if rendered {
                let folder = path.split(separator: "/").dropLast().joined(separator: "/")
                context["renderedHTML"] = Markdown.html(text, links: markdownLinks(repository, revision: revision, directory: folder))
            } else {
                context.merge(codeContext(text, language: Self.language(of: name))) { $1 }
            }
        } else {
            context["binary"] = true
            context["largest"] = largest
        }
        return try frame(repository, viewer: viewer, level: level, title: path, active: "tree", template: "blob", context, scripts: Self.codeScripts)
    }

    /// The scripts of code views: highlight.js (Debian's, served by the forge) and the line-anchor script.
    static var codeScripts: [String] { [StaticAssets.highlightPath, StaticAssets.codeScriptPath] }

    /// The values of the `code-table` template: the lines of a file, each line's number an anchor
    /// (`#L10`); ranges (`#L10-L20`) are marked by the code script, which also highlights the lines
    /// when the language is known.
    func codeContext(_ text: String, language: String?) -> [String: Any] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return view(["showCode": true, "language": language,
                     "lines": lines.enumerated().map { ["n": $0.offset + 1, "text": $0.element] as [String: Any] }])
    }

    // MARK: - Blame

    func blamePage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String]) async throws -> Response {
        guard rest.count >= 2 else { throw ForgeError(.notFound, "no file named", operation: "blame") }
        let revision = rest[0], path = rest.dropFirst().joined(separator: "/")
        let directory = repositories.directory(for: repository.path)
        let git = try await repositories.open.repository(at: directory)
        let commit = try await bounded { try await git.withSession { try $0.resolveCommit(revision) } }
        let key = "blame\u{0}\(directory)\u{0}\(commit.hex)\u{0}\(revision)\u{0}\(path)"
        if let body = rendered.body(key) {
            return frame(repository, viewer: viewer, level: level, title: "Blame · \(path)", active: "tree", content: body, scripts: Self.codeScripts)
        }
        let largest = options.largestBlob
        // Blame walks the file's whole history: it gets longer than other reads (its result is kept).
        let (found, text) = try await bounded(limit: options.blameTimeout) { () async throws -> (Blame?, String?) in
            let (file, text) = try await git.withSession { session -> (String, String?) in
                let entry = try session.entry(at: commit.hex, path: path)
                guard let size = entry.size, size <= largest else {
                    throw ForgeError(.invalidArgument, "'\(path)' is larger than \(largest) bytes; blame is shown for smaller files", operation: "blame")
                }
                guard entry.mode == .regular || entry.mode == .executable else {
                    throw ForgeError(.invalidArgument, "'\(path)' is not a file", operation: "blame")
                }
                let bytes = try session.blob(entry.id)
                return (entry.path, bytes.contains(0) ? nil : String(validating: bytes, as: UTF8.self))
            }
            guard let text else { return (nil, nil) }
            return (try await git.blame(at: commit, path: file), text)
        }
        guard let text, let blame = found else {
            throw ForgeError(.invalidArgument, "'\(path)' is binary; blame is shown for text files", operation: "blame")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let hunks = blame.hunks.map { hunk -> [String: Any] in
            let commit = blame.commits[hunk.commit]
            let rows = (0..<hunk.lineCount).compactMap { offset -> [String: Any]? in
                let number = hunk.startLine + offset
                guard number >= 1, number <= lines.count else { return nil }
                return ["n": number, "text": lines[number - 1], "hunkStart": offset == 0]
            }
            return view(["hunkLines": rows, "rows": hunk.lineCount, "commitHref": link(repository, "commit", hunk.commit.hex),
                         "commitShort": hunk.commit.abbreviated(8), "commitSummary": commit?.summary, "commitAuthor": commit?.author.name,
                         "commitWhen": commit.map { Web.relativeTime(Date(timeIntervalSince1970: TimeInterval($0.author.time))) }])
        }
        var context = breadcrumbsContext(repository, revision: revision, path: path)
        context.merge(view(["blobHref": link(repository, "blob", revision) + "/" + urlEncodePath(path),
                            "historyHref": link(repository, "commits", revision) + "?path=" + urlEncode(path),
                            "language": Self.language(of: name), "hunks": hunks])) { $1 }
        let body = try content("blame", context, viewer: viewer)
        rendered.store(body, key)
        return frame(repository, viewer: viewer, level: level, title: "Blame · \(path)", active: "tree", content: body, scripts: Self.codeScripts)
    }

    // MARK: - Search

    /// The values of the `code-search-form` template.
    func codeSearchContext(_ repository: RepositoryRecord, query: String = "") -> [String: Any] {
        view(["searchAction": link(repository, "search"), "searchText": query])
    }

    /// `/-/search?q=TEXT`: the lines of the default branch's text files that contain TEXT (ignoring
    /// case), bounded in files, bytes and time (``CodeSearchLimits``).
    func searchPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, query: [String: String]) async throws -> Response {
        let text = query["q"] ?? ""
        var context = codeSearchContext(repository, query: text)
        guard !text.isEmpty else { return try frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", template: "search", context) }
        let directory = repositories.directory(for: repository.path)
        let result = try await bounded { () async throws -> CodeSearchResult? in
            try await repositories.open.repository(at: directory).withSession { session in
                guard let commit = try session.head().commit else { return nil }
                return try session.searchCode(text, at: commit.hex)
            }
        }
        guard let result else {
            context["noCommits"] = true
            return try frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", template: "search", context)
        }
        // Matches grouped by file, in the order found.
        var files: [(path: String, matches: [[String: Any]])] = []
        for match in result.matches {
            if files.last?.path != match.path { files.append((match.path, [])) }
            files[files.count - 1].matches.append(["line": match.line, "text": match.text])
        }
        context.merge(["searched": true, "matchCount": result.matches.count, "oneMatch": result.matches.count == 1,
                       "filesSearched": result.filesSearched, "incomplete": result.incomplete,
                       "files": files.map { ["filePath": $0.path, "fileHref": link(repository, "blob", "HEAD") + "/" + urlEncodePath($0.path),
                                             "matches": $0.matches] as [String: Any] }]) { $1 }
        return try frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", template: "search", context)
    }

    // MARK: - Compare

    /// `/-/compare/A...B`: the commits on B since it forked from A, and the diff from their merge base
    /// to B (as Gitea and GitHub show it). `A..B` diffs A against B directly.
    func comparePage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String], query: [String: String]) async throws -> Response {
        if rest.isEmpty, let base = query["base"], let head = query["head"], !base.isEmpty, !head.isEmpty {
            return Web.redirect(link(repository, "compare", base + "..." + head))
        }
        let spec = rest.joined(separator: "/")
        let threeDots = spec.range(of: "..."), twoDots = spec.range(of: "..")
        let (base, head, direct): (String, String, Bool) = if let threeDots {
            (String(spec[..<threeDots.lowerBound]), String(spec[threeDots.upperBound...]), false)
        } else if let twoDots {
            (String(spec[..<twoDots.lowerBound]), String(spec[twoDots.upperBound...]), true)
        } else {
            ("", "", false)
        }
        var context = view(["base": base, "head": head, "compareAction": link(repository, "compare")])
        guard !base.isEmpty, !head.isEmpty else {
            return try frame(repository, viewer: viewer, level: level, title: "Compare", active: "commits", template: "compare", context)
        }
        let directory = repositories.directory(for: repository.path)
        let (commits, changes, patch) = try await bounded { () async throws -> ([Commit], [PathChange], CommitPatch) in
            try await repositories.open.repository(at: directory).withSession { session in
                let baseID = try session.resolveCommit(base), headID = try session.resolveCommit(head)
                let from = direct ? baseID : (try session.mergeBases(baseID, headID).first ?? baseID)
                let commits = try session.log(LogOptions([headID.hex, "^" + baseID.hex], limit: 250))
                return (commits, try session.changes(from: from.hex, to: headID.hex), try session.patch(from: from, to: headID))
            }
        }
        let diff = DiffView(patch: patch.text)
        context.merge(["compared": true, "operator": direct ? ".." : "...", "commitCount": commits.count == 250 ? "250+" : String(commits.count),
                       "oneCommit": commits.count == 1, "commits": try await commitRows(repository, commits), "truncated": patch.truncated]) { $1 }
        context.merge(changedFilesContext(changes, anchors: diff.anchors)) { $1 }
        context.merge(diff.context(style: DiffView.Style(rawValue: query["style"] ?? "") ?? .unified)) { $1 }
        return try frame(repository, viewer: viewer, level: level, title: "Compare", active: "commits", template: "compare", context)
    }

    /// The values of the `changed-files` template: each file linked to its table in the diff.
    func changedFilesContext(_ changes: [PathChange], anchors: [String: String]) -> [String: Any] {
        ["changeCount": changes.count, "oneChange": changes.count == 1,
         "changes": changes.map { view(["changeKind": $0.kind.rawValue, "changePath": $0.path, "changeAnchor": anchors[$0.path]]) }]
    }
}
