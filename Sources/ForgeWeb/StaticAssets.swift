import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport

/// The files the forge serves itself under `/-/static/`: its stylesheet, its two small scripts, and
/// highlight.js from Debian's `libjs-highlight.js` (never a CDN). Pages load nothing else, and the
/// Content-Security-Policy allows scripts from the forge's own origin only.
enum StaticAssets {
    static let stylesheetPath = "/-/static/forge.css"
    static let codeScriptPath = "/-/static/code.js"
    static let highlightPath = "/-/static/highlight.min.js"
    /// Where Debian installs highlight.js (all languages in one file).
    static let highlightFile = "/usr/share/javascript/highlight.js/highlight.min.js"

    /// highlight.js, read once; nil when the package is not installed (code is then shown plain).
    private static let highlight: ByteBuffer? = FileManager.default.contents(atPath: highlightFile).map { ByteBuffer(bytes: $0) }

    static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        func serve(_ path: String, _ type: String, _ body: @escaping @Sendable () async -> ByteBuffer?) {
            router.get(RouterPath(path)) { _, _ in
                guard let buffer = await body() else { return Web.text(.notFound, "not installed\n") }
                return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600"], body: ResponseBody(byteBuffer: buffer))
            }
        }
        serve(stylesheetPath, "text/css; charset=utf-8") { ByteBuffer(string: stylesheet) }
        serve(codeScriptPath, "text/javascript; charset=utf-8") { ByteBuffer(string: codeScript) }
        serve(Web.liveLogScriptPath, "text/javascript; charset=utf-8") { ByteBuffer(string: Web.liveLogScript) }
        serve(highlightPath, "text/javascript; charset=utf-8") {
            // The first request reads the file off the cooperative pool.
            await BlockingQueue.shared.run { highlight }
        }
    }

    /// The forge's one stylesheet. Narrow screens (from 360 px) get a wrapping header and tables
    /// that scroll inside their own box instead of the page.
    static let stylesheet = """
        *{box-sizing:border-box}
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff;overflow-wrap:anywhere}
        header{background:#24292f;color:#fff;padding:.6em 1.2em;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
        header a{color:#fff;text-decoration:none;font-weight:600}header form{margin:0 0 0 auto}#login-link{margin-left:auto}
        header span{color:#d0d7de}
        main{max-width:1100px;margin:1.2em auto;padding:0 1.2em}
        h1{font-size:1.5em;overflow-wrap:anywhere}h1 a{color:inherit;text-decoration:none}
        a{color:#0969da}
        table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.35em .5em;text-align:left;vertical-align:top}
        .table-scroll,.code-scroll{overflow-x:auto;max-width:100%}
        pre{background:#f6f8fa;padding:.8em;overflow:auto;font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap}
        code,.mono{font-family:ui-monospace,monospace}.muted{color:#57606a}
        .state{padding:.1em .5em;border-radius:1em;font-size:.85em;color:#fff;background:#6e7781;white-space:nowrap}
        .succeeded,.delivered,.success{background:#1a7f37}.failed,.errored,.failure,.error-state{background:#cf222e}.running,.retrying,.warning{background:#9a6700}
        .queued,.initialized,.not_initialized,.pending,.waiting{background:#0969da}.cancelled{background:#6e7781}
        nav.tabs{display:flex;flex-wrap:wrap;gap:.2em 1em;border-bottom:1px solid #d0d7de;margin-bottom:1em}
        nav.tabs a{padding:.3em 0;text-decoration:none}nav.tabs a.current{font-weight:700;border-bottom:2px solid #fd8c73}
        input,select,button,textarea{font:inherit;padding:.25em .4em;max-width:100%}
        .error{background:#ffebe9;border:1px solid #cf222e;padding:.6em;margin:.6em 0}
        .notice{background:#ddf4ff;border:1px solid #54aeff;padding:.6em;margin:.6em 0}
        .toolbar{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:center;margin:.5em 0}
        .breadcrumbs{font-weight:600}
        .status-badge{display:inline-block;min-width:1.5em;text-align:center;cursor:help}
        details.picker{position:relative}details.picker summary{cursor:pointer;border:1px solid #d0d7de;border-radius:6px;padding:.2em .6em;list-style:none}
        details.picker .menu{position:absolute;z-index:2;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.4em;max-height:20em;overflow:auto;min-width:14em}
        details.picker .menu a{display:block;padding:.15em .4em}details.picker .menu a.current{font-weight:700}
        .menu-title{font-size:.8em;color:#57606a;margin-top:.3em}
        table.code{font:13px/1.5 ui-monospace,monospace;width:100%}table.code td{border:0;padding:0 .6em;white-space:pre}
        table.code td.num,table.diff-file td.num{width:1%;text-align:right;color:#6e7781;user-select:none}
        table.code td.num a,table.diff-file td.num a{color:inherit;text-decoration:none}
        table.code tr.selected td{background:#fff8c5}
        table.blame td.blame-commit{white-space:normal;width:16em;min-width:12em;border-top:1px solid #d0d7de;font-family:system-ui,sans-serif;font-size:12px}
        table.blame tr.hunk-start td{border-top:1px solid #d0d7de}
        .diff-file{margin:1em 0;border:1px solid #d0d7de;font:12px/1.5 ui-monospace,monospace}
        .diff-file td{border:0;padding:0 .5em;white-space:pre-wrap}.diff-file th.file-name{background:#f6f8fa;font-family:system-ui,sans-serif}
        .diff-file tr.add td,.diff-file td.add{background:#e6ffec}.diff-file tr.del td,.diff-file td.del{background:#ffebe9}
        .diff-file tr.hunk td{background:#ddf4ff;color:#57606a}.diff-file td.empty{background:#f6f8fa}
        .diff.split td.line{width:49%}
        .markdown{line-height:1.6}.markdown img{max-width:100%}.markdown table{width:auto}.markdown td,.markdown th{border:1px solid #d0d7de}
        .markdown pre{white-space:pre}.markdown li.task-list-item{list-style:none}
        form.inline{display:inline}
        .hljs-keyword,.hljs-selector-tag,.hljs-built_in,.hljs-type{color:#cf222e}.hljs-string,.hljs-regexp,.hljs-attr{color:#0a3069}
        .hljs-comment,.hljs-quote{color:#6e7781;font-style:italic}.hljs-number,.hljs-literal,.hljs-symbol{color:#0550ae}
        .hljs-title,.hljs-section,.hljs-function{color:#8250df}.hljs-meta,.hljs-variable,.hljs-template-variable{color:#953800}
        @media (max-width:600px){main{padding:0 .6em}header{padding:.5em .6em}td,th{padding:.3em}table.blame td.blame-commit{width:9em;min-width:9em}}
        """

    /// Line anchors (`#L10`, `#L10-L20`: shift-click extends a selection) and syntax highlighting of
    /// `table.code[data-lang]` one line at a time, carrying highlight.js's state across lines.
    static let codeScript = """
        (function () {
          var table = document.querySelector('table.code');
          if (!table) { return; }
          var anchor = null;
          function mark() {
            var m = /^#L(\\d+)(?:-L(\\d+))?$/.exec(location.hash);
            table.querySelectorAll('tr.selected').forEach(function (r) { r.classList.remove('selected'); });
            if (!m) { return; }
            var from = +m[1], to = m[2] ? +m[2] : from;
            if (to < from) { var t = from; from = to; to = t; }
            for (var i = from; i <= to; i++) { var row = document.getElementById('L' + i); if (row) { row.classList.add('selected'); } }
            var first = document.getElementById('L' + from);
            if (first && first.scrollIntoView) { first.scrollIntoView({block: 'center'}); }
          }
          table.addEventListener('click', function (event) {
            var link = event.target.closest ? event.target.closest('td.num a') : null;
            if (!link) { return; }
            var line = +link.getAttribute('href').slice(2);
            if (event.shiftKey && anchor !== null) {
              event.preventDefault();
              history.replaceState(null, '', '#L' + Math.min(anchor, line) + '-L' + Math.max(anchor, line));
              mark();
            } else { anchor = line; }
          });
          window.addEventListener('hashchange', mark);
          var lang = table.getAttribute('data-lang');
          if (lang && window.hljs && hljs.getLanguage(lang)) {
            var cells = table.querySelectorAll('td.line');
            if (cells.length <= 20000) {
              var state;
              cells.forEach(function (cell) {
                try {
                  var result = hljs.highlight(lang, cell.textContent, true, state);
                  state = result.top;
                  cell.innerHTML = result.value;
                } catch (e) { state = undefined; }
              });
              table.classList.add('highlighted');
            }
          }
          mark();
        })();

        """
}
