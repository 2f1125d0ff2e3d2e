import Crypto
public import ForgeKit
import Foundation
import Logging
import PlatformSupport

/// Reads a pushed commit's own pipeline file (`.pipeline.yml` by default) through ForgeKit, straight
/// from the repository's objects: no checkout, no working tree.
///
/// Local repositories (a path, or a `file://` URL when ``allowLocalRepositories`` is on) are read in
/// place; remote ones are mirrored (a bare clone under ``mirrorDirectory``, fetched on each event).
public struct RepositoryConfigurationReader: Sendable {
    /// The files looked for at the commit's root, in order; the first that exists is read.
    public var fileNames: [String]
    /// Checks the file as any configuration is checked (tasks, source types, syntax).
    public var loader: ConfigurationLoader
    /// Where remote repositories are mirrored; `nil` reads local repositories only.
    public var mirrorDirectory: String?
    /// Whether repository locations that are local paths or `file://` URLs may be read.
    public var allowLocalRepositories: Bool
    /// Where remote repositories may be mirrored from (their URLs come from webhook payloads).
    public var outbound: OutboundPolicy

    /// Creates a reader.
    public init(fileNames: [String] = [".pipeline.yml", ".pipeline.yaml", ".pipeline.json"], loader: ConfigurationLoader,
                mirrorDirectory: String? = nil, allowLocalRepositories: Bool = false, outbound: OutboundPolicy = .standard) {
        self.fileNames = fileNames
        self.loader = loader
        self.mirrorDirectory = mirrorDirectory
        self.allowLocalRepositories = allowLocalRepositories
        self.outbound = outbound
    }

    /// Whether `location` names a repository on this machine rather than a server.
    public static func isLocal(_ location: String) -> Bool {
        location.hasPrefix("/") || location.hasPrefix("file:") || location.hasPrefix(".") || !location.contains("://") && !location.contains("@")
    }

    /// The configurations in the pipeline file of `source`'s commit; empty when the source has no
    /// checkout or the commit has no pipeline file.
    public func configurations(for source: Source) async throws(PipelineError) -> [PipelineConfiguration] {
        try await configurations(at: source.checkout)
    }

    /// The configurations in the pipeline file of `checkout`'s commit; empty for no checkout or a
    /// commit without a pipeline file.
    public func configurations(at checkout: Source.Checkout?) async throws(PipelineError) -> [PipelineConfiguration] {
        guard let checkout else { return [] }
        let operation = "read the commit's pipeline file"
        let repositoryPath: String
        if Self.isLocal(checkout.repositoryURL) {
            guard allowLocalRepositories else {
                throw PipelineError(.invalidEvent, "local repository locations are not allowed", operation: operation)
            }
            repositoryPath = checkout.repositoryURL.hasPrefix("file://") ? String(checkout.repositoryURL.dropFirst(7)) : checkout.repositoryURL
        } else {
            guard let mirrorDirectory else { return [] }
            repositoryPath = try await mirror(checkout.repositoryURL, in: mirrorDirectory, commit: checkout.commit)
        }
        let names = fileNames
        let found: (String, [UInt8])?
        if checkout.system == .hg {
            guard Self.isLocal(checkout.repositoryURL) else { return [] }
            found = try await mercurialFile(names, at: checkout.commit, in: repositoryPath, operation: operation)
        } else {
            found = try await gitFile(names, at: checkout.commit, in: repositoryPath, operation: operation)
        }
        guard let (name, bytes) = found else { return [] }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PipelineError(.invalidConfiguration, "the file is not UTF-8", operation: operation, file: name)
        }
        return try loader.load(text: text, file: "\(name)@\(checkout.commit.prefix(12))")
    }

    /// The first of `names` at `commit` of the Mercurial repository at `path`, if any.
    private func mercurialFile(_ names: [String], at commit: String, in path: String, operation: String)
        async throws(PipelineError) -> (String, [UInt8])? {
        do {
            return try await MercurialRepository.withRepository(at: path) { hg -> (String, [UInt8])? in
                for name in names {
                    do {
                        let bytes = try await hg.file(at: commit, path: name)
                        guard bytes.count <= loader.maximumFileSize else {
                            throw PipelineError(.tooLarge, "\(name) is larger than \(loader.maximumFileSize) bytes", operation: operation)
                        }
                        return (name, bytes)
                    } catch let error as ForgeError where error.code == .notFound {
                        continue
                    }
                }
                return nil
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.io, "\(error)", operation: operation)
        }
    }

    /// The first of `names` at `commit` of the Git repository at `path`, if any.
    private func gitFile(_ names: [String], at commit: String, in repositoryPath: String, operation: String)
        async throws(PipelineError) -> (String, [UInt8])? {
        let found: (String, [UInt8])?
        do {
            let repository = try await GitRepository.open(at: repositoryPath)
            found = try await repository.withSession { session -> (String, [UInt8])? in
                for name in names {
                    do {
                        return (name, try session.blob(at: commit, path: name, maxSize: loader.maximumFileSize))
                    } catch let error as ForgeError where error.code == .notFound {
                        continue
                    }
                }
                return nil
            }
        } catch {
            throw PipelineError(.io, "\(error)", operation: operation)
        }
        return found
    }

    private func mirror(_ url: String, in directory: String, commit: String) async throws(PipelineError) -> String {
        let key = Hex.encode(SHA256.hash(data: Array(url.utf8)).prefix(12))
        let path = (directory as NSString).appendingPathComponent(key + ".git")
        let proxy = try await outbound.repositoryProxy(for: url, operation: "read the commit's pipeline file")
        do {
            if FileManager.default.fileExists(atPath: path) {
                let repository = try await GitRepository.open(at: path)
                let known = try? await repository.resolve(commit)
                if known == nil {
                    _ = try await repository.withSession { session in
                        try session.fetch(from: url, refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
                                                                "+refs/pull/*/head:refs/pull/*/head"], options: FetchOptions(proxy: proxy))
                    }
                }
            } else {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                _ = try await GitRepository.clone(from: url, to: path, options: CloneOptions(bare: true, proxy: proxy))
            }
        } catch {
            throw PipelineError(.io, "cannot mirror the repository: \(error)", operation: "read the commit's pipeline file")
        }
        return path
    }
}
