import ForgeKit
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension Sandbox {
    /// What a command does with its standard error.
    public enum ErrorStream: Sendable, Hashable {
        /// It shares standard output's pipe, so the two keep the order in which they were written.
        case merged
        /// It has a pipe of its own, of which the last `keepingLast` bytes are kept.
        case separate(keepingLast: Int)
    }

    /// How a command ended.
    public struct Exit: Sendable, Hashable {
        /// The exit status; 128 + n when signal n ended it, as shells report it.
        public var status: Int32
        /// The end of standard error, with ``ErrorStream/separate(keepingLast:)``; empty otherwise.
        public var standardError: [UInt8]
        /// Why the sandbox stopped the command, if it did.
        public var stopped: Stop?
    }

    /// Why the sandbox stopped a command.
    public enum Stop: Sendable, Hashable {
        /// It ran past its time limit.
        case timeout(Duration)
        /// It printed more than ``Limits/output`` bytes (what it printed up to the limit was passed on).
        case output(Int)

        /// The stop as an error of ``PipelineError/Code/timeout`` or ``PipelineError/Code/sandbox``.
        public var error: PipelineError {
            switch self {
            case .timeout(let limit):
                PipelineError(.timeout, "the command ran longer than \(limit) and was stopped", operation: "run command")
            case .output(let limit):
                PipelineError(.sandbox, "the command printed more than \(limit) bytes and was stopped", operation: "run command")
            }
        }
    }

    /// Runs `command` in the sandbox, passing its output to `standardOutput` as it arrives (on the
    /// calling task, in order), and returns how it ended.
    ///
    /// The command runs in a process group of its own. When its first process exits, whatever it
    /// left running is killed. On timeout, cancellation or too much output, the whole group gets
    /// `SIGTERM`, then `SIGKILL` after the command's grace period. A non-zero exit status, and a stop
    /// for time or output (``Exit/stopped``), are results, not errors.
    ///
    /// - Throws: ``PipelineError/Code/cancelled`` when the task is cancelled, ``PipelineError/Code/sandbox``
    ///   when the sandbox cannot start (what bubblewrap said, with ``ErrorStream/separate(keepingLast:)``),
    ///   ``PipelineError/Code/io`` for a program that does not exist, ``PipelineError/Code/invalidConfiguration``
    ///   for a program that is not an absolute path or a bad variable name.
    public func run(_ command: SandboxedCommand, errors: ErrorStream = .merged,
                    standardOutput: ([UInt8]) -> Void) async throws(PipelineError) -> Exit {
        let operation = "run command"
        guard let program = command.arguments.first, program.hasPrefix("/") else {
            throw PipelineError(.invalidConfiguration, "the program must be given as an absolute path", operation: operation)
        }
        for name in command.environment.keys {
            guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0) else {
                throw PipelineError(.invalidConfiguration, "'\(name)' is not a valid environment variable name", operation: operation)
            }
        }
        if Task.isCancelled {
            throw PipelineError(.cancelled, "the command was cancelled before it started", operation: operation)
        }
        // The sandbox shows host paths at the same place: a program under one of them is checked here,
        // so that a missing one is an error, as outside a sandbox, rather than a status of bubblewrap's.
        // Elsewhere only bubblewrap's own folders exist (`/tmp`, `/proc`, `/dev`), so a program there
        // cannot be checked, and a program anywhere else does not exist in the sandbox.
        func under(_ folder: String) -> Bool { program.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") }
        let visible = systemPaths + readOnlyPaths + command.writable + ["/etc"]
        if !isIsolated || visible.contains(where: under) {
            if access(program, X_OK) != 0 {
                throw PipelineError(.io, "cannot run \(program): \(String(cString: strerror(errno)))", operation: operation)
            }
        } else if !["/tmp", "/proc", "/dev"].contains(where: under) {
            throw PipelineError(.io, "cannot run \(program): the sandbox shows no such path", operation: operation)
        }
        let temporaryUser = command.user == nil ? try leaseUser() : nil
        defer { temporaryUser?.release() }
        let plan = try launchPlan(for: command, user: (command.user ?? temporaryUser)?.id)
        var options = ChildProcess.Options(workingDirectory: isIsolated ? nil : command.workingDirectory,
                                           mergeStandardError: errors == .merged, descriptors: plan.descriptors)
        if case .separate(let limit) = errors { options.errorLimit = max(1, limit) }
        let process: ChildProcess
        do {
            process = try await ChildProcess.spawn(plan.arguments, environment: command.environment, options: options)
        } catch {
            throw PipelineError(.io, "cannot start \(program): \(error.message)", operation: operation)
        }
        process.closeInput()
        let stopped = Mutex<StopReason?>(nil)
        let requestStop = { @Sendable (reason: StopReason) in
            guard stopped.withLock({ current in
                if current != nil { return false }
                current = reason
                return true
            }) else { return }
            Task { await process.stop(gracePeriod: command.gracePeriod) }
        }
        var printed = 0
        let limit = limits.output
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    // The first process's exit sweeps what it left in its group, so that the pipe closes.
                    await process.exited()
                    process.signalGroup(SIGKILL)
                }
                if let timeout = command.timeout {
                    tasks.addTask {
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        requestStop(.timeout)
                    }
                }
                while true {
                    let chunk: [UInt8]
                    do {
                        chunk = try await process.read()
                    } catch {
                        break  // The pipe failed; the process is still waited for below.
                    }
                    if chunk.isEmpty { break }
                    printed += chunk.count
                    if let limit, printed > limit {
                        let allowed = chunk.count - (printed - limit)
                        if allowed > 0 { standardOutput(Array(chunk.prefix(allowed))) }
                        requestStop(.output)
                        continue  // keep draining, so that the group is not blocked on a full pipe
                    }
                    if stopped.withLock({ $0 }) == .output { continue }
                    standardOutput(chunk)
                }
                // The output may end before the process does; the time limit holds until it exits.
                await process.exited()
                tasks.cancelAll()
            }
        } onCancel: {
            requestStop(.cancelled)
        }
        let status = await process.wait()
        let standardError = Array((await process.standardError()).utf8)
        let stop: Stop?
        switch stopped.withLock({ $0 }) {
        case .timeout?: stop = .timeout(command.timeout ?? .zero)
        case .output?: stop = .output(limit ?? 0)
        case .cancelled?: throw PipelineError(.cancelled, "the command was cancelled", operation: operation)
        case nil: stop = nil
        }
        if Task.isCancelled {
            throw PipelineError(.cancelled, "the command was cancelled", operation: operation)
        }
        if stop == nil, plan.isolated, status == Self.launchFailureStatus, let reason = Self.launchFailure(in: standardError) {
            throw PipelineError(.sandbox, "the sandbox could not start: \(reason)", operation: operation)
        }
        return Exit(status: status, standardError: standardError, stopped: stop)
    }

    /// Runs `/bin/true` in the sandbox, to find out whether commands can run here.
    ///
    /// - Throws: ``PipelineError/Code/sandbox`` saying why not: `bwrap`, `setpriv` or `prlimit` missing,
    ///   user namespaces refused, the sandbox failing to start.
    public func check() async throws(PipelineError) {
        let operation = "check the sandbox"
        guard isIsolated else { return }
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/forgeworks-sandbox-check-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkdtemp($0) != nil } ?? false }
        guard made else {
            throw PipelineError(.sandbox, "cannot make a folder in \(base): \(String(cString: strerror(errno)))", operation: operation)
        }
        let directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { rmdir(directory) }
        var output: [UInt8] = []
        let exit: Exit
        do {
            let user = try leaseUser()
            defer { user.release() }
            if let id = user.id { chown(directory, id, id) }
            exit = try await run(SandboxedCommand(["/bin/sh", "-c", "exit 0"], environment: ["PATH": "/usr/bin:/bin"],
                                                  workingDirectory: directory, writable: [directory], user: user,
                                                  timeout: .seconds(30)),
                                 errors: .separate(keepingLast: 4096)) { output += $0 }
        } catch {
            throw PipelineError(.sandbox, error.message, operation: operation)
        }
        guard exit.status == 0 else {
            let said = String(decoding: exit.standardError + output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PipelineError(.sandbox, "a test command in the sandbox exited with status \(exit.status)\(said.isEmpty ? "" : ": \(said)")",
                                operation: operation)
        }
    }

    /// Kills what is left of sandboxes whose writable folders lie under `folder`: call it when
    /// starting over that folder (an executor's workspaces, a runner's job folders), before removing it.
    ///
    /// A sandbox dies with the process that started it (`--die-with-parent`), but bubblewrap sets that
    /// up a moment after the command starts: a `kill -9` in that moment leaves the sandbox running
    /// without a parent. A sandbox is found at every step of its launch (`setpriv`, then `prlimit`,
    /// then `bwrap`: one process that executes each in turn), not only once bubblewrap runs. Returns
    /// how many processes were killed.
    @discardableResult
    public static func killLeftovers(under folder: String) -> Int {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var killed = 0
        for pid in entries.compactMap({ Int32($0) }) where pid != getpid() {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { continue }
            let arguments = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            // The launch chain (`launchPlan`): its first program is one of its three tools, and
            // bubblewrap is in it.
            guard let program = arguments.first, ["/setpriv", "/prlimit", "/bwrap"].contains(where: { program.hasSuffix($0) }),
                  arguments.contains(where: { $0.hasSuffix("/bwrap") }) else { continue }
            let binds = zip(arguments, arguments.dropFirst()).filter { $0.0 == "--bind" }.map(\.1)
            guard binds.contains(where: { $0.hasPrefix(prefix) || $0 == folder }) else { continue }
            if kill(pid, SIGKILL) == 0 { killed += 1 }
        }
        return killed
    }

    // MARK: - The launch

    enum StopReason: Sendable {
        case timeout, cancelled, output
    }

    struct LaunchPlan {
        var arguments: [String]
        var descriptors: [ChildProcess.InheritedDescriptor]
        var isolated: Bool
    }

    /// bubblewrap's status when it fails before the command starts.
    static let launchFailureStatus: Int32 = 1

    /// What bubblewrap said when it could not set the sandbox up (its messages start with `bwrap:`).
    static func launchFailure(in standardError: [UInt8]) -> String? {
        let text = String(decoding: standardError, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("bwrap: ") }) else { return nil }
        return String(line.dropFirst("bwrap: ".count))
    }

    /// The host tool `name` from ``toolDirectories``.
    func tool(_ name: String) throws(PipelineError) -> String {
        for directory in toolDirectories {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        let package = name == "bwrap" ? "bubblewrap" : "util-linux"
        throw PipelineError(.sandbox, "\(name) is not installed (Debian's \(package) package; looked in \(toolDirectories.joined(separator: ", ")))",
                            operation: "start the sandbox")
    }

    /// The programs and arguments that start `command`: `setpriv` (a user id of its own when this
    /// process is root; no new privileges), `prlimit` (the limits), `bwrap` (the namespaces and the
    /// file system), then the command.
    func launchPlan(for command: SandboxedCommand, user: UInt32?) throws(PipelineError) -> LaunchPlan {
        let operation = "start the sandbox"
        guard isIsolated else {
            return LaunchPlan(arguments: try limitArguments() + command.arguments, descriptors: [], isolated: false)
        }
        var arguments = [try tool("setpriv")]
        if let user { arguments += ["--reuid=\(user)", "--regid=\(user)", "--clear-groups"] }
        arguments += ["--no-new-privs", "--"]
        arguments += try limitArguments()
        arguments += [try tool("bwrap"), "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                      "--disable-userns", "--die-with-parent", "--hostname", "sandbox", "--uid", "1000", "--gid", "1000"]
        let network = command.network ?? self.network
        if network == .none { arguments.append("--unshare-net") }
        var descriptors: [ChildProcess.InheritedDescriptor] = []
        var next: Int32 = 3
        func descriptor(_ text: String) -> String {
            defer { next += 1 }
            descriptors.append(ChildProcess.InheritedDescriptor(bytes: Array(text.utf8), number: next))
            return String(next)
        }
        for path in systemPaths {
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(path, &buffer, buffer.count - 1)
                guard count > 0 else { continue }
                arguments += ["--symlink", String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self), path]
            } else {
                arguments += ["--ro-bind", path, path]
            }
        }
        var configuration = configurationFiles
        if network == .host { configuration += ["hosts", "resolv.conf"] }
        for name in configuration where !name.contains("..") && !name.hasPrefix("/") {
            arguments += ["--ro-bind-try", "/etc/" + name, "/etc/" + name]
        }
        let home = command.environment["HOME"] ?? command.workingDirectory
        let passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\nbuild:x:1000:1000:Forgeworks sandbox:\(home.filter { $0 != ":" && $0 != "\n" }):/bin/sh\n"
            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        let group = "root:x:0:\nbuild:x:1000:\nnogroup:x:65534:\n"
        arguments += ["--perms", "0644", "--ro-bind-data", descriptor(passwd), "/etc/passwd"]
        arguments += ["--perms", "0644", "--ro-bind-data", descriptor(group), "/etc/group"]
        if network == .none {
            let hosts = "127.0.0.1 localhost sandbox\n::1 localhost ip6-localhost ip6-loopback\n"
            arguments += ["--perms", "0644", "--ro-bind-data", descriptor(hosts), "/etc/hosts"]
        }
        arguments += ["--proc", "/proc", "--dev", "/dev"]
        if let space = limits.temporarySpace { arguments += ["--size", String(space)] }
        arguments += ["--perms", "1777", "--tmpfs", "/tmp"]
        for path in command.writable {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw PipelineError(.invalidConfiguration, "a writable folder must be an absolute path without '.' or '..', not '\(path)'",
                                    operation: operation)
            }
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw PipelineError(.sandbox, "the writable folder \(path) is not a folder", operation: operation)
            }
            // bubblewrap runs as the command's user and resolves the path with its rights.
            if user != nil, let closed = Self.firstUnsearchableFolder(above: path) {
                throw PipelineError(.sandbox, "the sandbox user cannot reach \(path): \(closed) is not searchable by others "
                                    + "(chmod o+x \(closed), or keep workspaces elsewhere)", operation: operation)
            }
            arguments += ["--bind", path, path]
        }
        for path in readOnlyPaths where path.hasPrefix("/") {
            arguments += ["--ro-bind-try", path, path]
        }
        arguments += ["--chdir", command.workingDirectory, "--"]
        return LaunchPlan(arguments: arguments + command.arguments, descriptors: descriptors, isolated: true)
    }

    /// The first folder above `path` that a user other than its owner and group cannot search, if any.
    static func firstUnsearchableFolder(above path: String) -> String? {
        var folder = ""
        for component in path.split(separator: "/").dropLast() {
            folder += "/" + component
            var status = stat()
            guard stat(folder, &status) == 0 else { return folder }
            if status.st_mode & S_IXOTH == 0 { return folder }
        }
        return nil
    }

    /// `prlimit` with the limits, or nothing when none is set. A limit above this process's own hard
    /// limit is lowered to it (an unprivileged process cannot raise it, and the host's limit applies
    /// anyway).
    func limitArguments() throws(PipelineError) -> [String] {
        func capped(_ value: Int, _ resource: Int32) -> Int {
            var current = rlimit()
            guard getrlimit(resource, &current) == 0, current.rlim_max != rlim_t.max else { return value }
            return min(value, Int(clamping: current.rlim_max))
        }
        var limits: [String] = []
        if let cpu = self.limits.cpuTime {
            let seconds = max(1, Int(cpu.components.seconds))
            limits.append("--cpu=\(capped(seconds, Int32(RLIMIT_CPU.rawValue))):\(capped(seconds + 5, Int32(RLIMIT_CPU.rawValue)))")
        }
        if let memory = self.limits.memory { limits.append("--data=\(capped(max(1 << 20, memory), Int32(RLIMIT_DATA.rawValue)))") }
        if let processes = self.limits.processes { limits.append("--nproc=\(capped(max(1, processes), Int32(__RLIMIT_NPROC.rawValue)))") }
        if let size = self.limits.fileSize { limits.append("--fsize=\(capped(max(0, size), Int32(RLIMIT_FSIZE.rawValue)))") }
        if let files = self.limits.openFiles { limits.append("--nofile=\(capped(max(16, files), Int32(RLIMIT_NOFILE.rawValue)))") }
        guard !limits.isEmpty else { return [] }
        return [try tool("prlimit")] + limits + ["--core=0", "--"]
    }
}
