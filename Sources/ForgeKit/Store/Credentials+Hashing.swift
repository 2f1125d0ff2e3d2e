import _CryptoExtras
import Crypto
import Foundation
import PlatformSupport

/// Password hashing with scrypt (a slow, memory-hard, salted hash), in a self-describing text form:
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (salt and hash in base64), so that the cost can be raised
/// later without invalidating stored hashes.
public struct PasswordHasher: Sendable {
    /// log₂ of scrypt's N (CPU and memory cost).
    public var logRounds: Int
    /// scrypt's block size r.
    public var blockSize: Int
    /// scrypt's parallelism p.
    public var parallelism: Int

    /// The default cost: N = 2¹⁵, r = 8, p = 1 (32 MiB and tens of milliseconds per hash).
    public init(logRounds: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.logRounds = logRounds
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// The shortest password ``hash(_:)`` accepts.
    public static let minimumPasswordLength = 8

    /// Hashes `password` with a new random salt.
    ///
    /// - Throws: ``ForgeError`` `invalidArgument` when the password is shorter than
    ///   ``minimumPasswordLength`` or longer than 1,024 bytes.
    public func hash(_ password: String) throws(ForgeError) -> String {
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= 1024 else {
            throw ForgeError(.invalidArgument, "a password must have \(Self.minimumPasswordLength) to 1,024 characters",
                             operation: "hash password")
        }
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let digest = try Self.derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        return "$scrypt$ln=\(logRounds),r=\(blockSize),p=\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(digest).base64EncodedString())"
    }

    /// Whether `password` matches `stored` (a text ``hash(_:)`` wrote). A malformed `stored` never matches.
    /// The comparison takes the same time wherever the first difference is.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt",
              let salt = Data(base64Encoded: String(parts[3])), let expected = Data(base64Encoded: String(parts[4])),
              !expected.isEmpty, password.utf8.count <= 1024 else { return false }
        var settings: [Substring: Int] = [:]
        for field in parts[2].split(separator: ",") {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]) else { return false }
            settings[pair[0]] = value
        }
        guard let logRounds = settings["ln"], (1...20).contains(logRounds), let blockSize = settings["r"], (1...32).contains(blockSize),
              let parallelism = settings["p"], (1...16).contains(parallelism),
              let derived = try? derive(password, salt: Array(salt), logRounds: logRounds, blockSize: blockSize,
                                        parallelism: parallelism, length: expected.count) else { return false }
        return ConstantTime.equal(derived, Array(expected))
    }

    private static func derive(_ password: String, salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int,
                               length: Int = 32) throws(ForgeError) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: length,
                                               rounds: 1 << logRounds, blockSize: blockSize, parallelism: parallelism)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw ForgeError(.invalidArgument, "scrypt failed: \(error)", operation: "hash password")
        }
    }
}

/// Creating and checking API tokens: 32 random bytes behind a recognisable prefix; the store keeps
/// only their SHA-256 digest, so a leaked database reveals no usable token.
public enum TokenGenerator {
    /// The prefix of every token (`fwt_`), which secret scanners can look for.
    public static let prefix = "fwt_"

    /// A new token: `fwt_` and 43 base64url characters.
    public static func generate() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// The digest under which a token is stored and looked up (lowercase hex SHA-256).
    public static func digest(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }

    /// Whether `text` has the shape of a token (so that a password is not looked up as one).
    public static func looksLikeToken(_ text: String) -> Bool {
        text.hasPrefix(prefix) && text.utf8.count == prefix.utf8.count + 43
    }
}

