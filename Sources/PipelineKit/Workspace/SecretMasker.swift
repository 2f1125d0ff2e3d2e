import Foundation

/// Replaces secret values with `***` in text that is stored or shown.
public struct SecretMasker: Sendable, Hashable {
    /// The values to hide, longest first (so that a secret containing another is hidden whole).
    public let secrets: [String]

    /// A masker for `secrets`; empty values and values shorter than 3 characters are ignored, since
    /// hiding them would garble ordinary text.
    public init(_ secrets: some Sequence<String> = [String]()) {
        self.secrets = Set(secrets.filter { $0.count >= 3 }).sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `***`.
    public func mask(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var masked = text
        for secret in secrets where masked.contains(secret) {
            masked = masked.replacingOccurrences(of: secret, with: "***")
        }
        return masked
    }

    /// `value` with every secret in its text replaced.
    public func mask(_ value: Value) -> Value {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let text): return .string(mask(text))
        case .list(let values): return .list(values.map { mask($0) })
        case .map(let values): return .map(values.mapValues { mask($0) })
        default: return value
        }
    }
}
