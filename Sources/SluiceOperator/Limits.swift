/// Every bound the SDK enforces on what it reads and writes, in one place (Docs/operator-protocol.md, "Framing").
public enum OperatorLimits {
    /// The protocol version this SDK speaks; the only one it accepts in Hello.
    public static let protocolVersion: UInt16 = 1

    /// The largest `length` field of a frame: the type byte plus the body, 64 MiB.
    public static let frameLengthMax = 64 * 1024 * 1024

    /// Bytes before the type byte: the `u32` length.
    static let frameLengthFieldSize = 4

    /// `u32` length `0xFFFFFFFF` marks a null `bytes`.
    static let nullBytesLength: UInt32 = 0xFFFF_FFFF

    /// `u32` record index `0xFFFFFFFF` in Failed: no single record is to blame.
    public static let noRecordIndex: UInt32 = 0xFFFF_FFFF

    /// Strings carry a `u16` length; header, input and output lists a `u16` count.
    static let stringLengthMax = Int(UInt16.max)
    static let listCountMax = Int(UInt16.max)

    /// The smallest encoded size of one element of each counted list, so a count can be checked against the
    /// bytes left in the frame before anything is allocated for it.
    static let recordSizeMin = 2 + 4 + 8 + 8 + 4 + 4 + 2  // index, partition, offset, timestamp, key, value, headers
    static let timerSizeMin = 4 + 8  // key, time
    static let headerSizeMin = 2 + 4  // key, value
    static let outputSizeMin = 2 + 4 + 4 + 2  // index, key, value, headers
    static let inputSizeMin = 2 + 1  // stream, grouping
    static let streamSizeMin = 2  // stream

    /// First size of the input buffer; it grows to fit the largest frame seen, up to a whole 64 MiB frame.
    static let readBufferSizeInitial = 1024 * 1024

    static func assertRelations() {
        precondition(self.frameLengthMax <= Int(UInt32.max), "a frame length must fit its u32 field")
        precondition(self.readBufferSizeInitial <= self.frameLengthMax + self.frameLengthFieldSize)
    }
}
