/// Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive, modulo the
/// partition count. Every Kafka client computes the same, so a key lands on the same partition
/// whichever client (or operator) wrote it.
public enum KeyPartitioner {
    public static func partition(forKey key: some Collection<UInt8>, partitionCount: Int) -> PartitionID {
        precondition(partitionCount > 0, "a topic has at least one partition")
        let positive = self.murmur2(key) & 0x7fff_ffff
        return PartitionID(Int32(Int(positive) % partitionCount))
    }

    /// Kafka's murmur2 variant (seed 0x9747b28c), over the bytes in order.
    public static func murmur2(_ bytes: some Collection<UInt8>) -> UInt32 {
        let data = Array(bytes)
        let multiplier: UInt32 = 0x5bd1_e995
        let shift: UInt32 = 24
        var hash: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let wordCount = data.count / 4
        for word in 0..<wordCount {
            let index = word * 4
            var value = UInt32(data[index]) | UInt32(data[index + 1]) << 8
                | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            value &*= multiplier
            value ^= value >> shift
            value &*= multiplier
            hash &*= multiplier
            hash ^= value
        }
        let tail = wordCount * 4
        switch data.count % 4 {
        case 3:
            hash ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            hash ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            hash ^= UInt32(data[tail])
            hash &*= multiplier
        default:
            break
        }
        hash ^= hash >> 13
        hash &*= multiplier
        hash ^= hash >> 15
        return hash
    }
}
