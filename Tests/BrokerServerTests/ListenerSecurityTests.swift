import Foundation
import LogStore
import SluiceModel
import SluiceSecurity
import XCTest

@testable import BrokerServer

/// Listener settings, the SASL gate of a connection, the credential file and certificate subjects.
final class ListenerSecurityTests: XCTestCase {
    func testListenersParseAndAdvertise() throws {
        var config = BrokerConfig()
        try config.apply(key: "server.listeners", text: "PLAINTEXT://127.0.0.1:9092, EXTERNAL=sasl_ssl://0.0.0.0:9093", source: "test")
        try config.apply(key: "server.advertised_listeners", text: "EXTERNAL=broker.example:19093", source: "test")
        XCTAssertEqual(config.effectiveListeners.map(\.name), ["PLAINTEXT", "EXTERNAL"])
        XCTAssertEqual(config.effectiveListeners[1].securityProtocol, .saslSSL)
        XCTAssertEqual(config.effectiveListeners[1].advertised, HostPort(host: "broker.example", port: 19093))
        XCTAssertThrowsError(try config.validate(), "a TLS listener needs a certificate and key") { error in
            XCTAssertTrue("\(error)".contains("tls.certificate_file"), "\(error)")
        }
        for bad in ["HTTP://127.0.0.1:1", "PLAINTEXT://nowhere", "A=PLAINTEXT://h:1,A=SSL://h:2", "SSL:/h:1"] {
            XCTAssertThrowsError(try config.apply(key: "server.listeners", text: bad, source: "test"), bad)
        }
        XCTAssertThrowsError(try config.apply(key: "server.advertised_listeners", text: "NOPE=h:1", source: "test"))
        XCTAssertThrowsError(try config.apply(key: "sasl.mechanisms", text: "GSSAPI", source: "test"))
        XCTAssertEqual(BrokerConfig().effectiveListeners.map(\.securityProtocol), [.plaintext], "the default: one PLAINTEXT listener")
    }

    func testConfigFileAppliesAdvertisedListenersAfterListeners() throws {
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: """
            [server]
            advertised_listeners = "INTERNAL=internal.example:9092"
            listeners = "INTERNAL=PLAINTEXT://127.0.0.1:9092"
            """))
        XCTAssertEqual(config.effectiveListeners.first?.advertised, HostPort(host: "internal.example", port: 9092))
    }

    func testSaslListenerServesOnlyAuthenticationBeforeALogin() throws {
        let directory = NSTemporaryDirectory() + "sluice-sasl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try ScramCredentialStore(dataDirectory: directory, onError: { _ in })
        try store.update { $0["alice"] = [.sha512: ScramCredential.make(password: "pw", mechanism: .sha512)] }
        let listener = BoundListener(
            name: "SASL", securityProtocol: .saslPlaintext, advertised: HostPort(host: "h", port: 1), bound: HostPort(host: "h", port: 1)
        )
        let session = ConnectionSession(listener: listener)
        XCTAssertFalse(session.mayServe(.other))
        XCTAssertTrue(session.mayServe(.authentication))
        XCTAssertEqual(session.handshake(mechanism: "GSSAPI", version: 1, enabledMechanisms: ["PLAIN"]), .unsupportedMechanism)
        XCTAssertEqual(session.handshake(mechanism: "plain", version: 1, enabledMechanisms: ["PLAIN"]), .accepted)
        XCTAssertEqual(session.handshake(mechanism: "PLAIN", version: 1, enabledMechanisms: ["PLAIN"]), .illegalState, "one handshake")
        let outcome = session.receiveSaslToken(Array("\0alice\0pw".utf8), credentials: store)
        XCTAssertEqual(outcome, .succeeded(principal: KafkaPrincipal(name: "alice"), finalToken: []))
        XCTAssertTrue(session.mayServe(.other))
        XCTAssertEqual(session.principal.description, "User:alice")

        let refused = ConnectionSession(listener: listener)
        _ = refused.handshake(mechanism: "PLAIN", version: 0, enabledMechanisms: ["PLAIN"])
        XCTAssertTrue(refused.expectsRawSaslToken, "after a v0 handshake the token comes raw")
        guard case .failed = refused.receiveSaslToken(Array("\0alice\0wrong".utf8), credentials: store) else {
            return XCTFail("a wrong password fails")
        }
        XCTAssertFalse(refused.mayServe(.other))

        let plaintext = ConnectionSession(listener: BoundListener(
            name: "PLAINTEXT", securityProtocol: .plaintext, advertised: listener.advertised, bound: listener.bound
        ))
        XCTAssertTrue(plaintext.mayServe(.other))
        XCTAssertEqual(plaintext.handshake(mechanism: "PLAIN", version: 1, enabledMechanisms: ["PLAIN"]), .illegalState)
    }

    func testCredentialFileKeepsNoPasswordAndADamagedOneIsReportedNotTrusted() throws {
        let directory = NSTemporaryDirectory() + "sluice-credentials-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try ScramCredentialStore(dataDirectory: directory, onError: { _ in })
        try store.update { $0["bob"] = [.sha256: ScramCredential.make(password: "hunter2-password", mechanism: .sha256)] }
        let path = directory + "/security/" + ScramCredentialStore.fileName
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(text.contains("hunter2-password"))
        let reopened = try ScramCredentialStore(dataDirectory: directory, onError: { _ in XCTFail("a good file") })
        XCTAssertEqual(reopened.credential(user: "bob", mechanism: .sha256)?.matches(password: "hunter2-password"), true)

        try Data((text.replacingOccurrences(of: "bob", with: "eve")).utf8).write(to: URL(fileURLWithPath: path))
        var errors: [String] = []
        let damaged = try ScramCredentialStore(dataDirectory: directory, onError: { errors.append($0) })
        XCTAssertTrue(damaged.all().isEmpty, "a file failing its checksum is not trusted")
        XCTAssertEqual(errors.count, 1)
    }

    func testCertificateSubjectIsTheRFC2253NameKafkaUses() throws {
        let der = Array(Data(base64Encoded: Self.clientCertificate)!)
        XCTAssertEqual(CertificateSubject.distinguishedName(certificateDER: der), "CN=client-1,OU=Streams,O=Example\\, Inc,C=DE")
        XCTAssertNil(CertificateSubject.distinguishedName(certificateDER: Array(der.prefix(40))), "a truncated certificate")
        XCTAssertNil(CertificateSubject.distinguishedName(certificateDER: [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]))
    }

    /// `openssl req -x509 ... -subj "/C=DE/O=Example, Inc/OU=Streams/CN=client-1"`, DER, base64.
    private static let clientCertificate = """
        MIIB5zCCAY2gAwIBAgIUGlfK+whnC4dWyEssofU6KU6J4AcwCgYIKoZIzj0EAwIwSTELMAkGA1UEBhMCREUxFTATBgNVBAoMDEV4YW1wbGUsIEluYzEQMA4GA1UECwwHU3RyZWFtczERMA8GA1UEAwwIY2xpZW50LTEwHhcNMjYxMjAzMTQxMTM5WhcNMzYxMTMwMTQxMTM5WjBJMQswCQYDVQQGEwJERTEVMBMGA1UECgwMRXhhbXBsZSwgSW5jMRAwDgYDVQQLDAdTdHJlYW1zMREwDwYDVQQDDAhjbGllbnQtMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBHyG1FzuIJasr+yCQJxy6x95fhGXJRYk8JLeGRwLlO7gXD92+8A9ZeSKcoQCUl9DHSgf2QPTcOxrzIsr6r9dbajUzBRMB0GA1UdDgQWBBSGbqtTU7oRssra+sESrwBW1WnDRTAfBgNVHSMEGDAWgBSGbqtTU7oRssra+sESrwBW1WnDRTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIGEyI+50AcgAsxY346KVJZCwzN7RwBSLoem7ddy54xL4AiEA6o93lHjHhT8S6ojjkwblPhUnjShMD+Frgqw8PMkc2HI=
        """
}
