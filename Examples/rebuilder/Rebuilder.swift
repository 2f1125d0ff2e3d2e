import ArgumentParser
import Foundation
import PlatformSupport
import RebuildKit

/// rebuilder: Koschei's job on RebuildKit. `check` resolves every source package's build environment,
/// `diff` compares two snapshots, `watch` polls a collection, schedules builds and serves its status.
@main
struct Rebuilder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuilder",
        abstract: "Resolve build-dependencies of Debian source packages with libsolv.",
        subcommands: [Check.self, Diff.self, Watch.self]
    )
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve every source package; print one line per unsatisfiable one (NAME VERSION: reason).",
        discussion: "As dose-builddebcheck: build-essential, Essential packages, Build-Depends(-Arch/-Indep) and Build-Conflicts(-Arch/-Indep); no build profile active unless --profile. Progress goes to stderr.")

    @Option(name: .long, help: "A binary Packages index (plain, .gz, .xz, .bz2, .zst); repeatable.")
    var packages: [String]

    @Option(name: .long, help: "A Sources index (plain or compressed); repeatable.")
    var sources: [String]

    @Option(name: .long, help: "The architecture to build for.")
    var arch: String = "amd64"

    @Option(name: .long, help: "An active build profile (nocheck, nodoc, stage1, …); repeatable.")
    var profile: [String] = []

    @Flag(name: .long, help: "Also print the packages whose build-dependencies do not parse.")
    var unparsable = false

    @Flag(name: .long, help: "Resolve each whole build environment (installed set and distances), not only whether it can be installed.")
    var environments = false

    @Option(name: .long, help: "Threads resolving at once, each with its own pool (default: the processors, at most 8).")
    var threads: Int = ConcurrentResolution.defaultThreads

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard !packages.isEmpty else { throw ValidationError("give at least one --packages index") }
        guard !sources.isEmpty else { throw ValidationError("give at least one --sources index") }
    }

    func run() throws {
        let started = ContinuousClock.now
        let architecture: DebianArchitecture
        do { architecture = try DebianArchitecture(arch) } catch { throw ValidationError(error.message) }
        var all: [SourcePackage] = []
        let resolutions: [(BuildResolution, Int)]
        do {
            let (packages, profiles, environments) = (packages, Set(profile), environments)
            let load: @Sendable () throws(RebuildError) -> DebianResolver = {
                try DebianResolver(packages: packages, architecture: architecture, profiles: profiles)
            }
            let resolver = try load()
            for path in sources { all += try SourcePackage.load(path) }
            FileHandle.standardError.write(Data("rebuilder: \(resolver.binaryCount) binary packages, \(all.count) source packages (\(arch))\n".utf8))
            for rejected in resolver.rejectedBinaries { FileHandle.standardError.write(Data("rebuilder: left out \(rejected)\n".utf8)) }
            // Only the size of each environment is kept: holding 8 million entries would triple the peak memory.
            resolutions = try ConcurrentResolution.resolve(all, threads: threads, first: resolver, load: load) { resolver, source in
                switch resolver.resolve(source, environment: environments) {
                case .satisfiable(let installed): (BuildResolution.satisfiable([]), installed.count)
                case let other: (other, 0)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var counts = (checked: 0, broken: 0, unparsable: 0, installed: 0)
        var output = ""
        for (source, (resolution, size)) in zip(all, resolutions) {
            switch resolution {
            case .notApplicable:
                continue
            case .satisfiable:
                counts.checked += 1
                counts.installed += size
            case .unsatisfiable(let problems):
                counts.checked += 1
                counts.broken += 1
                output += "\(source.name) \(source.version): \(problems.joined(separator: "; ").replacingOccurrences(of: "\n", with: " "))\n"
            case .unparsable(let reason):
                counts.checked += 1
                counts.unparsable += 1
                if unparsable { output += "\(source.name) \(source.version): unparsable: \(reason)\n" }
            }
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        let elapsed = ContinuousClock.now - started
        FileHandle.standardError.write(Data("rebuilder: checked \(counts.checked), unsatisfiable \(counts.broken), unparsable \(counts.unparsable)\(environments ? ", \(counts.installed) installed packages in all" : "") in \(elapsed)\n".utf8))
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per source package, the build-dependency changes between two snapshots, with distances and the dependency priority.",
        discussion: """
        Each directory holds a Packages and a Sources index (plain, .gz or .xz). Sources are taken from --new. The newer snapshot \
        is resolved incrementally: only the source packages the changed binaries can affect are resolved again (--full resolves \
        every one); stderr says how many and how long it took.
        """)

    @Option(name: .long, help: "The older snapshot's directory.")
    var old: String

    @Option(name: .long, help: "The newer snapshot's directory.")
    var new: String

    @Option(name: .long, help: "The architecture to build for.")
    var arch: String = "amd64"

    @Flag(name: .long, help: "Resolve every source package against the newer snapshot instead of only the affected ones.")
    var full = false

    @Option(name: .long, help: "Threads resolving at once, each with its own pool (default: the processors, at most 8).")
    var threads: Int = ConcurrentResolution.defaultThreads

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let architecture: DebianArchitecture
        do { architecture = try DebianArchitecture(arch) } catch { throw ValidationError(error.message) }
        do {
            let diff = try SnapshotDiff.compute(old: old, new: new, architecture: architecture, threads: threads, full: full)
            var output = ""
            for entry in diff.entries {
                output += "\(entry.source) \(entry.version): dependency priority \(Int(entry.dependencyPriority.rounded()))\n"
                for change in entry.changes { output += "  \(change)\n" }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
            func seconds(_ duration: Duration) -> String { String(format: "%.2f", duration.inSeconds) }
            var summary = "rebuilder: loaded the newer snapshot in \(seconds(diff.loading)) s; "
            if let plan = diff.plan {
                summary += "\(plan.changedBinaries) binaries changed, \(plan.relabeled.count) relabeled\(plan.everything ? ", the build group or Essential set changed" : ""); "
                summary += "planned in \(seconds(diff.planning)) s; "
            }
            summary += "resolved \(diff.resolvedAgain) of \(diff.sources) source packages in \(seconds(diff.resolving)) s (\(threads) threads)\n"
            FileHandle.standardError.write(Data(summary.utf8))
        } catch {
            FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
