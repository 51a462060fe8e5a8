import SluiceOperator

/// Upper-cases the UTF-8 value of every record of `words` into `upper`, keeping the key so that one word's
/// records stay in one partition.
struct Uppercase: Computation {
    func metadata() -> Metadata {
        Metadata(name: "uppercase", inputs: [Input("words", grouping: .groupByKey)], outputs: ["upper"])
    }

    mutating func processRecord(_ context: inout Context, _ record: Record) throws {
        let upper = record.value.map { Array(String(decoding: $0, as: UTF8.self).uppercased().utf8) }
        try context.produce(stream: "upper", key: record.key, value: upper)
    }
}

serve(Uppercase())
