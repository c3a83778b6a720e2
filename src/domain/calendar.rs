//! The working-day calendar of the Chinese mainland: public holidays and 调休 make-up workdays
//! from the data files in `knowledge/calendar/` (one file a year), and working-day arithmetic.
//!
//! File format (see `knowledge/calendar/2025.txt`): a `年份 YYYY` line, then one line a day or
//! range, `2026-10-01..2026-10-07 休 国庆节` or `2026-10-10 班 国庆节调休`. Days not listed
//! follow the Monday–Friday rule, and so does every year no file covers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use time::{Date, Weekday};

use super::date::parse_date;
use crate::error::{AppError, AppResult, Code};

/// The calendar files shipped in `knowledge/calendar/` when this binary was built.
const BUILT_IN: [(&str, &str); 2] = [
    (
        "2025.txt",
        include_str!("../../knowledge/calendar/2025.txt"),
    ),
    (
        "2026.txt",
        include_str!("../../knowledge/calendar/2026.txt"),
    ),
];

/// Longest holiday range a line may give; longer ones are typing mistakes.
const MAX_RANGE_DAYS: i64 = 31;

/// What a listed day is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Listed {
    /// 休: a day off, even on a weekday.
    Holiday(String),
    /// 班: a make-up working day on a Saturday or Sunday.
    Workday(String),
}

/// Holidays and make-up workdays by date, and the years the files cover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    days: BTreeMap<Date, Listed>,
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// Parses calendar files given as (file name, text). Every bad line is reported in the
    /// error's details as `文件:行: 问题`; nothing is accepted unless all files are clean.
    pub fn parse(files: &[(String, String)]) -> AppResult<WorkCalendar> {
        let mut calendar = WorkCalendar::default();
        let mut problems = Vec::new();
        let mut year_files: BTreeMap<i32, String> = BTreeMap::new();
        for (name, text) in files {
            calendar.parse_file(name, text, &mut year_files, &mut problems);
        }
        if problems.is_empty() {
            Ok(calendar)
        } else {
            Err(AppError::new(
                Code::InvalidCalendar,
                format!("工作日历有 {} 处错误", problems.len()),
            )
            .with_details(problems))
        }
    }

    fn parse_file(
        &mut self,
        name: &str,
        text: &str,
        year_files: &mut BTreeMap<i32, String>,
        problems: &mut Vec<String>,
    ) {
        let mut year: Option<i32> = None;
        let mut declared = false;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = format!("{name}:{}", index + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.first() == Some(&"年份") {
                let already = declared;
                declared = true;
                match declared_year(&fields, already) {
                    Ok(y) => match year_files.get(&y) {
                        Some(other) => problems.push(format!("{at}: {y} 年已由 {other} 给出")),
                        None => {
                            year_files.insert(y, name.to_string());
                            self.years.insert(y);
                            year = Some(y);
                        }
                    },
                    Err(problem) => problems.push(format!("{at}: {problem}")),
                }
                continue;
            }
            let Some(file_year) = year else {
                if !declared {
                    problems.push(format!("{at}: 日期行之前应先写「年份 YYYY」"));
                }
                continue;
            };
            match parse_line(&fields, file_year) {
                Ok(days) => {
                    for (date, listed) in days {
                        if self.days.insert(date, listed).is_some() {
                            problems.push(format!("{at}: {date} 重复出现"));
                        }
                    }
                }
                Err(problem) => problems.push(format!("{at}: {problem}")),
            }
        }
        if !declared {
            problems.push(format!("{name}:1: 缺少「年份 YYYY」行"));
        }
    }

    /// Loads every `*.txt` file of `dir` (the `calendar/` folder of the knowledge directory),
    /// in name order. When `dir` does not exist, the calendar shipped with this build is used.
    pub fn load_dir(dir: &Path) -> AppResult<WorkCalendar> {
        if !dir.is_dir() {
            tracing::warn!(
                dir = %dir.display(),
                "工作日历目录不存在，使用程序内置的工作日历"
            );
            return Ok(WorkCalendar::builtin());
        }
        let failed = |path: &Path, err: std::io::Error| {
            AppError::internal(format!("读取工作日历 {} 失败：{err}", path.display()))
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| failed(dir, e))? {
            let path = entry.map_err(|e| failed(dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "txt") {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text = std::fs::read_to_string(&path).map_err(|e| failed(&path, e))?;
                files.push((name, text));
            }
        }
        files.sort();
        WorkCalendar::parse(&files)
    }

    /// The calendar files shipped with this build. They are checked by the unit tests, so a
    /// parse failure here is a bug; it yields the Monday–Friday calendar rather than a panic.
    pub fn builtin() -> WorkCalendar {
        let files: Vec<(String, String)> = BUILT_IN
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        WorkCalendar::parse(&files).unwrap_or_else(|err| {
            tracing::error!(error = %err, details = ?err.details, "内置工作日历无法解析");
            WorkCalendar::default()
        })
    }

    /// Whether a file covers `year`. Outside covered years only the Monday–Friday rule applies,
    /// so deadlines there may miss holidays: the app should warn.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years the calendar covers, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date) {
            Some(Listed::Holiday(_)) => false,
            Some(Listed::Workday(_)) => true,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// The name a file gives the day (国庆节, 春节调休), if it is listed.
    pub fn day_name(&self, date: Date) -> Option<&str> {
        match self.days.get(&date)? {
            Listed::Holiday(name) | Listed::Workday(name) => Some(name.as_str()),
        }
    }

    /// The `n`-th working day after `from`; `from` itself does not count, and `n = 0` is
    /// `from`. Saturates at the last representable date.
    pub fn add_working_days(&self, from: Date, n: u32) -> Date {
        let mut date = from;
        let mut left = n;
        while left > 0 {
            match date.next_day() {
                Some(next) => date = next,
                None => break,
            }
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days from `from` to `to`, counting the days after `from` up to and including
    /// `to`; negative (the working days after `to` up to `from`) when `to` is earlier. So
    /// `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        let (start, end, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut date = start;
        while date < end {
            match date.next_day() {
                Some(next) => date = next,
                None => break,
            }
            if self.is_working_day(date) {
                count += 1;
            }
        }
        sign * count
    }
}

fn declared_year(fields: &[&str], already: bool) -> Result<i32, String> {
    if already {
        return Err("「年份」只能写一次，每个文件一个年份".into());
    }
    match fields {
        [_, year] => match year.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(y),
            _ => Err(format!("年份 {year:?} 无效，应为四位数字，如 2026")),
        },
        _ => Err("应写作「年份 YYYY」".into()),
    }
}

/// One date line: the days it lists, each as a holiday or make-up workday.
fn parse_line(fields: &[&str], year: i32) -> Result<Vec<(Date, Listed)>, String> {
    let (dates, kind) = match fields {
        [dates, kind] | [dates, kind, ..] => (*dates, *kind),
        _ => return Err("应写作「日期 休|班 名称」，如 2026-10-10 班 国庆节调休".into()),
    };
    let name = fields
        .get(2..)
        .map(|rest| rest.join(" "))
        .unwrap_or_default();
    let (first, last) = parse_range(dates)?;
    for date in [first, last] {
        if date.year() != year {
            return Err(format!("{date} 不属于本文件的年份 {year}"));
        }
    }
    match kind {
        "休" => {
            if (last - first).whole_days() >= MAX_RANGE_DAYS {
                return Err(format!("放假区间超过 {MAX_RANGE_DAYS} 天，请检查日期"));
            }
            let mut days = Vec::new();
            let mut date = first;
            loop {
                days.push((date, Listed::Holiday(name.clone())));
                match date.next_day() {
                    Some(next) if next <= last => date = next,
                    _ => break,
                }
            }
            Ok(days)
        }
        "班" => {
            if first != last {
                return Err("调休上班日应逐日列出，不能写区间".into());
            }
            if !matches!(first.weekday(), Weekday::Saturday | Weekday::Sunday) {
                return Err(format!("{first} 不是周六或周日，不需要写「班」"));
            }
            Ok(vec![(first, Listed::Workday(name))])
        }
        other => Err(format!("类别 {other:?} 无效，应为「休」或「班」")),
    }
}

fn parse_range(text: &str) -> Result<(Date, Date), String> {
    let date =
        |part: &str| parse_date(part).ok_or_else(|| format!("日期 {part:?} 无效，应为 YYYY-MM-DD"));
    match text.split_once("..") {
        Some((a, b)) => {
            let (first, last) = (date(a)?, date(b)?);
            if first > last {
                return Err(format!("区间 {text} 的首日晚于末日"));
            }
            Ok((first, last))
        }
        None => {
            let day = date(text)?;
            Ok((day, day))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn parse(files: &[(&str, &str)]) -> AppResult<WorkCalendar> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        WorkCalendar::parse(&files)
    }

    #[test]
    fn the_shipped_files_parse_and_cover_2025_and_2026() {
        let files: Vec<(String, String)> = BUILT_IN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let cal = WorkCalendar::parse(&files).unwrap();
        assert!(cal.covers(2025) && cal.covers(2026));
        assert!(!cal.covers(2027));
        assert_eq!(cal, WorkCalendar::builtin());
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025, 2026]);
    }

    #[test]
    fn holidays_and_make_up_days_of_2025_and_2026() {
        let cal = WorkCalendar::builtin();
        // Days off (first and last of each break), then the make-up working weekends.
        let off = "2025-01-01 2025-01-28 2025-02-04 2025-04-04 2025-04-06 2025-05-01 2025-05-05 \
                   2025-05-31 2025-06-02 2025-10-01 2025-10-08 2026-01-01 2026-01-03 2026-02-15 \
                   2026-02-23 2026-04-04 2026-04-06 2026-05-01 2026-05-05 2026-06-19 2026-06-21 \
                   2026-09-25 2026-09-27 2026-10-01 2026-10-07";
        let make_up = "2025-01-26 2025-02-08 2025-04-27 2025-09-28 2025-10-11 2026-01-04 \
                       2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10";
        for (days, working) in [(off, false), (make_up, true)] {
            for day in days.split_whitespace() {
                let date = parse_date(day).unwrap();
                assert_eq!(cal.is_working_day(date), working, "{day}");
            }
        }
        assert!(cal.is_working_day(date!(2025 - 10 - 09)));
        assert_eq!(cal.day_name(date!(2026 - 10 - 10)), Some("国庆节调休"));
        assert_eq!(cal.day_name(date!(2026 - 10 - 12)), None);
    }

    #[test]
    fn adding_working_days() {
        let cal = WorkCalendar::builtin();
        let cases = [
            // The example: 10/1–10/7 off, Thu 10/8, Fri 10/9, make-up Sat 10/10.
            ("2026-09-30", 3, "2026-10-10", "国庆前夕 + 3"),
            (
                "2026-03-10",
                1,
                "2026-03-11",
                "the dispatch day itself does not count",
            ),
            ("2026-03-10", 0, "2026-03-10", "zero days is the day itself"),
            ("2026-03-13", 1, "2026-03-16", "Friday + 1 is Monday"),
            ("2026-03-14", 1, "2026-03-16", "dispatched on a Saturday"),
            (
                "2026-02-13",
                1,
                "2026-02-14",
                "make-up Saturday before 春节 counts",
            ),
            (
                "2026-02-13",
                2,
                "2026-02-24",
                "then the whole 春节 break is skipped",
            ),
            (
                "2025-12-31",
                1,
                "2026-01-04",
                "year boundary: 1/1–1/3 off, make-up Sunday 1/4",
            ),
            ("2025-12-31", 2, "2026-01-05", "year boundary, one more"),
            (
                "2026-12-31",
                2,
                "2027-01-04",
                "2027 is not covered: Monday–Friday only",
            ),
        ];
        for (from, n, due, why) in cases {
            let (from, due) = (parse_date(from).unwrap(), parse_date(due).unwrap());
            assert_eq!(cal.add_working_days(from, n), due, "{why}");
            assert_eq!(cal.working_days_between(from, due), i64::from(n), "{why}");
        }
        assert!(cal.is_working_day(date!(2027 - 01 - 01)));
    }

    #[test]
    fn working_days_between_is_signed() {
        let cal = WorkCalendar::builtin();
        let mon = date!(2026 - 03 - 16);
        let fri = date!(2026 - 03 - 13);
        assert_eq!(cal.working_days_between(fri, mon), 1);
        assert_eq!(cal.working_days_between(mon, fri), -1);
        assert_eq!(cal.working_days_between(mon, mon), 0);
        for n in 0..40 {
            let due = cal.add_working_days(date!(2026 - 09 - 15), n);
            assert_eq!(
                cal.working_days_between(date!(2026 - 09 - 15), due),
                i64::from(n)
            );
        }
    }

    #[test]
    fn every_bad_line_is_reported_with_file_and_line() {
        let err = parse(&[
            (
                "2027.txt",
                "# 注释\n2027-01-01 休 元旦\n年份 2027\n2027-02-30 休 x\n2027-01-04 班 周一\n\
                 2027-03-01 放 x\n2026-05-01 休 x\n2027-05-05..2027-05-01 休 x\n2027-06-01 休\n\
                 2027-06-01 休 again\n2027-07-01\n年份 2027\n",
            ),
            ("empty.txt", "# 只有注释\n"),
            ("dup.txt", "年份 2027\n"),
        ])
        .unwrap_err();
        assert_eq!(err.code, Code::InvalidCalendar);
        let details = err.details.join("\n");
        for expected in [
            "2027.txt:2: 日期行之前应先写「年份 YYYY」",
            "2027.txt:4: 日期 \"2027-02-30\" 无效",
            "2027.txt:5: 2027-01-04 不是周六或周日",
            "2027.txt:6: 类别 \"放\" 无效",
            "2027.txt:7: 2026-05-01 不属于本文件的年份 2027",
            "2027.txt:8: 区间 2027-05-05..2027-05-01 的首日晚于末日",
            "2027.txt:10: 2027-06-01 重复出现",
            "2027.txt:11: 应写作「日期 休|班 名称」",
            "2027.txt:12: 「年份」只能写一次",
            "empty.txt:1: 缺少「年份 YYYY」行",
            "dup.txt:1: 2027 年已由 2027.txt 给出",
        ] {
            assert!(details.contains(expected), "{expected}\n---\n{details}");
        }
        assert_eq!(err.details.len(), 11, "{details}");
    }

    #[test]
    fn a_later_year_is_just_another_file() {
        let cal = parse(&[(
            "2027.txt",
            "年份 2027\n2027-01-01 休 元旦 # 假设\n2027-01-02\t班\t调休\n",
        )])
        .unwrap();
        assert!(cal.covers(2027));
        assert!(!cal.is_working_day(date!(2027 - 01 - 01)));
        assert!(cal.is_working_day(date!(2027 - 01 - 02)));
    }

    #[test]
    fn a_missing_directory_falls_back_to_the_built_in_calendar() {
        let cal = WorkCalendar::load_dir(Path::new("/nonexistent/calendar")).unwrap();
        assert_eq!(cal, WorkCalendar::builtin());
    }
}
