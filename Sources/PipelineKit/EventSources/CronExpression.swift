public import Foundation

/// A standard five-field cron expression — minute, hour, day of month, month, day of week — and
/// the times it matches.
///
/// Fields take `*`, numbers, lists (`1,5`), ranges (`1-5`) and steps (`*/15`, `10-50/10`); months
/// and days of the week also take their English names (`jan`, `mon`; any case), and Sunday is `0`
/// or `7`. The macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and
/// `@hourly` stand for their usual expressions.
///
/// As in Vixie cron, when both the day of month and the day of week are restricted, a day matches
/// if *either* does (`0 0 1 * mon` is the first of the month and every Monday). A day field that
/// starts with `*` (`*` or `*/2`) counts as unrestricted, so `0 0 */2 * mon` is every Monday that
/// falls on an odd day of the month — Vixie cron's rule too.
///
/// ```swift
/// let nightly = try CronExpression("30 2 * * mon-fri")
/// let next = nightly.next(after: Date(), in: TimeZone(identifier: "Europe/Berlin")!)
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written (surrounding white space removed).
    public let text: String

    private let minutes: UInt64      // bits 0–59
    private let hours: UInt64        // bits 0–23
    private let daysOfMonth: UInt64  // bits 1–31
    private let months: UInt64       // bits 1–12
    private let daysOfWeek: UInt64   // bits 0–6, Sunday is 0
    private let dayOfMonthStar: Bool
    private let dayOfWeekStar: Bool

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses `text`.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` naming the field and the text that is
    ///   wrong: a value out of range (`61` minutes), a backwards range (`5-1`), a zero step, an
    ///   unknown name or macro, or not exactly five fields.
    public init(_ text: String) throws(PipelineError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        self.text = trimmed
        var expanded = trimmed
        if trimmed.hasPrefix("@") {
            guard let macro = Self.macros[trimmed.lowercased()] else {
                throw Self.error("unknown macro '\(trimmed)' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            expanded = macro
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Self.error("'\(trimmed)' has \(fields.count) fields; expected 5 (minute hour day-of-month month day-of-week)")
        }
        minutes = try Self.parse(fields[0], field: "minute", range: 0...59)
        hours = try Self.parse(fields[1], field: "hour", range: 0...23)
        daysOfMonth = try Self.parse(fields[2], field: "day-of-month", range: 1...31)
        months = try Self.parse(fields[3], field: "month", range: 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.parse(fields[4], field: "day-of-week", range: 0...7, names: Self.dayNames, firstName: 0)
        daysOfWeek = (weekdays | (weekdays >> 7)) & 0x7F   // 7 is Sunday too
        dayOfMonthStar = fields[2].hasPrefix("*")
        dayOfWeekStar = fields[4].hasPrefix("*")
    }

    /// The expression as written.
    public var description: String { text }

    /// The first minute strictly after `date` that matches, in `timeZone`'s wall-clock time
    /// (seconds are zero), or `nil` when none does within eight years (`0 0 30 2 *`).
    ///
    /// The search skips whole months, days and hours that cannot match, so it is quick even for
    /// rare dates. A wall-clock time that a daylight-saving change skips does not match that day; one
    /// that it repeats matches once, the first time.
    public func next(after date: Date, in timeZone: TimeZone = .gmt) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        guard var year = start.year, var month = start.month, var day = start.day,
              var hour = start.hour, var minute = start.minute else { return nil }
        minute += 1
        let lastYear = year + 8   // a 29 February can be eight years away (2096 → 2104)
        while year <= lastYear {
            if minute > 59 { minute = 0; hour += 1 }
            if hour > 23 { hour = 0; day += 1 }
            if day > Self.daysIn(month: month, year: year) { day = 1; month += 1 }
            if month > 12 { month = 1; year += 1; continue }
            guard months & (1 << UInt64(month)) != 0 else {
                month += 1; day = 1; hour = 0; minute = 0
                continue
            }
            guard matchesDay(year: year, month: month, day: day) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            guard let nextHour = Self.first(in: hours, from: hour, through: 23) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            if nextHour != hour { hour = nextHour; minute = 0 }
            guard let nextMinute = Self.first(in: minutes, from: minute, through: 59) else {
                hour += 1; minute = 0
                continue
            }
            minute = nextMinute
            let wanted = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: 0)
            // A time skipped by a daylight-saving change comes back as another wall-clock time, and the
            // first of two repeated times can be earlier than `date`: neither is a match.
            if let candidate = calendar.date(from: wanted), candidate > date {
                let found = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: candidate)
                if found.year == year, found.month == month, found.day == day, found.hour == hour, found.minute == minute {
                    return candidate
                }
            }
            minute += 1
        }
        return nil
    }

    // MARK: Matching

    private func matchesDay(year: Int, month: Int, day: Int) -> Bool {
        let byMonth = daysOfMonth & (1 << UInt64(day)) != 0
        let byWeek = daysOfWeek & (1 << UInt64(Self.weekday(year: year, month: month, day: day))) != 0
        if dayOfMonthStar || dayOfWeekStar { return byMonth && byWeek }
        return byMonth || byWeek
    }

    /// The lowest set bit of `set` in `from...through`.
    private static func first(in set: UInt64, from: Int, through: Int) -> Int? {
        guard from <= through else { return nil }
        let candidates = set >> UInt64(from)
        guard candidates != 0 else { return nil }
        let value = from + candidates.trailingZeroBitCount
        return value <= through ? value : nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day of the week of a civil date, Sunday 0 (Sakamoto's method).
    private static func weekday(year: Int, month: Int, day: Int) -> Int {
        let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let y = month < 3 ? year - 1 : year
        let value = (y + y / 4 - y / 100 + y / 400 + offsets[month - 1] + day) % 7
        return value < 0 ? value + 7 : value
    }

    // MARK: Parsing

    private static func error(_ message: String) -> PipelineError {
        PipelineError(.invalidConfiguration, message, operation: "parse cron expression")
    }

    private static func parse(_ text: String, field: String, range: ClosedRange<Int>,
                              names: [String] = [], firstName: Int = 0) throws(PipelineError) -> UInt64 {
        var set: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let problem = { (why: String) in error("\(field) field '\(text)': \(why)") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard !item.isEmpty, parts.count <= 2 else { throw problem("'\(item)' is not a value, range or step") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value > 0, value <= range.upperBound else {
                    throw problem("the step '\(parts[1])' must be a number from 1 to \(range.upperBound)")
                }
                step = value
            }
            let low: Int, high: Int
            if parts[0] == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else {
                let ends = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw problem("'\(parts[0])' is not a value or range") }
                guard ends.count == 2 || parts.count == 1 else {
                    throw problem("a step needs a range or '*' before it, as in '*/\(step)' or '\(parts[0])-\(range.upperBound)/\(step)'")
                }
                low = try value(ends[0], range: range, names: names, firstName: firstName, problem: problem)
                high = ends.count == 2 ? try value(ends[1], range: range, names: names, firstName: firstName, problem: problem) : low
                guard low <= high else { throw problem("the range '\(parts[0])' runs backwards") }
            }
            for value in stride(from: low, through: high, by: step) { set |= 1 << UInt64(value) }
        }
        return set
    }

    private static func value(_ text: Substring, range: ClosedRange<Int>, names: [String], firstName: Int,
                              problem: (String) -> PipelineError) throws(PipelineError) -> Int {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let number = Int(text) {
            guard range.contains(number) else {
                throw problem("\(number) is out of range \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let index = names.firstIndex(of: text.lowercased()) { return firstName + index }
        throw problem(text.isEmpty ? "a value is missing" : "'\(text)' is not a number\(names.isEmpty ? "" : " or name")")
    }
}
