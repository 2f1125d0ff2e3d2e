import CGit2
import Foundation

/// Reads blobs ahead of an archive writer, on threads of their own, each with its own libgit2
/// repository handle, so that inflating the next files overlaps with writing the current one.
///
/// Each handle is opened by the caller's thread and from then on used and freed only by its reader
/// thread. Results come back in request order. At most `maximumBytes` of read-ahead contents are held
/// (a single larger blob is still read), so memory stays flat whatever the archive's size.
final class BlobPrefetcher: @unchecked Sendable {
    private let condition = NSCondition()
    /// Requests and their results by request number minus `base` (the number dropped from the front).
    private var requests: [ObjectID] = []
    private var results: [Result<RawObject, ForgeError>?] = []
    private var base = 0
    /// The next request a reader takes, and the next result the writer takes (request numbers).
    private var nextRequest = 0
    private var nextResult = 0
    private var heldBytes = 0
    private var stopping = false
    private var running = 0
    private let maximumBytes: Int
    /// The handles, until their threads take them.
    private var handles: [RepositoryHandle] = []

    /// Opens `readers` more handles on the repository at `gitDirectory` and starts a thread for each;
    /// `nil` when the repository cannot be opened again (the caller then reads on its own thread).
    init?(gitDirectory: String, readers: Int, maximumBytes: Int = 8 << 20) {
        for _ in 0..<max(1, readers) {
            var pointer: OpaquePointer?
            guard git_repository_open_ext(&pointer, gitDirectory, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) >= 0,
                  let pointer, let handle = try? RepositoryHandle(pointer: pointer, operation: "archive") else {
                git_error_clear()
                return nil
            }
            handles.append(handle)
        }
        self.maximumBytes = maximumBytes
        running = handles.count
        for index in handles.indices {
            let thread = Thread { [self] in run() }
            thread.name = "forgeworks-archive-reader-\(index)"
            thread.start()
        }
    }

    /// Asks for `id`; its contents come back from ``next()`` after those of earlier requests.
    func request(_ id: ObjectID) {
        condition.lock()
        requests.append(id)
        results.append(nil)
        condition.signal()
        condition.unlock()
    }

    /// The contents (or the read error) of the oldest request not taken yet; waits for it.
    func next() throws(ForgeError) -> RawObject {
        condition.lock()
        while nextResult < base + results.count, results[nextResult - base] == nil, running > 0 { condition.wait() }
        guard nextResult < base + results.count, let result = results[nextResult - base] else {
            condition.unlock()
            throw ForgeError(.misuse, "the archive's blob readers stopped early", operation: "archive")
        }
        results[nextResult - base] = nil
        nextResult += 1
        if case .success(let object) = result { heldBytes -= object.data.count }
        compact()
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Stops the threads and waits until they have freed their handles.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        results.removeAll()
        condition.unlock()
    }

    /// Drops taken entries once they are most of the arrays. Called with the lock held.
    private func compact() {
        let taken = nextResult - base
        guard taken >= 1024, taken * 2 >= results.count else { return }
        results.removeFirst(taken)
        requests.removeFirst(taken)
        base = nextResult
    }

    private func run() {
        do {
            condition.lock()
            let handle = handles.popLast()
            condition.unlock()
            if let handle { serve(handle) }
        }
        // The handle is freed by now, on this thread.
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func serve(_ handle: RepositoryHandle) {
        condition.lock()
        while true {
            while !stopping && (nextRequest >= base + requests.count || heldBytes >= maximumBytes) { condition.wait() }
            if stopping { break }
            let number = nextRequest
            let id = requests[number - base]
            nextRequest += 1
            condition.unlock()
            let result: Result<RawObject, ForgeError>
            do throws(ForgeError) {
                result = .success(try handle.objects.read(id, operation: "archive"))
            } catch {
                result = .failure(error)
            }
            condition.lock()
            if case .success(let object) = result { heldBytes += object.data.count }
            results[number - base] = result
            condition.broadcast()
        }
        condition.unlock()
    }
}
