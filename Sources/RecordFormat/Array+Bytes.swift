extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps the closure's typed error; the standard library's version turns it
    /// into `any Error`.
    func withBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws(RecordFormatError) -> Result
    ) throws(RecordFormatError) -> Result {
        let outcome: Swift.Result<Result, RecordFormatError> = self.withUnsafeBytes { bytes in
            do throws(RecordFormatError) {
                return .success(try body(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Appends `count` zero bytes and returns where they start, for C encoders to write into.
    mutating func appendZeroedSpace(count: Int) -> Int {
        let start = self.count
        // A zeroed array appends with one memset and memcpy; `repeatElement` goes byte by byte in debug builds.
        self.append(contentsOf: [UInt8](repeating: 0, count: count))
        return start
    }
}
