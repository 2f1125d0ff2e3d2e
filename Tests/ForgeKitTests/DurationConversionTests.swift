import ForgeKit
import Testing
import PlatformSupport

@Suite struct DurationConversionTests {
    @Test func fractionsOfASecondAreKept() {
        #expect(Duration.milliseconds(500).inNanoseconds == 500_000_000)
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.nanoseconds(7).inNanoseconds == 7)
        #expect(Duration.seconds(-2).inSeconds == -2)
    }

    @Test func nanosecondsSaturate() {
        #expect(Duration.seconds(Int64.max).inNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).inNanoseconds == .min)
    }
}
