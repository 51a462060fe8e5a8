import NIOCore

/// DescribeUserScramCredentials (key 50), version 0, flexible: which SCRAM mechanisms (and iterations) each
/// user has. A null user list means every user.
public struct DescribeUserScramCredentialsRequest: KafkaRequestMessage {
    public typealias Response = DescribeUserScramCredentialsResponse
    public static let apiKey = ApiKey.describeUserScramCredentials

    public var users: [String]?

    public init(users: [String]?) {
        self.users = users
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.users = try buffer.readWireNullableArray("DescribeUserScramCredentialsRequest.users", compact: true) {
            let name = try $0.readWireString("DescribeUserScramCredentialsRequest.users.name", compact: true)
            try $0.readTaggedFields("DescribeUserScramCredentialsRequest.users")
            return name
        }
        try buffer.readTaggedFields("DescribeUserScramCredentialsRequest")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireNullableArray(self.users, compact: true) {
            $0.writeWireString($1, compact: true)
            $0.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

public struct DescribeUserScramCredentialsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeUserScramCredentials

    public struct CredentialInfo: Hashable, Sendable {
        public var mechanism: Int8
        public var iterations: Int32

        public init(mechanism: Int8, iterations: Int32) {
            self.mechanism = mechanism
            self.iterations = iterations
        }
    }

    public struct Result: Hashable, Sendable {
        public var user: String
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var credentialInfos: [CredentialInfo]

        public init(user: String, errorCode: ErrorCode = .none, errorMessage: String? = nil, credentialInfos: [CredentialInfo]) {
            self.user = user
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.credentialInfos = credentialInfos
        }
    }

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = try buffer.readWireInt32("DescribeUserScramCredentialsResponse.throttleTimeMs")
        self.errorCode = try buffer.readWireErrorCode("DescribeUserScramCredentialsResponse.errorCode")
        self.errorMessage = try buffer.readWireNullableString("DescribeUserScramCredentialsResponse.errorMessage", compact: true)
        self.results = try buffer.readWireArray("DescribeUserScramCredentialsResponse.results", compact: true) { result in
            let user = try result.readWireString("DescribeUserScramCredentialsResponse.results.user", compact: true)
            let errorCode = try result.readWireErrorCode("DescribeUserScramCredentialsResponse.results.errorCode")
            let errorMessage = try result.readWireNullableString("DescribeUserScramCredentialsResponse.results.errorMessage", compact: true)
            let infos = try result.readWireArray("DescribeUserScramCredentialsResponse.results.credentialInfos", compact: true) { info in
                let mechanism = try info.readWireInt8("DescribeUserScramCredentialsResponse.credentialInfos.mechanism")
                let iterations = try info.readWireInt32("DescribeUserScramCredentialsResponse.credentialInfos.iterations")
                try info.readTaggedFields("DescribeUserScramCredentialsResponse.credentialInfos")
                return CredentialInfo(mechanism: mechanism, iterations: iterations)
            }
            try result.readTaggedFields("DescribeUserScramCredentialsResponse.results")
            return Result(user: user, errorCode: errorCode, errorMessage: errorMessage, credentialInfos: infos)
        }
        try buffer.readTaggedFields("DescribeUserScramCredentialsResponse")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireNullableString(self.errorMessage, compact: true)
        buffer.writeWireArray(self.results, compact: true) { buffer, result in
            buffer.writeWireString(result.user, compact: true)
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: true)
            buffer.writeWireArray(result.credentialInfos, compact: true) { buffer, info in
                buffer.writeInteger(info.mechanism)
                buffer.writeInteger(info.iterations)
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

/// AlterUserScramCredentials (key 51), version 0, flexible: deletions and upsertions of SCRAM credentials.
/// An upsertion carries the salt and the *salted* password (the client runs Hi), never the password.
public struct AlterUserScramCredentialsRequest: KafkaRequestMessage {
    public typealias Response = AlterUserScramCredentialsResponse
    public static let apiKey = ApiKey.alterUserScramCredentials

    public struct Deletion: Hashable, Sendable {
        public var name: String
        public var mechanism: Int8

        public init(name: String, mechanism: Int8) {
            self.name = name
            self.mechanism = mechanism
        }
    }

    public struct Upsertion: Hashable, Sendable {
        public var name: String
        public var mechanism: Int8
        public var iterations: Int32
        public var salt: [UInt8]
        public var saltedPassword: [UInt8]

        public init(name: String, mechanism: Int8, iterations: Int32, salt: [UInt8], saltedPassword: [UInt8]) {
            self.name = name
            self.mechanism = mechanism
            self.iterations = iterations
            self.salt = salt
            self.saltedPassword = saltedPassword
        }
    }

    public var deletions: [Deletion]
    public var upsertions: [Upsertion]

    public init(deletions: [Deletion] = [], upsertions: [Upsertion] = []) {
        self.deletions = deletions
        self.upsertions = upsertions
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.deletions = try buffer.readWireArray("AlterUserScramCredentialsRequest.deletions", compact: true) { item in
            let name = try item.readWireString("AlterUserScramCredentialsRequest.deletions.name", compact: true)
            let mechanism = try item.readWireInt8("AlterUserScramCredentialsRequest.deletions.mechanism")
            try item.readTaggedFields("AlterUserScramCredentialsRequest.deletions")
            return Deletion(name: name, mechanism: mechanism)
        }
        self.upsertions = try buffer.readWireArray("AlterUserScramCredentialsRequest.upsertions", compact: true) { item in
            let name = try item.readWireString("AlterUserScramCredentialsRequest.upsertions.name", compact: true)
            let mechanism = try item.readWireInt8("AlterUserScramCredentialsRequest.upsertions.mechanism")
            let iterations = try item.readWireInt32("AlterUserScramCredentialsRequest.upsertions.iterations")
            let salt = try item.readWireBytes("AlterUserScramCredentialsRequest.upsertions.salt", compact: true)
            let salted = try item.readWireBytes("AlterUserScramCredentialsRequest.upsertions.saltedPassword", compact: true)
            try item.readTaggedFields("AlterUserScramCredentialsRequest.upsertions")
            return Upsertion(
                name: name, mechanism: mechanism, iterations: iterations,
                salt: Array(buffer: salt), saltedPassword: Array(buffer: salted)
            )
        }
        try buffer.readTaggedFields("AlterUserScramCredentialsRequest")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireArray(self.deletions, compact: true) { buffer, deletion in
            buffer.writeWireString(deletion.name, compact: true)
            buffer.writeInteger(deletion.mechanism)
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeWireArray(self.upsertions, compact: true) { buffer, upsertion in
            buffer.writeWireString(upsertion.name, compact: true)
            buffer.writeInteger(upsertion.mechanism)
            buffer.writeInteger(upsertion.iterations)
            buffer.writeWireBytes(ByteBuffer(bytes: upsertion.salt), compact: true)
            buffer.writeWireBytes(ByteBuffer(bytes: upsertion.saltedPassword), compact: true)
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

public struct AlterUserScramCredentialsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.alterUserScramCredentials

    public struct Result: Hashable, Sendable {
        public var user: String
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(user: String, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.user = user
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = try buffer.readWireInt32("AlterUserScramCredentialsResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("AlterUserScramCredentialsResponse.results", compact: true) { item in
            let user = try item.readWireString("AlterUserScramCredentialsResponse.results.user", compact: true)
            let errorCode = try item.readWireErrorCode("AlterUserScramCredentialsResponse.results.errorCode")
            let errorMessage = try item.readWireNullableString("AlterUserScramCredentialsResponse.results.errorMessage", compact: true)
            try item.readTaggedFields("AlterUserScramCredentialsResponse.results")
            return Result(user: user, errorCode: errorCode, errorMessage: errorMessage)
        }
        try buffer.readTaggedFields("AlterUserScramCredentialsResponse")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: true) { buffer, result in
            buffer.writeWireString(result.user, compact: true)
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: true)
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}
