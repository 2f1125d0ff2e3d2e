import PipelineKit

/// The API's routes as the document declares them, to answer a method a path does not take with
/// `405 Method Not Allowed` and `Allow` (rather than a 404): path templates where `{name}` (a
/// repository) spans 1 to 8 segments, `{filepath}` any number, and every other parameter one.
struct APIRouteTable: Sendable {
    struct Route: Sendable {
        var segments: [String]
        var methods: Set<String>
    }

    let routes: [Route]

    static let shared = APIRouteTable(document: OpenAPIDocument.json)

    init(document: String) {
        var routes: [Route] = []
        if case .map(let root)? = try? Value(jsonText: document), case .map(let paths)? = root["paths"] {
            for (path, operations) in paths {
                guard case .map(let methods) = operations else { continue }
                routes.append(Route(segments: path.split(separator: "/").map(String.init), methods: Set(methods.keys.map { $0.uppercased() })))
            }
        }
        self.routes = routes
    }

    /// The methods documented for `path` (below `/api/v1`); empty when no route has its shape.
    /// When several templates fit, the most specific ones count (the most literal segments:
    /// `/repos/search` over `/repos/{name}`), as a router chooses.
    func methods(for path: [String]) -> Set<String> {
        let matching = routes.filter { Self.matches($0.segments[...], path[...]) }
        func literals(_ route: Route) -> Int { route.segments.filter { !$0.hasPrefix("{") }.count }
        let best = matching.map(literals).max() ?? 0
        return matching.filter { literals($0) == best }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
    }

    private static func matches(_ template: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = template.first else { return path.isEmpty }
        switch first {
        case "{name}", "{filepath}":
            let most = first == "{name}" ? min(8, path.count) : path.count
            guard most >= 1 else { return false }
            // A repository's segments never include the `-` that ends them.
            return (1...most).contains { count in !path.prefix(count).contains("-") && matches(template.dropFirst(), path.dropFirst(count)) }
        default:
            guard let segment = path.first else { return false }
            if first.hasPrefix("{") { return !segment.isEmpty && segment != "-" && matches(template.dropFirst(), path.dropFirst()) }
            return segment == first && matches(template.dropFirst(), path.dropFirst())
        }
    }
}
