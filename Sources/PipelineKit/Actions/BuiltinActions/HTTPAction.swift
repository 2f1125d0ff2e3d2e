public import ForgeKit

/// `http`: sends an HTTP request and returns the response.
///
/// kwargs: `url` (http or https only), `method` (default `GET`), `headers` (a map), `body` (text as
/// is; a map or list as JSON, with `Content-Type: application/json` unless a header says otherwise),
/// `expect` (the statuses that count as success: a number, a range such as `"200-299"`, or a list of
/// either; default 200–299) and `timeout` (seconds, default 30).
///
/// The result is `{"ok": status expected, "status": status, "body": text (at most the body limit),
/// "headers": {lower-cased name: value}, "truncated": whether the body was cut}`. An unexpected status
/// is a falsy result (the failure handler runs); a failed connection or a timeout throws, so that
/// retries apply.
///
/// The URL comes from a configuration, so it is untrusted: it must pass the ``OutboundPolicy``
/// (no loopback, private, link-local… address unless an admin allowed it, checked on the address
/// connected to), and redirects are not followed. A refused URL throws, saying why.
public struct HTTPAction: Action {
    /// Where requests may go.
    public let outbound: OutboundPolicy
    /// The most bytes of a response body kept in the result.
    public let bodyLimit: Int

    /// An http action sending where `outbound` allows.
    public init(outbound: OutboundPolicy = .standard, bodyLimit: Int = 1 << 20) {
        self.outbound = outbound
        self.bodyLimit = bodyLimit
    }

    /// Sends the request and returns the response.
    public func run(_ context: ActionContext) async throws -> Value {
        let operation = "run action '\(context.actionName)'"
        let url = try context.string("url")
        try HTTPExchange.validate(url: url, operation: operation, field: "kwargs.url")
        let method = context.kwargs["method"] == nil ? "GET" : try context.string("method").uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy({ (0x41...0x5A).contains($0) || $0 == 0x2D || $0 == 0x5F }) else {
            throw PipelineError(.invalidConfiguration, "'\(method)' is not an HTTP method", operation: operation, field: "kwargs.method")
        }
        var headers = try context.textMap("headers").sorted { $0.key < $1.key }
        var body: [UInt8]?
        switch context.kwargs["body"] {
        case nil, .null?: body = nil
        case .map?, .list?:
            body = Array((context.kwargs["body"] ?? .null).jsonText.utf8)
            if !headers.contains(where: { $0.key.lowercased() == "content-type" }) {
                headers.append((key: "Content-Type", value: "application/json"))
            }
        case let value?:
            body = Array((value.text ?? "").utf8)
        }
        let expected = try Self.expectedStatuses(context.kwargs["expect"], operation: operation)
        let exchange = HTTPExchange(method: method, url: url, headers: headers.map { ($0.key, $0.value) }, body: body,
                                    timeout: try context.seconds("timeout") ?? .seconds(30))
        let masker = context.workspace.masker
        do {
            try await outbound.check(url: url)
        } catch {
            throw PipelineError(.invalidConfiguration, "\(masker.mask(url)) is refused: \(error.message)", operation: operation, field: "kwargs.url")
        }
        let response = try await exchange.send(with: try HTTPExchange.client(for: outbound), limit: bodyLimit, operation: operation, masker: masker)
        var responseHeaders: [String: Value] = [:]
        for (name, value) in response.headers {
            let key = name.lowercased()
            responseHeaders[key] = .string(responseHeaders[key]?.text.map { $0 + ", " + value } ?? value)
        }
        return .map(["ok": .bool(expected.contains { $0.contains(response.status) }), "status": .int(response.status),
                     "body": .string(masker.mask(response.text)), "headers": .map(responseHeaders),
                     "truncated": .bool(response.truncated)])
    }

    /// The ranges of `expect`: a status, `"200-299"`, or a list of those; 200–299 when absent.
    static func expectedStatuses(_ value: Value?, operation: String) throws(PipelineError) -> [ClosedRange<Int>] {
        func range(_ value: Value) -> ClosedRange<Int>? {
            switch value {
            case .int(let status): return status...status
            case .string(let text):
                let parts = text.split(separator: "-", maxSplits: 1).map { $0.trimmingSpaces }
                guard let low = parts.first.flatMap({ Int($0) }), let high = Int(parts.last ?? ""), low <= high else { return nil }
                return low...high
            default: return nil
            }
        }
        guard let value else { return [200...299] }
        let elements = value.listElements ?? [value]
        let ranges = elements.compactMap(range)
        guard !ranges.isEmpty, ranges.count == elements.count else {
            throw PipelineError(.invalidConfiguration, "kwargs.expect must be a status, a range such as \"200-299\", or a list of them",
                                operation: operation, field: "kwargs.expect")
        }
        return ranges
    }
}

extension Value {
    /// The elements of a list, else `nil`.
    var listElements: [Value]? {
        if case .list(let values) = self { return values }
        return nil
    }
}
