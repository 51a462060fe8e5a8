import ArgumentParser
import Foundation
import SluiceModel

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the topology: streams and operators, with records/s, lag and state on every edge."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, dot, json
    }

    @OptionGroup var adminOption: AdminOption
    @Option(help: "tree (readable), dot (Graphviz) or json (the topology document).") var format: Format = .tree

    func run() async throws {
        let topology = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.GET, "/v1/topology", as: TopologyDocument.self)
        }
        switch self.format {
        case .tree: print(TopologyTree.render(topology), terminator: "")
        case .dot: print(TopologyDot.render(topology), terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(topology), as: UTF8.self))
        }
    }
}

/// A node of the graph: a stream and an operator may share a name, so the kind is part of the identity.
private enum GraphNode: Hashable {
    case stream(String)
    case `operator`(String)
}

private func rateText(_ recordsPerSecond: Double) -> String {
    String(format: "%.1f rec/s", recordsPerSecond)
}

/// The readable tree. Roots are the streams no operator writes and the operators that read nothing
/// (sources); under a stream come the operators reading it, under an operator the streams it writes.
/// Each node is expanded once: a later appearance (an operator reading two streams, a cycle) is marked
/// "shown above" instead of repeating its subtree.
enum TopologyTree {
    static func render(_ topology: TopologyDocument) -> String {
        var renderer = Renderer(topology: topology)
        return renderer.render()
    }

    private struct Renderer {
        let topology: TopologyDocument
        let streams: [String: TopologyDocument.Stream]
        let operators: [String: TopologyDocument.Operator]
        var expanded: Set<GraphNode> = []
        var output = ""

        init(topology: TopologyDocument) {
            self.topology = topology
            self.streams = Dictionary(topology.streams.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            self.operators = Dictionary(topology.operators.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }

        mutating func render() -> String {
            if self.topology.streams.isEmpty && self.topology.operators.isEmpty { return "(no streams, no operators)\n" }
            for root in self.roots() where !self.expanded.contains(root) {
                self.visit(root, edgeText: nil, prefix: "", childPrefix: "")
            }
            // Whatever no root reaches sits on a cycle; start from its first node.
            for node in self.allNodes() where !self.expanded.contains(node) {
                self.visit(node, edgeText: nil, prefix: "", childPrefix: "")
            }
            return self.output
        }

        private func roots() -> [GraphNode] {
            let written = Set(self.topology.edges.filter { $0.direction == .output }.map(\.stream))
            let reading = Set(self.topology.edges.filter { $0.direction == .input }.map(\.operator))
            let streamRoots = self.topology.streams.map(\.name).filter { !written.contains($0) }.sorted()
            let sourceRoots = self.topology.operators.map(\.name).filter { !reading.contains($0) }.sorted()
            return streamRoots.map(GraphNode.stream) + sourceRoots.map(GraphNode.operator)
        }

        private func allNodes() -> [GraphNode] {
            self.topology.streams.map(\.name).sorted().map(GraphNode.stream)
                + self.topology.operators.map(\.name).sorted().map(GraphNode.operator)
        }

        private mutating func visit(_ node: GraphNode, edgeText: String?, prefix: String, childPrefix: String) {
            let edge = edgeText.map { "─[\($0)]─▶ " } ?? ""
            if self.expanded.contains(node) {
                self.output += prefix + edge + self.label(node, isRoot: edgeText == nil) + "  (shown above)\n"
                return
            }
            self.expanded.insert(node)
            self.output += prefix + edge + self.label(node, isRoot: edgeText == nil) + "\n"
            let children = self.children(of: node)
            for (index, child) in children.enumerated() {
                let isLast = index == children.count - 1
                self.visit(
                    child.node, edgeText: child.edgeText, prefix: childPrefix + (isLast ? "└" : "├"),
                    childPrefix: childPrefix + (isLast ? "   " : "│  ")
                )
            }
        }

        private func children(of node: GraphNode) -> [(node: GraphNode, edgeText: String)] {
            switch node {
            case .stream(let name):
                return self.topology.edges.filter { $0.direction == .input && $0.stream == name }
                    .sorted { $0.operator < $1.operator }
                    .map { (.operator($0.operator), "\(rateText($0.recordsPerSecond)) · lag \($0.lag ?? 0) · \($0.state)") }
            case .operator(let name):
                return self.topology.edges.filter { $0.direction == .output && $0.operator == name }
                    .sorted { $0.stream < $1.stream }
                    .map { (.stream($0.stream), "\(rateText($0.recordsPerSecond)) · \($0.state)") }
            }
        }

        private func label(_ node: GraphNode, isRoot: Bool) -> String {
            switch node {
            case .stream(let name):
                guard let stream = self.streams[name] else { return name }
                return "\(name)  (stream: \(stream.partitions) partitions, end offset \(stream.endOffsetSum), "
                    + "\(rateText(stream.appendRecordsPerSecond)) appended)"
            case .operator(let name):
                guard let status = self.operators[name] else { return name }
                let canary = status.canaryVersion.map { ", canary v\($0)" } ?? ""
                let instances = status.instances.flatMap { $0 > 1 ? ", \($0) instances" : nil } ?? ""
                let role = status.inputs.isEmpty ? "source operator" : "operator"
                // A root has no edge to carry the state, so the node says it.
                let state = isRoot ? ", \(status.state), \(rateText(status.recordsPerSecond))" : ""
                return "\(name) v\(status.version)  (\(role)\(state)\(canary)\(instances))"
            }
        }
    }
}

/// Graphviz: streams as ellipses, operators as boxes coloured by state, edges labelled with rate and lag.
enum TopologyDot {
    static func render(_ topology: TopologyDocument) -> String {
        var lines = ["digraph sluice {", "  rankdir=LR;", "  node [fontname=\"Helvetica\", fontsize=11];",
                     "  edge [fontname=\"Helvetica\", fontsize=10];"]
        for stream in topology.streams {
            let label = [stream.name, "\(stream.partitions) partitions · end \(stream.endOffsetSum)",
                         rateText(stream.appendRecordsPerSecond)]
            lines.append("  \(self.identifier(.stream(stream.name))) [shape=ellipse, label=\(self.quoted(label))];")
        }
        for status in topology.operators {
            var label = [status.name, "v\(status.version) · \(status.state)", "\(rateText(status.recordsPerSecond)) · lag \(status.lag)"]
            if let canary = status.canaryVersion { label.append("canary v\(canary)") }
            lines.append("  \(self.identifier(.operator(status.name))) [shape=box, style=filled, "
                + "fillcolor=\"\(self.colour(state: status.state))\", label=\(self.quoted(label))];")
        }
        for edge in topology.edges {
            let stream = self.identifier(.stream(edge.stream))
            let op = self.identifier(.operator(edge.operator))
            switch edge.direction {
            case .input:
                let label = [rateText(edge.recordsPerSecond), "lag \(edge.lag ?? 0) · \(edge.state)"]
                lines.append("  \(stream) -> \(op) [label=\(self.quoted(label))];")
            case .output:
                lines.append("  \(op) -> \(stream) [label=\(self.quoted([rateText(edge.recordsPerSecond)]))];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func identifier(_ node: GraphNode) -> String {
        switch node {
        case .stream(let name): return self.quoted(["stream:" + name])
        case .operator(let name): return self.quoted(["operator:" + name])
        }
    }

    /// A DOT quoted string of the lines, joined with DOT's own `\n` escape.
    private static func quoted(_ lines: [String]) -> String {
        let escaped = lines.map { line in
            line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: " ")
        }
        return "\"" + escaped.joined(separator: "\\n") + "\""
    }

    private static func colour(state: String) -> String {
        switch state {
        case "running": return "#e6f4ea"
        case "paused": return "#fff4e0"
        case "failed": return "#fde8e8"
        case "starting", "restarting": return "#e3f2fd"
        default: return "#eeeeee"
        }
    }
}
