package import Foundation

/// The stored form of a build environment, shared by the stores: 5 bytes per package, a
/// little-endian 32-bit id of its interned (name, version) pair and its distance (0 when unknown).
/// Most environments share most of their packages, so this is about a tenth of JSON and decodes
/// without parsing.
package enum EnvironmentCodec {
    /// Encodes an environment whose pairs `id` interns.
    package static func encode(_ environment: [ResolvedPackage], id: (String, String) throws -> UInt32) rethrows -> Data {
        var bytes = Data(capacity: environment.count * 5)
        for package in environment {
            let value = try id(package.name, package.version)
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(clamping: package.distance ?? 0))
        }
        return bytes
    }

    /// The interned ids an environment holds.
    package static func ids(in bytes: Data) -> Set<Int64> {
        var ids: Set<Int64> = []
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset + 5 <= raw.count {
                ids.insert(Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
                offset += 5
            }
        }
        return ids
    }

    /// The environment with every id in `mapping` swapped for its new one; nil when none was there.
    package static func relabel(_ bytes: Data, _ mapping: [UInt32: UInt32]) -> Data? {
        var copy = bytes
        var touched = false
        copy.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            var offset = 0
            while offset + 5 <= raw.count {
                let id = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                if let new = mapping[id] {
                    raw.storeBytes(of: new.littleEndian, toByteOffset: offset, as: UInt32.self)
                    touched = true
                }
                offset += 5
            }
        }
        return touched ? copy : nil
    }

    /// Decodes an environment with the (name, version) pairs of its ids.
    package static func decode(_ bytes: Data, _ table: [Int64: (String, String)]) throws(RebuildError) -> [ResolvedPackage] {
        guard bytes.count % 5 == 0 else {
            throw RebuildError(.store, "a stored environment is \(bytes.count) bytes, not a multiple of 5", operation: "read environment")
        }
        var environment: [ResolvedPackage] = []
        environment.reserveCapacity(bytes.count / 5)
        var unknown: Int64?
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let id = Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                let distance = raw[offset + 4]
                guard let (name, version) = table[id] else {
                    unknown = id
                    return
                }
                environment.append(ResolvedPackage(name: name, version: version, distance: distance == 0 ? nil : Int(distance)))
                offset += 5
            }
        }
        if let unknown { throw RebuildError(.store, "a stored environment names unknown binary \(unknown)", operation: "read environment") }
        return environment
    }
}
