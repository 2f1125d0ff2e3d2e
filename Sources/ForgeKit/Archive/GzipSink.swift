import CZlib

/// A sink that gzips what it is given into another sink (zlib, level 6, as `git archive` pipes
/// `.tar.gz` through `gzip -cn`: no file name and no time in the header).
///
/// ``flush()`` ends the gzip stream and flushes the sink underneath; the tar writer calls it once,
/// when the archive is complete, and nothing may be written afterwards.
final class GzipSink: ByteSink {
    private let sink: any ByteSink
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 64 << 10)
    private var finished = false

    init(_ sink: any ByteSink, level: Int32 = 6) throws(ForgeError) {
        self.sink = sink
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Window bits 15 + 16: a gzip header and trailer around the deflate stream.
        let result = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ForgeError(.io, "deflateInit2 failed (\(result))", operation: "archive")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ForgeError) {
        guard !finished else { throw ForgeError(.misuse, "the gzip stream is already finished", operation: "archive") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(bytes.count)
        try run(flush: Z_NO_FLUSH)
    }

    func flush() throws(ForgeError) {
        guard !finished else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH)
        finished = true
        try sink.flush()
    }

    /// Deflates until the input is used up (or, finishing, until the stream ends), passing output on.
    private func run(flush: Int32) throws(ForgeError) {
        var failure: ForgeError?
        output.withUnsafeMutableBytes { buffer in
            let out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            while true {
                stream.pointee.next_out = out
                stream.pointee.avail_out = UInt32(buffer.count)
                let result = deflate(stream, flush)
                guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
                    failure = ForgeError(.io, "deflate failed (\(result))", operation: "archive")
                    return
                }
                let produced = buffer.count - Int(stream.pointee.avail_out)
                if produced > 0 {
                    do throws(ForgeError) { try sink.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: produced)) } catch {
                        failure = error
                        return
                    }
                }
                if flush == Z_FINISH ? result == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0) { return }
            }
        }
        if let failure { throw failure }
    }
}
