use super::*;
use chrono::TimeZone;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

#[test]
fn times_are_written_as_people_in_the_zone_write_them() {
    // 00:00 UTC is 08:00 in Makassar (UTC+8).
    let t = utc(2026, 11, 30, 0, 0);
    assert_eq!(
        format_instant(MailLanguage::Id, chrono_tz::Asia::Makassar, t),
        "Senin, 30 November 2026 pukul 08.00 WITA"
    );
    assert_eq!(
        format_instant(MailLanguage::En, chrono_tz::Asia::Makassar, t),
        "Monday, 30 November 2026 at 08:00 WITA"
    );
    // The same instant is 07:00 WIB in Jakarta and 09:00 WIT in Jayapura.
    assert_eq!(
        format_instant(MailLanguage::Id, chrono_tz::Asia::Jakarta, t),
        "Senin, 30 November 2026 pukul 07.00 WIB"
    );
    assert_eq!(
        format_instant(MailLanguage::Id, chrono_tz::Asia::Jayapura, t),
        "Senin, 30 November 2026 pukul 09.00 WIT"
    );
    // A Sunday in August, zone outside Indonesia: the offset is written out.
    assert_eq!(
        format_instant(
            MailLanguage::Id,
            chrono_tz::Europe::Berlin,
            utc(2026, 8, 16, 10, 5)
        ),
        "Minggu, 16 Agustus 2026 pukul 12.05 UTC+02:00"
    );
}

#[test]
fn addresses_and_domains() {
    assert!(mailbox("Service Desk <sd@kominfo.makassarkota.go.id>").is_some());
    assert!(mailbox("sd@kominfo.makassarkota.go.id").is_some());
    assert!(mailbox("not an address").is_none());
    assert_eq!(
        domain_of("Service Desk <sd@kominfo.makassarkota.go.id>"),
        "kominfo.makassarkota.go.id"
    );
    assert_eq!(domain_of("nobody"), "localhost");
}
