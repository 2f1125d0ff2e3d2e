public import AsyncHTTPClient
import Foundation
import HTTPCallSupport
public import Logging
import NIOCore
import NIOHTTP1
import PlatformSupport

/// A local copy of a remote repository's indexes, for a collection whose repository is an http(s) URL.
///
/// ``update()`` downloads what changed since the last call — a conditional GET with the ETag and
/// Last-Modified the server sent before, so an unchanged index costs one round trip — and returns the
/// local directory, laid out like the remote one, for the resolvers to read. A download goes to a
/// temporary file and replaces the copy only when it is complete: an interrupted or failed transfer
/// leaves the previous copy in place.
///
/// Debian: `URL/Packages` and `URL/Sources`, each the first of `.xz`, `.gz` or plain the server has.
/// RPM: `URL/repodata/repomd.xml` and the primary index it names (checked against its listed checksum
/// by ``RPMRepository``).
public struct RepositoryMirror: Sendable {
    /// The remote repository.
    public let url: String
    /// Where the copy is kept.
    public let directory: String
    /// The repository's format.
    public let kind: RebuildCollection.Kind
    /// The largest index accepted, in bytes.
    public var maximumSize: Int = 2 << 30
    /// How long one download may take.
    public var timeout: Duration = .seconds(600)

    /// Creates a mirror of `url` in `directory`.
    ///
    /// - Throws: ``RebuildError`` `.invalidConfiguration` when `url` is not http(s).
    public init(url: String, directory: String, kind: RebuildCollection.Kind) throws(RebuildError) {
        guard Self.isRemote(url), let parsed = URL(string: url), parsed.host != nil else {
            throw RebuildError(.invalidConfiguration, "'\(url)' is not an http or https URL", operation: "mirror repository")
        }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.directory = directory
        self.kind = kind
    }

    /// Whether a collection's repository is a URL rather than a directory.
    public static func isRemote(_ repository: String) -> Bool {
        repository.hasPrefix("http://") || repository.hasPrefix("https://")
    }

    /// Brings the copy up to date and returns its directory.
    ///
    /// - Throws: ``RebuildError`` `.io` naming the URL for a failed request, an unexpected status, an
    ///   index the server does not have in any compression, or one larger than ``maximumSize``.
    public func update(client: HTTPClient = .shared, logger: Logger = Logger(label: "forgeworks.rebuild")) async throws(RebuildError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RebuildError(.io, "cannot create the mirror directory: \(error)", operation: "mirror repository", file: directory)
        }
        var validators = loadValidators()
        defer { saveValidators(validators) }
        switch kind {
        case .debian:
            for name in ["Packages", "Sources"] {
                var found = false
                for suffix in [".xz", ".gz", ""] {
                    let file = name + suffix
                    switch try await fetch(file, client: client, validators: &validators, logger: logger) {
                    case .missing: continue
                    case .unchanged, .downloaded:
                        found = true
                        // Another compression of the same index left from before would shadow this one.
                        for other in [".xz", ".gz", "", ".zst", ".bz2"] where other != suffix {
                            try? FileManager.default.removeItem(atPath: "\(directory)/\(name)\(other)")
                            validators["\(name)\(other)"] = nil
                        }
                    }
                    break
                }
                guard found else {
                    throw RebuildError(.io, "\(url) has no \(name) index (.xz, .gz or plain)", operation: "mirror repository")
                }
            }
        case .rpm:
            let repomd = "repodata/repomd.xml"
            guard try await fetch(repomd, client: client, validators: &validators, logger: logger) != .missing else {
                throw RebuildError(.io, "\(url)/\(repomd) does not exist", operation: "mirror repository")
            }
            let location = try RPMRepository.primaryLocation(repomd: "\(directory)/\(repomd)")
            if !FileManager.default.fileExists(atPath: "\(directory)/\(location)") {
                guard try await fetch(location, client: client, validators: &validators, logger: logger) != .missing else {
                    throw RebuildError(.io, "\(url)/\(location), which repomd.xml names, does not exist", operation: "mirror repository")
                }
            }
        }
        return directory
    }

    private enum Outcome: Equatable {
        case missing, unchanged, downloaded
    }

    private struct Validator: Codable {
        var etag: String?
        var lastModified: String?
    }

    /// GETs `URL/file` into `DIRECTORY/file` unless the server says the copy is current.
    private func fetch(_ file: String, client: HTTPClient, validators: inout [String: Validator], logger: Logger) async throws(RebuildError) -> Outcome {
        let target = "\(directory)/\(file)"
        let address = "\(url)/\(file)"
        var headers: [(String, String)] = []
        if FileManager.default.fileExists(atPath: target), let validator = validators[file] {
            if let etag = validator.etag { headers.append(("If-None-Match", etag)) }
            if let lastModified = validator.lastModified { headers.append(("If-Modified-Since", lastModified)) }
        }
        let temporary = "\(target).part-\(UUID().uuidString)"
        let written = SizeCounter()
        do {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw RebuildError(.io, "cannot write", operation: "mirror repository", file: temporary)
            }
            let maximumSize = self.maximumSize
            let response: HTTPCall.Response
            do {
                defer { try? handle.close() }
                // A 2xx body streams into the file; another status's body is read (bounded) for nothing.
                response = try await HTTPCall(.GET, address, headers: headers, timeout: timeout, responseLimit: 64 << 10)
                    .send(with: client) { buffer in
                        guard written.add(buffer.readableBytes) <= maximumSize else {
                            throw RebuildError(.io, "GET \(address): larger than \(maximumSize) bytes", operation: "mirror repository")
                        }
                        try handle.write(contentsOf: Data(buffer.readableBytesView))
                    }
            }
            switch response.status {
            case 304:
                try? FileManager.default.removeItem(atPath: temporary)
                return .unchanged
            case 404, 410:
                try? FileManager.default.removeItem(atPath: temporary)
                return .missing
            case 200:
                break
            default:
                throw RebuildError(.io, "GET \(address): \(response.status)", operation: "mirror repository")
            }
            let size = written.total
            if let expected = response.headers.first(name: "Content-Length").flatMap(Int.init), expected != size {
                throw RebuildError(.io, "GET \(address): \(size) of \(expected) bytes arrived", operation: "mirror repository")
            }
            _ = try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: temporary, toPath: target)
            validators[file] = Validator(etag: response.headers.first(name: "ETag"), lastModified: response.headers.first(name: "Last-Modified"))
            logger.info("downloaded index", metadata: ["url": "\(address)", "bytes": "\(size)"])
            return .downloaded
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if let error = error as? RebuildError { throw error }
            if written.total > maximumSize {
                throw RebuildError(.io, "GET \(address): larger than \(maximumSize) bytes", operation: "mirror repository")
            }
            throw RebuildError(.io, "GET \(address): \(error)", operation: "mirror repository", underlying: error as? HTTPCall.Failure)
        }
    }

    private var validatorsPath: String { "\(directory)/.validators.json" }

    private func loadValidators() -> [String: Validator] {
        guard let data = FileManager.default.contents(atPath: validatorsPath),
              let validators = try? JSONDecoder().decode([String: Validator].self, from: data) else { return [:] }
        return validators
    }

    private func saveValidators(_ validators: [String: Validator]) {
        guard let data = try? JSONEncoder().encode(validators) else { return }
        try? data.write(to: URL(fileURLWithPath: validatorsPath), options: .atomic)
    }
}

/// The bytes a download has written so far (the body sink runs on one task at a time).
private final class SizeCounter: @unchecked Sendable {
    private(set) var total = 0

    func add(_ count: Int) -> Int {
        total += count
        return total
    }
}
