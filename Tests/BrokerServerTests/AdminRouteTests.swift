@testable import BrokerServer
import XCTest

final class AdminRouteTests: XCTestCase {
    func testRoutes() {
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/health"), .health)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/operators"), .list)
        XCTAssertEqual(AdminRoute(method: "POST", uri: "/v1/operators"), .deploy)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/operators/upper"), .status(name: "upper"))
        XCTAssertEqual(AdminRoute(method: "DELETE", uri: "/v1/operators/upper"), .kill(name: "upper"))
        XCTAssertEqual(AdminRoute(method: "POST", uri: "/v1/operators/upper/swap"), .swap(name: "upper"))
        XCTAssertEqual(AdminRoute(method: "POST", uri: "/v1/operators/upper/rollback"), .rollback(name: "upper"))
        XCTAssertEqual(AdminRoute(method: "POST", uri: "/v1/operators/upper/pause"), .pause(name: "upper"))
        XCTAssertEqual(AdminRoute(method: "POST", uri: "/v1/operators/upper/resume"), .resume(name: "upper"))
        XCTAssertEqual(
            AdminRoute(method: "GET", uri: "/v1/operators/upper/logs?tail=5&follow=true"),
            .logs(name: "upper", tailLines: 5, follow: true)
        )
        XCTAssertEqual(
            AdminRoute(method: "GET", uri: "/v1/operators/upper/logs"),
            .logs(name: "upper", tailLines: AdminRoute.defaultTailLines, follow: false)
        )
    }

    func testTracesRouteAndItsBounds() {
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/traces"), .traces(last: AdminRoute.defaultTraces))
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/traces?last=3"), .traces(last: 3))
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/traces?last=0"), .traces(last: 1))
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/traces?last=99999999"), .traces(last: AdminRoute.tracesMax))
        XCTAssertNil(AdminRoute(method: "POST", uri: "/v1/traces"))
    }

    func testStreamDeletionRoute() {
        XCTAssertEqual(AdminRoute(method: "DELETE", uri: "/v1/streams/in"), .deleteStream(name: "in", force: false))
        XCTAssertEqual(
            AdminRoute(method: "DELETE", uri: "/v1/streams/in?force=true"), .deleteStream(name: "in", force: true)
        )
        XCTAssertNil(AdminRoute(method: "GET", uri: "/v1/streams/in"))
    }

    func testUnknownRoutesAndBounds() {
        XCTAssertNil(AdminRoute(method: "GET", uri: "/v1"))
        XCTAssertNil(AdminRoute(method: "PUT", uri: "/v1/operators"))
        XCTAssertNil(AdminRoute(method: "POST", uri: "/v1/operators/upper/explode"))
        XCTAssertNil(AdminRoute(method: "GET", uri: "/v2/operators"))
        XCTAssertNil(AdminRoute(method: "GET", uri: "/v1/operators/a/b/c/d"))
        XCTAssertEqual(
            AdminRoute(method: "GET", uri: "/v1/operators/x/logs?tail=999999999"),
            .logs(name: "x", tailLines: AdminRoute.tailLinesMax, follow: false)
        )
    }
}
