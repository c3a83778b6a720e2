//! Calendar dates (`YYYY-MM-DD`) and timestamps as the service writes them, in China Standard Time.

use time::{macros::format_description, Date, Duration, OffsetDateTime, UtcOffset};

/// China Standard Time, UTC+8, used for "today" when judging whether a policy is in force.
const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    let format = format_description!("[year]-[month]-[day]");
    if text.len() != 10 {
        return None;
    }
    Date::parse(text, &format).ok()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    let format = format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

/// Today's date in China Standard Time.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(CST).date()
}

/// The current instant as an RFC 3339 UTC timestamp with milliseconds. Fixed width, so the
/// text sorts in time order in both database engines.
pub fn now_timestamp() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// Formats an instant as the fixed-width RFC 3339 UTC text the database keeps.
pub fn timestamp(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// Parses a timestamp as written by [`timestamp`] (or any RFC 3339 instant).
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// The calendar date of an instant in China Standard Time.
pub fn cst_date(at: OffsetDateTime) -> Date {
    at.to_offset(CST).date()
}

/// China Standard Time (UTC+8), the offset every deadline is counted in.
pub fn cst() -> UtcOffset {
    CST
}

/// A timestamp `seconds` before now, for look-back windows.
pub fn timestamp_seconds_ago(seconds: i64) -> String {
    timestamp(OffsetDateTime::now_utc() - Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_strict_iso_dates_parse() {
        assert!(parse_date("2026-02-28").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("2026/02/28").is_none());
        assert!(parse_date("2026-2-8").is_none());
        assert!(parse_date("").is_none());
    }

    #[test]
    fn timestamps_are_fixed_width_and_sortable() {
        let a = timestamp(OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
        let b = timestamp(OffsetDateTime::from_unix_timestamp(1_700_000_001).unwrap());
        assert_eq!(a.len(), 24);
        assert!(a < b);
        assert!(a.ends_with('Z'));
        assert_eq!(
            parse_timestamp(&a),
            OffsetDateTime::from_unix_timestamp(1_700_000_000).ok()
        );
    }
}
