public import ForgeKit
import Foundation
public import PipelineKit

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
/// - `sandbox` (optional): run the scripts in PipelineKit's ``Sandbox`` rather than as hookd's user:
///   `true` (no network), or `{"network": "none"|"host", "readOnly": ["/srv/deploy"]}`. A sandboxed
///   script sees the system, its own folder and the runbook folder read-only, and a scratch folder
///   of its own (its `HOME` and working directory), and gets a minimal environment. Without it,
///   scripts run unsandboxed, with hookd's environment, in the runbook folder: runbooks are the
///   operator's own code.
///
/// A request body substituted for `{{POST}}` never becomes an option of the program: when the body
/// starts with `-`, an argument starting with `{{POST}}` is refused unless the runbook put `--`
/// before it (`"args": ["--", "{{POST}}"]`). Nothing is inserted behind the runbook's back.
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
    /// How the scripts are sandboxed; nil runs them unsandboxed, as hookd's user.
    public var sandbox: Isolation?

    /// The sandbox a runbook asks for.
    public struct Isolation: Sendable, Hashable {
        /// The network the scripts reach.
        public var network: Sandbox.Network
        /// Further host paths the scripts see read-only.
        public var readOnly: [String]

        /// Creates sandbox settings.
        public init(network: Sandbox.Network = .none, readOnly: [String] = []) {
            self.network = network
            self.readOnly = readOnly
        }
    }

    /// Creates a runbook.
    public init(scripts: [Script], allowedNetworks: [CIDR], secret: String? = nil, sandbox: Isolation? = nil) {
        self.scripts = scripts
        self.allowedNetworks = allowedNetworks
        self.secret = secret
        self.sandbox = sandbox
    }

    /// The arguments of `script` with `{{POST}}` replaced by `body`.
    ///
    /// - Throws: ``DeployError`` `invalidRequest` when the body starts with `-` and would begin an
    ///   argument that is not after a `--` of the runbook's: it would be read as an option.
    public static func arguments(of script: Script, body: String) throws(DeployError) -> [String] {
        var arguments: [String] = []
        var afterSeparator = false
        for argument in script.args {
            if argument.hasPrefix(bodyPlaceholder), body.hasPrefix("-"), !afterSeparator {
                throw DeployError(.invalidRequest, "the body starts with '-' and would be read as an option of \(script.command); "
                                  + "the runbook must put \"--\" before {{POST}} to accept it", operation: "run hook")
            }
            if argument == "--" { afterSeparator = true }
            arguments.append(argument.replacingOccurrences(of: bodyPlaceholder, with: body))
        }
        return arguments
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
        var isolation: Isolation?
        switch raw.sandbox {
        case nil, .enabled(false)?: isolation = nil
        case .enabled(true)?: isolation = Isolation()
        case .settings(let settings)?:
            var chosen = Isolation()
            if let network = settings.network {
                guard let parsed = Sandbox.Network(rawValue: network) else { throw invalid("sandbox.network must be \"none\" or \"host\"") }
                chosen.network = parsed
            }
            for (index, path) in (settings.readOnly ?? []).enumerated() {
                guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                    throw invalid("sandbox.readOnly[\(index)] must be an absolute path without '..'")
                }
            }
            chosen.readOnly = settings.readOnly ?? []
            isolation = chosen
        }
        return Runbook(scripts: scripts, allowedNetworks: networks, secret: raw.secret, sandbox: isolation)
    }

    private struct Raw: Decodable {
        struct RawScript: Decodable {
            var command: String?
            var args: [String]?
        }
        struct RawSandbox: Decodable {
            var network: String?
            var readOnly: [String]?
        }
        enum SandboxChoice: Decodable {
            case enabled(Bool)
            case settings(RawSandbox)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let flag = try? container.decode(Bool.self) {
                    self = .enabled(flag)
                } else {
                    self = .settings(try container.decode(RawSandbox.self))
                }
            }
        }
        var scripts: [RawScript]?
        var allowedNetworks: [String]?
        var secret: String?
        var sandbox: SandboxChoice?
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
