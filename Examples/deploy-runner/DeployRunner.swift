import ArgumentParser
import DeployKit
import ExampleSupport
import Foundation
import Logging
import PipelineKit

/// deploy-runner: Polytene's runner on DeployKit — claims deployments from a deploy-server, runs
/// their scripts, streams their output.
@main
struct DeployRunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-runner",
        abstract: "Run deployments for a deploy-server.",
        discussion: "The token may also be given in DEPLOY_RUNNER_TOKEN, which keeps it out of the process list."
    )

    @Option(name: .long, help: "The deploy-server's URL, such as http://127.0.0.1:8090.")
    var server: String

    @Option(name: .long, help: "This runner's token (from `deploy-server add-runner`).")
    var token: String?

    @Option(name: .long, help: "Where job directories are made.")
    var workDir: String = FileManager.default.temporaryDirectory.path + "/deploy-runner"

    @Option(name: .long, help: "Seconds a deploy script may run.")
    var timeout: Int = 7200

    @Option(name: .long, help: "Seconds between heartbeats of a running deployment.")
    var heartbeat: Double = 2

    @Option(name: .long, help: "Seconds one request for work waits (long poll).")
    var claimWait: Int = 30

    @Flag(name: .long, help: "Keep job directories after deployments.")
    var keep = false

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run deploy scripts as this runner's user with its files: for trusted single-user use only.")
    var unsafeNoSandbox = false

    var resolvedToken: String? { token ?? ProcessInfo.processInfo.environment["DEPLOY_RUNNER_TOKEN"] }

    func validate() throws {
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
        guard let token = resolvedToken, !token.isEmpty else { throw ValidationError("give --token or DEPLOY_RUNNER_TOKEN") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
        guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be positive") }
        guard (1...60).contains(claimWait) else { throw ValidationError("--claim-wait must be 1...60 seconds") }
    }

    func run() async throws {
        var logger = Logger(label: "deploy-runner")
        logger.logLevel = .info
        let connection = DeploymentClient(server: server, token: resolvedToken ?? "")
        let runner = DeploymentRunner(
            connection: connection,
            options: .init(workDirectory: workDir, claimWait: .seconds(claimWait), heartbeatInterval: .milliseconds(Int64(heartbeat * 1000)),
                           timeout: .seconds(timeout), keepWorkDirectories: keep,
                           sandbox: unsafeNoSandbox ? .unsafeUnconfined() : Sandbox(network: .host)),
            logger: logger)
        FileHandle.standardOutput.write(Data("deploy-runner working for \(server) in \(workDir)\n".utf8))
        // SIGTERM or SIGINT: a running script is stopped (its process group) and reported failed.
        do {
            try await runServices([runner], logger: logger)
            logger.info("runner stopped")
        } catch let error as DeployError where error.code == .unauthenticated {
            throw ValidationError("the server refused the token: \(error.message)")
        } catch let error as DeployError where error.code == .invalidConfiguration {
            throw ValidationError("\(error.message); install bubblewrap, or pass --unsafe-no-sandbox on a machine only you use")
        }
    }
}
