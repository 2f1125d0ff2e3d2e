public import Foundation
public import Hummingbird
import HTTPTypes
import NIOCore
import PlatformSupport
public import RebuildKit

/// A ``RebuildWatcher``'s status page and JSON API, for a Hummingbird router:
///
/// | Route | |
/// |---|---|
/// | `GET /` | the status page: every package with its state, priority and its parts, last build, pending changes and problems |
/// | `GET /api/packages` | the same as JSON, highest priority first |
/// | `GET /api/packages/NAME` | one package, with its resolved environment |
/// | `POST /api/packages/NAME` `{"manual_priority", "tracked", "blocked"}` | change a package (each field optional) |
///
/// JSON keys are snake_case and dates ISO 8601; errors are `{"error": "…"}` with 400, 404 or 500.
public struct RebuildHTTPService: Sendable {
    /// The watcher whose collection is served.
    public let watcher: RebuildWatcher

    /// Serves `watcher`'s collection.
    public init(watcher: RebuildWatcher) {
        self.watcher = watcher
    }

    /// `value` as the API writes it (one line).
    public static func json(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return ((try? encoder.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)) + Data("\n".utf8)
    }

    static func respond(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json(value))))
    }

    struct Failure: Encodable { var error: String }

    struct Update: Decodable {
        var manualPriority: Double?
        var tracked: Bool?
        var blocked: Bool?
    }

    /// Adds the page and the API to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let watcher = self.watcher
        // A RebuildError thrown by a handler answers with its status (RebuildError+HTTP.swift).
        router.get("/") { _, _ in
            let html = Self.html(collection: watcher.collection, statuses: try await watcher.status())
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/api/packages") { _, _ in
            Self.respond(.ok, try await watcher.status())
        }
        router.get("/api/packages/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let package = try await watcher.store.package(collection: watcher.collection.name, name: name) else {
                return Self.respond(.notFound, Failure(error: "no package '\(name)'"))
            }
            return Self.respond(.ok, try await watcher.status(of: package))
        }
        router.post("/api/packages/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            let body = try await request.body.collect(upTo: 64 << 10)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            guard let update = try? decoder.decode(Update.self, from: Data(body.readableBytesView)) else {
                return Self.respond(.badRequest, Failure(error: #"expected {"manual_priority": number, "tracked": bool, "blocked": bool}"#))
            }
            if let priority = update.manualPriority, !priority.isFinite {
                return Self.respond(.badRequest, Failure(error: "manual_priority must be a finite number"))
            }
            try await watcher.store.update(collection: watcher.collection.name, name: name, tracked: update.tracked, blocked: update.blocked,
                                           manualPriority: update.manualPriority)
            guard let package = try await watcher.store.package(collection: watcher.collection.name, name: name) else {
                return Self.respond(.notFound, Failure(error: "no package '\(name)'"))
            }
            return Self.respond(.ok, try await watcher.status(of: package))
        }
    }

    static func escape(_ text: String) -> String {
        htmlEscape(text)
    }

    static func html(collection: RebuildCollection, statuses: [RebuildWatcher.PackageStatus]) -> String {
        var counts: [PackageState: Int] = [:]
        for status in statuses { counts[status.state, default: 0] += 1 }
        var rows = ""
        for status in statuses {
            let p = status.priority
            let last = status.lastBuild.map { "\($0.state.rawValue) \($0.version)" } ?? "never"
            let changes = status.changes.prefix(5).map { escape($0.description) }.joined(separator: "<br>")
                + (status.changes.count > 5 ? "<br>… \(status.changes.count - 5) more" : "")
            let problems = status.package.problems.map(escape).joined(separator: "<br>")
            rows += """
                <tr class="\(status.state.rawValue)"><td>\(escape(status.package.name))</td><td>\(escape(status.package.version))</td>\
                <td>\(status.state.rawValue)</td><td>\(Int(p.total.rounded()))</td>\
                <td>manual \(Int(p.manual)), static \(Int(p.static)), dependency \(Int(p.dependency.rounded())), build \(Int(p.build)), time \(Int(p.time.rounded()))</td>\
                <td>\(escape(last))</td><td>\(changes)\(problems)</td></tr>

                """
        }
        let summary = PackageState.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: " · ")
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escape(collection.name)) — rebuilder</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}
            tr.failing td:nth-child(3),tr.unresolved td:nth-child(3){color:#b00}tr.ok td:nth-child(3){color:#070}</style></head>
            <body><h1>\(escape(collection.name))</h1><p>\(escape(collection.kind.rawValue)) · \(escape(collection.architecture)) · \(escape(collection.repository))</p>
            <p>\(summary)</p>
            <table><tr><th>package</th><th>version</th><th>state</th><th>priority</th><th>parts</th><th>last build</th><th>pending changes / problems</th></tr>
            \(rows)</table></body></html>

            """
    }
}
