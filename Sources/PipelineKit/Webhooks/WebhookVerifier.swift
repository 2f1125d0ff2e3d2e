import Crypto
import ForgeKit
import PlatformSupport

/// Checks that a webhook request came from the forge that knows the shared secret.
///
/// - GitHub: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the raw body keyed with the secret.
/// - Gitea: `X-Gitea-Signature: <hex>` (Forgejo also sends `X-Forgejo-Signature`), the same HMAC without
///   a prefix.
/// - GitLab: `X-Gitlab-Token`, the secret itself.
///
/// Every comparison takes the same time whatever the bytes compared. Verify the raw body, exactly as
/// received, before decoding it (for a form-encoded GitHub body that is the whole form, not the
/// `payload` field).
///
/// Verification can be turned off, but only explicitly, with ``unverified(_:)``:
///
/// ```swift
/// let verifier = try WebhookVerifier(provider: .github, secret: configuration.secret)
/// try verifier.verify(headers: headers, body: body)  // throws PipelineError(.unauthenticated, …)
/// ```
public struct WebhookVerifier: Sendable {
    /// The provider whose scheme is checked.
    public let provider: WebhookProvider
    /// The secret's bytes (UTF-8); nil when verification is disabled.
    private let secret: [UInt8]?

    /// Creates a verifier for `provider`'s scheme with a shared secret.
    ///
    /// - Parameter secret: The secret configured on the forge's webhook. Passing nil disables verification
    ///   (every request is accepted), as ``unverified(_:)`` does.
    /// - Throws: ``PipelineError`` with code `invalidConfiguration` if `secret` is empty: an empty secret
    ///   would accept an empty token, so it is refused rather than treated as "no verification".
    public init(provider: WebhookProvider, secret: String?) throws(PipelineError) {
        if let secret, secret.isEmpty {
            throw PipelineError(.invalidConfiguration, "the webhook secret is empty; pass nil to disable verification explicitly", operation: "verify webhook")
        }
        self.provider = provider
        self.secret = secret.map { Array($0.utf8) }
    }

    /// A verifier that accepts every request for `provider`: for development, or behind a proxy that
    /// already checks authenticity.
    public static func unverified(_ provider: WebhookProvider) -> WebhookVerifier {
        WebhookVerifier(provider: provider, secretBytes: nil)
    }

    private init(provider: WebhookProvider, secretBytes: [UInt8]?) {
        self.provider = provider
        self.secret = secretBytes
    }

    /// Whether requests are checked (false for ``unverified(_:)`` and a nil secret).
    public var isEnabled: Bool { secret != nil }

    /// Checks a request's signature or token.
    ///
    /// - Parameters:
    ///   - headers: The request's header fields.
    ///   - body: The raw request body, as received.
    /// - Throws: ``PipelineError`` with code `unauthenticated` when the signature or token header is
    ///   missing, malformed or wrong. Does nothing when verification is disabled.
    public func verify(headers: HTTPHeaderFields, body: [UInt8]) throws(PipelineError) {
        guard let secret else { return }
        switch provider {
        case .github:
            let header = "X-Hub-Signature-256"
            guard let value = headers[header] else { throw Self.failure("the \(header) header is missing") }
            guard let hex = value.dropPrefix("sha256=") else {
                throw Self.failure("the \(header) header must start with 'sha256='")
            }
            try Self.checkHMAC(hex: hex, header: header, body: body, secret: secret)
        case .gitea:
            guard let (header, value) = headers.first(of: ["X-Gitea-Signature", "X-Forgejo-Signature"]) else {
                throw Self.failure("the X-Gitea-Signature header is missing")
            }
            try Self.checkHMAC(hex: value, header: header, body: body, secret: secret)
        case .gitlab:
            let header = "X-Gitlab-Token"
            guard let token = headers[header] else { throw Self.failure("the \(header) header is missing") }
            guard ConstantTime.equal(Array(token.utf8), secret) else {
                throw Self.failure("the \(header) header does not match the secret")
            }
        }
    }

    private static func checkHMAC(hex: String, header: String, body: [UInt8], secret: [UInt8]) throws(PipelineError) {
        switch HMACSignature.check(hex: hex, body: body, secret: secret) {
        case .valid: return
        case .malformed: throw failure("the \(header) header is not a hex SHA-256 signature")
        case .mismatch: throw failure("the \(header) signature does not match the body")
        }
    }

    /// Compares two byte strings in time independent of their contents and lengths, by comparing their
    /// SHA-256 digests byte for byte without an early exit (ForgeKit's one constant-time comparison).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        ConstantTime.equal(a, b)
    }

    private static func failure(_ message: String) -> PipelineError {
        PipelineError(.unauthenticated, message, operation: "verify webhook")
    }
}
