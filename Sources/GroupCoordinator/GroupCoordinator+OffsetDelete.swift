import Synchronization
import SluiceModel

extension GroupErrorCode {
    /// OffsetDelete of a partition whose topic a live member of the group subscribes to.
    public static let groupSubscribedToTopic = GroupErrorCode(rawValue: 86)
}

/// The outcome of an OffsetDelete: a group-level error, or one error per partition.
public struct OffsetDeletionResult: Sendable, Equatable {
    public var errorCode: GroupErrorCode
    public var partitionErrors: [TopicPartition: GroupErrorCode]
}

/// OffsetDelete (KIP-496): removing committed offsets a group no longer needs, as Kafka decides it.
extension GroupCoordinator {
    /// Deletes the group's committed offsets of `partitions`, except those of topics a live member subscribes
    /// to (GROUP_SUBSCRIBED_TO_TOPIC). An empty group may delete any of its offsets; a group with members of a
    /// protocol type other than `consumer` answers NON_EMPTY_GROUP (its subscriptions cannot be read); a group
    /// that does not exist GROUP_ID_NOT_FOUND. `subscribedTopics` reads one member's subscription from its
    /// metadata for the chosen protocol (the consumer protocol's encoding belongs to the wire layer); nil when
    /// it cannot be read, which counts as subscribed to everything. Answers once the tombstones are durable.
    public func deleteOffsets(
        groupId: String, partitions: [TopicPartition], subscribedTopics: ([UInt8]) -> Set<String>?,
        completion: @escaping @Sendable (OffsetDeletionResult) -> Void
    ) {
        var subscribed: Set<String>?  // nil: every topic counts as subscribed
        switch self.slot(for: groupId, creating: false) {
        case .refused(let errorCode):
            return completion(OffsetDeletionResult(errorCode: errorCode, partitionErrors: [:]))
        case .absent:
            guard self.offsetStore.hasOffsets(groupId: groupId) else {
                return completion(OffsetDeletionResult(errorCode: .groupIdNotFound, partitionErrors: [:]))
            }
            subscribed = []
        case .found(let slot):
            self.catchUpTimers(slot)
            let verdict = slot.state.withLock { state -> (GroupErrorCode, Set<String>?) in
                let machine = state.machine
                switch machine.state {
                case .dead: return (.groupIdNotFound, [])
                case .empty: return (.none, [])
                default:
                    guard machine.protocolType == "consumer" else { return (.nonEmptyGroup, []) }
                    return (.none, machine.subscribedTopics(decoding: subscribedTopics))
                }
            }
            guard verdict.0 == .none else {
                return completion(OffsetDeletionResult(errorCode: verdict.0, partitionErrors: [:]))
            }
            subscribed = verdict.1
        }
        var errors: [TopicPartition: GroupErrorCode] = [:]
        var deletable: [TopicPartition] = []
        for partition in partitions {
            if subscribed?.contains(partition.topic) ?? true {
                errors[partition] = .groupSubscribedToTopic
            } else {
                errors[partition] = GroupErrorCode.none
                deletable.append(partition)
            }
        }
        guard !deletable.isEmpty else { return completion(OffsetDeletionResult(errorCode: .none, partitionErrors: errors)) }
        let durability: OffsetDurability
        do {
            durability = try self.offsetStore.deleteOffsets(groupId: groupId, partitions: deletable)
        } catch {
            return completion(OffsetDeletionResult(errorCode: .coordinatorNotAvailable, partitionErrors: [:]))
        }
        let finalErrors = errors
        durability.whenDurable { outcome in
            if case .failure = outcome {
                completion(OffsetDeletionResult(errorCode: .coordinatorNotAvailable, partitionErrors: [:]))
            } else {
                completion(OffsetDeletionResult(errorCode: .none, partitionErrors: finalErrors))
            }
        }
    }
}

extension GroupStateMachine {
    /// The topics the members subscribe to, read from their metadata for the chosen protocol; nil when no
    /// protocol is chosen yet or a member's metadata cannot be read.
    func subscribedTopics(decoding decode: ([UInt8]) -> Set<String>?) -> Set<String>? {
        guard let protocolName = self.protocolName else { return nil }
        var topics: Set<String> = []
        for member in self.members.values {
            guard let memberTopics = decode(member.metadata(forProtocol: protocolName)) else { return nil }
            topics.formUnion(memberTopics)
        }
        return topics
    }
}
