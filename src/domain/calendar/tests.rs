use super::*;
use chrono::NaiveDateTime;
use chrono_tz::Asia::Makassar;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test input")
}

/// A local wall time in `tz`, "YYYY-MM-DD HH:MM[:SS[.ffffff]]".
fn at(tz: Tz, s: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .expect("valid test input");
    tz.from_local_datetime(&naive)
        .single()
        .expect("valid test input")
        .with_timezone(&Utc)
}

fn wita(s: &str) -> DateTime<Utc> {
    at(Makassar, s)
}

/// The default calendar of SLA.md's worked examples.
fn default_cal() -> Calendar {
    Calendar::new(
        Makassar,
        WeekSchedule::spbe_default(),
        [date("2026-12-24"), date("2026-12-25")],
    )
    .expect("valid test input")
}

fn deadline(cal: &Calendar, start: &str, minutes: i64) -> DateTime<Utc> {
    cal.add_business_time(wita(start), TimeDelta::minutes(minutes))
        .expect("the default calendar has working time")
}

fn map(entries: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, Vec<[String; 2]>> {
    entries
        .iter()
        .map(|(k, list)| {
            let list = list
                .iter()
                .map(|(s, e)| [s.to_string(), e.to_string()])
                .collect();
            (k.to_string(), list)
        })
        .collect()
}

// --- SLA.md worked examples without stops (all nine are also in sla.rs as clocks) ---

#[test]
fn example_1_across_lunch() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 11:00", 120),
        wita("2026-11-23 14:00")
    );
}

#[test]
fn example_2_friday_afternoon_to_monday() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-27 16:00", 60),
        wita("2026-11-30 08:00")
    );
}

#[test]
fn example_3_start_on_holiday_skips_holidays_and_weekend() {
    assert_eq!(
        deadline(&default_cal(), "2026-12-24 10:00", 30),
        wita("2026-12-28 08:00")
    );
}

#[test]
fn example_4_uses_up_morning_interval_ends_at_noon() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 07:30", 270),
        wita("2026-11-23 12:00")
    );
}

#[test]
fn example_5_start_on_saturday_full_day() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-21 09:00", 450),
        wita("2026-11-23 16:00")
    );
}

#[test]
fn example_6_seconds_count() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 08:00:30", 1),
        wita("2026-11-23 08:01:30")
    );
}

#[test]
fn business_minutes_monday_0800_to_tuesday_0800_are_450() {
    let cal = default_cal();
    let got = cal.business_time_between(wita("2026-11-23 08:00"), wita("2026-11-24 08:00"));
    assert_eq!(got, TimeDelta::minutes(450));
}

#[test]
fn fractional_minutes_are_real() {
    let cal = default_cal();
    let got = cal.business_time_between(wita("2026-11-23 08:00:30"), wita("2026-11-23 08:02"));
    assert_eq!(got, TimeDelta::seconds(90));
    let got = cal.business_time_between(
        wita("2026-11-23 11:59:59.999999"),
        wita("2026-11-23 13:00:00.000001"),
    );
    assert_eq!(got, TimeDelta::microseconds(2));
}

// --- classic peer bugs ---

#[test]
fn lunch_break_is_not_counted() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 11:50", 20),
        wita("2026-11-23 13:10")
    );
}

#[test]
fn three_working_days_over_holidays_and_weekend() {
    // Wed 23 Dec 10:00: 300 minutes that day; 24-25 holidays, 26-27 weekend; Mon and Tue
    // 450 each; 150 more on Wed 30 Dec: 07:30 + 150 = 10:00.
    assert_eq!(
        deadline(&default_cal(), "2026-12-23 10:00", 3 * 450),
        wita("2026-12-30 10:00")
    );
}

#[test]
fn friday_is_450_minutes_too() {
    let cal = default_cal();
    let friday = cal.business_time_between(wita("2026-11-27 00:00"), wita("2026-11-28 00:00"));
    assert_eq!(friday, TimeDelta::minutes(450));
    assert_eq!(
        deadline(&cal, "2026-11-27 07:30", 450),
        wita("2026-11-27 16:30")
    );
    assert_eq!(cal.weekly_minutes(), 2250);
}

#[test]
fn start_exactly_at_noon_counts_from_one() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 12:00", 30),
        wita("2026-11-23 13:30")
    );
}

#[test]
fn start_exactly_at_close_counts_from_next_morning() {
    assert_eq!(
        deadline(&default_cal(), "2026-11-23 16:00", 30),
        wita("2026-11-24 08:00")
    );
}

#[test]
fn deadline_lands_on_friday_1630() {
    let cal = default_cal();
    assert_eq!(
        deadline(&cal, "2026-11-27 16:00", 30),
        wita("2026-11-27 16:30")
    );
    assert_eq!(
        deadline(&cal, "2026-11-27 13:00", 210),
        wita("2026-11-27 16:30")
    );
    assert_eq!(
        deadline(&cal, "2026-11-27 16:00", 31),
        wita("2026-11-30 07:31")
    );
}

#[test]
fn interval_edges_are_half_open() {
    let cal = default_cal();
    assert!(cal.is_working(wita("2026-11-23 07:30")));
    assert!(cal.is_working(wita("2026-11-23 11:59:59.999999")));
    assert!(!cal.is_working(wita("2026-11-23 12:00")));
    assert!(!cal.is_working(wita("2026-11-23 12:59:59.999999")));
    assert!(cal.is_working(wita("2026-11-23 13:00")));
    assert!(!cal.is_working(wita("2026-11-23 16:00")));
    assert!(cal.is_working(wita("2026-11-27 16:29:59")));
    assert!(!cal.is_working(wita("2026-11-27 16:30")));
    assert!(!cal.is_working(wita("2026-12-24 09:00")));
    assert!(!cal.is_working(wita("2026-11-28 09:00")));
}

#[test]
fn year_end_with_new_year_holiday() {
    let cal = Calendar::new(
        Makassar,
        WeekSchedule::spbe_default(),
        [date("2026-01-01"), date("2027-01-01")],
    )
    .expect("valid test input");
    // Wed 31 Dec 2025 15:00: 60 minutes that day, Thu 1 Jan holiday, Fri 2 Jan 07:30 + 60.
    assert_eq!(
        deadline(&cal, "2025-12-31 15:00", 120),
        wita("2026-01-02 08:30")
    );
    // Thu 31 Dec 2026: Fri 1 Jan 2027 is a holiday, then the weekend.
    assert_eq!(
        deadline(&cal, "2026-12-31 15:00", 120),
        wita("2027-01-04 08:30")
    );
    assert_eq!(
        cal.business_time_between(wita("2026-12-31 15:00"), wita("2027-01-04 08:30")),
        TimeDelta::minutes(120)
    );
}

#[test]
fn start_on_holiday() {
    let cal = default_cal();
    assert_eq!(
        deadline(&cal, "2026-12-25 07:30", 0),
        wita("2026-12-28 07:30")
    );
    assert_eq!(
        deadline(&cal, "2026-12-24 00:00", 450),
        wita("2026-12-28 16:00")
    );
    assert_eq!(
        cal.business_time_between(wita("2026-12-24 00:00"), wita("2026-12-27 23:59")),
        TimeDelta::zero()
    );
}

#[test]
fn zero_minutes_is_next_working_instant() {
    let cal = default_cal();
    let zero = |s: &str| deadline(&cal, s, 0);
    assert_eq!(zero("2026-11-23 09:15:07"), wita("2026-11-23 09:15:07"));
    assert_eq!(zero("2026-11-23 07:30"), wita("2026-11-23 07:30"));
    assert_eq!(zero("2026-11-23 12:00"), wita("2026-11-23 13:00"));
    assert_eq!(zero("2026-11-23 12:30"), wita("2026-11-23 13:00"));
    assert_eq!(zero("2026-11-23 16:00"), wita("2026-11-24 07:30"));
    assert_eq!(zero("2026-11-23 05:00"), wita("2026-11-23 07:30"));
    assert_eq!(zero("2026-11-28 10:00"), wita("2026-11-30 07:30"));
    assert_eq!(
        cal.next_working_instant(wita("2026-11-27 11:30")),
        Some(wita("2026-11-27 13:00"))
    );
}

#[test]
fn negative_duration_counts_as_zero() {
    let cal = default_cal();
    assert_eq!(
        cal.add_business_time(wita("2026-11-23 12:30"), TimeDelta::minutes(-5)),
        Some(wita("2026-11-23 13:00"))
    );
}

#[test]
fn between_is_zero_when_reversed_or_equal() {
    let cal = default_cal();
    let a = wita("2026-11-23 09:00");
    let b = wita("2026-11-23 10:00");
    assert_eq!(cal.business_time_between(b, a), TimeDelta::zero());
    assert_eq!(cal.business_time_between(a, a), TimeDelta::zero());
    assert_eq!(cal.business_time_between(a, b), TimeDelta::minutes(60));
}

#[test]
fn other_indonesian_zones() {
    let week = WeekSchedule::spbe_default();
    for tz in [chrono_tz::Asia::Jakarta, chrono_tz::Asia::Jayapura] {
        let cal = Calendar::new(tz, week.clone(), []).expect("valid test input");
        let got = cal.add_business_time(at(tz, "2026-11-23 11:00"), TimeDelta::minutes(120));
        assert_eq!(got, Some(at(tz, "2026-11-23 14:00")));
    }
    // 07:30 WIB is 09:30 WIT: a Jayapura desk has already worked two hours then.
    let jayapura = Calendar::new(chrono_tz::Asia::Jayapura, week, []).expect("valid test input");
    let jakarta_open = at(chrono_tz::Asia::Jakarta, "2026-11-23 07:30");
    assert_eq!(
        jayapura.business_time_between(
            at(chrono_tz::Asia::Jayapura, "2026-11-23 00:00"),
            jakarta_open
        ),
        TimeDelta::minutes(120)
    );
}

#[test]
fn no_working_time_gives_none_not_a_hang() {
    let cal = Calendar::new(Makassar, WeekSchedule::default(), []).expect("valid test input");
    let t = wita("2026-11-23 08:00");
    assert_eq!(cal.weekly_minutes(), 0);
    assert_eq!(cal.next_working_instant(t), None);
    assert_eq!(cal.add_business_time(t, TimeDelta::minutes(5)), None);
    assert_eq!(
        cal.business_time_between(t, t + TimeDelta::days(30)),
        TimeDelta::zero()
    );
    assert!(!cal.is_working(t));
}

#[test]
fn holidays_beyond_the_horizon_give_none() {
    let start = date("2026-01-01");
    let four_years: Vec<NaiveDate> = start.iter_days().take(4 * 366).collect();
    let cal = Calendar::new(Makassar, WeekSchedule::spbe_default(), four_years)
        .expect("valid test input");
    assert_eq!(cal.next_working_instant(wita("2026-01-01 08:00")), None);
    // Two years of holidays are within the horizon: the first working day after them.
    let two_years: Vec<NaiveDate> = start.iter_days().take(2 * 365).collect();
    let cal =
        Calendar::new(Makassar, WeekSchedule::spbe_default(), two_years).expect("valid test input");
    let next = cal
        .next_working_instant(wita("2026-01-01 08:00"))
        .expect("the calendar has working time");
    assert_eq!(next, wita("2028-01-03 07:30"));
}

#[test]
fn one_million_minutes_is_exact_and_fast() {
    let holidays: Vec<NaiveDate> = (2026..2045)
        .flat_map(|y| {
            [(1, 1), (8, 17), (12, 25)]
                .map(|(m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("valid test input"))
        })
        .collect();
    let cal =
        Calendar::new(Makassar, WeekSchedule::spbe_default(), holidays).expect("valid test input");
    let start = wita("2026-11-23 09:17:45.123456");
    let target = TimeDelta::minutes(1_000_000);
    let began = std::time::Instant::now();
    let due = cal
        .add_business_time(start, target)
        .expect("the calendar has working time");
    let took = began.elapsed();
    assert_eq!(cal.business_time_between(start, due), target);
    assert!(cal.is_working(due - TimeDelta::microseconds(1)));
    // Generous even for an unoptimised test build on a loaded machine.
    assert!(
        took < std::time::Duration::from_millis(200),
        "took {took:?}"
    );
}

#[test]
fn absurd_targets_return_none_at_once() {
    let cal = default_cal();
    let t = wita("2026-11-23 08:00");
    assert_eq!(cal.add_business_time(t, TimeDelta::MAX), None);
    assert_eq!(
        cal.add_business_time(t, TimeDelta::days(365 * 20_000)),
        None
    );
}

// --- zones with daylight saving time ---

fn all_day_sunday(tz: Tz, from: &str, to: &str) -> Calendar {
    let mut week = WeekSchedule::default();
    week.days[6] = vec![(
        parse_hhmm(from).expect("valid test input"),
        parse_hhmm_end(to).expect("valid test input"),
    )];
    Calendar::new(tz, week, []).expect("valid test input")
}

#[test]
fn dst_spring_forward_shortens_an_interval() {
    // Europe/Berlin, Sun 29 Mar 2026: 02:00 local jumps to 03:00.
    let tz = chrono_tz::Europe::Berlin;
    let cal = all_day_sunday(tz, "01:00", "04:00");
    let day = cal.business_time_between(at(tz, "2026-03-29 00:00"), at(tz, "2026-03-30 00:00"));
    assert_eq!(day, TimeDelta::hours(2));
    // 90 minutes from 01:30 local: 30 before the gap, 60 after it.
    let due = cal.add_business_time(at(tz, "2026-03-29 01:30"), TimeDelta::minutes(90));
    assert_eq!(due, Some(at(tz, "2026-03-29 04:00")));
    let whole = all_day_sunday(tz, "00:00", "24:00");
    let day = whole.business_time_between(at(tz, "2026-03-29 00:00"), at(tz, "2026-03-30 00:00"));
    assert_eq!(day, TimeDelta::hours(23));
}

#[test]
fn dst_start_in_gap_moves_to_first_instant_after_it() {
    let tz = chrono_tz::Europe::Berlin;
    let cal = all_day_sunday(tz, "02:30", "05:00");
    let first = cal.next_working_instant(at(tz, "2026-03-29 00:00"));
    assert_eq!(first, Some(at(tz, "2026-03-29 03:00")));
    // An interval wholly inside the gap is empty.
    let cal = all_day_sunday(tz, "02:10", "02:50");
    let day = cal.business_time_between(at(tz, "2026-03-29 00:00"), at(tz, "2026-03-30 00:00"));
    assert_eq!(day, TimeDelta::zero());
    assert_eq!(
        cal.next_working_instant(at(tz, "2026-03-29 00:00")),
        Some(at(tz, "2026-04-05 02:10"))
    );
}

#[test]
fn dst_fall_back_lengthens_an_interval() {
    // Europe/Berlin, Sun 25 Oct 2026: 03:00 local goes back to 02:00; the interval starts
    // at the first 01:00 and ends at 04:00, four real hours.
    let tz = chrono_tz::Europe::Berlin;
    let cal = all_day_sunday(tz, "01:00", "04:00");
    let start = tz
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2026, 10, 25)
                .expect("valid test input")
                .and_hms_opt(0, 0, 0)
                .expect("valid test input"),
        )
        .single()
        .expect("valid test input")
        .with_timezone(&Utc);
    let day = cal.business_time_between(start, start + TimeDelta::days(1));
    assert_eq!(day, TimeDelta::hours(4));
    let due = cal
        .add_business_time(start, TimeDelta::hours(4))
        .expect("the calendar has working time");
    assert_eq!(due, at(tz, "2026-10-25 04:00"));
    // An interval starting at an ambiguous wall time starts at its first occurrence.
    let cal = all_day_sunday(tz, "02:30", "03:30");
    let first = cal
        .next_working_instant(start)
        .expect("the calendar has working time");
    assert_eq!(
        first,
        tz.from_local_datetime(&first.with_timezone(&tz).naive_local())
            .earliest()
            .expect("valid test input")
    );
    assert_eq!(
        cal.business_time_between(start, start + TimeDelta::days(1)),
        TimeDelta::hours(2)
    );
}

#[test]
fn long_walk_through_dst_zone_matches_between() {
    let tz = chrono_tz::America::New_York;
    let cal = Calendar::new(tz, WeekSchedule::spbe_default(), []).expect("valid test input");
    let start = at(tz, "2026-01-05 09:00");
    let due = cal
        .add_business_time(start, TimeDelta::minutes(200_000))
        .expect("the calendar has working time");
    assert_eq!(
        cal.business_time_between(start, due),
        TimeDelta::minutes(200_000)
    );
    // Working hours stay at the same wall-clock times across transitions.
    assert!(cal.is_working(at(tz, "2026-07-06 07:30")));
    assert!(!cal.is_working(at(tz, "2026-07-06 07:29:59")));
    assert!(cal.is_working(at(tz, "2026-11-02 15:59:59")));
    assert!(!cal.is_working(at(tz, "2026-11-02 16:00")));
}

#[test]
fn fixed_offset_fast_path_matches_per_boundary_conversion_in_every_zone() {
    // Boundaries at midnight, just after the usual 01:00-03:00 transition hours, and late
    // evening, where zones such as America/Santiago or Asia/Beirut change their clocks.
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid test input");
    let day = vec![(NaiveTime::MIN, t(2, 30)), (t(3, 0), t(23, 30))];
    let week = WeekSchedule {
        days: std::array::from_fn(|_| day.clone()),
    };
    let first = date("2026-01-01");
    for tz in chrono_tz::TZ_VARIANTS {
        let cal = Calendar::new(tz, week.clone(), [date("2026-06-01")]).expect("valid test input");
        let mut walk = DayWalk::new(&cal, first);
        for _ in 0..365 {
            let mut fast = Vec::new();
            walk.for_each_interval(|s, e| fast.push((s, e)));
            let slow: Vec<(i64, i64)> = walk
                .spans()
                .iter()
                .filter_map(|&(s, e)| {
                    let s = cal.local_to_utc(walk.date, s)?.timestamp_micros();
                    let e = cal.local_to_utc(walk.date, e)?.timestamp_micros();
                    (s < e).then_some((s, e))
                })
                .collect();
            assert_eq!(fast, slow, "{} on {}", tz.name(), walk.date);
            walk.advance().expect("dates in 2026 have successors");
        }
    }
}

// --- parsing and validation ---

#[test]
fn parse_times() {
    assert_eq!(
        parse_hhmm("07:30").expect("valid test input"),
        NaiveTime::from_hms_opt(7, 30, 0).expect("valid test input")
    );
    assert_eq!(
        parse_hhmm("00:00").expect("valid test input"),
        NaiveTime::MIN
    );
    assert_eq!(
        parse_hhmm_end("24:00").expect("valid test input"),
        END_OF_DAY
    );
    assert_eq!(
        parse_hhmm_end("16:30").expect("valid test input"),
        NaiveTime::from_hms_opt(16, 30, 0).expect("valid test input")
    );
    assert_eq!(parse_hhmm("24:00"), Err(CalendarError::EndOfDayAsStart));
    assert_eq!(parse_hhmm_end("00:00"), Err(CalendarError::MidnightAsEnd));
    for bad in [
        "7:30", "07:60", "24:01", "25:00", "0730", "07:30:00", "ab:cd", "", " 07:30", "07.30",
    ] {
        let err = parse_hhmm(bad).expect_err("must be rejected");
        assert_eq!(
            err,
            CalendarError::InvalidTime {
                value: bad.to_string()
            },
            "{bad}"
        );
        assert!(err.to_string().contains(&format!("\"{bad}\"")));
    }
    assert_eq!(
        parse_timezone("Asia/Makassar").expect("valid test input"),
        Makassar
    );
    assert_eq!(
        parse_timezone("Asia/Ujung_Pandang_X")
            .expect_err("must be rejected")
            .to_string(),
        "unknown time zone \"Asia/Ujung_Pandang_X\": expected an IANA name such as Asia/Makassar"
    );
}

#[test]
fn from_map_parses_the_api_form() {
    let m = map(&[
        ("mon", &[("07:30", "12:00"), ("13:00", "16:00")]),
        ("fri", &[("07:30", "11:30"), ("13:00", "16:30")]),
        ("sat", &[]),
        ("sun", &[("20:00", "24:00")]),
    ]);
    let week = WeekSchedule::from_map(&m).expect("valid test input");
    assert_eq!(week.days[0].len(), 2);
    assert!(week.days[1].is_empty(), "missing key = no working time");
    assert_eq!(
        week.days[6],
        vec![(parse_hhmm("20:00").expect("valid test input"), END_OF_DAY)]
    );
    let back = week.to_map();
    assert_eq!(
        back["sun"],
        vec![["20:00".to_string(), "24:00".to_string()]]
    );
    assert_eq!(back["mon"], m["mon"]);
    assert_eq!(
        WeekSchedule::from_map(&back).expect("valid test input"),
        week
    );
    let cal = Calendar::new(Makassar, week, []).expect("valid test input");
    assert_eq!(cal.weekly_minutes(), 450 + 450 + 240);
    assert_eq!(
        WeekSchedule::from_map(&WeekSchedule::spbe_default().to_map()).expect("valid test input"),
        WeekSchedule::spbe_default()
    );
}

#[test]
fn from_map_errors_name_the_day_and_interval() {
    let msg = |m: BTreeMap<String, Vec<[String; 2]>>| {
        WeekSchedule::from_map(&m)
            .expect_err("must be rejected")
            .to_string()
    };
    assert_eq!(
        msg(map(&[("mon", &[("13:00", "12:00")])])),
        "mon: interval 13:00-12:00 ends before it starts"
    );
    assert_eq!(
        msg(map(&[("tue", &[("08:00", "08:00")])])),
        "tue: interval 08:00-08:00 is empty"
    );
    assert_eq!(
        msg(map(&[("wed", &[("07:30", "12:00"), ("11:00", "13:00")])])),
        "wed: intervals 07:30-12:00 and 11:00-13:00 overlap"
    );
    assert_eq!(
        msg(map(&[("thu", &[("13:00", "16:00"), ("07:30", "12:00")])])),
        "thu: interval 07:30-12:00 is listed after 13:00-16:00; list intervals in order of start time"
    );
    assert_eq!(
        msg(map(&[("monday", &[("07:30", "12:00")])])),
        "unknown weekday \"monday\": expected one of mon, tue, wed, thu, fri, sat, sun"
    );
    assert_eq!(
        msg(map(&[("fri", &[("7:30", "12:00")])])),
        "fri: invalid time \"7:30\": expected HH:MM between 00:00 and 23:59 (24:00 may end an interval)"
    );
    assert_eq!(
        msg(map(&[("sat", &[("24:00", "24:00")])])),
        "sat: 24:00 can only be the end of an interval, not its start"
    );
    assert_eq!(
        msg(map(&[("sun", &[("22:00", "00:00")])])),
        "sun: an interval cannot end at 00:00; use 24:00 for the end of the day"
    );
    // Touching intervals are not an overlap.
    assert!(
        WeekSchedule::from_map(&map(&[("mon", &[("07:30", "12:00"), ("12:00", "13:00")])])).is_ok()
    );
}

#[test]
fn calendar_new_validates_direct_schedules() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid test input");
    let mut week = WeekSchedule::default();
    week.days[2] = vec![(t(9, 0), t(8, 0))];
    let err = Calendar::new(Makassar, week, []).expect_err("must be rejected");
    assert_eq!(
        err.to_string(),
        "wed: interval 09:00-08:00 ends before it starts"
    );
    let mut week = WeekSchedule::default();
    week.days[0] = vec![(
        NaiveTime::from_hms_nano_opt(8, 0, 0, 1).expect("valid test input"),
        t(9, 0),
    )];
    assert!(matches!(
        Calendar::new(Makassar, week, []),
        Err(CalendarError::UnsupportedTime { day: "mon", .. })
    ));
    // The whole day: 00:00 to END_OF_DAY.
    let mut week = WeekSchedule::default();
    week.days[0] = vec![(NaiveTime::MIN, END_OF_DAY)];
    let cal = Calendar::new(Makassar, week, [date("2026-11-23"), date("2026-11-23")])
        .expect("valid test input");
    assert_eq!(cal.weekly_minutes(), 1440);
    assert_eq!(cal.holidays(), &[date("2026-11-23")]);
    assert!(cal.is_holiday(date("2026-11-23")));
    assert_eq!(cal.timezone(), Makassar);
    assert_eq!(
        cal.business_time_between(wita("2026-11-29 23:00"), wita("2026-12-01 01:00")),
        TimeDelta::hours(24)
    );
}

#[test]
fn whole_days_join_across_midnight() {
    let mut week = WeekSchedule::default();
    week.days[0] = vec![(
        NaiveTime::from_hms_opt(22, 0, 0).expect("valid test input"),
        END_OF_DAY,
    )];
    week.days[1] = vec![(
        NaiveTime::MIN,
        NaiveTime::from_hms_opt(2, 0, 0).expect("valid test input"),
    )];
    let cal = Calendar::new(Makassar, week, []).expect("valid test input");
    assert_eq!(
        cal.add_business_time(wita("2026-11-23 23:00"), TimeDelta::hours(2)),
        Some(wita("2026-11-24 01:00"))
    );
    assert!(cal.is_working(wita("2026-11-24 00:00")));
}
