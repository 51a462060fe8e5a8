// Plays the runtime against a built operator and reports records/s end to end: Hello, then N records in
// Records batches of a fixed size, one batch in flight as the protocol allows, each answered by a BatchResult
// whose output count is checked, then Stop.
//
//   swift build -c release --product identity-operator --product operator-benchmark
//   .build/release/operator-benchmark .build/release/identity-operator --records 10000000 --batch 4000 --value 100

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation  // String(format:)
import SluiceOperator

struct Options {
    var operatorPath = ".build/release/identity-operator"
    var records = 10_000_000
    var batch = 4_000
    var valueSize = 100
    var keySize = -1  // -1: null key
    var pipeSize = 0  // 0: the system default (64 KiB on Linux)

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            func number() -> Int {
                guard let text = rest.popFirst(), let value = Int(text) else { fail("\(argument) needs a number") }
                return value
            }
            switch argument {
            case "--records": self.records = number()
            case "--batch": self.batch = number()
            case "--value": self.valueSize = number()
            case "--key": self.keySize = number()
            case "--pipe-size": self.pipeSize = number()
            case "--help", "-h":
                print("usage: operator-benchmark [OPERATOR] [--records N] [--batch N] [--value BYTES] [--key BYTES] "
                      + "[--pipe-size BYTES]")
                exit(0)
            default: self.operatorPath = argument
            }
        }
    }
}

func fail(_ message: String) -> Never {
    fputs("operator-benchmark: \(message)\n", stderr)
    exit(1)
}

func nowNs() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

func seconds(_ time: timeval) -> String {
    String(format: "%.2f", Double(time.tv_sec) + Double(time.tv_usec) / 1e6)
}

func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let result = write(descriptor, raw.baseAddress! + done, raw.count - done)
            if result < 0 {
                if errno == EINTR { continue }
                fail("write to the operator failed, errno \(errno)")
            }
            done += result
        }
    }
}

/// Reads whole frames from the operator into one reusable buffer.
struct FrameInput {
    let descriptor: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// Reads the next frame into `buffer[0..<4+length]` and returns its length field.
    mutating func next() -> Int {
        self.readExactly(4, at: 0)
        let length = self.buffer[0..<4].reduce(0) { $0 << 8 | Int($1) }
        if 4 + length > self.buffer.count {
            self.buffer += [UInt8](repeating: 0, count: 4 + length - self.buffer.count)
        }
        self.readExactly(length, at: 4)
        return length
    }

    var frame: [UInt8] { Array(self.buffer[0..<(4 + self.buffer[0..<4].reduce(0) { $0 << 8 | Int($1) })]) }

    private mutating func readExactly(_ count: Int, at offset: Int) {
        var done = 0
        let descriptor = self.descriptor
        while done < count {
            let result = self.buffer.withUnsafeMutableBytes {
                read(descriptor, $0.baseAddress! + offset + done, count - done)
            }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { fail("the operator's output ended (read returned \(result))") }
            done += result
        }
    }
}

/// Starts the operator with its standard input and output on pipes; returns its pid and our ends.
func spawn(_ path: String, pipeSize: Int) -> (pid: pid_t, toOperator: Int32, fromOperator: Int32) {
    var input: [Int32] = [0, 0]
    var output: [Int32] = [0, 0]
    guard pipe(&input) == 0, pipe(&output) == 0 else { fail("pipe failed, errno \(errno)") }
    if pipeSize > 0 {
        #if os(Linux)
        _ = fcntl(input[1], 1031 /* F_SETPIPE_SZ */, Int32(pipeSize))
        _ = fcntl(output[1], 1031 /* F_SETPIPE_SZ */, Int32(pipeSize))
        #endif
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    for descriptor in [input[0], input[1], output[0], output[1]] {
        posix_spawn_file_actions_addclose(&actions, descriptor)
    }
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard result == 0 else { fail("cannot start \(path): errno \(result)") }
    posix_spawn_file_actions_destroy(&actions)
    close(input[0])
    close(output[1])
    return (pid, input[1], output[0])
}

let options = Options(CommandLine.arguments)
signal(SIGPIPE, SIG_IGN)
let child = spawn(options.operatorPath, pipeSize: options.pipeSize)
var input = FrameInput(descriptor: child.fromOperator)

writeAll(child.toOperator, RuntimeMessage.hello(
    Hello(operatorName: "bench", instanceId: "bench-0", instanceIndex: 0, instanceCount: 1)
).encodedFrame())
_ = input.next()
guard case .metadata(let metadata) = try OperatorMessage.decode(frame: input.frame) else { fail("expected Metadata") }
_ = input.next()
guard case .ready = try OperatorMessage.decode(frame: input.frame) else { fail("expected Ready, got \(input.frame)") }
guard metadata.inputs.count >= 1 else { fail("the operator declares no input") }

let value = [UInt8]((0..<options.valueSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
let key: [UInt8]? = options.keySize >= 0 ? [UInt8](repeating: 0x6B, count: options.keySize) : nil
let batchRecords = (0..<options.batch).map {
    WireRecord(inputIndex: 0, partition: 0, offset: Int64($0), timestampMs: 1_700_000_000_000, key: key, value: value)
}
var frame = RuntimeMessage.records(batchId: 0, records: batchRecords).encodedFrame()

let batches = (options.records + options.batch - 1) / options.batch
var resultBytes = 0
let start = nowNs()
for batchId in 1...UInt64(batches) {
    withUnsafeBytes(of: batchId.bigEndian) { frame.replaceSubrange(5..<13, with: $0) }
    writeAll(child.toOperator, frame)
    let length = input.next()
    resultBytes += 4 + length
    guard input.buffer[4] == 0x83 else { fail("batch \(batchId): expected BatchResult, got \(try OperatorMessage.decode(frame: input.frame))") }
    let outputs = input.buffer[13..<17].reduce(0) { $0 << 8 | Int($1) }
    guard outputs == options.batch else { fail("batch \(batchId): \(outputs) outputs for \(options.batch) records") }
}
let elapsedNs = nowNs() - start

writeAll(child.toOperator, RuntimeMessage.stop.encodedFrame())
_ = input.next()
guard try OperatorMessage.decode(frame: input.frame) == .stopped else { fail("expected Stopped") }
var status: Int32 = 0
waitpid(child.pid, &status, 0)

var usage = rusage()
getrusage(RUSAGE_CHILDREN.rawValue, &usage)
let operatorCpuNs = (Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3)
let records = batches * options.batch
let seconds = Double(elapsedNs) / 1e9
let recordsPerSecond = Double(records) / seconds
let secondsText = String(format: "%.3f", seconds)
let inMBps = String(format: "%.1f", Double(frame.count) * Double(batches) / seconds / 1e6)
let outMBps = String(format: "%.1f", Double(resultBytes) / seconds / 1e6)
print("operator \(options.operatorPath): \(records) records of \(options.valueSize) B in \(batches) batches of "
      + "\(options.batch): \(secondsText) s, \(Int(recordsPerSecond)) records/s, \(inMBps) MB/s in, "
      + "\(outMBps) MB/s out; operator CPU \(Int(operatorCpuNs / Double(records))) ns/record "
      + "(user \(seconds(usage.ru_utime)) s, sys \(seconds(usage.ru_stime)) s); exit status \(status)")
