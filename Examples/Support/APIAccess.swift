import ArgumentParser
import ForgeKit
import Foundation
public import Logging

/// How an example server decides who may use its API: a bearer token from `--api-token` or an
/// environment variable, or, only when asked for with `--open-api` and only on loopback, no token.
public enum APIAccess {
    /// The token the API requires, or nil for an open API (logged as a warning).
    ///
    /// - Throws: `ValidationError` when there is no token and no `--open-api`, or an open API would
    ///   listen beyond loopback.
    public static func token(_ given: String?, variable: String, openAPI: Bool, host: String, port: Int,
                             logger: Logger, opened: String) throws -> String? {
        let token = (given ?? ProcessInfo.processInfo.environment[variable]).flatMap { $0.isEmpty ? nil : $0 }
        guard token == nil else { return token }
        guard openAPI else {
            throw ValidationError("--api-token (or \(variable)) is required; pass --open-api to serve the API to anyone on loopback")
        }
        guard IPAddress.isLoopback(host: host) else {
            throw ValidationError("--open-api serves the API without a token, so only on loopback (--host 127.0.0.1), not on \(host)")
        }
        logger.warning("\(opened): anyone who reaches \(host):\(port) may use it")
        return nil
    }
}
