import CCmarkGFM
import Foundation
import Synchronization

/// Where a document's relative links lead: the repository's file views at the revision shown.
struct MarkdownLinks: Sendable {
    /// `/team/app/-/blob/REV` (links to files and directories go here).
    var blob: String
    /// `/team/app/-/raw/REV` (images load from here).
    var raw: String
    /// The document's directory inside the repository (`""` at the root, else `docs/guide`).
    var directory: String
}

/// GitHub Flavored Markdown through GitHub's own cmark-gfm: tables, task lists, strikethrough and
/// autolinks. Raw HTML is never passed through (cmark's safe mode replaces it with a comment and
/// drops `javascript:`-style URLs), so a README cannot inject markup into the forge's pages.
enum Markdown {
    /// cmark-gfm keeps some parser state in globals (the special characters extensions add, the
    /// extension registry): one document at a time. A README renders in well under a millisecond.
    private static let lock = Mutex<Void>(())

    /// The largest document rendered; longer ones are cut (and the cut said).
    static let largestDocument = 1 << 20

    /// `text` as HTML. With `links`, relative link targets resolve inside the repository at the
    /// shown revision (files to their page, images to their raw bytes); absolute and fragment links
    /// stay as written.
    static func html(_ text: String, links: MarkdownLinks? = nil) -> String {
        var bytes = Array(text.utf8)
        let truncated = bytes.count > largestDocument
        if truncated { bytes = Array(bytes[..<largestDocument]) }
        let options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_GITHUB_PRE_LANG
        let rendered: String = lock.withLock { _ in
            cmark_gfm_core_extensions_ensure_registered()
            guard let parser = cmark_parser_new(options) else { return "" }
            defer { cmark_parser_free(parser) }
            for name in ["table", "strikethrough", "autolink", "tasklist", "tagfilter"] {
                if let extensionPointer = cmark_find_syntax_extension(name) {
                    cmark_parser_attach_syntax_extension(parser, extensionPointer)
                }
            }
            bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map { $0.withMemoryRebound(to: CChar.self, capacity: buffer.count) { cmark_parser_feed(parser, $0, buffer.count) } }
            }
            guard let root = cmark_parser_finish(parser) else { return "" }
            defer { cmark_node_free(root) }
            if let links { resolveLinks(root, links) }
            guard let html = cmark_render_html(root, options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
            defer { free(html) }
            return String(cString: html)
        }
        return truncated ? rendered + "<p class=\"muted\">The document is longer than 1 MiB; the rest is not shown.</p>" : rendered
    }

    private static func resolveLinks(_ root: OpaquePointer, _ links: MarkdownLinks) {
        guard let iterator = cmark_iter_new(root) else { return }
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            guard type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE,
                  let current = cmark_node_get_url(node).map({ String(cString: $0) }),
                  let resolved = resolve(current, base: type == CMARK_NODE_IMAGE ? links.raw : links.blob, directory: links.directory)
            else { continue }
            cmark_node_set_url(node, resolved)
        }
    }

    /// The repository URL of a relative `target`, or nil to leave it alone (a scheme, `//host`, a
    /// fragment, or empty). `/x` is the repository's root, as on GitHub; `..` never leaves the root.
    static func resolve(_ target: String, base: String, directory: String) -> String? {
        guard !target.isEmpty, !target.hasPrefix("#"), !target.hasPrefix("//") else { return nil }
        let end = target.firstIndex(where: { "/?#".contains($0) }) ?? target.endIndex
        if target[..<end].contains(":") { return nil }
        let suffixStart = target.firstIndex(where: { "?#".contains($0) }) ?? target.endIndex
        let pathPart = String(target[..<suffixStart]), suffix = String(target[suffixStart...])
        var segments: [Substring] = target.hasPrefix("/") ? [] : directory.split(separator: "/")
        for segment in pathPart.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        let decoded = segments.map { $0.removingPercentEncoding ?? String($0) }
        return base + (decoded.isEmpty ? "" : "/" + urlEncodePath(decoded.joined(separator: "/"))) + suffix
    }
}
