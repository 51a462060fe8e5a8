import KafkaWire
import NIOCore
import SluiceSecurity

/// SaslHandshake and SaslAuthenticate (and the raw tokens that follow a v0 handshake): the request path's side
/// of `SaslSession`. A failed authentication is answered with SASL_AUTHENTICATION_FAILED and its reason, then
/// the connection is closed, as Kafka does; the failure is logged with the client's address.
extension KafkaRequestRouter {
    func handleSaslHandshake(_ request: IncomingRequest) throws {
        let handshake = try request.decode(SaslHandshakeRequest.self)
        let session = request.context.session
        let enabled = session.listener.securityProtocol.requiresSASL ? self.saslMechanisms : []
        let outcome = session.handshake(mechanism: handshake.mechanism, version: request.version, enabledMechanisms: enabled)
        switch outcome {
        case .accepted:
            request.reply(SaslHandshakeResponse(mechanisms: enabled))
        case .unsupportedMechanism:
            request.replyThenClose(
                SaslHandshakeResponse(errorCode: .unsupportedSaslMechanism, mechanisms: enabled),
                reason: "SASL mechanism \(handshake.mechanism) is not enabled"
            )
        case .illegalState:
            request.replyThenClose(
                SaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: enabled),
                reason: "unexpected SaslHandshake on listener \(session.listener.name)"
            )
        }
    }

    func handleSaslAuthenticate(_ request: IncomingRequest) throws {
        let authenticate = try request.decode(SaslAuthenticateRequest.self)
        let session = request.context.session
        guard !session.expectsRawSaslToken else {
            request.respond(.closeConnection(reason: "SaslAuthenticate after a v0 handshake"))
            return
        }
        switch self.receiveToken(Array(buffer: authenticate.authBytes), request.context) {
        case .challenge(let token):
            request.reply(SaslAuthenticateResponse(authBytes: ByteBuffer(bytes: token)))
        case .succeeded(_, let finalToken):
            request.reply(SaslAuthenticateResponse(authBytes: ByteBuffer(bytes: finalToken)))
        case .failed(let reason):
            request.replyThenClose(
                SaslAuthenticateResponse(errorCode: .saslAuthenticationFailed, errorMessage: reason, authBytes: ByteBuffer()),
                reason: "SASL authentication failed: \(reason)"
            )
        }
    }

    /// A raw SASL token (after a v0 handshake): answered with the raw next token; a failure closes.
    func handleRawSaslToken(_ frame: ByteBuffer, context: RequestContext, respond: @Sendable (RequestOutcome) -> Void) {
        guard frame.readableBytes <= Self.saslTokenBytesMax else {
            respond(.closeConnection(reason: "a SASL token of \(frame.readableBytes) bytes"))
            return
        }
        switch self.receiveToken(Array(buffer: frame), context) {
        case .challenge(let token), .succeeded(_, let token):
            var buffer = context.allocator.buffer(capacity: token.count)
            buffer.writeBytes(token)
            respond(.respond(OutboundResponse(buffer)))
        case .failed(let reason):
            respond(.closeConnection(reason: "SASL authentication failed: \(reason)"))
        }
    }

    /// SASL tokens are small (a SCRAM message, a PLAIN triple); anything bigger is not a login.
    static let saslTokenBytesMax = 64 * 1024

    private func receiveToken(_ token: [UInt8], _ context: RequestContext) -> SaslSession.TokenOutcome {
        let outcome = context.session.receiveSaslToken(token, credentials: self.credentials)
        switch outcome {
        case .succeeded(let principal, _):
            self.logger.info("authenticated", metadata: ["remote": "\(context.remoteAddress)", "principal": "\(principal)"])
        case .failed(let reason):
            self.logger.notice("authentication failed", metadata: ["remote": "\(context.remoteAddress)", "reason": "\(reason)"])
        case .challenge:
            break
        }
        return outcome
    }
}
