//! The service's clock: the system time in production, a time that tests set and move, so
//! deadlines, warnings and policy expiry are tested at fixed dates.

use std::sync::{Arc, Mutex};

use time::{Date, Duration, OffsetDateTime};

use super::date::{cst_date, timestamp};

/// Where "now" comes from. Cloning shares the same clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system time.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn fixed(at: OffsetDateTime) -> Clock {
        Clock {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match &self.fixed {
            None => OffsetDateTime::now_utc(),
            Some(at) => match at.lock() {
                Ok(at) => *at,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Today in China Standard Time.
    pub fn today(&self) -> Date {
        cst_date(self.now())
    }

    /// Now as the database's timestamp text.
    pub fn timestamp(&self) -> String {
        timestamp(self.now())
    }

    /// Moves a fixed clock to `at`; a system clock ignores it.
    pub fn set(&self, to: OffsetDateTime) {
        if let Some(at) = &self.fixed {
            match at.lock() {
                Ok(mut at) => *at = to,
                Err(poisoned) => *poisoned.into_inner() = to,
            }
        }
    }

    /// Moves a fixed clock forward; a system clock ignores it.
    pub fn advance(&self, by: Duration) {
        let now = self.now();
        self.set(now + by);
    }

    /// Whether this clock is fixed (tests).
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_fixed_clock_stands_still_until_moved() {
        let clock = Clock::fixed(datetime!(2026-09-30 01:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-09-30 01:00 UTC));
        clock.advance(Duration::hours(20));
        assert_eq!(clock.today(), time::macros::date!(2026 - 10 - 01));
        let shared = clock.clone();
        shared.set(datetime!(2026-10-10 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-10-10 00:00 UTC));
    }

    #[test]
    fn the_system_clock_moves() {
        let clock = Clock::system();
        clock.set(datetime!(2000-01-01 00:00 UTC));
        assert!(clock.now().year() >= 2026);
    }
}
