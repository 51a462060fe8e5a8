/// The subject of an X.509 certificate as Kafka's default principal builder names it (Java's
/// `X500Principal.getName()`, RFC 2253): the relative distinguished names last to first, `CN=client,O=Example`.
///
/// A small DER walk rather than a certificate library: only the path Certificate → TBSCertificate → subject
/// is read, each length is checked against what is left, and anything unexpected yields nil (the
/// connection then has no certificate principal).
enum CertificateSubject {
    /// Attribute type OIDs (dotted) and the keywords RFC 2253 uses for them.
    private static let keywords: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O",
        "2.5.4.11": "OU", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    ]

    private static let sequenceTag: UInt8 = 0x30
    private static let setTag: UInt8 = 0x31
    private static let objectIdentifierTag: UInt8 = 0x06
    private static let explicitVersionTag: UInt8 = 0xA0

    static func distinguishedName(certificateDER der: [UInt8]) -> String? {
        var reader = DERReader(bytes: der[...])
        guard var certificate = reader.read(tag: sequenceTag), var tbs = certificate.read(tag: sequenceTag) else { return nil }
        if tbs.peekTag == explicitVersionTag { _ = tbs.readAny() }
        // serialNumber, signature, issuer, validity, then subject.
        for _ in 0..<4 { guard tbs.readAny() != nil else { return nil } }
        guard var subject = tbs.read(tag: sequenceTag) else { return nil }
        var names: [String] = []
        while !subject.isAtEnd {
            guard var relativeName = subject.read(tag: setTag) else { return nil }
            var parts: [String] = []
            while !relativeName.isAtEnd {
                guard var attribute = relativeName.read(tag: sequenceTag),
                      let oid = attribute.read(tag: objectIdentifierTag), let value = attribute.readAny() else { return nil }
                let type = Self.dotted(oid.remaining)
                parts.append("\(Self.keywords[type] ?? type)=\(Self.escaped(value.remaining))")
            }
            names.append(parts.joined(separator: "+"))
        }
        return names.reversed().joined(separator: ",")
    }

    private static func dotted(_ bytes: ArraySlice<UInt8>) -> String {
        guard let first = bytes.first else { return "" }
        var components = [String(first / 40), String(first % 40)]
        var value: UInt64 = 0
        for byte in bytes.dropFirst() {
            value = (value << 7) | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                components.append(String(value))
                value = 0
            }
        }
        return components.joined(separator: ".")
    }

    /// The string value with RFC 2253's special characters escaped.
    private static func escaped(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var result = ""
        for (index, character) in text.enumerated() {
            if ",+\"\\<>;".contains(character) || (index == 0 && (character == "#" || character == " ")) {
                result.append("\\")
            }
            result.append(character)
        }
        return result
    }
}

/// Reads DER tag-length-value items from a slice.
private struct DERReader {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { self.bytes.isEmpty }
    var peekTag: UInt8? { self.bytes.first }
    var remaining: ArraySlice<UInt8> { self.bytes }

    mutating func read(tag: UInt8) -> DERReader? {
        guard self.peekTag == tag else { return nil }
        return self.readAny()
    }

    /// The next item's contents; nil when the length is malformed or longer than what is left.
    mutating func readAny() -> DERReader? {
        guard self.bytes.count >= 2 else { return nil }
        var index = self.bytes.startIndex + 1
        var length = Int(self.bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let lengthBytes = length & 0x7F
            guard lengthBytes >= 1, lengthBytes <= 4, self.bytes.endIndex - index >= lengthBytes else { return nil }
            length = 0
            for _ in 0..<lengthBytes {
                length = (length << 8) | Int(self.bytes[index])
                index += 1
            }
        }
        guard length >= 0, self.bytes.endIndex - index >= length else { return nil }
        let contents = self.bytes[index..<index + length]
        self.bytes = self.bytes[(index + length)...]
        return DERReader(bytes: contents)
    }
}
