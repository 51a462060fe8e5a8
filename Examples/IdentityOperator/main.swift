import SluiceOperator

/// Copies every record of `in` to `out`: same key, value and headers.
struct Identity: Computation {
    func metadata() -> Metadata {
        Metadata(name: "identity", inputs: ["in"], outputs: ["out"])
    }

    mutating func processRecord(_ context: inout Context, _ record: Record) throws {
        try context.produce(stream: "out", key: record.key, value: record.value, headers: record.headers)
    }
}

serve(Identity())
