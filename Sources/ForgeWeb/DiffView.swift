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

    /// The values of the `diff` template: one table per file with line numbers (each an anchor),
    /// added and deleted lines shaded, unified or side by side.
    func context(style: Style) -> [String: Any] {
        let columns = style == .unified ? 3 : 4
        let files = files.enumerated().map { index, file -> [String: Any] in
            let anchor = Self.anchor(index)
            let hunks = file.hunks.map { hunk -> [String: Any] in
                let rows: [[String: Any]] = switch style {
                case .unified: hunk.lines.map { ["rowClass": css($0.kind), "cells": [number($0.old, "L", anchor, nil), number($0.new, "R", anchor, nil), text($0, nil)]] }
                case .split: splitRows(hunk.lines, anchor: anchor)
                }
                return ["hunkHeader": hunk.header, "rows": rows]
            }
            let notes = hunks.isEmpty ? file.headers.dropFirst().map(String.init) : []
            return ["fileAnchor": anchor, "diffPath": file.path, "hasNotes": !notes.isEmpty, "fileNotes": notes, "diffHunks": hunks]
        }
        return ["diffStyle": style.rawValue, "columns": columns, "diffFiles": files]
    }

    /// A line-number cell (anchored `diff-3L10`; empty without a number), shaded as `kind` in split view.
    private func number(_ value: Int?, _ side: String, _ anchor: String, _ kind: LineKind?) -> [String: Any] {
        let cellClass = kind.map { "num " + css($0) } ?? "num"
        guard let value else { return ["number": true, "cellClass": cellClass] }
        return ["number": true, "cellClass": cellClass, "anchor": "\(anchor)\(side)\(value)", "value": value]
    }

    /// A line's text cell (shaded as its kind in split view).
    private func text(_ line: Line, _ kind: LineKind?) -> [String: Any] {
        ["number": false, "cellClass": kind.map { "line " + css($0) } ?? "line", "text": line.text]
    }

    private func css(_ kind: LineKind) -> String {
        switch kind {
        case .added: "add"
        case .deleted: "del"
        case .note: "note"
        case .context: "ctx"
        }
    }

    /// Deletions and the additions after them side by side, row by row; context on both sides.
    private func splitRows(_ lines: [Line], anchor: String) -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var index = 0
        func cells(_ line: Line?, _ side: String) -> [[String: Any]] {
            guard let line else { return [["number": true, "cellClass": "num empty"], ["number": false, "cellClass": "line empty"]] }
            return [number(side == "L" ? line.old : line.new, side, anchor, line.kind), text(line, line.kind)]
        }
        while index < lines.count {
            let line = lines[index]
            if line.kind == .context || line.kind == .note {
                rows.append(["cells": cells(line, "L") + cells(line, "R")])
                index += 1
                continue
            }
            var deleted: [Line] = [], added: [Line] = []
            while index < lines.count, lines[index].kind == .deleted { deleted.append(lines[index]); index += 1 }
            while index < lines.count, lines[index].kind == .added { added.append(lines[index]); index += 1 }
            for row in 0..<max(deleted.count, added.count) {
                rows.append(["cells": cells(row < deleted.count ? deleted[row] : nil, "L") + cells(row < added.count ? added[row] : nil, "R")])
            }
        }
        return rows
    }
}
