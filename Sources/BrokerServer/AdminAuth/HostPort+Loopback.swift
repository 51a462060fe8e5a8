import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

extension HostPort {
    /// Whether binding to this host keeps a listener on the machine itself: `localhost`, an IPv4 address in
    /// 127.0.0.0/8, `::1`, or an IPv4-mapped 127 address. Anything else, a wildcard (`0.0.0.0`, `::`) or another
    /// name included, counts as reachable from elsewhere: a name may resolve to any interface.
    public var isLoopback: Bool {
        if self.host.lowercased() == "localhost" { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, self.host, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, self.host, &ipv6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &ipv6) { Array($0) }
        let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        return bytes == loopback || (bytes.starts(with: mappedPrefix) && bytes[12] == 127)
    }
}
