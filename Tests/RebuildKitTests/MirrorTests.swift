import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RebuildKit
import RebuildKitPipelines
import Synchronization
import Testing

/// A repository served over HTTP with ETags; records which files were sent whole.
final class RepositoryServer: Sendable {
    private let files = Mutex<[String: Data]>([:])
    private let downloads = Mutex<[String]>([])
    private let failure = Mutex<HTTPResponse.Status?>(nil)

    func serve(_ path: String, _ content: Data?) { files.withLock { $0[path] = content } }
    func fail(with status: HTTPResponse.Status?) { failure.withLock { $0 = status } }
    func downloaded() -> [String] { downloads.withLock { $0 } }

    private func respond(_ path: String, ifNoneMatch: String?) -> Response {
        if let status = failure.withLock({ $0 }) { return Response(status: status) }
        let found: Data? = files.withLock { $0[path] }
        guard let content = found else { return Response(status: .notFound) }
        let etag = "\"\(content.count)-\(content.hashValue)\""
        if ifNoneMatch == etag { return Response(status: .notModified) }
        downloads.withLock { $0.append(path) }
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.contentLength] = String(content.count)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: content)))
    }

    func with<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/repo/**") { (request: Request, context: BasicRequestContext) -> Response in
            let parts: [Substring] = context.parameters.getCatchAll()
            return self.respond(parts.joined(separator: "/"), ifNoneMatch: request.headers[.ifNoneMatch])
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "rebuildkit.test-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            return try await body("http://127.0.0.1:\(port)/repo")
        }
    }
}

@Suite("watching a repository by URL")
struct MirrorTests {
    static func temporary() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func packages(_ stanzas: [String]) -> Data {
        let text: String = stanzas.joined(separator: "\n\n") + "\n"
        return Data(text.utf8)
    }

    @Test("a Debian collection by URL: downloaded once, unchanged indexes cost a 304, a new snapshot is resolved incrementally")
    func debian() async throws {
        let directory = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = RepositoryServer()
        server.serve("Packages", Self.packages(IncrementalTests.base))
        server.serve("Sources", Data(IncrementalTests.sources.utf8))
        try await server.with { url in
            let store = try SQLiteRebuildStore(path: "\(directory)/rebuild.sqlite")
            let collection = RebuildCollection(name: "remote", kind: .debian, repository: url, architecture: "amd64")
            let watcher = RebuildWatcher(collection: collection, store: store,
                                         backend: ShellBuildBackend(command: "true", directory: "\(directory)/builds"),
                                         mirrorDirectory: "\(directory)/mirror")
            let first = try await watcher.refresh()
            #expect(first.resolved)
            #expect(first.packages == 8)
            let downloaded: [String] = server.downloaded()
            #expect(downloaded.sorted() == ["Packages", "Sources"])  // this server has no .xz or .gz

            let again = try await watcher.refresh()
            #expect(!again.resolved)
            let downloadedAgain: [String] = server.downloaded()
            #expect(downloadedAgain.count == 2)  // both answered 304

            let newthing: [String: String?] = ["newthing": "Package: newthing\nVersion: 1\nArchitecture: amd64"]
            server.serve("Packages", Self.packages(IncrementalTests.updated(newthing)))
            let third = try await watcher.refresh()
            #expect(third.incremental)
            #expect(third.reresolved == 1)
            #expect(try await store.package(collection: "remote", name: "need")?.resolved == true)

            // A server error keeps the stored snapshot and the mirror as they were.
            server.fail(with: .internalServerError)
            await #expect(throws: RebuildError.self) { try await watcher.refresh() }
            #expect(try await store.package(collection: "remote", name: "need")?.resolved == true)
            #expect(FileManager.default.fileExists(atPath: "\(directory)/mirror/binary/Packages"))
        }
    }

    @Test("an RPM repository by URL is mirrored with its primary index; bad URLs and missing indexes are clear errors")
    func rpmAndErrors() async throws {
        let directory = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/rpm").path
        let server = RepositoryServer()
        let repomd: Data? = FileManager.default.contents(atPath: "\(fixtures)/binary/repodata/repomd.xml")
        let primary: Data? = FileManager.default.contents(atPath: "\(fixtures)/binary/repodata/primary.xml.gz")
        server.serve("binary/repodata/repomd.xml", repomd)
        server.serve("binary/repodata/primary.xml.gz", primary)
        server.serve("broken/repodata/repomd.xml", repomd)
        #expect(throws: RebuildError.self) { try RepositoryMirror(url: "ftp://example.org/repo", directory: directory, kind: .debian) }
        try await server.with { url in
            let empty = try RepositoryMirror(url: "\(url)/nothing", directory: "\(directory)/empty", kind: .debian)
            do {
                _ = try await empty.update()
                Issue.record("a repository without indexes was mirrored")
            } catch {
                #expect("\(error)".contains("has no Packages index"), "\(error)")
            }
            let rpm = try RepositoryMirror(url: "\(url)/binary", directory: "\(directory)/rpm", kind: .rpm)
            let local = try await rpm.update()
            let repository = try RPMRepository(directory: local)  // the primary index matches repomd.xml's checksum
            #expect(FileManager.default.fileExists(atPath: repository.primaryPath))
            let broken = try RepositoryMirror(url: "\(url)/broken", directory: "\(directory)/broken", kind: .rpm)
            do {
                _ = try await broken.update()
                Issue.record("a repository whose primary index is missing was mirrored")
            } catch {
                #expect("\(error)".contains("which repomd.xml names, does not exist"), "\(error)")
            }
        }
    }
}
