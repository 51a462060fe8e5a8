@testable import BrokerServer
import Foundation
import LogStore
import XCTest

final class AdminTokenStoreTests: XCTestCase {
    private var dataDirectory = ""

    override func setUpWithError() throws {
        self.dataDirectory = NSTemporaryDirectory() + "admin-tokens-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: self.dataDirectory)
    }

    func testACreatedTokenIsFoundWithItsRoleAndOnlyItsHashIsStored() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        let token = try store.create(name: "ci", role: .operator, nowMs: 1_700_000_000_000)
        XCTAssertTrue(token.hasPrefix("sluice_"))
        XCTAssertEqual(token.count, "sluice_".count + 43, "32 random bytes in base64url without padding")
        let records = try store.load()
        XCTAssertEqual(records.map(\.name), ["ci"])
        XCTAssertEqual(records.first?.role, .operator)
        XCTAssertEqual(records.first?.createdMs, 1_700_000_000_000)
        XCTAssertEqual(AdminTokenStore.match(token, in: records)?.name, "ci")

        let fileText = try String(contentsOfFile: store.path, encoding: .utf8)
        XCTAssertFalse(fileText.contains(token), "the token itself is never written")
        XCTAssertFalse(fileText.contains(String(token.dropFirst("sluice_".count))))
        let permissions = try FileManager.default.attributesOfItem(atPath: store.directory)[.posixPermissions] as? Int
        XCTAssertEqual(permissions, 0o700)
    }

    func testTokensAreRandomAndSaltedAndAWrongTokenMatchesNothing() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        let first = try store.create(name: "a", role: .viewer, nowMs: 1)
        let second = try store.create(name: "b", role: .admin, nowMs: 2)
        XCTAssertNotEqual(first, second)
        let records = try store.load()
        XCTAssertNotEqual(records[0].salt, records[1].salt)
        XCTAssertEqual(AdminTokenStore.match(second, in: records)?.role, .admin)
        XCTAssertNil(AdminTokenStore.match(first + "x", in: records))
        XCTAssertNil(AdminTokenStore.match(String(first.dropLast()), in: records))
        XCTAssertNil(AdminTokenStore.match("", in: records))
        XCTAssertNil(AdminTokenStore.match(String(repeating: "a", count: 10_000), in: records))
        // A record's hash presented as the token is not the token.
        XCTAssertNil(AdminTokenStore.match(records[0].sha256, in: records))
    }

    func testTheDigestIsSHA256OfSaltThenToken() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1: salt "a", token "bc".
        XCTAssertEqual(
            Hex.encode(AdminTokenSecret.digest(of: "bc", salt: Array("a".utf8))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
    }

    func testConstantTimeEqualsComparesEveryByte() {
        let digest = [UInt8](repeating: 7, count: 32)
        XCTAssertTrue(AdminTokenSecret.constantTimeEquals(digest, digest))
        for index in [0, 15, 31] {
            var other = digest
            other[index] ^= 0x80
            XCTAssertFalse(AdminTokenSecret.constantTimeEquals(digest, other), "a difference at byte \(index)")
        }
        XCTAssertFalse(AdminTokenSecret.constantTimeEquals(digest, Array(digest.dropLast())))
        XCTAssertTrue(AdminTokenSecret.constantTimeEquals([], []))
    }

    func testNamesAreCheckedAndUniqueAndDeleteRemovesOne() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        for bad in ["", "a b", "../x", "x/y", String(repeating: "n", count: 65), "é"] {
            XCTAssertThrowsError(try store.create(name: bad, role: .viewer, nowMs: 0)) { error in
                XCTAssertEqual((error as? AdminTokenStoreError)?.code, .invalidName, bad)
            }
        }
        let kept = try store.create(name: "keep", role: .viewer, nowMs: 0)
        let dropped = try store.create(name: "drop-me.1", role: .operator, nowMs: 0)
        XCTAssertThrowsError(try store.create(name: "keep", role: .admin, nowMs: 0)) { error in
            XCTAssertEqual((error as? AdminTokenStoreError)?.code, .duplicateName)
        }
        try store.delete(name: "drop-me.1")
        XCTAssertThrowsError(try store.delete(name: "drop-me.1")) { error in
            XCTAssertEqual((error as? AdminTokenStoreError)?.code, .unknownName)
        }
        let records = try store.load()
        XCTAssertEqual(records.map(\.name), ["keep"])
        XCTAssertNil(AdminTokenStore.match(dropped, in: records))
        XCTAssertEqual(AdminTokenStore.match(kept, in: records)?.name, "keep")
    }

    func testAMissingFileHoldsNoTokens() throws {
        XCTAssertEqual(try AdminTokenStore(dataDirectory: self.dataDirectory).load(), [])
    }

    /// A hand edit that raises a viewer to admin is valid JSON with a valid role: only the checksum catches it.
    /// The store refuses to read the file, the broker refuses every credential, and `create` refuses to write
    /// over it (the damage stays for a person to look at).
    func testADamagedFileIsNeverTrustedNorReplaced() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        let token = try store.create(name: "ci", role: .viewer, nowMs: 0)
        let original = try String(contentsOfFile: store.path, encoding: .utf8)
        XCTAssertTrue(original.contains("\"viewer\""))
        let edited = original.replacingOccurrences(of: "\"viewer\"", with: "\"admin\"")
        try edited.write(toFile: store.path, atomically: false, encoding: .utf8)

        XCTAssertThrowsError(try store.load()) { error in
            XCTAssertEqual((error as? AdminTokenStoreError)?.code, .damaged)
        }
        let cache = AdminTokenCache(store: store)
        guard case .storeUnusable = cache.check(token: token) else {
            return XCTFail("a damaged file must refuse every credential, even a once-valid one")
        }
        XCTAssertThrowsError(try store.create(name: "other", role: .viewer, nowMs: 0))
        XCTAssertEqual(try String(contentsOfFile: store.path, encoding: .utf8), edited, "left as it was")
    }

    func testAFileWithoutTheChecksumHeaderIsDamaged() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        try Data(#"{"tokens": []}"#.utf8).write(to: URL(fileURLWithPath: store.path))
        XCTAssertThrowsError(try store.load()) { error in
            XCTAssertEqual((error as? AdminTokenStoreError)?.code, .damaged)
        }
    }

    /// The broker's cache sees tokens created and deleted after it loaded the file, without a restart.
    func testTheCacheFollowsChangesToTheFile() throws {
        let store = AdminTokenStore(dataDirectory: self.dataDirectory)
        let cache = AdminTokenCache(store: store)
        XCTAssertEqual(cache.check(token: "sluice_nothing"), .invalid)
        let token = try store.create(name: "late", role: .viewer, nowMs: 0)
        XCTAssertEqual(cache.check(token: token), .valid(name: "late", role: .viewer))
        try store.delete(name: "late")
        XCTAssertEqual(cache.check(token: token), .invalid)
    }

    func testBase64URLMatchesRFC4648() {
        XCTAssertEqual(Base64URL.encode(Array("f".utf8)), "Zg")
        XCTAssertEqual(Base64URL.encode(Array("fo".utf8)), "Zm8")
        XCTAssertEqual(Base64URL.encode(Array("foo".utf8)), "Zm9v")
        XCTAssertEqual(Base64URL.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff]), "-_8")
        XCTAssertEqual(Hex.decode(Hex.encode([0, 1, 0xab, 0xff])), [0, 1, 0xab, 0xff])
        XCTAssertNil(Hex.decode("0g"))
    }
}
