import ArgumentParser
import ForgeKit
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// git-tool: ForgeKit's git access from the command line, with output that scripts can compare with git's.
@main
struct GitTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-tool",
        abstract: "Read git repositories in-process through ForgeKit (libgit2); output matches git's.",
        subcommands: [Log.self, Changed.self, Archive.self, Show.self, Mergeable.self, Clone.self]
    )
}

struct RepositoryOption: ParsableArguments {
    @Option(name: .long, help: "The repository: a working directory, its .git, or a bare repository.")
    var repo: String = "."
}

/// Prints an error the way the tool reports all failures, and picks the exit status.
func fail(_ error: any Error) -> ExitCode {
    let text: String
    if let forge = error as? ForgeError {
        text = "git-tool: \(forge.message)" + (forge.path.map { " (\($0))" } ?? "") + "\n"
    } else {
        text = "git-tool: \(error)\n"
    }
    StandardError.write(text)
    return ExitCode(128)
}

/// Opens `path`, runs `body` in a session with a buffered standard-output sink, flushes it, and
/// turns any failure into the tool's error report.
func withRepositoryOutput(_ path: String, _ body: (GitSession, FileDescriptorSink) throws -> Void) throws {
    do {
        let repo = try GitRepository.openBlocking(at: path)
        try repo.withSessionBlocking { session in
            let out = FileDescriptorSink(descriptor: 1)
            try body(session, out)
            try out.flush()
        }
    } catch {
        throw fail(error)
    }
}

enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per commit with its full id, as git log --format=%H; with --name-only, the changed paths too.")

    @OptionGroup var repository: RepositoryOption
    @Option(name: .shortAndLong, help: "Show at most N commits.") var n: Int?
    @Flag(name: .customLong("name-only"), help: "After each commit, the paths it changed against its first parent (none for merges).")
    var nameOnly = false
    @Flag(name: .customLong("first-parent"), help: "Follow only the first parent of merges.") var firstParent = false
    @Argument(parsing: .captureForPassthrough, help: "Revisions and ranges (A..B, ^A, A...B); HEAD when none; paths after --.")
    var revisions: [String] = []

    func validate() throws {
        if let n, n < 0 { throw ValidationError("-n must not be negative") }
    }

    func run() throws {
        var revs: [String] = []
        var paths: [String] = []
        var afterDashes = false
        for argument in revisions {
            if argument == "--" && !afterDashes { afterDashes = true; continue }
            if afterDashes { paths.append(argument) } else { revs.append(argument) }
        }
        let options = LogOptions(revs.isEmpty ? ["HEAD"] : revs, limit: n, firstParent: firstParent, paths: paths)
        let nameOnly = self.nameOnly
        try withRepositoryOutput(repository.repo) { session, out in
            let diffOptions = DiffOptions(paths: paths)
            try session.walkIDs(options) { (id) throws(ForgeError) in
                try out.write(Array(id.hex.utf8) + [0x0a])
                if nameOnly {
                    let parentCount = try session.parents(of: id).count
                    if parentCount <= 1 {
                        let changes = try session.changes(in: id, options: diffOptions)
                        if !changes.isEmpty {
                            try out.write([0x0a])
                            for change in changes {
                                try out.write(GitPathQuoting.quoted(change.pathBytes) + [0x0a])
                            }
                        }
                    }
                }
                return true
            }
        }
    }
}

struct Changed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The paths that differ between two revisions, as git diff --name-only --no-renames FROM TO.")

    @OptionGroup var repository: RepositoryOption
    @Argument(help: "The older revision.") var from: String
    @Argument(help: "The newer revision.") var to: String

    func run() throws {
        try withRepositoryOutput(repository.repo) { session, out in
            for change in try session.changes(from: from, to: to) {
                try out.write(GitPathQuoting.quoted(change.pathBytes) + [0x0a])
            }
        }
    }
}

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "An archive of a revision, as git archive writes it.")

    @OptionGroup var repository: RepositoryOption
    @Option(help: "tar, tar.gz or zip.") var format: String = "tar"
    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.") var output: String?
    @Option(help: "Prepend PREFIX to each path (end it with / for a directory).") var prefix: String = ""
    @Argument(help: "The revision to archive.") var revision: String

    func validate() throws {
        if ArchiveFormat(rawValue: format) == nil {
            throw ValidationError("unknown archive format '\(format)'; use tar, tar.gz or zip")
        }
    }

    func run() throws {
        let format = ArchiveFormat(rawValue: self.format) ?? .tar
        // A file is written beside PATH and renamed over it when the archive is complete; a device
        // or FIFO is written in place. A failure leaves whatever was at PATH as it was.
        let file: OutputFile?
        do {
            file = try output.map { path throws(ForgeError) in try OutputFile(path: path) }
        } catch {
            throw fail(error)
        }
        do {
            let repo = try GitRepository.openBlocking(at: repository.repo)
            try repo.withSessionBlocking { session in
                let sink = FileDescriptorSink(descriptor: file?.descriptor ?? 1)
                try session.archive(revision, format: format, to: sink, prefix: prefix)
                try sink.flush()
            }
            try file?.commit()
        } catch {
            file?.abandon()
            throw fail(error)
        }
    }
}


struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The bytes of a file at a revision, as git show REV:PATH.")

    @OptionGroup var repository: RepositoryOption
    @Argument(help: "REV:PATH") var expression: String

    func run() throws {
        try withRepositoryOutput(repository.repo) { session, out in
            try out.write(try session.blob(expression: expression))
        }
    }
}

struct Mergeable: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Whether HEAD merges into BASE: fast-forward, clean, up-to-date (exit 0), or conflict with its paths, unrelated (exit 1).")

    @OptionGroup var repository: RepositoryOption
    @Argument(help: "The branch merged into.") var base: String
    @Argument(help: "The branch to merge.") var head: String

    func run() throws {
        let result: Mergeability
        do {
            let repo = try GitRepository.openBlocking(at: repository.repo)
            result = try repo.withSessionBlocking { try $0.mergeability(base: base, head: head) }
        } catch {
            throw fail(error)
        }
        switch result {
        case .fastForward: print("fast-forward")
        case .clean: print("clean")
        case .upToDate: print("up-to-date")
        case .unrelated:
            print("unrelated")
            throw ExitCode(1)
        case .conflict(let paths):
            print("conflict")
            for path in paths { print(path) }
            throw ExitCode(1)
        }
    }
}

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clone a repository from a path, file:// or http(s):// URL; a progress bar when standard error is a terminal.")

    @Argument(help: "Where to clone from.") var url: String
    @Argument(help: "The new directory.") var directory: String
    @Flag(help: "Make a bare repository.") var bare = false
    @Option(help: "Check out this branch instead of the remote's default.") var branch: String?

    func run() throws {
        var credentials = Credentials.none
        let environment = ProcessEnvironment()
        if let user = environment["GIT_TOOL_USERNAME"], let password = environment["GIT_TOOL_PASSWORD"] {
            credentials = .userPassword(username: user, password: password)
        }
        let progress: (@Sendable (TransferProgress) -> Void)? = isatty(2) == 1 ? ProgressBar.draw : nil
        do {
            _ = try GitRepository.cloneBlocking(
                from: url, to: directory,
                options: CloneOptions(bare: bare, branch: branch, credentials: credentials, progress: progress))
            if progress != nil { StandardError.write("\n") }
        } catch {
            throw fail(error)
        }
    }
}

struct ProcessEnvironment {
    subscript(name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

enum ProgressBar {
    @Sendable static func draw(_ progress: TransferProgress) {
        let width = 30
        let filled = Int(progress.fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let phase = progress.receivedObjects < progress.totalObjects ? "receiving" : "resolving"
        let counts = "\(progress.receivedObjects)/\(progress.totalObjects) objects, \(progress.indexedDeltas)/\(progress.totalDeltas) deltas"
        StandardError.write("\r[\(bar)] \(Int(progress.fraction * 100))% \(phase) \(counts)")
    }
}
