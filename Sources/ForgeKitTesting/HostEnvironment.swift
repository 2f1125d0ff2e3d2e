import Foundation

/// This process's environment as a sandboxed command must never see it — a test's stand-in for a
/// server's variables (its admin password, its API tokens).
///
/// Tests never plant a variable with `setenv`: changing the environment while other tests start
/// processes or read it is a data race in the C library (`environ` is reallocated under readers).
/// They compare names instead: whatever runs the tests has variables of its own (`make` its
/// `MAKEFLAGS`, a shell its `TERM`, CI its `CI`).
///
/// ```swift
/// let output = try await run(HostEnvironment.probe())
/// #expect(HostEnvironment.probed(in: output).isDisjoint(with: HostEnvironment.names(excluding: ["PATH", "HOME", "LANG"])))
/// ```
public enum HostEnvironment {
    /// Names a shell sets for itself whatever environment it was given.
    public static let shellNames: Set<String> = ["PWD", "OLDPWD", "SHLVL", "_"]

    /// The names of this process's variables, read once.
    public static let all: Set<String> = Set(ProcessInfo.processInfo.environment.keys)

    /// This process's variable names except ``shellNames``, `excluded`, and names starting with one
    /// of `prefixes` (what a sandboxed command is legitimately given too).
    public static func names(excluding excluded: Set<String> = [], prefixes: [String] = []) -> Set<String> {
        all.subtracting(shellNames).subtracting(excluded).filter { name in !prefixes.contains { name.hasPrefix($0) } }
    }

    /// A shell command that prints the names of the variables of `processes` (`*`: every process it
    /// can see; `$$`: the shell itself), as they were started, between a `== environment names:`
    /// line and a `== end` line (read back by ``probed(in:)``).
    public static func probe(of processes: String = "*") -> String {
        #"echo '== environment names:'; cat /proc/"# + processes
            + #"/environ 2>/dev/null | tr '\000' '\n' | sed -n 's/=.*//p' | sort -u; echo '== end'"#
    }

    /// The names a ``probe`` printed in `output`; empty when it printed none (or did not run).
    public static func probed(in output: String) -> Set<String> {
        guard let start = output.range(of: "== environment names:\n"),
              let end = output.range(of: "== end", range: start.upperBound..<output.endIndex) else { return [] }
        return Set(output[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init))
    }
}
