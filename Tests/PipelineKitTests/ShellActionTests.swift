import ForgeKitTesting
import Foundation
import PipelineKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The shell action and workspace commands")
struct ShellActionTests {
    @Test("stdout and stderr arrive merged in the order written; the result carries the exit status")
    func outputAndExitCode() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let result = try await ShellAction().run(harness.context(["command": "echo one; echo two >&2; printf three; echo ' four' >&2; exit 3"]))
        #expect(result == ["ok": false, "output": "one\ntwo\nthree four\n", "exit_code": 3, "truncated": false])
        #expect(!result.isTruthy)
        #expect(harness.recorder.text == "one\ntwo\nthree four\n")

        let success = try await ShellAction().run(harness.context(["command": "true"]))
        #expect(success["exit_code"] == 0)
        #expect(success.isTruthy)
    }

    @Test("a process ended by a signal reports 128 + the signal, as shells do")
    func signalExitCode() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let result = try await ShellAction().run(harness.context(["command": "kill -9 $$"]))
        #expect(result["exit_code"] == 137)
    }

    @Test("the command sees the source, the run and the parent only as variables, over a minimal environment")
    func environment() async throws {
        let source = Source(sourceClass: "pull_request", attributes: [
            "repo": "DT2/dt", "branch": "feature/x", "base_branch": "main", "number": 42,
            "changed_paths": ["a.py", "b/c.py"], "head_repo": ["name": "dt", "fork": true], "state": .null,
        ])
        let harness = try ActionHarness(source: source, environment: ["EXECUTOR_VAR": "from the executor"])
        defer { harness.remove() }
        let script = """
        printf '%s|' "$SOURCE_REPO" "$SOURCE_BRANCH" "$SOURCE_BASE_BRANCH" "$SOURCE_NUMBER" "$SOURCE_CHANGED_PATHS" \
          "$SOURCE_HEAD_REPO" "${SOURCE_STATE-unset}" "$SOURCE_CLASS" "$PIPELINE_RUN_ID" "$PIPELINE_CONFIGURATION" \
          "$PIPELINE_ACTION" "$PARENT_OUTPUT" "$EXECUTOR_VAR" "$EXTRA" "$PATH" "$HOME" "$LANG" "$PWD"
        awk 'BEGIN { for (name in ENVIRON) printf "%s ", name }'
        """
        let result = try await ShellAction().run(harness.context(["command": .string(script), "env": ["EXTRA": "given", "PIPELINE_RUN_ID": "spoofed"]],
                                                                 parent: ["ok": false, "output": "E501 line too long\n"]))
        let workspace = harness.workspace.directory
        let output = try #require(result["output"]?.text)
        let expectedValues = [
            "DT2/dt", "feature/x", "main", "42", "a.py\nb/c.py", #"{"fork":true,"name":"dt"}"#, "unset", "pull_request",
            "7", "lint", "step", "E501 line too long\n", "from the executor", "given",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", workspace, "C.UTF-8", workspace,
        ]
        #expect(output.hasPrefix(expectedValues.joined(separator: "|") + "|"))
        let names = Set(output.split(separator: "|").last?.split(separator: " ").map(String.init) ?? [])
        let expected: Set = ["EXECUTOR_VAR", "EXTRA", "HOME", "LANG", "PARENT_OUTPUT", "PATH", "PIPELINE_ACTION", "PIPELINE_ATTEMPT", "PIPELINE_CONFIGURATION",
                             "PIPELINE_RUN_ID", "SOURCE_BASE_BRANCH", "SOURCE_BRANCH", "SOURCE_CHANGED_PATHS", "SOURCE_CLASS",
                             "SOURCE_HEAD_REPO", "SOURCE_NUMBER", "SOURCE_REPO"]
        #expect(expected.isSubset(of: names))
        // Nothing else but what the shell itself exports.
        #expect(names.subtracting(expected).isSubset(of: ["PWD", "OLDPWD", "SHLVL", "_"]))
    }

    @Test("a hostile attribute never runs: it reaches the command as data, and templates in the command are not rendered")
    func injection() async throws {
        let marker = "/tmp/pipelinekit-pwned-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let hostile = "$(touch \(marker))\"; touch \(marker); echo `touch \(marker)` '; touch \(marker) #"
        let source = Source(sourceClass: "push", attributes: ["repo": "acme/web", "branch": .string(hostile)])
        let harness = try ActionHarness(source: source)
        defer { harness.remove() }
        // The executor renders kwargs first; `command` is literal for shell, so its template stays text.
        let command = "echo \"$SOURCE_BRANCH\"; echo \"$BRANCH\"; echo '{{ source.branch }}'"
        let kwargs = try TemplateRenderer().render(
            ["command": .string(command), "env": ["BRANCH": "{{ source.branch }}"]],
            literalKeys: ShellAction().literalKeys,
            context: TemplateContext(parent: .null, source: source, event: .null, run: RunID(7), configuration: "lint", action: "step"))
        #expect(kwargs["command"] == .string(command))
        let result = try await ShellAction().run(harness.context(kwargs))
        #expect(result["output"] == .string("\(hostile)\n\(hostile)\n{{ source.branch }}\n"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a preset runs its own command and ignores kwargs.command")
    func preset() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let result = try await ShellAction(command: "echo preset").run(harness.context(["command": "echo configured"]))
        #expect(result["output"] == "preset\n")
    }

    @Test("without a checkout the command runs in the empty workspace directory, created 0700")
    func emptyWorkspace() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let result = try await ShellAction().run(harness.context(["command": "pwd; ls -A | wc -l"]))
        #expect(result["output"] == .string(harness.workspace.directory + "\n0\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.workspace.directory)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
        #expect(try harness.workspace.prepare() == harness.workspace.directory)
    }

    @Test("a workspace path that is a symbolic link is refused")
    func symlinkRefused() throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        #expect(symlink("/etc", harness.workspace.directory) == 0)
        let error = #expect(throws: PipelineError.self) { try harness.workspace.prepare() }
        #expect(error?.code == .io)
    }

    @Test("secrets are masked in the streamed output and in the result")
    func secretsMasked() async throws {
        let harness = try ActionHarness(environment: ["TOKEN": "hunter2-secret-value"], secrets: ["hunter2-secret-value"])
        defer { harness.remove() }
        let result = try await ShellAction().run(harness.context(["command": "echo \"token=$TOKEN\"; printf '%s' \"$TOKEN\" >&2"]))
        #expect(result["output"] == "token=***\n***")
        #expect(harness.recorder.text == "token=***\n***")
        #expect(!harness.recorder.text.contains("hunter2"))
    }

    @Test("a long output keeps its last bytes and says it was truncated")
    func truncation() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let result = try await harness.workspace.run(
            Command(["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do echo \"line $i\"; i=$((i+1)); done"], outputLimit: 100),
            output: harness.recorder.output)
        #expect(result.truncated)
        #expect(result.output.utf8.count <= 100)
        #expect(result.output.hasSuffix("line 498\nline 499\n"))
        #expect(harness.recorder.text.hasPrefix("line 0\nline 1\n"))
    }

    @Test("background jobs do not outlive the command")
    func backgroundJobsKilled() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let marker = HostProcesses.marker()
        let result = try await ShellAction().run(harness.context(["command": .string("sleep \(marker) & echo done")]))
        #expect(result["output"] == "done\n")
        #expect(await HostProcesses.waitUntilGone(marker))
    }

    @Test("a timeout stops the whole process group, grandchildren included, and throws timeout")
    func timeoutKillsGrandchildren() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let child = HostProcesses.marker(), grandchild = HostProcesses.marker()
        let script = "sh -c 'sleep \(grandchild) & sleep \(child)' & wait"
        let error = await caughtError { _ = try await ShellAction().run(harness.context(["command": .string(script), "timeout": 1])) }
        #expect(error?.code == .timeout)
        #expect(await HostProcesses.waitUntilGone(child))
        #expect(await HostProcesses.waitUntilGone(grandchild))
    }

    @Test("processes that ignore SIGTERM get SIGKILL after the grace period")
    func gracePeriodEscalates() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let child = HostProcesses.marker()
        let script = "trap '' TERM; sleep \(child) & wait; wait; wait"
        let started = ContinuousClock.now
        let error = await caughtError {
            _ = try await harness.workspace.run(Command(["/bin/sh", "-c", script], timeout: .milliseconds(500), gracePeriod: .milliseconds(300)),
                                                output: .discarding)
        }
        #expect(error?.code == .timeout)
        #expect(ContinuousClock.now - started < .seconds(60), "stopped long before the sleep would end")
        #expect(await HostProcesses.waitUntilGone(child))
    }

    @Test("cancelling the task stops the process group and throws cancelled")
    func cancellation() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let leader = HostProcesses.marker(), child = HostProcesses.marker()
        let script = "sleep \(child) & sleep \(leader); wait"
        let context = harness.context(["command": .string(script)])
        let task = Task { try await ShellAction().run(context) }
        #expect(await HostProcesses.waitUntilRunning(leader))
        #expect(await HostProcesses.waitUntilRunning(child))
        task.cancel()
        let error = await caughtError { _ = try await task.value }
        #expect(error?.code == .cancelled)
        #expect(await HostProcesses.waitUntilGone(leader))
        #expect(await HostProcesses.waitUntilGone(child))
    }

    @Test("a program that cannot start, or a relative program path, is an error")
    func programErrors() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let missing = await caughtError { _ = try await harness.workspace.run(Command(["/nonexistent/tool"]), output: .discarding) }
        #expect(missing?.code == .io)
        let relative = await caughtError { _ = try await harness.workspace.run(Command(["sh", "-c", "true"]), output: .discarding) }
        #expect(relative?.code == .invalidConfiguration)
    }

    @Test("bad kwargs are invalid configurations naming the field")
    func badKwargs() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let missing = await caughtError { _ = try await ShellAction().run(harness.context([:])) }
        #expect(missing?.field == "kwargs.command")
        let timeout = await caughtError { _ = try await ShellAction().run(harness.context(["command": "true", "timeout": "soon"])) }
        #expect(timeout?.field == "kwargs.timeout")
        let env = await caughtError { _ = try await ShellAction().run(harness.context(["command": "true", "env": ["A": ["nested"]]])) }
        #expect(env?.field == "kwargs.env.A")
        let name = await caughtError { _ = try await ShellAction().run(harness.context(["command": "true", "env": ["A=B": "x"]])) }
        #expect(name?.code == .invalidConfiguration)
    }

    @Test("a configuration cannot choose the user a command runs as; it runs as the sandbox's unprivileged user")
    func noUserChoice() async throws {
        let harness = try ActionHarness()
        defer { harness.remove() }
        let refused = await caughtError { _ = try await ShellAction().run(harness.context(["command": "id", "user": "root"])) }
        #expect(refused?.code == .invalidConfiguration)
        #expect(refused?.field == "kwargs.user")
        let result = try await ShellAction().run(harness.context(["command": "id -u; id -un; touch made-by-me && echo wrote"]))
        #expect(result["output"] == "1000\nbuild\nwrote\n")
        let owner = try FileManager.default.attributesOfItem(atPath: harness.workspace.directory + "/made-by-me")[.ownerAccountID] as? Int
        if geteuid() == 0 {
            #expect(owner != 0, "the file was written by the sandbox's own host user, not root")
        } else {
            #expect(owner == Int(geteuid()))
        }
    }
}
