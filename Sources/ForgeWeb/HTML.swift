import ForgeKit
import ForgeKitServer
import Foundation
import Logging
import Hummingbird
import HTTPTypes
import NIOCore
import PlatformSupport

/// A path segment or query value percent-encoded for a URL: every byte but RFC 3986's unreserved
/// characters (ASCII letters and digits, `-._~`) as `%XX` of its UTF-8. Byte by byte: pages build
/// hundreds of links (Foundation's encoder made a character set per call, a third of a tree page's time).
func urlEncode(_ text: some StringProtocol) -> String {
    let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            bytes.append(byte)
        default:
            bytes.append(UInt8(ascii: "%"))
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A path inside a repository encoded segment by segment (slashes kept).
func urlEncodePath(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: false).map { urlEncode($0) }.joined(separator: "/")
}

/// A page: its title, who is looking, and the ``Templates`` template that makes its body from
/// `context`, rendered in the one layout.
struct Page {
    var title: String
    var user: String?
    var csrf: String?
    /// Whether the signed-in user is a site admin (the Users link is theirs only).
    var isAdmin = false
    /// The body's template and the values it shows (`csrf` and `signedIn` are added).
    var template: String
    var context: [String: Any]
    /// Scripts the page loads (paths on the forge; never inline).
    var scripts: [String] = []

    /// The page in the ``Templates`` layout.
    func render() throws -> String {
        let body = try Templates.render(template, context, csrf: csrf, signedIn: user != nil)
        var frame: [String: Any] = ["title": title, "csrf": csrf ?? "", "isAdmin": isAdmin, "scripts": scripts,
                                    "stylesheet": StaticAssets.stylesheetPath, "body": body]
        if let user { frame["user"] = user }
        return try Templates.render("layout", frame)
    }
}

enum Web {
    static func html(_ page: Page, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let options = HTTPField.Name("X-Frame-Options") { headers[options] = "DENY" }
        if let policy = HTTPField.Name("Content-Security-Policy") {
            headers[policy] = Web.contentSecurityPolicy
        }
        headers.append(contentsOf: extra)
        let html: String
        do {
            html = try page.render()
        } catch {
            return Web.text(.internalServerError, "the page could not be rendered: \(error)\n")
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// What pages may load: everything from the forge's own origin only; scripts only from files
    /// it serves (no inline scripts or handlers, so injected markup cannot run); inline styles (the
    /// pages' own `<style>`); no plugins, no framing, forms posting only to the forge.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// Where the live log's script is served.
    static let liveLogScriptPath = "/-/static/live-log.js"

    /// Fills `pre[data-log]` elements from their log endpoints (the `live-log` template),
    /// and keeps `table[data-run]` (a run's steps) current from `/api/v1/runs/ID` until the run ends.
    static let liveLogScript = """
        (function () {
          var steps = document.querySelector('table[data-run]');
          if (steps) {
            var body = steps.tBodies[0], ended = ['succeeded', 'failed', 'errored', 'cancelled', 'superseded'];
            function cell(row, text, className, pre) {
              var td = row.insertCell(), holder = td;
              if (pre) { holder = document.createElement('pre'); holder.className = 'result'; td.appendChild(holder); }
              if (className) { holder = document.createElement('span'); holder.className = className; td.appendChild(holder); }
              holder.textContent = text;
            }
            function refresh() {
              fetch(steps.getAttribute('data-run'), {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (run) {
                while (body.rows.length) { body.deleteRow(0); }
                (run.steps || []).forEach(function (step) {
                  var row = body.insertRow();
                  cell(row, step.name); cell(row, step.task); cell(row, step.state, 'state ' + step.state); cell(row, String(step.attempts));
                  cell(row, step.error !== null ? step.error : (step.result === null ? '' : JSON.stringify(step.result, null, 2)), null, true);
                });
                if (ended.indexOf(run.status) < 0) { setTimeout(refresh, 1000); }
              }).catch(function () { setTimeout(refresh, 3000); });
            }
            refresh();
          }
          document.querySelectorAll('pre[data-log]').forEach(function (log) {
            var next = 0, url = log.getAttribute('data-log'), status = document.getElementById(log.getAttribute('data-status'));
            function poll() {
              fetch(url + '?after=' + next, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (d) {
                if (d.text) { log.textContent += d.text; }
                next = d.next;
                if (status && d.state) { status.textContent = d.state; status.className = 'state ' + d.state; }
                if (!d.done) { setTimeout(poll, 500); }
              }).catch(function () { setTimeout(poll, 2000); });
            }
            poll();
          });
        })();

        """

    /// `target` when it is a path on this site, to redirect to after sign-in; nil for anything a
    /// browser could read as another origin. Browsers drop tabs and newlines from URLs and read `\`
    /// as `/`, so `/\t/evil.example/` and `/\\evil.example` lead off-site like `//evil.example`:
    /// only printable ASCII without spaces or backslashes (the forge's own links are percent-encoded),
    /// starting with one `/` that is not followed by another, is accepted.
    static func localPath(_ target: String) -> String? {
        let bytes = target.utf8
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= 2048,
              bytes.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") }),
              bytes.dropFirst().first != UInt8(ascii: "/") else { return nil }
        return target
    }

    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.location: location]
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    static func form(_ request: Request, limit: Int = 64 << 10) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: limit)
        return parseQuery(String(buffer: buffer))
    }

    static func parseQuery(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            if !name.isEmpty, values[name] == nil { values[name] = value }
        }
        return values
    }

    static func relativeTime(_ date: Date) -> String {
        let seconds = Int(Date().timeIntervalSince(date))
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86_400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86_400) days ago"
        }
    }
}

extension Page {
    /// A page for `viewer` (nobody signed in when nil).
    init<Context: RemoteAddressRequestContext>(title: String, viewer: ForgeWebService<Context>.Viewer?, template: String,
                                               _ context: [String: Any], scripts: [String] = []) {
        self.init(title: title, user: viewer?.user?.name, csrf: viewer?.csrf, isAdmin: viewer?.user?.isAdmin == true,
                  template: template, context: context, scripts: scripts)
    }
}

extension Response {
    /// The same response with another status (a page re-shown after a refused form answers 4xx).
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var copy = self
        copy.status = status
        return copy
    }
}
