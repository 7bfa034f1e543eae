use super::test_support::*;
use super::*;
use proptest::prelude::*;

/// Reference steps: 45 days of minutes.
const MAX_STEPS: u32 = 45 * 1440;

fn calendar_and_instant() -> impl Strategy<Value = (RandomCal, DateTime<Utc>)> {
    arb_calendar().prop_flat_map(|rc| {
        let instant = arb_instant(&rc);
        (Just(rc), instant)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn add_business_time_matches_reference((rc, start) in calendar_and_instant(), d in arb_duration()) {
        let got = rc.cal.add_business_time(start, d);
        match rc.reference_add(start, d, MAX_STEPS) {
            Ok(expected) => prop_assert_eq!(got, Some(expected)),
            // The reference gave up: the deadline, if any, lies beyond where it stopped.
            Err(gave_up_at) => prop_assert!(got.is_none_or(|t| t > gave_up_at), "{got:?} <= {gave_up_at}"),
        }
    }

    /// Durations measured up to an (often edge-biased) instant, so that targets which
    /// use up an interval exactly are common rather than a 1-in-10^6 accident.
    #[test]
    fn add_business_time_of_measured_span_matches_reference(
        (rc, a, b) in calendar_and_instant().prop_flat_map(|(rc, a)| {
            let b = arb_instant(&rc);
            (Just(rc), Just(a), b)
        })
    ) {
        let d = rc.reference_between(a, b);
        let got = rc.cal.add_business_time(a, d);
        match rc.reference_add(a, d, MAX_STEPS) {
            Ok(expected) => prop_assert_eq!(got, Some(expected)),
            // Only a calendar without working time ahead makes the reference give up here.
            Err(gave_up_at) => prop_assert!(got.is_none_or(|t| t > gave_up_at)),
        }
        if a <= b && rc.working(b - TimeDelta::microseconds(1)) {
            prop_assert!(rc.cal.add_business_time(a, d) == Some(b) || d == TimeDelta::zero());
        }
    }

    #[test]
    fn business_time_between_matches_reference((rc, a) in calendar_and_instant(), span in 0i64..(4 * 86_400_000_000)) {
        let b = a + TimeDelta::microseconds(span);
        prop_assert_eq!(rc.cal.business_time_between(a, b), rc.reference_between(a, b));
        prop_assert_eq!(rc.cal.business_time_between(b, a), TimeDelta::zero());
    }

    #[test]
    fn is_working_matches_reference((rc, t) in calendar_and_instant()) {
        prop_assert_eq!(rc.cal.is_working(t), rc.working(t));
    }

    #[test]
    fn deadline_is_where_elapsed_first_reaches_target((rc, start) in calendar_and_instant(), d in arb_duration()) {
        check_deadline_exact(&rc.cal, start, d)?;
    }

    #[test]
    fn business_time_between_is_additive(
        (rc, a) in calendar_and_instant(),
        ab in 0i64..(3 * 86_400_000_000),
        bc in 0i64..(3 * 86_400_000_000),
    ) {
        check_additive(&rc.cal, a, ab, bc)?;
    }
}

fn check_deadline_exact(
    cal: &Calendar,
    start: DateTime<Utc>,
    d: TimeDelta,
) -> Result<(), TestCaseError> {
    let Some(due) = cal.add_business_time(start, d) else {
        return Ok(());
    };
    prop_assert!(due >= start);
    prop_assert_eq!(cal.business_time_between(start, due), d);
    if d > TimeDelta::zero() {
        let before = due - TimeDelta::microseconds(1);
        prop_assert!(cal.business_time_between(start, before) < d);
        prop_assert!(cal.is_working(before));
    } else {
        // Zero: the first working instant at or after the start.
        prop_assert!(cal.is_working(due));
        prop_assert!(due == start || !cal.is_working(due - TimeDelta::microseconds(1)));
        prop_assert_eq!(cal.next_working_instant(start), Some(due));
    }
    Ok(())
}

fn check_additive(cal: &Calendar, a: DateTime<Utc>, ab: i64, bc: i64) -> Result<(), TestCaseError> {
    let b = a + TimeDelta::microseconds(ab);
    let c = b + TimeDelta::microseconds(bc);
    prop_assert_eq!(
        cal.business_time_between(a, b) + cal.business_time_between(b, c),
        cal.business_time_between(a, c)
    );
    Ok(())
}

/// Zones with daylight saving time, on dates around their transitions. There is no
/// independent reference for repeated wall times (that is the choice documented at the top
/// of this module), so these check that the operations agree with each other.
fn dst_calendar_and_instant() -> impl Strategy<Value = (RandomCal, DateTime<Utc>)> {
    let zones = vec![
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::America::Santiago,
    ];
    let transitions = vec![
        NaiveDate::from_ymd_opt(2026, 3, 27).expect("valid test input"),
        NaiveDate::from_ymd_opt(2026, 10, 23).expect("valid test input"),
        NaiveDate::from_ymd_opt(2026, 3, 6).expect("valid test input"),
        NaiveDate::from_ymd_opt(2026, 10, 30).expect("valid test input"),
        NaiveDate::from_ymd_opt(2026, 4, 2).expect("valid test input"),
        NaiveDate::from_ymd_opt(2026, 9, 4).expect("valid test input"),
    ];
    (
        arb_calendar_in(zones),
        prop::sample::select(transitions),
        0i64..(5 * 86_400),
        0i64..1_000_000,
    )
        .prop_map(|(rc, base, seconds, micros)| {
            let rc = RandomCal::new(rc.tz, rc.week, rc.holidays, base);
            let naive = base.and_time(NaiveTime::MIN) + TimeDelta::seconds(seconds);
            let t = rc
                .tz
                .from_local_datetime(&naive)
                .earliest()
                .unwrap_or_else(|| Utc.from_utc_datetime(&naive).with_timezone(&rc.tz));
            (rc, t.with_timezone(&Utc) + TimeDelta::microseconds(micros))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn dst_deadline_is_exact((rc, start) in dst_calendar_and_instant(), d in arb_duration()) {
        check_deadline_exact(&rc.cal, start, d)?;
    }

    #[test]
    fn dst_between_is_additive(
        (rc, a) in dst_calendar_and_instant(),
        ab in 0i64..(3 * 86_400_000_000),
        bc in 0i64..(3 * 86_400_000_000),
    ) {
        check_additive(&rc.cal, a, ab, bc)?;
    }

    #[test]
    fn dst_is_working_agrees_with_between((rc, t) in dst_calendar_and_instant()) {
        let one = TimeDelta::microseconds(1);
        prop_assert_eq!(rc.cal.is_working(t), rc.cal.business_time_between(t, t + one) == one);
    }
}
