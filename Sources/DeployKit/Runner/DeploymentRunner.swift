import ForgeKit
import Foundation
public import Logging
public import PipelineKit
import PlatformSupport
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs deployments: Polytene's runner, with streamed logs, heartbeats and releases.
///
/// For each claimed deployment it prepares a clean directory `workDirectory/<id>-<attempt>` with
///
/// - `src/`, a git checkout of the deployment's commit (cloned through ForgeKit), in which the
///   script runs;
/// - `src/runner.yml`, Polytene's file: `branch_name`, `commit_sha`, `repository_url`,
///   `environment` (plus `project` and `deployment_id`);
/// - `src/<sha>.zip`, the archive of the commit (byte-identical to `git archive --format=zip`);
///
/// then runs the branch's script with `bash` under `set -eE -o pipefail` and an `ERR` trap, so the
/// first failing command ends it and the failure names the script's line and command. Output
/// (standard output and error, in order, secrets masked) is sent to the server as it comes, one
/// request in flight at a time. A heartbeat extends the lease every ``Options/heartbeatInterval``;
/// when the server answers that the runner no longer holds the deployment (cancelled, or its
/// lease expired), the script's whole process group is stopped. If the runner itself dies, a
/// watchdog in the script's process group kills the group within a second.
///
/// When the environment keeps releases (``ReleaseSettings``), the commit is also checked out into
/// `releases/<id>-<sha12>` (the script gets it as `DEPLOY_RELEASE_DIR`), and `current` switches to it
/// when the script succeeds; a rollback deployment only switches `current` back.
///
/// The script's environment: a minimal base (`PATH`, `HOME`, `LANG`), the environment's variables
/// and secrets, and `DEPLOY_ID`, `DEPLOY_ATTEMPT`, `DEPLOY_PROJECT`, `DEPLOY_BRANCH`, `DEPLOY_COMMIT`,
/// `DEPLOY_ENVIRONMENT`, `DEPLOY_REPOSITORY_URL`, `DEPLOY_ARCHIVE`, `DEPLOY_RUNNER_CONFIG` and, with
/// releases, `DEPLOY_RELEASE_DIR` and `DEPLOY_RELEASE`.
public final class DeploymentRunner: Service, Sendable {
    /// How the runner behaves.
    public struct Options: Sendable {
        /// Where job directories are made.
        public var workDirectory: String
        /// How long one claim request waits for work (long poll).
        public var claimWait: Duration
        /// How often a held deployment's lease is renewed (and cancellation noticed).
        public var heartbeatInterval: Duration
        /// The longest a script may run (Polytene had none; GitLab's default is one hour).
        public var timeout: Duration
        /// Between `SIGTERM` and `SIGKILL` when a script is stopped.
        public var gracePeriod: Duration
        /// Keep job directories after the deployment (for debugging).
        public var keepWorkDirectories: Bool
        /// The wait after a failed call to the server before trying again.
        public var retryDelay: Duration
        /// Where scripts run; each job's network comes from its environment (``DeploymentJob/network``).
        /// ``run()`` checks first that it works.
        public var sandbox: Sandbox

        /// Creates options.
        public init(workDirectory: String, claimWait: Duration = .seconds(30), heartbeatInterval: Duration = .seconds(2),
                    timeout: Duration = .seconds(2 * 3600), gracePeriod: Duration = .seconds(5), keepWorkDirectories: Bool = false,
                    retryDelay: Duration = .seconds(1), sandbox: Sandbox = Sandbox(network: .host)) {
            self.workDirectory = workDirectory
            self.claimWait = claimWait
            self.heartbeatInterval = heartbeatInterval
            self.timeout = timeout
            self.gracePeriod = gracePeriod
            self.keepWorkDirectories = keepWorkDirectories
            self.retryDelay = retryDelay
            self.sandbox = sandbox
        }
    }

    /// How one deployment ended on this runner.
    public enum Outcome: Sendable, Hashable {
        /// Reported as succeeded (with the release made or switched to, if any).
        case succeeded(release: String?)
        /// Reported as failed, with the reason.
        case failed(reason: String)
        /// The server took the deployment away (cancelled, or the lease expired); the script was
        /// stopped and nothing was reported.
        case lost(reason: String)
    }

    /// The server.
    public let connection: any RunnerConnection
    /// How the runner behaves.
    public let options: Options
    let logger: Logger

    /// Creates a runner.
    public init(connection: any RunnerConnection, options: Options, logger: Logger = Logger(label: "forgeworks.deploy.runner")) {
        self.connection = connection
        self.options = options
        self.logger = logger
    }

    /// Claims and runs deployments until the task is cancelled or the service group shuts down
    /// gracefully; either stops a running script and reports its deployment failed. Server errors are logged and retried
    /// after ``Options/retryDelay``; an invalid token stops the loop (it would never work), and so does
    /// a sandbox that cannot run scripts here (`invalidConfiguration`, saying why) — before anything is claimed.
    public func run() async throws(DeployError) {
        if options.sandbox.isIsolated {
            do {
                try await options.sandbox.check()
            } catch {
                throw DeployError(.invalidConfiguration, "deploy scripts cannot run in the sandbox: \(error.message)", operation: "run deployments")
            }
        } else {
            logger.critical("deploy scripts run WITHOUT a sandbox, as this process's user with its files: for trusted single-user use only")
        }
        let leftovers = Sandbox.killLeftovers(under: options.workDirectory)
        if leftovers > 0 {
            logger.notice("stopped sandboxes left running by a previous run of this runner", metadata: ["processes": "\(leftovers)"])
        }
        // A graceful shutdown stops a running script (its process group) and reports the deployment
        // failed at once, so that the server does not wait for a lease: as cancelling does.
        // cancelWhenGracefulShutdown rethrows untyped: the loop's error comes back as a value.
        let result: Result<Void, DeployError> = await cancelWhenGracefulShutdown {
            do throws(DeployError) {
                try await self.claimLoop()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private func claimLoop() async throws(DeployError) {
        while !Task.isCancelled {
            do {
                _ = try await runOnce(wait: options.claimWait)
            } catch let error where error.code == .unauthenticated {
                throw error
            } catch let error where error.code == .cancelled {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("cannot reach the server", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: options.retryDelay)
            }
        }
    }

    /// Claims one deployment (waiting up to `wait`) and runs it; nil when there was none.
    public func runOnce(wait: Duration) async throws(DeployError) -> Outcome? {
        guard let job = try await connection.claim(wait: wait) else { return nil }
        return await execute(job)
    }

    /// Runs a claimed deployment and reports its end.
    public func execute(_ job: DeploymentJob) async -> Outcome {
        let deployment = job.deployment
        let id = deployment.id, attempt = deployment.attempt
        var logger = self.logger
        logger[metadataKey: "deployment"] = "\(id)"
        logger.info("deployment claimed", metadata: ["project": "\(deployment.project)", "attempt": "\(attempt)"])

        let lostReason = Mutex<String?>(nil)
        let shipper = LogShipper(connection: connection, id: id, attempt: attempt, retryDelay: options.retryDelay, logger: logger)
        let masker = SecretMasker(job.secrets.values.filter { !$0.isEmpty })
        let work = Task { () async -> Result<String?, RunnerFailure> in
            await self.perform(job, shipper: shipper, masker: masker)
        }
        shipper.onConflict { reason in
            lostReason.withLock { $0 = $0 ?? reason }
            work.cancel()
        }
        let heartbeat = Task {
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: self.options.heartbeatInterval)) != nil else { return }
                do {
                    try await self.connection.heartbeat(id, attempt: attempt)
                } catch let error as DeployError where error.code == .conflict || error.code == .notFound {
                    lostReason.withLock { $0 = $0 ?? error.message }
                    work.cancel()
                    return
                } catch {
                    logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
                }
            }
        }
        let result = await withTaskCancellationHandler {
            await work.value
        } onCancel: {
            work.cancel()
        }
        heartbeat.cancel()
        if let reason = lostReason.withLock({ $0 }) {
            await shipper.close()
            removeWorkDirectory(job)
            logger.notice("deployment taken away; script stopped", metadata: ["reason": "\(reason)"])
            return .lost(reason: reason)
        }
        let outcome: Outcome
        switch result {
        case .success(let release):
            shipper.write("[runner] deployment succeeded\n")
            outcome = .succeeded(release: release)
        case .failure(let failure):
            shipper.write("[runner] \(masker.mask(failure.reason))\n")
            outcome = .failed(reason: masker.mask(failure.reason))
        }
        await shipper.close()
        removeWorkDirectory(job)
        if let reason = shipper.conflictReason {
            return .lost(reason: reason)
        }
        // Reported even when this task is cancelled (the runner is shutting down): the server should
        // hear the end now rather than when the lease runs out.
        await Task { await self.report(outcome, id: id, attempt: attempt, logger: logger) }.value
        return outcome
    }

    /// Sends the outcome, retrying transient failures for up to a lease's length.
    private func report(_ outcome: Outcome, id: DeploymentID, attempt: Int, logger: Logger) async {
        let (succeeded, reason, release): (Bool, String?, String?)
        switch outcome {
        case .succeeded(let made): (succeeded, reason, release) = (true, nil, made)
        case .failed(let why): (succeeded, reason, release) = (false, why, nil)
        case .lost: return
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                try await connection.finish(id, attempt: attempt, succeeded: succeeded, reason: reason, release: release)
                logger.info("deployment ended", metadata: ["succeeded": "\(succeeded)"])
                return
            } catch let error where error.code == .conflict || error.code == .notFound || error.code == .invalidRequest {
                logger.warning("the server refused the outcome", metadata: ["error": "\(error)"])
                return
            } catch {
                if ContinuousClock.now > deadline {
                    logger.error("cannot report the outcome; the lease will expire", metadata: ["error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: options.retryDelay)
            }
        }
    }

    // MARK: - Doing the work

    /// Why a deployment failed, for a person.
    struct RunnerFailure: Error {
        var reason: String
    }

    func workDirectory(for job: DeploymentJob) -> String {
        options.workDirectory + "/\(job.deployment.id)-\(job.deployment.attempt)"
    }

    private func removeWorkDirectory(_ job: DeploymentJob) {
        guard !options.keepWorkDirectories else { return }
        try? FileManager.default.removeItem(atPath: workDirectory(for: job))
    }

    private func perform(_ job: DeploymentJob, shipper: LogShipper, masker: SecretMasker) async -> Result<String?, RunnerFailure> {
        let deployment = job.deployment
        do {
            switch deployment.kind {
            case .rollback(let target):
                guard let settings = job.releases else {
                    throw RunnerFailure(reason: "environment '\(deployment.environment)' keeps no releases")
                }
                let logger = self.logger
                // ReleaseManager blocks (flock, fsync): off the cooperative pool, as its contract asks.
                let (from, name) = try await BlockingQueue.shared.run { () throws(DeployError) in
                    let manager = try ReleaseManager(root: settings.path, keep: settings.keep, logger: logger)
                    return (manager.current, try manager.rollback(to: target))
                }
                shipper.write("[runner] rolled back \(settings.path)/current from \(from ?? "nothing") to releases/\(name)\n")
                return .success(name)
            case .deploy:
                return .success(try await deploy(job, shipper: shipper, masker: masker))
            }
        } catch let failure as RunnerFailure {
            return .failure(failure)
        } catch let error as DeployError {
            return .failure(RunnerFailure(reason: error.description))
        } catch let error as PipelineError {
            return .failure(RunnerFailure(reason: error.description))
        } catch let error as ForgeError {
            return .failure(RunnerFailure(reason: error.description))
        } catch {
            return .failure(RunnerFailure(reason: "\(error)"))
        }
    }

    private func deploy(_ job: DeploymentJob, shipper: LogShipper, masker: SecretMasker) async throws -> String? {
        let deployment = job.deployment
        let directory = workDirectory(for: job)
        if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
        var environment = job.variables.merging(job.secrets) { $1 }
        environment.merge([
            "DEPLOY_ID": "\(deployment.id)", "DEPLOY_ATTEMPT": "\(deployment.attempt)", "DEPLOY_PROJECT": deployment.project,
            "DEPLOY_BRANCH": deployment.branch, "DEPLOY_COMMIT": deployment.commit, "DEPLOY_ENVIRONMENT": deployment.environment,
            "DEPLOY_REPOSITORY_URL": job.repositoryURL,
        ]) { $1 }
        let source = Source(sourceClass: "deployment", attributes: ["branch": .string(deployment.branch)],
                            checkout: Source.Checkout(repositoryURL: job.repositoryURL, commit: deployment.commit))

        shipper.write("[runner] checking out \(masker.mask(job.repositoryURL)) at \(deployment.commit)\n")
        let workspace = Workspace(directory: directory, source: source, environment: environment, masker: masker, logger: logger,
                                  sandbox: options.sandbox, network: job.network, outbound: nil)
        let checkout = try await workspace.files()
        let mirror = try await GitRepository.open(at: directory + "/repository.git", logger: logger)

        // Polytene's two files.
        let configuration = checkout + "/runner.yml"
        try Self.runnerConfiguration(job).write(toFile: configuration, atomically: true, encoding: .utf8)
        let archive = checkout + "/\(deployment.commit).zip"
        try await Self.writeArchive(of: deployment.commit, from: mirror, to: archive)
        environment["DEPLOY_ARCHIVE"] = archive
        environment["DEPLOY_RUNNER_CONFIG"] = configuration

        var release: (manager: ReleaseManager, name: String, path: String)?
        if let settings = job.releases {
            var name = "\(deployment.id)-\(deployment.commit.prefix(12))"
            if deployment.attempt > 1 { name += "-\(deployment.attempt)" }
            let (logger, releaseName) = (self.logger, name)
            let (manager, path) = try await BlockingQueue.shared.run { () throws(DeployError) in
                let manager = try ReleaseManager(root: settings.path, keep: settings.keep, logger: logger)
                return (manager, try manager.prepare(releaseName))
            }
            try await mirror.withSession { session in try session.checkout(deployment.commit, into: path) }
            environment["DEPLOY_RELEASE_DIR"] = path
            environment["DEPLOY_RELEASE"] = name
            release = (manager, name, path)
            shipper.write("[runner] release \(name) prepared in \(path)\n")
        }

        // The script, and the wrapper that runs it.
        let control = directory + "/.deploy"
        try FileManager.default.createDirectory(atPath: control, withIntermediateDirectories: true)
        let script = control + "/script.sh", wrapper = control + "/run.sh", failure = control + "/failure"
        try job.script.write(toFile: script, atomically: true, encoding: .utf8)
        try Self.wrapper.write(toFile: wrapper, atomically: true, encoding: .utf8)
        let shells: [String] = ["/bin/bash", "/usr/bin/bash"]
        guard let bash = shells.first(where: { access($0, X_OK) == 0 }) else {
            throw RunnerFailure(reason: "bash is not installed on the runner")
        }
        // Outside a sandbox a watchdog stops the script if the runner dies; a sandbox dies with it.
        let watched = options.sandbox.isIsolated ? [] : ["\(getpid())"]
        let command = Command([bash, wrapper, script, failure] + watched, environment: environment, workingDirectory: checkout,
                              writable: release.map { [$0.path] } ?? [],
                              timeout: options.timeout, gracePeriod: options.gracePeriod, outputLimit: 4096)
        shipper.write("[runner] running the deploy script for \(deployment.environment)\n")
        let result: CommandResult
        switch await Self.run(command, in: workspace, output: ActionOutput { text in shipper.write(text) }) {
        case .success(let ended):
            result = ended
        case .failure(let error):
            if let release { await Self.discard(release) }
            switch error.code {
            case .timeout:
                throw RunnerFailure(reason: "the deploy script ran longer than \(Self.format(options.timeout)) and was stopped")
            case .cancelled:
                throw RunnerFailure(reason: "the runner stopped the deploy script (the runner is shutting down)")
            default:
                throw error
            }
        }
        guard result.exitCode == 0 else {
            if let release { await Self.discard(release) }
            throw RunnerFailure(reason: Self.failureReason(exitCode: result.exitCode, trapFile: failure))
        }
        if let release {
            try await BlockingQueue.shared.run { () throws(DeployError) in try release.manager.activate(release.name) }
            shipper.write("[runner] current → releases/\(release.name)\n")
            return release.name
        }
        return nil
    }

    /// Removes a release whose deploy failed, off the cooperative pool.
    private static func discard(_ release: (manager: ReleaseManager, name: String, path: String)) async {
        try? await BlockingQueue.shared.run { () throws(DeployError) in try release.manager.discard(release.name) }
    }

    /// Runs a command, the error as a value (a typed `catch` here would crash Swift 6.3's SIL passes).
    private static func run(_ command: Command, in workspace: Workspace, output: ActionOutput) async -> Result<CommandResult, PipelineError> {
        do {
            return .success(try await workspace.run(command, output: output))
        } catch {
            return .failure(error)
        }
    }

    /// The wrapper: outside a sandbox, a watchdog that kills the script's process group if the runner
    /// dies; then the script sourced under `set -eE -o pipefail` with an `ERR` trap that records the
    /// first failure. Arguments: the script, the failure file, and outside a sandbox the runner's
    /// process id.
    static let wrapper = """
        # Written by the Forgeworks deploy runner.
        __deploy_script=$1 __deploy_failure=$2 __deploy_runner=${3-}
        set --
        if [ -n "$__deploy_runner" ]; then
          ( while kill -0 "$__deploy_runner" 2>/dev/null; do sleep 1; done; kill -KILL -- -$$ ) </dev/null >/dev/null 2>&1 &
          disown $!
        fi
        set -eE -o pipefail
        trap '__deploy_status=$?; if [ "${BASH_SOURCE[0]}" = "$__deploy_script" ]; then printf "%s\\t%s\\t%s\\n" "$__deploy_status" "$LINENO" "$BASH_COMMAND" >> "$__deploy_failure"; fi; exit $__deploy_status' ERR
        source "$__deploy_script"

        """

    static func failureReason(exitCode: Int32, trapFile: String) -> String {
        if let text = try? String(contentsOfFile: trapFile, encoding: .utf8),
           let first = text.split(separator: "\n").first {
            let fields = first.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            if fields.count == 3 {
                return "line \(fields[1]) of the deploy script: `\(fields[2])` exited with status \(fields[0])"
            }
        }
        if exitCode > 128 {
            return "the deploy script was killed by signal \(exitCode - 128)"
        }
        return "the deploy script exited with status \(exitCode)"
    }

    static func runnerConfiguration(_ job: DeploymentJob) -> String {
        let d = job.deployment
        func quoted(_ text: String) -> String { Value.string(text).jsonText }
        return """
            # Written by the Forgeworks deploy runner (the fields of Polytene's polytene-runner.yml).
            branch_name: \(quoted(d.branch))
            commit_sha: \(quoted(d.commit))
            repository_url: \(quoted(job.repositoryURL))
            environment: \(quoted(d.environment))
            project: \(quoted(d.project))
            deployment_id: \(d.id)

            """
    }

    private static func writeArchive(of commit: String, from repository: GitRepository, to path: String) async throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunnerFailure(reason: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try await repository.archive(commit, format: .zip, toDescriptor: descriptor)
    }

    private static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.inSeconds.rounded())
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}

/// Sends a deployment's output to the server as it comes: one request in flight, everything written
/// meanwhile goes in the next one. Transient failures are retried in order; a `conflict` (the
/// deployment is no longer held) is reported once and stops shipping.
final class LogShipper: Sendable {
    private struct State {
        var pending: [String] = []
        var closed = false
        var conflict: String?
        var onConflict: (@Sendable (String) -> Void)?
    }
    private final class Shared: Sendable {
        let state = Mutex(State())
    }
    private let shared = Shared()
    private let wake: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>
    /// A request carries at least one write and stops adding writes at this many bytes.
    static let maximumRequest = 1 << 20

    init(connection: any RunnerConnection, id: DeploymentID, attempt: Int, retryDelay: Duration, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let shared = self.shared
        task = Task {
            let state = shared
            var iterator = stream.makeAsyncIterator()
            while true {
                let (text, closed) = state.state.withLock { state -> (String, Bool) in
                    var text = "", taken = 0
                    for piece in state.pending {
                        if taken > 0, text.utf8.count + piece.utf8.count > Self.maximumRequest { break }
                        text += piece
                        taken += 1
                    }
                    state.pending.removeFirst(taken)
                    return (text, state.closed)
                }
                if text.isEmpty {
                    if closed { return }
                    _ = await iterator.next()
                    continue
                }
                var failures = 0
                while true {
                    do {
                        try await connection.appendLog(id, attempt: attempt, text: text)
                        break
                    } catch let error as DeployError where error.code == .conflict || error.code == .notFound {
                        let handler = state.state.withLock { state -> (@Sendable (String) -> Void)? in
                            state.conflict = error.message
                            state.pending.removeAll()
                            return state.onConflict
                        }
                        handler?(error.message)
                        return
                    } catch {
                        failures += 1
                        // Once closed, give up after a while rather than keep the runner from its next job.
                        if failures > 30, state.state.withLock({ $0.closed }) {
                            logger.error("cannot send log; dropping it", metadata: ["error": "\(error)"])
                            return
                        }
                        logger.warning("cannot send log; retrying", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: retryDelay)
                    }
                }
            }
        }
    }

    /// Calls `handler` when the server says the deployment is no longer held.
    func onConflict(_ handler: @escaping @Sendable (String) -> Void) {
        let already = shared.state.withLock { state -> String? in
            state.onConflict = handler
            return state.conflict
        }
        if let already { handler(already) }
    }

    /// Why the server refused the log, if it did.
    var conflictReason: String? { shared.state.withLock { $0.conflict } }

    /// Queues text to send.
    func write(_ text: String) {
        guard !text.isEmpty else { return }
        let accepted = shared.state.withLock { state -> Bool in
            guard state.conflict == nil, !state.closed else { return false }
            state.pending.append(text)
            return true
        }
        if accepted { wake.yield() }
    }

    /// Sends what is left and stops.
    func close() async {
        shared.state.withLock { $0.closed = true }
        wake.yield()
        await task.value
        wake.finish()
    }
}
