/// How the outbound policy's egress proxy tells a client why it refused an address: a `403` with this
/// header (written by ForgeKit's `EgressProxy`, read by `HTTPCall`).
package enum OutboundRefusal {
    package static let header = "X-Forgeworks-Outbound-Refused"
}
