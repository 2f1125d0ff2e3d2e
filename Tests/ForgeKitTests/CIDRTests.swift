import ForgeKit
import Testing

@Suite struct CIDRTests {
    @Test func ipv4() throws {
        let network = try CIDR("192.30.252.0/22")
        #expect(network.contains("192.30.252.1"))
        #expect(network.contains("192.30.255.255"))
        #expect(!network.contains("192.30.251.255"))
        #expect(!network.contains("192.31.0.0"))
        #expect(network.description == "192.30.252.0/22")
        #expect(try CIDR("127.0.0.1/32").contains("127.0.0.1"))
        #expect(!(try CIDR("127.0.0.1/32").contains("127.0.0.2")))
        #expect(try CIDR("0.0.0.0/0").contains("8.8.8.8"))
        #expect(try CIDR("10.1.2.3/8").description == "10.0.0.0/8")
        #expect(try CIDR("10.1.2.3").description == "10.1.2.3/32")
        #expect(try CIDR("10.0.0.0/9").contains("10.127.255.255"))
        #expect(!(try CIDR("10.0.0.0/9").contains("10.128.0.0")))
    }

    @Test func ipv6() throws {
        let network = try CIDR("2001:db8::/32")
        #expect(network.contains("2001:db8::1"))
        #expect(network.contains("2001:0db8:ffff::"))
        #expect(!network.contains("2001:db9::1"))
        #expect(try CIDR("::1/128").contains("::1"))
        #expect(try CIDR("::1").contains("[::1]"))
        #expect(try CIDR("fe80::/10").contains("fe80::1%eth0"))
        #expect(try CIDR("::/0").contains("2a00::1"))
        #expect(try CIDR("2001:db8::/33").contains("2001:db8:7fff::"))
        #expect(!(try CIDR("2001:db8::/33").contains("2001:db8:8000::")))
        #expect(try CIDR("2001:db8::1/32").description == "2001:db8::/32")
    }

    @Test func mappedIPv4() throws {
        #expect(try CIDR("127.0.0.1/32").contains("::ffff:127.0.0.1"))
        #expect(try CIDR("10.0.0.0/8").contains("::ffff:10.9.8.7"))
        #expect(!(try CIDR("10.0.0.0/8").contains("::ffff:11.0.0.1")))
        #expect(try CIDR("::ffff:10.0.0.0/104").contains("10.200.0.1"))
        #expect(try CIDR("::ffff:10.0.0.0/104").description == "10.0.0.0/8")
        // IPv4 networks never hold IPv6 addresses, and the other way round.
        #expect(!(try CIDR("0.0.0.0/0").contains("::1")))
        #expect(!(try CIDR("::/0").contains("127.0.0.1")))
        #expect(IPAddress("::ffff:192.0.2.1")?.isIPv4 == true)
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "192.0.2.1")
    }

    @Test(arguments: ["", "/", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0/8", "010.0.0.0/8",
                      "256.0.0.0/8", "10.0.0.0/8/8", "hello", "::1/129", "2001:db8::g/32", "::ffff:10.0.0.0/95",
                      " 10.0.0.0/8", "10.0.0.0/ 8", "[::1]/128", "10.0.0.0/0x8"])
    func invalid(_ text: String) {
        #expect(throws: ForgeError.self) { try CIDR(text) }
        #expect((try? CIDR(text)) == nil)
    }

    @Test func badAddressesAreNotContained() throws {
        let all = try CIDR("0.0.0.0/0")
        for text in ["", "localhost", "1.2.3", "1.2.3.4.5", "999.1.1.1"] {
            #expect(!all.contains(text))
        }
    }
}
