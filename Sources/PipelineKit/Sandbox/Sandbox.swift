import ForgeKit
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where untrusted commands run: pipeline commands, deploy scripts, and hook scripts that ask for it.
///
/// A command runs in a bubblewrap (`bwrap`) sandbox:
///
/// - new user, PID, IPC, UTS and cgroup namespaces, and with ``Network/none`` an empty network
///   namespace (a loopback of its own); no nested user namespaces; it dies with the process that
///   started it (`--die-with-parent`);
/// - an unprivileged user: `build` (uid 1000) inside. When this process runs as root, the command
///   first drops to a user id of its own from ``userIDs`` (one per ``SandboxUser`` lease, that is per
///   workspace), so that root's exemptions from the limits never apply; otherwise it runs as this
///   process's user, mapped;
/// - a file system made from nothing: the system read-only (``systemPaths``: `/usr`, the `/lib*` and
///   `/bin` links, and the files of `/etc` that programs need, with a `passwd` and `group` of its
///   own), its own `/proc` and `/dev`, a private `/tmp`, and the command's writable folders (the
///   workspace, a release folder) at the same paths as outside. Nothing else of the host: no data
///   folder, no repository, no other workspace, no home folder;
/// - an environment made from nothing: exactly the variables the command is given;
/// - limits per command (``Limits``): CPU time, memory, processes, file size, open files, output.
///
/// ```swift
/// let sandbox = Sandbox(network: .none)
/// try await sandbox.check()          // throws, saying why, where commands cannot be sandboxed
/// let status = try await sandbox.run(SandboxedCommand(["/bin/sh", "-c", "make test"], environment: ["PATH": "/usr/bin:/bin"],
///                                                     workingDirectory: "/srv/ws/src", writable: ["/srv/ws"])) { chunk in … }
/// ```
///
/// ``Isolation/unsafeNone`` runs commands as this process's user with its rights, for trusted
/// single-user setups only: it still builds the environment from nothing and applies the output
/// limit and time limits, nothing else.
///
/// What the sandbox does not stop: a command using all the CPU and memory it is allowed, reading
/// what the host's world-readable system files say (the installed packages), or, with
/// ``Network/host``, reaching whatever this host can reach on the network.
///
/// ## Topics
/// ### Configuring
/// - ``Isolation``
/// - ``Network``
/// - ``Limits``
/// ### Running
/// - ``check()``
/// - ``run(_:standardOutput:standardError:)``
public struct Sandbox: Sendable {
    /// How commands are isolated.
    public enum Isolation: String, Sendable, Hashable {
        /// In a bubblewrap sandbox (the default).
        case bubblewrap
        /// Not at all: commands run as this process's user, with its files. For trusted single-user
        /// use only (`--unsafe-no-sandbox`).
        case unsafeNone = "unsafe-none"
    }

    /// What network a command reaches.
    public enum Network: String, Sendable, Hashable, Codable, CaseIterable {
        /// None: an empty network namespace with a loopback of its own.
        case none
        /// The host's network.
        case host

        /// `none` or `host`.
        ///
        /// - Throws: ``PipelineError/Code/invalidConfiguration`` for anything else.
        public init(parsing text: String) throws(PipelineError) {
            guard let network = Network(rawValue: text) else {
                throw PipelineError(.invalidConfiguration, "the network policy must be 'none' or 'host', not '\(text)'",
                                    operation: "read network policy")
            }
            self = network
        }
    }

    /// Limits per command; nil leaves one unlimited (as far as the host's own limits go).
    public struct Limits: Sendable, Hashable {
        /// CPU time of each process (`RLIMIT_CPU`; `SIGXCPU`, then `SIGKILL` 5 s later).
        public var cpuTime: Duration?
        /// Bytes of private writable memory of each process (`RLIMIT_DATA`: heap and anonymous
        /// mappings; address space merely reserved does not count).
        public var memory: Int?
        /// Processes and threads at once (`RLIMIT_NPROC`, counted for the command's own user id
        /// when this process is root; see ``Sandbox/userIDs``).
        public var processes: Int?
        /// The largest file a process may write (`RLIMIT_FSIZE`).
        public var fileSize: Int?
        /// Open files of each process (`RLIMIT_NOFILE`).
        public var openFiles: Int?
        /// Bytes of output (standard output and error together); past it the command is stopped and
        /// the run fails with ``PipelineError/Code/sandbox``.
        public var output: Int?
        /// The size of the private `/tmp` (a tmpfs).
        public var temporarySpace: Int?

        /// Creates limits.
        public init(cpuTime: Duration? = nil, memory: Int? = nil, processes: Int? = nil, fileSize: Int? = nil,
                    openFiles: Int? = nil, output: Int? = nil, temporarySpace: Int? = nil) {
            self.cpuTime = cpuTime
            self.memory = memory
            self.processes = processes
            self.fileSize = fileSize
            self.openFiles = openFiles
            self.output = output
            self.temporarySpace = temporarySpace
        }

        /// Two hours of CPU per process, 4 GiB of memory per process, 512 processes, 4 GiB files,
        /// 4,096 open files, 64 MiB of output, 1 GiB of `/tmp`.
        public static let standard = Limits(cpuTime: .seconds(2 * 3600), memory: 4 << 30, processes: 512, fileSize: 4 << 30,
                                            openFiles: 4096, output: 64 << 20, temporarySpace: 1 << 30)
    }

    /// How commands are isolated.
    public var isolation: Isolation
    /// The network commands reach unless a run says otherwise.
    public var network: Network
    /// Limits per command.
    public var limits: Limits
    /// Host paths shown read-only at the same place: the system. A path that is a symbolic link on
    /// the host (`/bin` → `usr/bin`) is the same link inside; one that does not exist is left out.
    public var systemPaths: [String]
    /// Files and folders of the host's `/etc` shown read-only (names inside `/etc`; missing ones are
    /// left out). `passwd` and `group` are the sandbox's own, and `hosts` and `resolv.conf` are the
    /// host's only with ``Network/host``.
    public var configurationFiles: [String]
    /// Further host paths shown read-only at the same place (a toolchain in `/opt`, say).
    public var readOnlyPaths: [String]
    /// The user ids commands run as when this process is root, one per ``SandboxUser`` lease (group
    /// id the same). Pick a range no account of the host uses.
    public var userIDs: ClosedRange<UInt32>
    /// Where `bwrap`, `setpriv` and `prlimit` are looked for (the host's, never the workspace's).
    public var toolDirectories: [String]

    let users: SandboxUserPool

    /// A sandbox; by default bubblewrap, no network, the standard limits.
    public init(isolation: Isolation = .bubblewrap, network: Network = .none, limits: Limits = .standard,
                systemPaths: [String] = Sandbox.defaultSystemPaths, configurationFiles: [String] = Sandbox.defaultConfigurationFiles,
                readOnlyPaths: [String] = [], userIDs: ClosedRange<UInt32> = 2_000_000...2_065_535,
                toolDirectories: [String] = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]) {
        self.isolation = isolation
        self.network = network
        self.limits = limits
        self.systemPaths = systemPaths
        self.configurationFiles = configurationFiles
        self.readOnlyPaths = readOnlyPaths
        self.userIDs = userIDs
        self.toolDirectories = toolDirectories
        users = SandboxUserPool()
    }

    /// No isolation, for trusted single-user use: commands run as this process's user.
    public static func unsafeUnconfined(limits: Limits = .standard) -> Sandbox {
        Sandbox(isolation: .unsafeNone, network: .host, limits: limits)
    }

    /// `/usr`, and the links or folders `/bin`, `/sbin`, `/lib`, `/lib32`, `/lib64` and `/libx32`.
    public static let defaultSystemPaths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]

    /// What programs read in `/etc`: the dynamic linker's cache, Debian's alternatives, CA
    /// certificates, name service and locale files, shells' start-up files, time zone, `os-release`.
    /// Not `shadow`, not `ssl/private`, nothing of a service's own configuration.
    public static let defaultConfigurationFiles = [
        "alternatives", "bash.bashrc", "ca-certificates", "ca-certificates.conf", "debian_version", "gai.conf", "host.conf",
        "inputrc", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "locale.alias", "locale.conf", "localtime", "lsb-release",
        "magic", "magic.mime", "mime.types", "nsswitch.conf", "os-release", "perl", "profile", "profile.d", "protocols",
        "python3", "python3.11", "python3.12", "python3.13", "services", "shells", "ssl/certs", "ssl/openssl.cnf", "timezone",
    ]

    /// Whether commands run isolated.
    public var isIsolated: Bool { isolation == .bubblewrap }

    /// Leases a user for one workspace: its commands run as that user when this process is root.
    /// Give it back with ``SandboxUser/release()`` (a dropped lease is given back too).
    ///
    /// - Throws: ``PipelineError/Code/sandbox`` when every id of ``userIDs`` is in use.
    public func leaseUser() throws(PipelineError) -> SandboxUser {
        guard isIsolated, geteuid() == 0 else { return SandboxUser(id: nil, pool: nil) }
        guard let id = users.lease(from: userIDs) else {
            throw PipelineError(.sandbox, "all \(userIDs.count) sandbox user ids are in use", operation: "lease sandbox user")
        }
        return SandboxUser(id: id, pool: users)
    }
}

/// The host user a workspace's sandboxed commands run as (from ``Sandbox/userIDs``), when this
/// process is root; `id` is nil otherwise (commands run as this process's user, mapped).
public final class SandboxUser: Sendable {
    /// The user and group id; nil when commands keep this process's user.
    public let id: UInt32?
    private let pool: SandboxUserPool?
    private let released = Atomic<Bool>(false)

    init(id: UInt32?, pool: SandboxUserPool?) {
        self.id = id
        self.pool = pool
    }

    /// Gives the id back for another workspace; call once nothing runs as it any more.
    public func release() {
        guard let id, let pool, !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.release(id)
    }

    deinit { release() }
}

/// The ids leased out, shared by every copy of a ``Sandbox``.
final class SandboxUserPool: Sendable {
    private let leased = Mutex<Set<UInt32>>([])

    func lease(from range: ClosedRange<UInt32>) -> UInt32? {
        leased.withLock { leased in
            var candidate = range.lowerBound
            while leased.contains(candidate) {
                guard candidate < range.upperBound else { return nil }
                candidate += 1
            }
            leased.insert(candidate)
            return candidate
        }
    }

    func release(_ id: UInt32) {
        _ = leased.withLock { $0.remove(id) }
    }
}

/// One command for ``Sandbox/run(_:standardOutput:standardError:)``.
public struct SandboxedCommand: Sendable {
    /// The program (an absolute path inside the sandbox) and its arguments.
    public var arguments: [String]
    /// Exactly the variables the command gets.
    public var environment: [String: String]
    /// Where it starts: one of ``writable`` or a folder inside one.
    public var workingDirectory: String
    /// Folders the command may write, shown at the same paths as on the host. Each must be a real
    /// folder (not a symbolic link) whose parent the command cannot write.
    public var writable: [String]
    /// The network it reaches; nil takes the sandbox's ``Sandbox/network``.
    public var network: Sandbox.Network?
    /// The host user it runs as when this process is root (see ``Sandbox/leaseUser()``); nil leases one
    /// for this command alone.
    public var user: SandboxUser?
    /// The longest it may run; then it is stopped and the run throws ``PipelineError/Code/timeout``.
    public var timeout: Duration?
    /// Between `SIGTERM` and `SIGKILL` when it is stopped.
    public var gracePeriod: Duration

    /// Creates a command.
    public init(_ arguments: [String], environment: [String: String], workingDirectory: String, writable: [String],
                network: Sandbox.Network? = nil, user: SandboxUser? = nil, timeout: Duration? = nil, gracePeriod: Duration = .seconds(5)) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.writable = writable
        self.network = network
        self.user = user
        self.timeout = timeout
        self.gracePeriod = gracePeriod
    }
}
