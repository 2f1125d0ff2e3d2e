import ForgeKitTesting
import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox on its own: what a command sees, and the limits that stop it.
@Suite("The sandbox", .timeLimit(.minutes(3)))
struct SandboxTests {
    /// A workspace folder others may search (as a data folder is), removed afterwards.
    static func folder() throws -> String {
        let root = try RepositoryFixture.temporaryDirectory(prefix: "sandbox-test")
        try FileManager.default.createDirectory(atPath: root + "/workspace", withIntermediateDirectories: true)
        return root
    }

    /// Runs `script` with `/bin/sh -c` in `root/workspace`, its own lease handing the folder over.
    static func run(_ script: String, in root: String, sandbox: Sandbox = Sandbox(), timeout: Duration = .seconds(60))
        async throws -> (Sandbox.Exit, String) {
        let workspace = root + "/workspace"
        let user = try sandbox.leaseUser()
        defer { user.release() }
        if let id = user.id { chown(workspace, id, id) }
        var output: [UInt8] = []
        let exit = try await sandbox.run(SandboxedCommand(["/bin/sh", "-c", script], environment: Command.baseEnvironment(home: workspace),
                                                          workingDirectory: workspace, writable: [workspace], user: user, timeout: timeout)) {
            output += $0
        }
        return (exit, String(decoding: output, as: UTF8.self))
    }

    @Test("the command sees its workspace, the system read-only, and nothing of the host's files or processes")
    func filesAndProcesses() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("outside\n".utf8).write(to: URL(fileURLWithPath: root + "/beside-the-workspace"))
        let script = """
            echo "user $(id -u) $(id -un) host $(uname -n)"
            cat \(root)/beside-the-workspace 2>&1 | head -1
            ls /root /home /var /opt 2>&1 | head -4
            touch /usr/pwned 2>&1; touch /etc/pwned 2>&1
            echo "processes $(ls /proc | grep -c '^[0-9]')"
            \(HostEnvironment.probe())
            cat /etc/shadow 2>&1 | head -1
            echo written > made && cat made
            """
        let (exit, output) = try await Self.run(script, in: root)
        #expect(exit.status == 0, "\(output)")
        #expect(output.contains("user 1000 build host sandbox"))
        #expect(!output.contains("outside"))
        #expect(output.contains("No such file or directory"))
        #expect(output.contains("Read-only file system"))
        // Every process it sees has only the variables it was given: none of this (server) process's.
        let seen = HostEnvironment.probed(in: output)
        #expect(seen.contains("HOME") && seen.contains("PATH"), "\(output)")
        #expect(seen.isDisjoint(with: HostEnvironment.names(excluding: ["PATH", "HOME", "LANG"])), "\(seen)")
        #expect(output.contains("processes ") && !output.contains("processes 0"))
        let processes = output.split(separator: "\n").first { $0.hasPrefix("processes ") }.flatMap { Int($0.dropFirst("processes ".count)) }
        #expect((processes ?? 100) < 10, "only the command's own processes: \(output)")
        #expect(output.hasSuffix("written\n"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/pwned"))
    }

    @Test("with no network, not even the host's loopback is reachable; with the host's, it is")
    func network() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A listening socket on the host's loopback.
        let listener = try ConnectionCounter()
        let port = listener.port
        let probe = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port) && echo CONNECTED' 2>&1; true"
        let (_, closed) = try await Self.run(probe, in: root, sandbox: Sandbox(network: .none))
        #expect(!closed.contains("CONNECTED"), "\(closed)")
        #expect(closed.contains("Connection refused"))
        let (_, open) = try await Self.run(probe, in: root, sandbox: Sandbox(network: .host))
        #expect(open.contains("CONNECTED"), "\(open)")
    }

    @Test("a fork bomb meets the process limit and ends; the host keeps forking")
    func forkBomb() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var limits = Sandbox.Limits.standard
        limits.processes = 64
        let (exit, output) = try await Self.run("bomb() { bomb | bomb & }; bomb; sleep 1; echo after", in: root,
                                                sandbox: Sandbox(limits: limits), timeout: .seconds(120))
        #expect(exit.stopped == nil, "the bomb ended by itself, not at the time limit")
        #expect(output.contains("fork") || output.contains("Resource temporarily unavailable"), "\(output.prefix(300))")
        // The host still starts processes.
        let (after, text) = try await Self.run("echo fine", in: root)
        #expect(after.status == 0 && text == "fine\n")
    }

    @Test("a memory hog meets the memory limit")
    func memoryHog() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var limits = Sandbox.Limits.standard
        limits.memory = 256 << 20
        let (exit, output) = try await Self.run("/usr/bin/python3 -c 'x = bytearray(2 << 30); print(\"allocated\")'", in: root,
                                                sandbox: Sandbox(limits: limits))
        #expect(exit.status != 0)
        #expect(output.contains("MemoryError"), "\(output)")
        #expect(!output.contains("allocated"))
    }

    @Test("output past the limit stops the command")
    func outputLimit() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var limits = Sandbox.Limits.standard
        limits.output = 100_000
        let (exit, output) = try await Self.run("yes forever", in: root, sandbox: Sandbox(limits: limits))
        #expect(exit.stopped == .output(100_000))
        #expect(output.utf8.count == 100_000)
        #expect(exit.stopped?.error.code == .sandbox)
    }

    @Test("a command outlives the idle threads of the pool that started it: its sandbox dies only with this process")
    func longCommand() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Dispatch and the cooperative pool end threads idle for ~5 s; a sandbox tied to such a thread would die.
        let (exit, output) = try await Self.run("sleep 8; echo still here", in: root)
        #expect(exit.status == 0 && output == "still here\n")
    }

    @Test("a worker starting over its folder stops sandboxes still running there")
    func leftovers() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let marker = HostProcesses.marker()
        let running = Task { try await Self.run("sleep \(marker)", in: root) }
        #expect(await HostProcesses.waitUntilRunning(marker))
        #expect(Sandbox.killLeftovers(under: root + "/elsewhere") == 0)
        #expect(Sandbox.killLeftovers(under: root) >= 1)
        #expect(await HostProcesses.waitUntilGone(marker))
        let (exit, _) = try await running.value
        #expect(exit.status == 128 + SIGKILL)
    }

    @Test("a sandbox still on its way to bubblewrap (setpriv, prlimit) is found and stopped too")
    func leftoverMidLaunch() async throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let marker = HostProcesses.marker()
        // The launch chain as /proc shows it before `setpriv` has executed `prlimit` and bubblewrap:
        // its first program is setpriv, and bubblewrap's arguments follow.
        let process = try ExampleProcess(executable: "/bin/bash", [
            "-c", "exec -a /usr/bin/setpriv /bin/sh -c 'sleep \(marker); exit 0' /usr/bin/bwrap --bind \(root)/workspace \(root)/workspace",
        ])
        defer { for pid in HostProcesses.running(marker) { kill(pid, SIGKILL) } }
        // Two with the marker: the disguised shell and its sleep (so bash has executed the shell).
        #expect(await HostProcesses.waitUntilRunning(marker, count: 2))
        #expect(Sandbox.killLeftovers(under: root + "/elsewhere") == 0)
        #expect(Sandbox.killLeftovers(under: root) == 1)
        // The shell's sleep, outside the chain, is left; the shell itself was killed.
        for pid in HostProcesses.running(marker) where pid != process.processIdentifier { kill(pid, SIGKILL) }
        #expect(await process.waitUntilExit() == 128 + SIGKILL)
    }

    @Test("a sandbox that cannot start says why, before any command runs")
    func unavailable() async throws {
        let missing = Sandbox(toolDirectories: ["/nonexistent-tools"])
        await #expect(throws: PipelineError.self) { try await missing.check() }
        do {
            try await missing.check()
        } catch {
            #expect(error.code == .sandbox)
            #expect(error.message.contains("setpriv is not installed") || error.message.contains("bwrap is not installed"))
        }
        try await Sandbox().check()
        try await Sandbox.unsafeUnconfined().check()

        // An executor that cannot sandbox runs nothing, and says why.
        let executor = PipelineExecutor(store: InMemoryRunStore(), actions: .standard(),
                                        options: .init(workerID: "no-sandbox", sandbox: missing))
        do {
            try await executor.runUntilIdle()
            Issue.record("the executor ran without a sandbox")
        } catch let error as PipelineError {
            #expect(error.code == .sandbox)
        }
    }
}
