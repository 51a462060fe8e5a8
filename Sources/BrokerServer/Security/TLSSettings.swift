import NIOSSL

/// The TLS side of the SSL and SASL_SSL listeners: one certificate chain and key for the broker, and an
/// optional CA whose certificates clients of SSL listeners must present (mutual TLS; the certificate's
/// subject is then the connection's principal). SASL_SSL listeners authenticate with SASL and ask for no
/// certificate, as Kafka's `ssl.client.auth=none` default does.
struct TLSSettings: Sendable {
    /// For SASL_SSL listeners, and SSL listeners without a client CA.
    let serverContext: NIOSSLContext
    /// For SSL listeners when a client CA is set: a verified client certificate is required.
    let mutualContext: NIOSSLContext?

    func context(for securityProtocol: SecurityProtocol) -> NIOSSLContext {
        securityProtocol == .ssl ? (self.mutualContext ?? self.serverContext) : self.serverContext
    }

    /// Loads the PEM files; every failure names the file.
    static func load(certificatePath: String, keyPath: String, clientCAPath: String?) throws -> TLSSettings {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw BrokerConfigError(message: "tls.certificate_file \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw BrokerConfigError(message: "tls.certificate_file \(certificatePath) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw BrokerConfigError(message: "tls.key_file \(keyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        let serverContext = try Self.makeContext(configuration, certificatePath, keyPath)
        guard let clientCAPath else { return TLSSettings(serverContext: serverContext, mutualContext: nil) }
        do {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCAPath))
        } catch {
            throw BrokerConfigError(message: "tls.client_ca_file \(clientCAPath): \(error)")
        }
        // Clients have no host name to check; the CA's signature is what is verified.
        configuration.certificateVerification = .noHostnameVerification
        return TLSSettings(serverContext: serverContext, mutualContext: try Self.makeContext(configuration, certificatePath, keyPath))
    }

    private static func makeContext(_ configuration: TLSConfiguration, _ certificatePath: String, _ keyPath: String) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw BrokerConfigError(message: "TLS with \(certificatePath) and \(keyPath): \(error)")
        }
    }
}
