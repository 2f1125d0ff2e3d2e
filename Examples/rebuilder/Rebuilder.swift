import ArgumentParser
import Foundation
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

    func validate() throws {
        guard !packages.isEmpty else { throw ValidationError("give at least one --packages index") }
        guard !sources.isEmpty else { throw ValidationError("give at least one --sources index") }
    }

    func run() throws {
        let started = ContinuousClock.now
        let architecture: DebianArchitecture
        do { architecture = try DebianArchitecture(arch) } catch { throw ValidationError(error.message) }
        let resolver: DebianResolver
        var all: [SourcePackage] = []
        do {
            resolver = try DebianResolver(packages: packages, architecture: architecture, profiles: Set(profile))
            for path in sources { all += try SourcePackage.load(path) }
        } catch {
            FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
            throw ExitCode(2)
        }
        FileHandle.standardError.write(Data("rebuilder: \(resolver.binaryCount) binary packages, \(all.count) source packages (\(arch))\n".utf8))
        var counts = (checked: 0, broken: 0, unparsable: 0, installed: 0)
        var output = ""
        for (index, source) in all.enumerated() {
            switch resolver.resolve(source, environment: environments) {
            case .notApplicable:
                continue
            case .satisfiable(let installed):
                counts.checked += 1
                counts.installed += installed.count
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
            if index % 5000 == 4999 {
                FileHandle.standardError.write(Data("rebuilder: \(index + 1)/\(all.count)\n".utf8))
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
        discussion: "Each directory holds a Packages and a Sources index (plain, .gz or .xz). Sources are taken from --new.")

    @Option(name: .long, help: "The older snapshot's directory.")
    var old: String

    @Option(name: .long, help: "The newer snapshot's directory.")
    var new: String

    @Option(name: .long, help: "The architecture to build for.")
    var arch: String = "amd64"

    func run() throws {
        let architecture: DebianArchitecture
        do { architecture = try DebianArchitecture(arch) } catch { throw ValidationError(error.message) }
        let policy = PriorityPolicy()
        do {
            let oldIndexes = try RebuildWatcher.debianIndexes(in: old), newIndexes = try RebuildWatcher.debianIndexes(in: new)
            let before = try DebianResolver(packages: [oldIndexes.packages], architecture: architecture)
            let after = try DebianResolver(packages: [newIndexes.packages], architecture: architecture)
            var output = ""
            for source in try SourcePackage.load(newIndexes.sources) {
                guard case .satisfiable(let was) = before.resolve(source), case .satisfiable(let now) = after.resolve(source) else { continue }
                let changes = ChangeDetector.changes(from: was, to: now)
                guard !changes.isEmpty else { continue }
                let priority = policy.dependencyPriority(distances: changes.map(\.distance))
                output += "\(source.name) \(source.version): dependency priority \(Int(priority.rounded()))\n"
                for change in changes { output += "  \(change)\n" }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch {
            FileHandle.standardError.write(Data("rebuilder: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
