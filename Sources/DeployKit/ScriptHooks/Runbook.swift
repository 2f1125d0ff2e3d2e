public import ForgeKit
import Foundation

/// What a script hook runs, and for whom: captainhook's runbook format, plus an optional secret.
///
/// ```json
/// {
///     "scripts": [{"command": "/srv/deploy/deploy.sh", "args": ["stage", "{{POST}}"]}],
///     "allowedNetworks": ["192.30.252.0/22", "127.0.0.1/32"],
///     "secret": "the webhook's shared secret"
/// }
/// ```
///
/// - `scripts` (required, at least one): run in order, each without a shell. A `command` with a slash
///   is a path (relative ones are relative to the runbook's directory); without one it is looked up
///   in `PATH`. `{{POST}}` in an argument is replaced by the request body (as one argument, never
///   through a shell; Linux refuses a single argument over 128 KiB, and such a script ends with 126).
/// - `allowedNetworks` (required): the networks a caller must be in. An empty list allows nobody.
/// - `secret` (optional): when set, requests must carry GitHub's `X-Hub-Signature-256` HMAC of the
///   body keyed with it.
///
/// Unknown keys are ignored.
public struct Runbook: Sendable, Hashable {
    /// One program to run.
    public struct Script: Sendable, Hashable {
        /// A path, or a name looked up in `PATH`.
        public var command: String
        /// The arguments, after the program name; `{{POST}}` is replaced by the request body.
        public var args: [String]

        /// Creates a script.
        public init(command: String, args: [String] = []) {
            self.command = command
            self.args = args
        }
    }

    /// The placeholder replaced by the request body in script arguments.
    public static let bodyPlaceholder = "{{POST}}"

    /// The scripts, in the order they run.
    public var scripts: [Script]
    /// The networks callers must be in; empty allows nobody.
    public var allowedNetworks: [CIDR]
    /// The GitHub-style webhook secret, if requests must be signed.
    public var secret: String?

    /// Creates a runbook.
    public init(scripts: [Script], allowedNetworks: [CIDR], secret: String? = nil) {
        self.scripts = scripts
        self.allowedNetworks = allowedNetworks
        self.secret = secret
    }

    /// Whether `address` is in one of ``allowedNetworks``.
    public func allows(_ address: IPAddress) -> Bool {
        allowedNetworks.contains { $0.contains(address) }
    }

    /// Decodes and checks a runbook from JSON.
    ///
    /// - Parameters:
    ///   - json: The file's bytes.
    ///   - name: The file's name, for messages.
    /// - Throws: ``DeployError`` with code `invalidConfiguration` saying what is wrong: not JSON, a
    ///   missing or empty `scripts`, a script without a command, a missing `allowedNetworks`, a
    ///   network that is not CIDR notation, an empty `secret`.
    public static func decode(_ json: [UInt8], name: String) throws(DeployError) -> Runbook {
        func invalid(_ message: String) -> DeployError {
            DeployError(.invalidConfiguration, "\(name): \(message)", operation: "load runbook")
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(json))
        } catch let error as DecodingError {
            throw invalid(Self.describe(error))
        } catch {
            throw invalid("not valid JSON: \(error)")
        }
        guard let rawScripts = raw.scripts else { throw invalid("'scripts' is missing") }
        guard !rawScripts.isEmpty else { throw invalid("'scripts' is empty") }
        var scripts: [Script] = []
        for (index, script) in rawScripts.enumerated() {
            guard let command = script.command, !command.isEmpty else { throw invalid("scripts[\(index)].command is missing or empty") }
            let args = script.args ?? []
            guard !command.utf8.contains(0), !args.contains(where: { $0.utf8.contains(0) }) else {
                throw invalid("scripts[\(index)] contains a NUL character")
            }
            scripts.append(Script(command: command, args: args))
        }
        guard let rawNetworks = raw.allowedNetworks else {
            throw invalid("'allowedNetworks' is missing (use [] to allow nobody, [\"0.0.0.0/0\", \"::/0\"] to allow everybody)")
        }
        var networks: [CIDR] = []
        for (index, text) in rawNetworks.enumerated() {
            do {
                networks.append(try CIDR(text))
            } catch {
                throw invalid("allowedNetworks[\(index)]: \(error.message)")
            }
        }
        if let secret = raw.secret, secret.isEmpty { throw invalid("'secret' is empty; leave it out to accept unsigned requests") }
        return Runbook(scripts: scripts, allowedNetworks: networks, secret: raw.secret)
    }

    private struct Raw: Decodable {
        struct RawScript: Decodable {
            var command: String?
            var args: [String]?
        }
        var scripts: [RawScript]?
        var allowedNetworks: [String]?
        var secret: String?
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context).isEmpty ? "the document" : path(context)) has the wrong type"
        case .keyNotFound(let key, let context):
            return "\(path(context)) lacks '\(key.stringValue)'"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) is not valid"
        @unknown default:
            return "not a valid runbook"
        }
    }
}
