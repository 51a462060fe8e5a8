// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing down only (see Docs/architecture.md and Tests/ArchitectureTests):
// SluiceModel -> RecordFormat -> KafkaWire -> LogStore -> SluiceClient / BrokerServer -> sluice
let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C helpers: hardware CRC-32C and the headers of the system compression libraries.
        .target(
            name: "CSluiceNative",
            linkerSettings: [
                .linkedLibrary("lz4"),
                .linkedLibrary("zstd"),
                .linkedLibrary("z"),
                .linkedLibrary("snappy"),
            ]
        ),
        .target(name: "SluiceModel"),
        .target(name: "RecordFormat", dependencies: ["SluiceModel", "CSluiceNative"]),
        .target(
            name: "KafkaWire",
            dependencies: ["SluiceModel", "RecordFormat", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(name: "LogStore", dependencies: ["SluiceModel", "RecordFormat"], exclude: ["README.md"]),
        .target(
            name: "SluiceClient",
            dependencies: [
                "SluiceModel", "RecordFormat", "KafkaWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "BrokerServer",
            dependencies: [
                "SluiceModel", "RecordFormat", "KafkaWire", "LogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceModel", "RecordFormat", "BrokerServer", "SluiceClient", "LogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SluiceModelTests", dependencies: ["SluiceModel"]),
        .testTarget(name: "RecordFormatTests", dependencies: ["RecordFormat"]),
        .testTarget(
            name: "KafkaWireTests",
            dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore"]),
        .testTarget(
            name: "BrokerServerTests",
            dependencies: [
                "BrokerServer", "KafkaWire", "LogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ArchitectureTests"),
    ],
    swiftLanguageModes: [.v5]
)
