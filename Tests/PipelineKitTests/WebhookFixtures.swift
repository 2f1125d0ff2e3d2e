import Foundation
import PipelineKit
import Testing

/// Loads the webhook fixtures in `Fixtures/webhooks` (written in each provider's documented shape).
enum WebhookFixture {
    /// The bytes of `Fixtures/webhooks/<name>.json`.
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/webhooks"))
        return Array(try Data(contentsOf: url))
    }

    /// The fixture's text with `replacements` applied, each of which must match.
    static func edited(_ name: String, _ replacements: [(String, String)]) throws -> [UInt8] {
        var text = String(decoding: try bytes(name), as: UTF8.self)
        for (old, new) in replacements {
            try #require(text.contains(old), "fixture \(name) has no \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return Array(text.utf8)
    }

    static func github(_ event: String, delivery: String = "72d3162e-cc78-11e3-81ab-4c9367dc0958") -> HTTPHeaderFields {
        ["X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json"]
    }

    static func gitlab(_ event: String, uuid: String? = "9f3d8b0a-2c4e-4f61-a7b5-0e1d2c3b4a59") -> HTTPHeaderFields {
        var headers: HTTPHeaderFields = ["X-Gitlab-Event": event, "Content-Type": "application/json"]
        headers.set(uuid, for: "X-Gitlab-Event-UUID")
        return headers
    }

    static func gitea(_ event: String, delivery: String = "f6266f16-1bf3-46a5-9ea4-602e06ead473") -> HTTPHeaderFields {
        ["X-Gitea-Event": event, "X-Gitea-Delivery": delivery, "Content-Type": "application/json"]
    }
}

/// The error a throwing expression throws, as a `PipelineError`.
func pipelineError(_ body: () throws -> Void) -> PipelineError? {
    do {
        try body()
        return nil
    } catch let error as PipelineError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
