// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing down only (see Docs/architecture.md and Tests/ArchitectureTests):
// SluiceModel, SluiceSecurity -> RecordFormat -> KafkaWire -> LogStore -> GroupCoordinator -> SluiceClient / BrokerServer -> sluice
let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        // The operator SDK: a library with no dependency on the broker, and two example operators.
        .library(name: "SluiceOperator", targets: ["SluiceOperator"]),
        .executable(name: "identity-operator", targets: ["IdentityOperator"]),
        .executable(name: "uppercase-operator", targets: ["UppercaseOperator"]),
        .executable(name: "operator-benchmark", targets: ["OperatorBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Metrics: the swift-metrics API (CoreMetrics) in the runtime, the Prometheus backend in the server.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // TLS listeners (BoringSSL inside) and the hashes of SCRAM.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // SHA-256 for the admin API's token hashes.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
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
        .target(name: "SluiceModel", exclude: ["README.md"]),
        // Authentication's value types and pure logic (SCRAM, PLAIN, principals), shared by broker and client.
        .target(
            name: "SluiceSecurity", dependencies: [.product(name: "Crypto", package: "swift-crypto")], exclude: ["README.md"]
        ),
        .target(name: "RecordFormat", dependencies: ["SluiceModel", "CSluiceNative"], exclude: ["README.md"]),
        .target(
            name: "KafkaWire",
            dependencies: ["SluiceModel", "SluiceSecurity", "RecordFormat", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["README.md"]
        ),
        .target(name: "LogStore", dependencies: ["SluiceModel", "RecordFormat"], exclude: ["README.md"]),
        .target(
            name: "GroupCoordinator", dependencies: ["SluiceModel", "RecordFormat", "LogStore"], exclude: ["README.md"]
        ),
        .target(
            name: "SluiceClient",
            dependencies: [
                "SluiceModel", "RecordFormat", "KafkaWire", "SluiceSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "BrokerServer",
            dependencies: [
                "SluiceModel", "RecordFormat", "KafkaWire", "LogStore", "GroupCoordinator", "OperatorRuntime",
                "SluiceSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "OperatorRuntime",
            dependencies: [
                // CSluiceNative for `sluice_spawn`: operator processes are confined between fork and exec.
                "SluiceModel", "RecordFormat", "LogStore", "GroupCoordinator", "CSluiceNative",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceModel", "RecordFormat", "BrokerServer", "SluiceClient", "LogStore", "SluiceSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Operator SDK: standard library, Foundation and Glibc only; never a broker module or NIO.
        .target(name: "SluiceOperator", exclude: ["README.md"]),
        .executableTarget(name: "IdentityOperator", dependencies: ["SluiceOperator"], path: "Examples/IdentityOperator"),
        .executableTarget(
            name: "UppercaseOperator", dependencies: ["SluiceOperator"], path: "Examples/UppercaseOperator"
        ),
        .executableTarget(
            name: "OperatorBenchmark", dependencies: ["SluiceOperator"], path: "Examples/OperatorBenchmark"
        ),
        .testTarget(name: "SluiceOperatorTests", dependencies: ["SluiceOperator"]),
        .testTarget(name: "SluiceModelTests", dependencies: ["SluiceModel"]),
        .testTarget(name: "SluiceSecurityTests", dependencies: ["SluiceSecurity"]),
        .testTarget(name: "RecordFormatTests", dependencies: ["RecordFormat"]),
        .testTarget(
            name: "KafkaWireTests",
            dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["CrossCheck"]
        ),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore"]),
        .testTarget(
            name: "GroupCoordinatorTests", dependencies: ["GroupCoordinator", "LogStore", "RecordFormat", "SluiceModel"]
        ),
        .testTarget(
            name: "BrokerServerTests",
            dependencies: [
                "BrokerServer", "KafkaWire", "LogStore", "GroupCoordinator", "OperatorRuntime", "SluiceModel", "SluiceSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "OperatorRuntimeTests",
            dependencies: ["OperatorRuntime", "GroupCoordinator", "LogStore", "RecordFormat", "SluiceModel"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "ArchitectureTests"),
    ],
    swiftLanguageModes: [.v5]
)
