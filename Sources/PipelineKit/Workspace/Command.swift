/// A process to run in a workspace's sandbox with ``Workspace/run(_:output:)``.
///
/// The process gets a small environment, not the worker's: `PATH`
/// (`/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`), `HOME` (the workspace directory)
/// and `LANG` (`C.UTF-8`), then the workspace's ``Workspace/environment``, then ``environment``; later
/// ones win. So no credential of the worker leaks into a build unless it is given on purpose. It runs
/// as the sandbox's unprivileged user, never as the worker's (see ``Sandbox``).
///
/// ```swift
/// let result = try await workspace.run(Command(["/bin/sh", "-c", "make test"], timeout: .seconds(600)),
///                                      output: context.output)
/// if result.exitCode != 0 { print(result.output) }
/// ```
public struct Command: Sendable, Hashable {
    /// The program (an absolute path) and its arguments, such as `["/bin/sh", "-c", "make"]`.
    public var arguments: [String]
    /// Variables set over the base environment and the workspace's.
    public var environment: [String: String]
    /// Where the process starts; `nil` is the workspace directory.
    public var workingDirectory: String?
    /// Folders besides the workspace that the command may write (a release folder, say), shown at
    /// the same paths in the sandbox. Each must be a real folder whose parent the command cannot write.
    public var writable: [String]
    /// The longest the process may run; then it is stopped and the run throws ``PipelineError/Code/timeout``.
    public var timeout: Duration?
    /// How long the process group has between `SIGTERM` and `SIGKILL` when it is stopped.
    public var gracePeriod: Duration
    /// How many bytes of output ``CommandResult/output`` keeps (the last ones); all of it is still
    /// streamed to the action's output.
    public var outputLimit: Int

    /// Creates a command.
    public init(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                writable: [String] = [], timeout: Duration? = nil, gracePeriod: Duration = .seconds(5),
                outputLimit: Int = 1 << 20) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.writable = writable
        self.timeout = timeout
        self.gracePeriod = gracePeriod
        self.outputLimit = outputLimit
    }

    /// `/bin/sh -c script`.
    public static func shell(_ script: String, environment: [String: String] = [:], timeout: Duration? = nil) -> Command {
        Command(["/bin/sh", "-c", script], environment: environment, timeout: timeout)
    }

    /// The variables a process starts with before the workspace's and the command's own.
    public static func baseEnvironment(home: String) -> [String: String] {
        ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8"]
    }
}

/// How a command ended, and what it printed.
public struct CommandResult: Sendable, Hashable {
    /// The exit status; 128 + n when signal n ended the process, as shells report it.
    public var exitCode: Int32
    /// Standard output and standard error, interleaved as they were written, secrets masked; only the
    /// last ``Command/outputLimit`` bytes when ``truncated``.
    public var output: String
    /// Whether the start of the output was dropped to keep it within the limit.
    public var truncated: Bool

    /// Creates a result.
    public init(exitCode: Int32, output: String, truncated: Bool) {
        self.exitCode = exitCode
        self.output = output
        self.truncated = truncated
    }

    /// Whether the command exited with status 0.
    public var succeeded: Bool { exitCode == 0 }
}
