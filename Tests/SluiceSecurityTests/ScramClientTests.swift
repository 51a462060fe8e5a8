import Foundation
import SluiceSecurity
import XCTest

/// The SCRAM client: RFC 7677's worked example from the client's side (its proof and the server's signature are
/// exactly the standard's), a login against the server exchange, and what it refuses from a server.
final class ScramClientTests: XCTestCase {
    private let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    private let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

    func testRFC7677ExampleFromTheClientSide() throws {
        var exchange = ScramClientExchange(mechanism: .sha256, user: "user", password: "pencil", clientNonce: self.clientNonce)
        XCTAssertEqual(String(decoding: exchange.clientFirst, as: UTF8.self), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let final = try exchange.respond(toServerFirst: Array(self.serverFirst.utf8))
        XCTAssertEqual(
            String(decoding: final, as: UTF8.self),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        )
        XCTAssertNoThrow(try exchange.verify(serverFinal: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)))
        XCTAssertThrowsError(try exchange.verify(serverFinal: Array("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))) {
            XCTAssertEqual($0 as? ScramClientExchange.Failure, .serverNotVerified)
        }
    }

    func testALoginAgainstTheServerExchangeSucceedsOnlyWithThePassword() throws {
        for mechanism in ScramMechanism.allCases {
            let credential = ScramCredential.make(password: "s3cret, =really", mechanism: mechanism)
            for (password, succeeds) in [("s3cret, =really", true), ("wrong", false)] {
                var client = ScramClientExchange(mechanism: mechanism, user: "a,b=c", password: password)
                var server = ScramServerExchange(mechanism: mechanism)
                let lookUp: (String) -> ScramCredential? = { $0 == "a,b=c" ? credential : nil }
                guard case .challenge(let serverFirst) = server.receive(client.clientFirst, credential: lookUp) else {
                    return XCTFail("no challenge")
                }
                let clientFinal = try client.respond(toServerFirst: serverFirst)
                switch server.receive(clientFinal, credential: lookUp) {
                case .succeeded(let user, let serverFinal):
                    XCTAssertTrue(succeeds, "\(mechanism) with '\(password)'")
                    XCTAssertEqual(user, "a,b=c")
                    XCTAssertNoThrow(try client.verify(serverFinal: serverFinal))
                case .failed:
                    XCTAssertFalse(succeeds, "\(mechanism) with '\(password)'")
                case .challenge:
                    XCTFail("a third round")
                }
            }
        }
    }

    func testWhatTheClientRefusesFromAServer() {
        let cases: [(String, String)] = [
            ("r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),
            ("r=\(clientNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),  // not extended by the server
            ("r=\(clientNonce)xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100000000", "iterations"),  // would spin the client
            ("r=\(clientNonce)xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1", "iterations"),
            ("r=\(clientNonce)xyz,i=4096", "salt"),
            ("e=unknown-user", "refused"),
        ]
        for (message, expected) in cases {
            var exchange = ScramClientExchange(mechanism: .sha256, user: "user", password: "pencil", clientNonce: self.clientNonce)
            XCTAssertThrowsError(try exchange.respond(toServerFirst: Array(message.utf8)), message) {
                XCTAssertTrue("\($0)".contains(expected), "\(message): \($0)")
            }
        }
    }
}
