import ForgeKit
import ForgeKitServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport
import Synchronization

/// Rendered page bodies of views that never change — a commit's diff, a file's blame at a commit —
/// by key, kept for `lifetime` (their relative dates age) within a byte budget, least recently used
/// dropped first. Blame is the slowest read; a merge's diff the largest page.
final class RenderedCache: Sendable {
    private struct Entry { var body: String; var bytes: Int; var stored: ContinuousClock.Instant; var lastUse: UInt64 }
    private let state = Mutex<(entries: [String: Entry], bytes: Int, clock: UInt64)>(([:], 0, 0))
    private let budget: Int
    private let lifetime: Duration

    init(budget: Int = 64 << 20, lifetime: Duration = .seconds(600)) {
        self.budget = budget
        self.lifetime = lifetime
    }

    func body(_ key: String) -> String? {
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
            return entry.body
        }
    }

    func store(_ body: String, _ key: String) {
        let bytes = body.utf8.count
        guard bytes <= budget / 4 else { return }
        state.withLock { state in
            state.clock += 1
            if let old = state.entries.updateValue(Entry(body: body, bytes: bytes, stored: .now, lastUse: state.clock), forKey: key) {
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

    /// A branch and tag picker: a disclosure of links to the same view at each reference (no script).
    func referencePicker(_ repository: RepositoryRecord, _ references: References, revision: String, view: String, path: String) -> String {
        func target(_ name: String) -> String {
            let base = link(repository, view, name)
            if view == "commits" { return base + (path.isEmpty ? "" : "?path=" + urlEncode(path)) }
            return base + (path.isEmpty ? "" : "/" + urlEncodePath(path))
        }
        var html = "<details class=\"picker\" id=\"ref-picker\"><summary>\(references.tags.contains(revision) ? "Tag" : "Branch"): "
        html += "<b>\(escape(revision.count == 40 ? String(revision.prefix(10)) : revision))</b></summary><div class=\"menu\">"
        if !references.branches.isEmpty { html += "<div class=\"menu-title\">Branches</div>" }
        for name in references.branches {
            html += "<a class=\"ref\(name == revision ? " current" : "")\" href=\"\(target(name))\">\(escape(name))</a>"
        }
        if !references.tags.isEmpty { html += "<div class=\"menu-title\">Tags</div>" }
        for name in references.tags {
            html += "<a class=\"ref\(name == revision ? " current" : "")\" href=\"\(target(name))\">\(escape(name))</a>"
        }
        return html + "</div></details>"
    }

    /// `repository / dir / file`, each directory linked to its tree at `revision`.
    func breadcrumbs(_ repository: RepositoryRecord, revision: String, path: String) -> String {
        var html = "<nav class=\"breadcrumbs\" id=\"breadcrumbs\"><a href=\"\(link(repository, "tree", revision))\">\(escape(repository.path.name))</a>"
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1 {
                html += " / <span>\(escape(part))</span>"
            } else {
                let prefix = parts[...index].joined(separator: "/")
                html += " / <a href=\"\(link(repository, "tree", revision))/\(urlEncodePath(prefix))\">\(escape(part))</a>"
            }
        }
        return html + "</nav>"
    }

    // MARK: - Trees and files

    func treePage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String]) async throws -> Response {
        let directory = repositories.directory(for: repository.path)
        let revision = rest.first ?? "HEAD"
        let path = rest.dropFirst().joined(separator: "/")
        let (entries, references, readme) = try await bounded { () async throws -> ([TreeEntry], References, (String, String)?) in
            try await repositories.open.repository(at: directory).withSession { session in
                let entries = try session.tree(at: revision, path: path, includeSizes: true)
                return (entries, try References.read(session), try Self.readme(session, entries: entries))
            }
        }
        var body = "<div class=\"toolbar\">" + referencePicker(repository, references, revision: revision, view: "tree", path: path)
        body += breadcrumbs(repository, revision: revision, path: path)
        body += "<a href=\"\(link(repository, "commits", revision))\(path.isEmpty ? "" : "?path=" + urlEncode(path))\">History</a></div>"
        body += treeTable(repository, revision: revision, directory: path, entries: entries)
        if let (name, text) = readme {
            body += readmeSection(repository, revision: revision, directory: path, name: name, text: text)
        }
        return frame(repository, viewer: viewer, level: level, title: "Files", active: "tree", body: body)
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

    func readmeSection(_ repository: RepositoryRecord, revision: String, directory: String, name: String, text: String) -> String {
        var html = "<section class=\"readme\"><h2>\(escape(name))</h2>"
        if Self.isMarkdown(name) {
            html += "<div class=\"markdown\" id=\"readme\">" + Markdown.html(text, links: markdownLinks(repository, revision: revision, directory: directory)) + "</div>"
        } else {
            html += "<pre id=\"readme\">\(escape(text))</pre>"
        }
        return html + "</section>"
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
        var body = "<div class=\"toolbar\">" + referencePicker(repository, references, revision: revision, view: "blob", path: path)
        body += breadcrumbs(repository, revision: revision, path: path) + "</div><p class=\"file-actions\">"
        if markdown {
            body += rendered ? "<a id=\"source-link\" href=\"?plain=1\">Source</a> · " : "<a id=\"rendered-link\" href=\"?\">Rendered</a> · "
        }
        body += "<a href=\"\(link(repository, "raw", revision))/\(urlEncodePath(path))\">Raw</a> · "
        body += "<a id=\"blame-link\" href=\"\(link(repository, "blame", revision))/\(urlEncodePath(path))\">Blame</a> · "
        body += "<a id=\"history-link\" href=\"\(link(repository, "commits", revision))?path=\(urlEncode(path))\">History</a>"
        body += entry.size.map { " · <span class=\"muted\">\($0) bytes</span>" } ?? ""
        body += "</p>"
        if let bytes, !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) {
            if rendered {
                let folder = path.split(separator: "/").dropLast().joined(separator: "/")
                body += "<div class=\"markdown\" id=\"rendered\">" + Markdown.html(text, links: markdownLinks(repository, revision: revision, directory: folder)) + "</div>"
            } else {
                body += codeTable(text, language: Self.language(of: name))
            }
        } else {
            body += "<p class=\"muted\" id=\"blob-binary\">This file is binary or larger than \(largest) bytes; download it raw.</p>"
        }
        return frame(repository, viewer: viewer, level: level, title: path, active: "tree", body: body, scripts: Self.codeScripts)
    }

    /// The scripts of code views: highlight.js (Debian's, served by the forge) and the line-anchor script.
    static var codeScripts: [String] { [StaticAssets.highlightPath, StaticAssets.codeScriptPath] }

    /// The lines of a file in a table: each line's number is an anchor (`#L10`); ranges (`#L10-L20`)
    /// are marked by the code script, which also highlights the lines when the language is known.
    func codeTable(_ text: String, language: String?) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        var html = "<div class=\"code-scroll\"><table class=\"code\" id=\"blob\"\(language.map { " data-lang=\"\(escape($0))\"" } ?? "")><tbody>"
        html.reserveCapacity(text.utf8.count * 2 + lines.count * 80)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            html += "<tr id=\"L\(number)\"><td class=\"num\"><a href=\"#L\(number)\">\(number)</a></td><td class=\"line\">\(escape(line))</td></tr>"
        }
        return html + "</tbody></table></div>"
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
            return frame(repository, viewer: viewer, level: level, title: "Blame · \(path)", active: "tree", body: body, scripts: Self.codeScripts)
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
        var body = "<div class=\"toolbar\">" + breadcrumbs(repository, revision: revision, path: path) + "</div><p class=\"file-actions\">"
        body += "<a href=\"\(link(repository, "blob", revision))/\(urlEncodePath(path))\">Normal view</a> · "
        body += "<a href=\"\(link(repository, "commits", revision))?path=\(urlEncode(path))\">History</a></p>"
        body += "<div class=\"code-scroll\"><table class=\"code blame\" id=\"blame\"\(Self.language(of: name).map { " data-lang=\"\(escape($0))\"" } ?? "")><tbody>"
        body.reserveCapacity(text.utf8.count * 2 + lines.count * 100)
        for hunk in blame.hunks {
            let commit = blame.commits[hunk.commit]
            for offset in 0..<hunk.lineCount {
                let number = hunk.startLine + offset
                guard number >= 1, number <= lines.count else { continue }
                body += "<tr id=\"L\(number)\"\(offset == 0 ? " class=\"hunk-start\"" : "")>"
                if offset == 0 {
                    let date = commit.map { Date(timeIntervalSince1970: TimeInterval($0.author.time)) }
                    body += "<td class=\"blame-commit\" rowspan=\"\(hunk.lineCount)\"><a class=\"mono\" href=\"\(link(repository, "commit", hunk.commit.hex))\">"
                    body += "\(hunk.commit.abbreviated(8))</a> \(escape(commit?.summary ?? ""))<br><span class=\"muted\">\(escape(commit?.author.name ?? ""))"
                    body += date.map { " · " + Web.relativeTime($0) } ?? ""
                    body += "</span></td>"
                }
                body += "<td class=\"num\"><a href=\"#L\(number)\">\(number)</a></td><td class=\"line\">\(escape(lines[number - 1]))</td></tr>"
            }
        }
        body += "</tbody></table></div>"
        rendered.store(body, key)
        return frame(repository, viewer: viewer, level: level, title: "Blame · \(path)", active: "tree", body: body, scripts: Self.codeScripts)
    }

    // MARK: - Search

    /// A search box for the code of a repository's default branch.
    func codeSearchForm(_ repository: RepositoryRecord, query: String = "") -> String {
        "<form method=\"get\" action=\"\(link(repository, "search"))\" class=\"search\" role=\"search\"><input type=\"search\" name=\"q\" id=\"code-search\" "
            + "value=\"\(escape(query))\" placeholder=\"Search code\" aria-label=\"Search code\" required> <button>Search</button></form>"
    }

    /// `/-/search?q=TEXT`: the lines of the default branch's text files that contain TEXT (ignoring
    /// case), bounded in files, bytes and time (``CodeSearchLimits``).
    func searchPage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, query: [String: String]) async throws -> Response {
        let text = query["q"] ?? ""
        var body = "<h2>Search the code</h2>" + codeSearchForm(repository, query: text)
        guard !text.isEmpty else { return frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", body: body) }
        let directory = repositories.directory(for: repository.path)
        let result = try await bounded { () async throws -> CodeSearchResult? in
            try await repositories.open.repository(at: directory).withSession { session in
                guard let commit = try session.head().commit else { return nil }
                return try session.searchCode(text, at: commit.hex)
            }
        }
        guard let result else {
            body += "<p id=\"search-empty\">This repository has no commits to search yet.</p>"
            return frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", body: body)
        }
        body += "<p id=\"search-summary\">\(result.matches.count) matching line\(result.matches.count == 1 ? "" : "s") in \(result.filesSearched) files searched"
        body += (result.incomplete ? " (the search stopped at its limit; narrow it down)" : "") + "</p>"
        var currentPath: String?
        for match in result.matches {
            if match.path != currentPath {
                if currentPath != nil { body += "</tbody></table></div>" }
                currentPath = match.path
                body += "<h3 class=\"search-file\"><a href=\"\(link(repository, "blob", "HEAD"))/\(urlEncodePath(match.path))\">\(escape(match.path))</a></h3>"
                body += "<div class=\"code-scroll\"><table class=\"code search-results\"><tbody>"
            }
            body += "<tr><td class=\"num\"><a href=\"\(link(repository, "blob", "HEAD"))/\(urlEncodePath(match.path))#L\(match.line)\">\(match.line)</a></td>"
            body += "<td class=\"line\">\(escape(match.text))</td></tr>"
        }
        if currentPath != nil { body += "</tbody></table></div>" }
        return frame(repository, viewer: viewer, level: level, title: "Search", active: "tree", body: body)
    }

    // MARK: - Compare

    /// `/-/compare/A...B`: the commits on B since it forked from A, and the diff from their merge base
    /// to B (as Gitea and GitHub show it). `A..B` diffs A against B directly.
    func comparePage(_ repository: RepositoryRecord, viewer: Viewer, level: AccessLevel, rest: [String], query: [String: String]) async throws -> Response {
        if rest.isEmpty, let base = query["base"], let head = query["head"], !base.isEmpty, !head.isEmpty {
            return Web.redirect(link(repository, "compare", base + "..." + head))
        }
        let spec = rest.joined(separator: "/")
        var form = "<form method=\"get\" action=\"\(link(repository, "compare"))\" class=\"compare-form\">"
        let threeDots = spec.range(of: "..."), twoDots = spec.range(of: "..")
        let (base, head, direct): (String, String, Bool) = if let threeDots {
            (String(spec[..<threeDots.lowerBound]), String(spec[threeDots.upperBound...]), false)
        } else if let twoDots {
            (String(spec[..<twoDots.lowerBound]), String(spec[twoDots.upperBound...]), true)
        } else {
            ("", "", false)
        }
        form += "<label>Base <input name=\"base\" id=\"compare-base\" value=\"\(escape(base))\" required></label> "
        form += "<label>Compare <input name=\"head\" id=\"compare-head\" value=\"\(escape(head))\" required></label> <button>Compare</button></form>"
        guard !base.isEmpty, !head.isEmpty else {
            return frame(repository, viewer: viewer, level: level, title: "Compare", active: "commits", body: "<h2>Compare revisions</h2>" + form)
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
        var body = "<h2>Compare <code>\(escape(base))</code>\(direct ? ".." : "...")<code>\(escape(head))</code></h2>" + form
        body += "<h3 id=\"compare-commits\">\(commits.count == 250 ? "250+" : String(commits.count)) commit\(commits.count == 1 ? "" : "s")</h3>"
        body += commitTable(repository, commits)
        body += changedFiles(changes, anchors: diff.anchors)
        body += diff.html(style: DiffView.Style(rawValue: query["style"] ?? "") ?? .unified)
        if patch.truncated { body += "<p class=\"muted\">The diff is too large to show whole.</p>" }
        return frame(repository, viewer: viewer, level: level, title: "Compare", active: "commits", body: body)
    }

    /// The changed-file list, each linked to its file in the diff, with the unified/split switch.
    func changedFiles(_ changes: [PathChange], anchors: [String: String]) -> String {
        var html = "<h3>\(changes.count) changed file\(changes.count == 1 ? "" : "s")</h3>"
        html += "<p class=\"diff-style\"><a id=\"unified-link\" href=\"?style=unified\">Unified</a> · <a id=\"split-link\" href=\"?style=split\">Side by side</a></p><ul id=\"changed\">"
        for change in changes {
            let name = escape(change.path)
            let target = anchors[change.path].map { "<a href=\"#\($0)\">\(name)</a>" } ?? name
            html += "<li><span class=\"mono change-\(change.kind.rawValue)\">\(change.kind.rawValue)</span> \(target)</li>"
        }
        return html + "</ul>"
    }
}
