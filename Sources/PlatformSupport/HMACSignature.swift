import Crypto

/// The HMAC-SHA256 body signatures of webhooks, as GitHub (`X-Hub-Signature-256: sha256=<hex>`) and
/// Gitea (`X-Gitea-Signature: <hex>`) send them: made once here, checked once here.
package enum HMACSignature {
    /// The lowercase hex HMAC-SHA256 of `body` under `secret`.
    package static func hex(body: [UInt8], secret: [UInt8]) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)))
    }

    /// GitHub's header value: `sha256=` and ``hex(body:secret:)``.
    package static func github(body: [UInt8], secret: [UInt8]) -> String {
        "sha256=" + hex(body: body, secret: secret)
    }

    /// How a received signature compares with the body.
    package enum Check: Sendable, Equatable {
        case valid
        /// Not a hex SHA-256 code at all.
        case malformed
        /// Well-formed, but not the body's signature under the secret.
        case mismatch
    }

    /// Checks hex signature `hex` of `body` under `secret`, in constant time.
    package static func check(hex: some StringProtocol, body: [UInt8], secret: [UInt8]) -> Check {
        guard let mac = Hex.decode(hex), mac.count == SHA256.byteCount else { return .malformed }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
            ? .valid : .mismatch
    }
}
