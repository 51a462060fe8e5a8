// Error codes of the admin APIs added for issue #12 (CreatePartitions, DeleteRecords, OffsetForLeaderEpoch,
// OffsetDelete), kept apart from `ErrorCode.swift` so parallel additions merge cleanly.
extension ErrorCode {
    public static let fencedLeaderEpoch = ErrorCode(rawValue: 74)
    public static let groupSubscribedToTopic = ErrorCode(rawValue: 86)
}
