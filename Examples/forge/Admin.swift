import ArgumentParser
import ForgeKit
import Foundation
import Logging

/// `forge admin …`: what an operator does on the server's own machine, without the web UI.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administer a forge's data folder from the command line.",
                                                    subcommands: [ResetPassword.self])
}

struct ResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password",
        abstract: "Give a user a new password (FORGE_NEW_PASSWORD, or a generated one that is printed) and enable the account.")

    @Option(name: .long, help: "The forge's data folder.")
    var data: String = "forge-data"

    @Argument(help: "The user.")
    var user: String

    func run() async throws {
        var logger = Logger(label: "forge")
        logger.logLevel = .warning
        let store = try SQLiteForgeStore(path: URL(fileURLWithPath: data).standardizedFileURL.path + "/forge.sqlite", logger: logger)
        let accounts = ForgeAccounts(store: store, logger: logger)
        let chosen = ProcessInfo.processInfo.environment["FORGE_NEW_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        let (reset, generated) = try await accounts.resetPassword(name: user, to: chosen)
        print(generated.map { "forge: user '\(reset.name)' has the new password \($0)" } ?? "forge: user '\(reset.name)' has the new password")
    }
}
