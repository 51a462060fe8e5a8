/// Kafka's rules for topic names, shared by storage (names become directory names) and the server
/// (an invalid name gets INVALID_TOPIC_EXCEPTION instead of UNKNOWN_TOPIC_OR_PARTITION).
public enum TopicNames {
    /// Topics whose names start with `__` belong to the broker (the offsets log `__consumer_offsets.<n>`): only
    /// the broker's own code appends to them (`PartitionLog.appendInternal`), no client reads or writes them,
    /// and no operator declares them.
    public static let internalPrefix = "__"

    public static func isInternal(_ name: String) -> Bool {
        name.hasPrefix(Self.internalPrefix)
    }

    /// 1 to 249 characters of `[a-zA-Z0-9._-@]`, and neither "." nor "..". Kafka has no '@'; Sluice allows it
    /// because a canary's shadow streams are named `<stream>@<version>`, a name no Kafka topic can collide with.
    public static func isValid(_ name: String) -> Bool {
        self.problem(with: name) == nil
    }

    /// Why `name` is not a valid topic name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "a topic name cannot be empty" }
        if name == "." || name == ".." { return "a topic name cannot be '.' or '..'" }
        if name.utf8.count > Limits.topicNameLengthMax {
            return "a topic name is at most \(Limits.topicNameLengthMax) characters"
        }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "@")
        }
        return allowed ? nil : "a topic name may contain only ASCII letters, digits, '.', '_', '-' and '@'"
    }
}
