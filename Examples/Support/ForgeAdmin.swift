public import ArgumentParser
import ForgeKit
import ForgeKitPostgres
import Foundation
import Logging

/// `forge admin …`: what an operator does on the server's own machine, without the web UI
/// (`reset-password USER`, `create-user USER [--admin] [--email E]`), over ``ForgeAccounts``.
public struct ForgeAdminCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "admin", abstract: "Administer a forge's data folder from the command line.",
                                                    subcommands: [ResetPassword.self, CreateUser.self])

    public init() {}

    /// The accounts of the forge whose data folder is `data` — or, with a `postgres://` `database`
    /// (`--database`, else FORGE_DATABASE), whose metadata is there.
    static func accounts(data: String, database: String?) async throws -> ForgeAccounts {
        var logger = Logger(label: "forge")
        logger.logLevel = .warning
        let location = database ?? ProcessInfo.processInfo.environment["FORGE_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: data).standardizedFileURL.path + "/forge.sqlite"
        return ForgeAccounts(store: try await ForgeMetadataStores.open(location, logger: logger), logger: logger)
    }

    /// FORGE_NEW_PASSWORD when set; nil to have one generated.
    static var chosenPassword: String? { ProcessInfo.processInfo.environment["FORGE_NEW_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } }
}

struct ResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password",
        abstract: "Give a user a new password (FORGE_NEW_PASSWORD, or a generated one that is printed) and enable the account.")

    @Option(name: .long, help: "The forge's data folder.") var data: String = "forge-data"
    @Option(name: .long, help: "The forge's PostgreSQL database, when it keeps its data there (FORGE_DATABASE).") var database: String?
    @Argument(help: "The user.") var user: String

    func run() async throws {
        let (reset, generated) = try await ForgeAdminCommand.accounts(data: data, database: database).resetPassword(name: user, to: ForgeAdminCommand.chosenPassword)
        print(generated.map { "forge: user '\(reset.name)' has the new password \($0)" } ?? "forge: user '\(reset.name)' has the new password")
    }
}

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user",
        abstract: "Add a user with a password (FORGE_NEW_PASSWORD, or a generated one that is printed).")

    @Option(name: .long, help: "The forge's data folder.") var data: String = "forge-data"
    @Option(name: .long, help: "The forge's PostgreSQL database, when it keeps its data there (FORGE_DATABASE).") var database: String?
    @Option(name: .long, help: "The user's e-mail address.") var email: String = ""
    @Flag(name: .long, help: "Make the user a site administrator.") var admin = false
    @Argument(help: "The user's name.") var user: String

    func run() async throws {
        let password = ForgeAdminCommand.chosenPassword ?? ForgeAccounts.generatePassword()
        let created = try await ForgeAdminCommand.accounts(data: data, database: database).createUser(NewUser(name: user, email: email, password: password, isAdmin: admin))
        let kind = created.isAdmin ? "site administrator" : "user"
        print(ForgeAdminCommand.chosenPassword == nil ? "forge: created \(kind) '\(created.name)' with the password \(password)" : "forge: created \(kind) '\(created.name)'")
    }
}
