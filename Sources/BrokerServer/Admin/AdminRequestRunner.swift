import Foundation
import NIOCore
import SluiceModel

/// Runs one admin route against the operator runtime and turns the result (or the error) into the
/// answer's status and bytes. Kept apart from the channel handler so it holds no NIO state.
enum AdminRequestRunner {
    enum Outcome {
        case json(status: Int, bytes: [UInt8])
        /// Any other content: Prometheus text, a web page.
        case body(status: Int, contentType: String, bytes: [UInt8])
        case text([String])
        case stream(AsyncStream<String>)
    }

    static func run(_ route: AdminRoute, body: ByteBuffer, context: AdminContext) async -> Outcome {
        do {
            return try await self.answer(route, body: body, context: context)
        } catch let error as AdminError {
            return self.json(ErrorDocument(error: error.code, message: error.message), status: error.status)
        } catch {
            return self.json(ErrorDocument(error: "internal", message: "\(error)"), status: 500)
        }
    }

    private static func answer(_ route: AdminRoute, body: ByteBuffer, context: AdminContext) async throws -> Outcome {
        let control = context.control
        switch route {
        case .health:
            return self.json(["status": "ok"])
        case .list:
            return self.json(await control.list())
        case .deploy:
            return self.json(try await control.deploy(try self.decode(body)), status: 201)
        case .status(let name):
            return self.json(try await control.status(name: name))
        case .kill(let name):
            try await control.kill(name: name)
            return self.json(["killed": name])
        case .swap(let name):
            return self.json(try await control.swap(name: name, try self.decode(body)))
        case .rollback(let name):
            return self.json(try await control.rollback(name: name))
        case .pause(let name):
            return self.json(try await control.pause(name: name))
        case .resume(let name):
            return self.json(try await control.resume(name: name))
        case .scale(let name):
            let request: ScaleRequestDocument = try self.decode(body, what: "a scale document")
            return self.json(try await control.scale(name: name, instances: request.instances))
        case .canary(let name):
            return self.json(try await control.deployCanary(name: name, try self.decode(body)), status: 201)
        case .promote(let name):
            return self.json(try await control.promote(name: name))
        case .abortCanary(let name):
            return self.json(try await control.abortCanary(name: name))
        case .logs(let name, let tailLines, let follow):
            if follow { return .stream(try await control.followLogs(name: name)) }
            return .text(try await control.logs(name: name, tailLines: tailLines))
        case .metrics:
            return .body(status: 200, contentType: BrokerMetrics.contentType, bytes: context.metrics.scrape())
        case .topology, .dashboard:
            return await self.answerTopology(route, context: context)
        case .traces(let last):
            return self.json(await control.traces(last: last))
        case .deleteStream(let name, let force):
            return self.json(try await control.deleteStream(name: name, force: force))
        }
    }

    /// `GET /v1/topology` and the dashboard page that polls it.
    private static func answerTopology(_ route: AdminRoute, context: AdminContext) async -> Outcome {
        if route == .dashboard {
            return .body(status: 200, contentType: "text/html; charset=utf-8", bytes: Array(DashboardPage.html.utf8))
        }
        return self.json(await TopologyBuilder.build(context: context))
    }

    private static func decode<Document: Decodable>(
        _ body: ByteBuffer, what: String = "a deploy document"
    ) throws -> Document {
        do {
            return try JSONDecoder().decode(Document.self, from: Data(body.readableBytesView))
        } catch {
            throw AdminError.badRequest("the body is not \(what): \(error)")
        }
    }

    private static func json<Document: Encodable>(_ document: Document, status: Int = 200) -> Outcome {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(document)).map(Array.init) ?? []
        return .json(status: status, bytes: bytes)
    }
}
