import CSluiceNative

/// CRC-32C (Castagnoli), the checksum of record batch v2. Hardware-assisted (SSE 4.2 / ARMv8 CRC)
/// through the C shim; `isHardwareAssisted` tells which path runs.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `initial` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing initial: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return initial }
        return sluice_crc32c(initial, base, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { self.checksum($0) }
    }

    /// The table-driven path alone, for checking the hardware path against it.
    public static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, continuing initial: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return initial }
        return sluice_crc32c_software(initial, base, bytes.count)
    }

    public static var isHardwareAssisted: Bool { sluice_crc32c_is_hardware() != 0 }
}
