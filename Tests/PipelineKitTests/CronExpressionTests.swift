import Foundation
import PipelineKit
import Testing

/// A UTC time written as `2027-01-15T08:00:00Z`.
func utc(_ text: String) throws -> Date {
    try Date(text, strategy: .iso8601)
}

@Suite("Cron expressions: parsing and next times")
struct CronExpressionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let expression: String
        let after: String
        let next: String?
        var testDescription: String { "\(expression) after \(after)" }
    }

    // 2027-01-15 is a Friday; 2028 is a leap year, 2100 is not.
    static let gmtCases: [Case] = [
        Case(expression: "* * * * *", after: "2027-01-15T08:00:30Z", next: "2027-01-15T08:01:00Z"),
        Case(expression: "* * * * *", after: "2027-01-15T08:00:00Z", next: "2027-01-15T08:01:00Z"),
        Case(expression: "*/15 * * * *", after: "2027-01-15T08:00:00Z", next: "2027-01-15T08:15:00Z"),
        Case(expression: "*/15 * * * *", after: "2027-01-15T08:59:59Z", next: "2027-01-15T09:00:00Z"),
        Case(expression: "10-50/10 * * * *", after: "2027-01-15T08:11:00Z", next: "2027-01-15T08:20:00Z"),
        Case(expression: "10-50/10 * * * *", after: "2027-01-15T08:50:00Z", next: "2027-01-15T09:10:00Z"),
        Case(expression: "5,35 1-3 * * *", after: "2027-01-15T03:35:00Z", next: "2027-01-16T01:05:00Z"),
        Case(expression: "0 0 * * *", after: "2027-01-15T08:00:00Z", next: "2027-01-16T00:00:00Z"),
        Case(expression: "30 2 1,15 * *", after: "2027-01-15T08:00:00Z", next: "2027-02-01T02:30:00Z"),
        Case(expression: "0 9 * * mon-fri", after: "2027-01-15T10:00:00Z", next: "2027-01-18T09:00:00Z"),
        Case(expression: "0 12 * jan,JUL Sun", after: "2027-01-15T08:00:00Z", next: "2027-01-17T12:00:00Z"),
        Case(expression: "0 12 * jan,JUL Sun", after: "2027-01-31T12:00:00Z", next: "2027-07-04T12:00:00Z"),
        Case(expression: "0 0 * * 7", after: "2027-01-15T08:00:00Z", next: "2027-01-17T00:00:00Z"),
        Case(expression: "0 0 * * 0", after: "2027-01-15T08:00:00Z", next: "2027-01-17T00:00:00Z"),
        Case(expression: "0 0 * * 5-7", after: "2027-01-15T08:00:00Z", next: "2027-01-16T00:00:00Z"),
        Case(expression: "59 23 31 12 *", after: "2027-12-31T23:59:00Z", next: "2028-12-31T23:59:00Z"),
        // Both day fields restricted: either matches (the next Friday, then the 13th, a Saturday).
        Case(expression: "0 0 13 * fri", after: "2027-01-15T08:00:00Z", next: "2027-01-22T00:00:00Z"),
        Case(expression: "0 0 13 * fri", after: "2027-02-12T08:00:00Z", next: "2027-02-13T00:00:00Z"),
        // A day-of-month starting with * is unrestricted (Vixie): Fridays on odd days only.
        Case(expression: "0 0 */2 * fri", after: "2027-01-15T08:00:00Z", next: "2027-01-29T00:00:00Z"),
        // Leap years, across the century that is not one.
        Case(expression: "0 0 29 2 *", after: "2027-01-15T08:00:00Z", next: "2028-02-29T00:00:00Z"),
        Case(expression: "0 0 29 2 *", after: "2028-02-29T00:00:00Z", next: "2032-02-29T00:00:00Z"),
        Case(expression: "0 0 29 2 *", after: "2097-01-01T00:00:00Z", next: "2104-02-29T00:00:00Z"),
        Case(expression: "0 0 30 2 *", after: "2027-01-15T08:00:00Z", next: nil),
        Case(expression: "0 0 31 4,6,9,11 *", after: "2027-01-15T08:00:00Z", next: nil),
        // Macros.
        Case(expression: "@hourly", after: "2027-01-15T08:00:00Z", next: "2027-01-15T09:00:00Z"),
        Case(expression: "@daily", after: "2027-01-15T08:00:00Z", next: "2027-01-16T00:00:00Z"),
        Case(expression: "@midnight", after: "2027-01-15T08:00:00Z", next: "2027-01-16T00:00:00Z"),
        Case(expression: "@weekly", after: "2027-01-15T08:00:00Z", next: "2027-01-17T00:00:00Z"),
        Case(expression: "@monthly", after: "2027-01-15T08:00:00Z", next: "2027-02-01T00:00:00Z"),
        Case(expression: "@YEARLY", after: "2027-01-15T08:00:00Z", next: "2028-01-01T00:00:00Z"),
        Case(expression: "@annually", after: "2027-01-15T08:00:00Z", next: "2028-01-01T00:00:00Z"),
    ]

    @Test("next(after:) in GMT", arguments: gmtCases)
    func nextInGMT(_ test: Case) throws {
        let cron = try CronExpression(test.expression)
        let next = cron.next(after: try utc(test.after))
        #expect(next == (try test.next.map(utc)))
    }

    @Test("next(after:in:) reads the expression in the zone's wall-clock time, across daylight-saving changes")
    func nextInATimeZone() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let nine = try CronExpression("0 9 * * *")
        #expect(nine.next(after: try utc("2027-01-15T08:00:00Z"), in: newYork) == (try utc("2027-01-15T14:00:00Z")))  // EST
        #expect(nine.next(after: try utc("2027-07-01T00:00:00Z"), in: newYork) == (try utc("2027-07-01T13:00:00Z")))  // EDT

        // 28 March 2027 has no 02:30 in Berlin; 31 October has two, and fires at the first.
        let twoThirty = try CronExpression("30 2 * * *")
        #expect(twoThirty.next(after: try utc("2027-03-27T12:00:00Z"), in: berlin) == (try utc("2027-03-29T00:30:00Z")))
        #expect(twoThirty.next(after: try utc("2027-10-30T12:00:00Z"), in: berlin) == (try utc("2027-10-31T00:30:00Z")))
        #expect(twoThirty.next(after: try utc("2027-10-31T00:30:00Z"), in: berlin) == (try utc("2027-11-01T01:30:00Z")))
        // Each wall-clock time once: after 02:45 CEST comes 03:00 CET, not the repeated 02:00 and 02:30.
        let halfHourly = try CronExpression("*/30 * * * *")
        #expect(halfHourly.next(after: try utc("2027-10-31T00:45:00Z"), in: berlin) == (try utc("2027-10-31T02:00:00Z")))
        // The same expression in GMT.
        #expect(twoThirty.next(after: try utc("2027-03-27T12:00:00Z")) == (try utc("2027-03-28T02:30:00Z")))
    }

    @Test("names in any case mean their numbers; the text is kept")
    func names() throws {
        let named = try CronExpression("  0 6 * Jan-MAR mon,WED,fri ")
        let numbered = try CronExpression("0 6 * 1-3 1,3,5")
        #expect(named.text == "0 6 * Jan-MAR mon,WED,fri")
        #expect(named.description == named.text)
        var after = try utc("2027-01-01T00:00:00Z")
        var times: [Date] = []
        for _ in 0..<40 {
            let next = try #require(named.next(after: after))
            #expect(next == numbered.next(after: after))
            times.append(next)
            after = next
        }
        // 39 Mondays, Wednesdays and Fridays in the first quarter of 2027, then Monday 3 January 2028.
        #expect(times[0] == (try utc("2027-01-01T06:00:00Z")))
        #expect(times[38] == (try utc("2027-03-31T06:00:00Z")))
        #expect(times[39] == (try utc("2028-01-03T06:00:00Z")))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let expression: String
        let mentions: [String]
        var testDescription: String { "'\(expression)'" }
    }

    static let badCases: [Bad] = [
        Bad(expression: "61 * * * *", mentions: ["minute", "61"]),
        Bad(expression: "* * *", mentions: ["* * *", "3 fields"]),
        Bad(expression: "* * * * * *", mentions: ["6 fields"]),
        Bad(expression: "", mentions: ["0 fields"]),
        Bad(expression: "0 */0 * * *", mentions: ["hour", "*/0"]),
        Bad(expression: "5-1 * * * *", mentions: ["minute", "5-1"]),
        Bad(expression: "0 24 * * *", mentions: ["hour", "24"]),
        Bad(expression: "0 0 0 * *", mentions: ["day-of-month", "0"]),
        Bad(expression: "0 0 * 13 *", mentions: ["month", "13"]),
        Bad(expression: "0 0 * * 8", mentions: ["day-of-week", "8"]),
        Bad(expression: "0 0 * foo *", mentions: ["month", "foo"]),
        Bad(expression: "0 0 * * funday", mentions: ["day-of-week", "funday"]),
        Bad(expression: "0 0 mon * *", mentions: ["day-of-month", "mon"]),
        Bad(expression: "1,,2 * * * *", mentions: ["minute", "1,,2"]),
        Bad(expression: "5/15 * * * *", mentions: ["minute", "5/15"]),
        Bad(expression: "+5 * * * *", mentions: ["minute", "+5"]),
        Bad(expression: "1-2-3 * * * *", mentions: ["minute", "1-2-3"]),
        Bad(expression: "@reboot", mentions: ["@reboot"]),
    ]

    @Test("bad expressions throw invalidConfiguration naming the field and the text", arguments: badCases)
    func badExpressions(_ bad: Bad) throws {
        let error = try #require(throws: PipelineError.self) { try CronExpression(bad.expression) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.operation == "parse cron expression")
        for mention in bad.mentions {
            #expect(error.message.contains(mention), "\(error.message)")
        }
    }
}
