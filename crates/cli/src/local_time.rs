//! Times as the command line prints them: in the machine's local time, labelled with its zone
//! ("2026-12-06 14:05 UTC", "2026-12-06 15:05 UTC+01:00"), so that no printed time leaves the
//! reader guessing which clock it is on.

use chrono::{DateTime, FixedOffset, Local, Utc};

/// "2026-12-06 14:05 UTC+01:00": `at` in local time, with its zone.
pub fn date_time(at: DateTime<Utc>) -> String {
    labelled(at.with_timezone(&Local).fixed_offset())
}

/// The local zone's label now: "UTC", "UTC+01:00".
pub fn zone_now() -> String {
    zone(*Local::now().offset())
}

fn labelled(at: DateTime<FixedOffset>) -> String {
    format!("{} {}", at.format("%Y-%m-%d %H:%M"), zone(*at.offset()))
}

fn zone(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".into()
    } else {
        format!("UTC{offset}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_zone_is_always_named() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 14, 5, 0).unwrap();
        assert_eq!(
            labelled(at.with_timezone(&FixedOffset::east_opt(0).unwrap())),
            "2026-12-06 14:05 UTC"
        );
        assert_eq!(
            labelled(at.with_timezone(&FixedOffset::east_opt(3600).unwrap())),
            "2026-12-06 15:05 UTC+01:00"
        );
        assert_eq!(
            labelled(at.with_timezone(&FixedOffset::west_opt(5 * 3600 + 1800).unwrap())),
            "2026-12-06 08:35 UTC-05:30"
        );
    }
}
