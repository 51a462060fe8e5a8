import Foundation
import SluiceSecurity
import XCTest

/// The SCRAM server against RFC 7677's worked example (so H, HMAC, Hi and the key derivation are exactly the
/// standard's), and the ways a login must fail.
final class ScramTests: XCTestCase {
    private let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
    private let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    private let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

    private func pencilCredential() -> ScramCredential {
        let salted = ScramMechanism.sha256.saltedPassword(Array("pencil".utf8), salt: self.salt, iterations: 4096)
        return ScramCredential(mechanism: .sha256, salt: self.salt, iterations: 4096, saltedPassword: salted)
    }

    func testRFC7677ExampleExchange() {
        let credential = self.pencilCredential()
        var exchange = ScramServerExchange(mechanism: .sha256, serverNonce: self.serverNonce)
        let first = exchange.receive(Array("n,,n=user,r=\(self.clientNonce)".utf8)) { $0 == "user" ? credential : nil }
        XCTAssertEqual(first, .challenge(Array("r=\(self.clientNonce)\(self.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)))
        let final = exchange.receive(Array(
            "c=biws,r=\(self.clientNonce)\(self.serverNonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8
        )) { _ in credential }
        XCTAssertEqual(final, .succeeded(user: "user", finalMessage: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)))
    }

    /// librdkafka 2.0 repeats its client nonce in front of the combined one; only that exact form is taken.
    func testTheLibrdkafkaNonceQuirkIsAcceptedExactly() {
        let credential = self.pencilCredential()
        let combined = self.clientNonce + self.serverNonce
        func finalMessage(nonce: String) -> [UInt8] {
            let withoutProof = "c=biws,r=\(nonce)"
            let authMessage = Array("n=user,r=\(self.clientNonce),r=\(combined),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\(withoutProof)".utf8)
            let salted = ScramMechanism.sha256.saltedPassword(Array("pencil".utf8), salt: self.salt, iterations: 4096)
            let clientKey = ScramMechanism.sha256.hmac(key: salted, Array("Client Key".utf8))
            let signature = ScramMechanism.sha256.hmac(key: ScramMechanism.sha256.hash(clientKey), authMessage)
            let proof = zip(clientKey, signature).map { $0 ^ $1 }
            return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
        }
        for (nonce, accepted) in [(self.clientNonce + combined, true), ("x" + combined, false), (combined + "x", false)] {
            var exchange = ScramServerExchange(mechanism: .sha256, serverNonce: self.serverNonce)
            _ = exchange.receive(Array("n,,n=user,r=\(self.clientNonce)".utf8)) { _ in credential }
            let outcome = exchange.receive(finalMessage(nonce: nonce)) { _ in credential }
            if case .succeeded = outcome { XCTAssertTrue(accepted, nonce) } else { XCTAssertFalse(accepted, nonce) }
        }
    }

    func testAWrongProofAnUnknownUserAndAnotherNonceFailAlike() {
        let credential = self.pencilCredential()
        var wrongProof = ScramServerExchange(mechanism: .sha256, serverNonce: self.serverNonce)
        _ = wrongProof.receive(Array("n,,n=user,r=\(self.clientNonce)".utf8)) { _ in credential }
        let refused = wrongProof.receive(Array(
            "c=biws,r=\(self.clientNonce)\(self.serverNonce),p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8
        )) { _ in credential }
        var unknown = ScramServerExchange(mechanism: .sha256, serverNonce: self.serverNonce)
        let unknownUser = unknown.receive(Array("n,,n=mallory,r=\(self.clientNonce)".utf8)) { _ in nil }
        XCTAssertEqual(refused, unknownUser, "one answer for a wrong password and an unknown user")
        guard case .failed = refused else { return XCTFail("a wrong proof must fail") }

        var replayed = ScramServerExchange(mechanism: .sha256, serverNonce: "another")
        _ = replayed.receive(Array("n,,n=user,r=\(self.clientNonce)".utf8)) { _ in credential }
        let stale = replayed.receive(Array(
            "c=biws,r=\(self.clientNonce)\(self.serverNonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8
        )) { _ in credential }
        XCTAssertEqual(stale, .failed(reason: "SCRAM client-final message: wrong nonce"), "a proof for another nonce is not replayable")
    }

    func testChannelBindingAndForeignAuthorizationIdentityAreRefused() {
        let credential = self.pencilCredential()
        var binding = ScramServerExchange(mechanism: .sha256)
        guard case .failed = binding.receive(Array("p=tls-unique,,n=user,r=abc".utf8), credential: { _ in credential }) else {
            return XCTFail("channel binding is not offered")
        }
        var impersonation = ScramServerExchange(mechanism: .sha256)
        guard case .failed = impersonation.receive(Array("n,a=admin,n=user,r=abc".utf8), credential: { _ in credential }) else {
            return XCTFail("an authorization identity other than the user is refused")
        }
        var escaped = ScramServerExchange(mechanism: .sha256)
        let named = escaped.receive(Array("n,,n=a=2Cb=3Dc,r=abc".utf8)) { $0 == "a,b=c" ? credential : nil }
        guard case .challenge = named else { return XCTFail("=2C and =3D decode to ',' and '='") }
    }

    func testMechanismMismatchAndAFinishedExchangeFail() {
        let credential = self.pencilCredential()
        var exchange = ScramServerExchange(mechanism: .sha512)
        guard case .failed = exchange.receive(Array("n,,n=user,r=abc".utf8), credential: { _ in credential }) else {
            return XCTFail("a SHA-256 credential does not answer SCRAM-SHA-512")
        }
        XCTAssertEqual(exchange.receive(Array("anything".utf8)) { _ in credential }, .failed(reason: "the SCRAM exchange is already over"))
    }

    func testPlainChecksThePasswordAgainstTheScramCredential() {
        let credential = ScramCredential.make(password: "s3cret", mechanism: .sha512)
        XCTAssertTrue(credential.matches(password: "s3cret"))
        let message = { (text: String) in Array(text.utf8).map { $0 == UInt8(ascii: "|") ? 0 : $0 } }
        XCTAssertEqual(PlainAuthentication.verify(message("|alice|s3cret")) { $0 == "alice" ? [credential] : [] }, .succeeded(user: "alice"))
        XCTAssertEqual(PlainAuthentication.verify(message("alice|alice|s3cret")) { _ in [credential] }, .succeeded(user: "alice"))
        for refused in ["|alice|wrong", "|bob|s3cret", "admin|alice|s3cret", "alice-s3cret"] {
            guard case .failed = PlainAuthentication.verify(message(refused), credentials: { $0 == "alice" ? [credential] : [] }) else {
                return XCTFail("\(refused) must be refused")
            }
        }
    }

    func testIterationAndSizeBoundsOfStoredCredentials() {
        let salted = [UInt8](repeating: 1, count: 64)
        XCTAssertNil(ScramCredential.problem(iterations: 4096, salt: [1], saltedPassword: salted, mechanism: .sha512))
        XCTAssertNotNil(ScramCredential.problem(iterations: 4095, salt: [1], saltedPassword: salted, mechanism: .sha512))
        XCTAssertNotNil(ScramCredential.problem(iterations: 16385, salt: [1], saltedPassword: salted, mechanism: .sha512))
        XCTAssertNotNil(ScramCredential.problem(iterations: 4096, salt: [], saltedPassword: salted, mechanism: .sha512))
        XCTAssertNotNil(ScramCredential.problem(iterations: 4096, salt: [1], saltedPassword: salted, mechanism: .sha256))
    }

    func testPrincipalNames() {
        XCTAssertEqual(KafkaPrincipal(parsing: "User:alice"), KafkaPrincipal(name: "alice"))
        XCTAssertEqual(KafkaPrincipal(parsing: "User:CN=a,O=b")?.name, "CN=a,O=b")
        XCTAssertNil(KafkaPrincipal(parsing: "alice"))
        XCTAssertNil(KafkaPrincipal(parsing: "User:"))
        XCTAssertEqual(KafkaPrincipal.anonymous.description, "User:ANONYMOUS")
    }
}
