import Foundation
import GRDB
import PipelineKit
import PipelineKitTesting
import Testing

/// What is particular to ``SQLiteRunStore``: event bodies kept in `<database>-events`, and WAL
/// checkpoints that run beside the writer.
@Suite("SQLite run store: event bodies beside the database, checkpoints beside the writer")
struct SQLiteRunStoreTests {
    let single = PipelineConfiguration(name: "single", sourceClass: "push", actions: [ActionSpec(name: "a", task: "noop")])

    private func databasePath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("runs.sqlite").path
    }

    private func enqueue(_ store: SQLiteRunStore, delivery: String, body: String) async throws -> RunID {
        let event = EventRecord(provider: "test", deliveryID: delivery, kind: "push", body: Array(body.utf8))
        let result = try await store.enqueue(event: event, runs: [NewRun(configuration: single, source: .testPush())], now: Date())
        return try #require(result.runs.first).id
    }

    @Test("Bodies are read back after the store is closed and opened again, with either durability")
    func reopened() async throws {
        for durability in [SQLiteRunStore.Durability.process, .full] {
            let path = try databasePath()
            var runs: [RunID] = []
            do {
                let store = try SQLiteRunStore(path: path, durability: durability)
                for index in 0..<5 { runs.append(try await enqueue(store, delivery: "d\(index)", body: #"{"n": \#(index)}"#)) }
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "-events")
            #expect((attributes[.size] as? Int) == 5 * #"{"n": 0}"#.utf8.count, "each body is in the file once")
            let store = try SQLiteRunStore(path: path, durability: durability)
            for (index, run) in runs.enumerated() {
                #expect(try await store.context(of: run).event == .map(["n": .int(index)]))
            }
        }
    }

    @Test("A body changed or cut off in the file is reported as lost, with the event and the file, not read as something else")
    func damagedBodies() async throws {
        let path = try databasePath()
        let store = try SQLiteRunStore(path: path)
        let first = try await enqueue(store, delivery: "a", body: #"{"first": true}"#)
        let second = try await enqueue(store, delivery: "b", body: #"{"second": true}"#)
        // One byte of the first body changed: the checksum catches it.
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path + "-events"))
        try file.seek(toOffset: 3)
        try file.write(contentsOf: Array("F".utf8))
        let damaged = await #expect(throws: PipelineError.self) { _ = try await store.context(of: first) }
        #expect(damaged?.code == .store)
        #expect(damaged?.message.contains("body of event") == true, "\(String(describing: damaged))")
        #expect(damaged?.message.contains("checksum does not match") == true, "\(String(describing: damaged))")
        #expect(damaged?.message.contains(path + "-events") == true, "\(String(describing: damaged))")
        // The file cut short before the second body ends.
        try file.truncate(atOffset: UInt64(#"{"first": true}"#.utf8.count + 4))
        try file.close()
        let cut = await #expect(throws: PipelineError.self) { _ = try await store.context(of: second) }
        #expect(cut?.message.contains("the file ends at byte") == true, "\(String(describing: cut))")
    }

    @Test("Events stored inside the database, as before the bodies file existed, are still read")
    func inlineBodies() async throws {
        let path = try databasePath()
        let store = try SQLiteRunStore(path: path)
        let run = try await enqueue(store, delivery: "old", body: #"{"placeholder": 1}"#)
        // Turn the row into one written by an earlier version: body inline, no location.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                UPDATE events SET body = ?, body_offset = NULL, body_length = NULL, body_checksum = NULL
                WHERE id = (SELECT event_id FROM runs WHERE id = ?)
                """, arguments: [Data(#"{"inline": "yes"}"#.utf8), run.rawValue])
        }
        #expect(try await store.context(of: run).event == .map(["inline": .string("yes")]))
    }

    @Test("Under a steady stream of commits the WAL is checkpointed and restarted instead of growing")
    func boundedWAL() async throws {
        let path = try databasePath()
        let store = try SQLiteRunStore(path: path)
        // Each enqueue is its own transaction of several pages; 3,000 of them write over 12,000 WAL pages,
        // 48 MB, which a WAL that is never restarted would keep.
        var largest = 0
        var last: RunID?
        for index in 0..<3_000 {
            last = try await enqueue(store, delivery: "d\(index)", body: #"{"n": \#(index)}"#)
            if index % 100 == 99 {
                let size = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
                largest = max(largest, size)
            }
        }
        #expect(largest > 0)
        #expect(largest < 24 << 20, "the WAL grew to \(largest) bytes")
        #expect(try await store.context(of: try #require(last)).event == .map(["n": .int(2_999)]))
    }
}
