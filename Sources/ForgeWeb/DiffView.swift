import Foundation

/// A unified patch (as ForgeKit's `CommitPatch` prints it) taken apart for display: files, hunks,
/// and each line with its old and new line numbers.
struct DiffView {
    enum LineKind { case context, added, deleted, note }

    struct Line {
        var kind: LineKind
        var old: Int?
        var new: Int?
        var text: Substring
    }

    struct Hunk {
        var header: Substring
        var lines: [Line] = []
    }

    struct File {
        var path: String
        var headers: [Substring] = []
        var hunks: [Hunk] = []
    }

    var files: [File] = []

    /// How a diff is laid out: one column of lines (`unified`) or old and new side by side (`split`).
    enum Style: String { case unified, split }

    init(patch: String) {
        var old = 0, new = 0
        for line in patch.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("diff --git ") {
                var path = String(line.dropFirst("diff --git ".count))
                if path.hasPrefix("a/"), let split = path.range(of: " b/") { path = String(path[split.upperBound...]) }
                files.append(File(path: path, headers: [line]))
                continue
            }
            guard !files.isEmpty else { continue }
            if files[files.count - 1].hunks.isEmpty || line.hasPrefix("@@") {
                if line.hasPrefix("@@") {
                    // @@ -OLD[,N] +NEW[,N] @@
                    let fields = line.split(separator: " ")
                    if fields.count >= 3 {
                        old = Int(fields[1].dropFirst().split(separator: ",").first ?? "") ?? 0
                        new = Int(fields[2].dropFirst().split(separator: ",").first ?? "") ?? 0
                    }
                    files[files.count - 1].hunks.append(Hunk(header: line))
                } else {
                    if line.hasPrefix("+++ b/") { files[files.count - 1].path = String(line.dropFirst(6)) }
                    if !line.isEmpty { files[files.count - 1].headers.append(line) }
                }
                continue
            }
            let kind: LineKind
            var entry = Line(kind: .context, old: nil, new: nil, text: line)
            switch line.first {
            case "+": kind = .added; entry.new = new; new += 1
            case "-": kind = .deleted; entry.old = old; old += 1
            case "\\": kind = .note
            case " ": kind = .context; entry.old = old; entry.new = new; old += 1; new += 1
            default: continue  // the empty string after the last newline
            }
            entry.kind = kind
            files[files.count - 1].hunks[files[files.count - 1].hunks.count - 1].lines.append(entry)
        }
    }

    /// The anchor of file `index` (`#diff-3`), for links from the changed-file list.
    static func anchor(_ index: Int) -> String { "diff-\(index)" }

    /// The anchor of each path, by path.
    var anchors: [String: String] {
        Dictionary(files.enumerated().map { ($0.element.path, Self.anchor($0.offset)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The diff as HTML tables, one per file, with line numbers, shaded added and deleted lines, and
    /// links from each line number to its anchor.
    func html(style: Style) -> String {
        var html = "<div id=\"diff\" class=\"diff \(style.rawValue)\">"
        for (index, file) in files.enumerated() {
            let anchor = Self.anchor(index)
            let columns = style == .unified ? 3 : 4
            html += "<table class=\"diff-file\" id=\"\(anchor)\"><thead><tr><th colspan=\"\(columns)\" class=\"file-name\">"
            html += "<a href=\"#\(anchor)\">\(escape(file.path))</a></th></tr></thead><tbody>"
            if file.hunks.isEmpty {
                let note = file.headers.dropFirst().map { escape($0) }.joined(separator: "<br>")
                html += "<tr><td colspan=\"\(columns)\" class=\"muted\">\(note)</td></tr>"
            }
            for hunk in file.hunks {
                html += "<tr class=\"hunk\"><td colspan=\"\(columns)\">\(escape(hunk.header))</td></tr>"
                switch style {
                case .unified:
                    for line in hunk.lines { html += unifiedRow(line, anchor: anchor) }
                case .split:
                    html += splitRows(hunk.lines, anchor: anchor)
                }
            }
            html += "</tbody></table>"
        }
        return html + "</div>"
    }

    private func number(_ value: Int?, _ side: String, _ anchor: String) -> String {
        guard let value else { return "<td class=\"num\"></td>" }
        let id = "\(anchor)\(side)\(value)"
        return "<td class=\"num\" id=\"\(id)\"><a href=\"#\(id)\">\(value)</a></td>"
    }

    private func css(_ kind: LineKind) -> String {
        switch kind {
        case .added: "add"
        case .deleted: "del"
        case .note: "note"
        case .context: "ctx"
        }
    }

    private func unifiedRow(_ line: Line, anchor: String) -> String {
        "<tr class=\"\(css(line.kind))\">" + number(line.old, "L", anchor) + number(line.new, "R", anchor)
            + "<td class=\"line\">\(escape(line.text))</td></tr>"
    }

    /// Deletions and the additions after them side by side, row by row; context on both sides.
    private func splitRows(_ lines: [Line], anchor: String) -> String {
        var html = ""
        var index = 0
        func cell(_ line: Line?, _ side: String) -> String {
            guard let line else { return "<td class=\"num empty\"></td><td class=\"line empty\"></td>" }
            let number = side == "L" ? line.old : line.new
            return self.number(number, side, anchor).replacingOccurrences(of: "<td class=\"num\"", with: "<td class=\"num \(css(line.kind))\"")
                + "<td class=\"line \(css(line.kind))\">\(escape(line.text))</td>"
        }
        while index < lines.count {
            let line = lines[index]
            if line.kind == .context || line.kind == .note {
                html += "<tr>" + cell(line, "L") + cell(line, "R") + "</tr>"
                index += 1
                continue
            }
            var deleted: [Line] = [], added: [Line] = []
            while index < lines.count, lines[index].kind == .deleted { deleted.append(lines[index]); index += 1 }
            while index < lines.count, lines[index].kind == .added { added.append(lines[index]); index += 1 }
            for row in 0..<max(deleted.count, added.count) {
                html += "<tr>" + cell(row < deleted.count ? deleted[row] : nil, "L") + cell(row < added.count ? added[row] : nil, "R") + "</tr>"
            }
        }
        return html
    }
}
