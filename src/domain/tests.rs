use super::*;

#[test]
fn every_value_round_trips_through_its_spelling_and_serde() {
    for s in TicketStatus::ALL {
        assert_eq!(TicketStatus::parse(s.as_str()), Some(*s));
        let json = serde_json::to_string(s).expect("serialize");
        assert_eq!(json, format!("\"{}\"", s.as_str()));
    }
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(*r));
    }
    assert_eq!(TicketStatus::parse("In_Progress"), None);
    assert_eq!(Priority::expected(), "critical, high, medium, low");
}
