//! Dates as a reader of the publication expects them, in its time zone and language.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use dateline_domain::Language;

pub(crate) const EN_WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const UR_WEEKDAYS: [&str; 7] = ["پیر", "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ", "اتوار"];
const UR_MONTHS: [&str; 12] = [
    "جنوری",
    "فروری",
    "مارچ",
    "اپریل",
    "مئی",
    "جون",
    "جولائی",
    "اگست",
    "ستمبر",
    "اکتوبر",
    "نومبر",
    "دسمبر",
];

/// "Tuesday, April 16, 2024" (English) or "منگل، 16 اپریل 2024" (Urdu): the day `at` falls on in `zone`.
pub fn long_date(at: DateTime<Utc>, zone: Tz, locale: &Language) -> String {
    let local = at.with_timezone(&zone);
    let weekday = local.weekday().num_days_from_monday() as usize;
    let month = local.month0() as usize;
    match locale.primary() {
        "ur" => format!(
            "{}، {} {} {}",
            UR_WEEKDAYS[weekday],
            local.day(),
            UR_MONTHS[month],
            local.year()
        ),
        _ => format!(
            "{}, {} {}, {}",
            EN_WEEKDAYS[weekday],
            EN_MONTHS[month],
            local.day(),
            local.year()
        ),
    }
}

/// "August 25, 2021, 7:30 PM PKT": the moment an article was published or updated.
pub fn date_time(at: DateTime<Utc>, zone: Tz, locale: &Language) -> String {
    let local = at.with_timezone(&zone);
    let abbreviation = local.format("%Z");
    let month = local.month0() as usize;
    match locale.primary() {
        "ur" => format!(
            "{} {} {}، {:02}:{:02} {abbreviation}",
            local.day(),
            UR_MONTHS[month],
            local.year(),
            local.hour(),
            local.minute()
        ),
        _ => {
            let (pm, hour) = local.hour12();
            let meridiem = if pm { "PM" } else { "AM" };
            format!(
                "{} {}, {}, {hour}:{:02} {meridiem} {abbreviation}",
                EN_MONTHS[month],
                local.day(),
                local.year(),
                local.minute()
            )
        }
    }
}

/// The moment as RFC 3339 in the publication's zone, for `<time datetime>` and machines.
pub fn rfc3339(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn long_date_is_the_day_in_karachi() {
        let en = Language::english();
        assert_eq!(
            long_date(at("2024-04-16T10:00:00Z"), chrono_tz::Asia::Karachi, &en),
            "Tuesday, April 16, 2024"
        );
        // 19:00 UTC is already midnight in Karachi (UTC+5).
        assert_eq!(
            long_date(at("2024-04-15T19:00:00Z"), chrono_tz::Asia::Karachi, &en),
            "Tuesday, April 16, 2024"
        );
        assert_eq!(
            long_date(at("2024-04-15T18:59:59Z"), chrono_tz::Asia::Karachi, &en),
            "Monday, April 15, 2024"
        );
    }

    #[test]
    fn urdu_dates_use_urdu_names() {
        let ur = Language::parse("ur").unwrap();
        assert_eq!(
            long_date(at("2024-04-16T10:00:00Z"), chrono_tz::Asia::Karachi, &ur),
            "منگل، 16 اپریل 2024"
        );
    }

    #[test]
    fn date_time_names_the_zone() {
        let en = Language::english();
        assert_eq!(
            date_time(at("2021-08-25T14:30:00Z"), chrono_tz::Asia::Karachi, &en),
            "August 25, 2021, 7:30 PM PKT"
        );
        assert_eq!(
            rfc3339(at("2021-08-25T14:30:00Z"), chrono_tz::Asia::Karachi),
            "2021-08-25T19:30:00+05:00"
        );
    }
}
