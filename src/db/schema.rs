// Hand-kept: one schema for both backends, so only portable SQL types appear here
// (Text ids and JSON, UTC Timestamp, Bool, Integer/BigInt, Double).

diesel::table! {
    organizations (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        nip -> Nullable<Text>,
        organization_id -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        issued_by -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        organization_id -> Text,
        code -> Text,
        name -> Text,
        kind -> Text,
        sla_policy_id -> Nullable<Text>,
        availability_target_percent -> Double,
        criticality -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sop -> Text,
    }
}

diesel::table! {
    ticket_counters (scope) {
        scope -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        number -> Text,
        organization_id -> Text,
        reporter_organization_id -> Text,
        service_id -> Nullable<Text>,
        kind -> Text,
        impact -> Text,
        urgency -> Text,
        priority -> Text,
        priority_overridden -> Bool,
        status -> Text,
        tier -> Integer,
        assignee_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        classification -> Text,
        reporter_name -> Text,
        reporter_email -> Nullable<Text>,
        reporter_phone -> Nullable<Text>,
        reported_at -> Timestamp,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        escalation_mode -> Nullable<Text>,
        escalation_reason -> Nullable<Text>,
        escalated_at -> Nullable<Timestamp>,
        escalated_by -> Nullable<Text>,
        outage_start -> Nullable<Timestamp>,
        outage_end -> Nullable<Timestamp>,
        version -> Integer,
        sla_policy_id -> Nullable<Text>,
        sla_policy_version -> Nullable<Integer>,
        sla_calendar_id -> Nullable<Text>,
        sla_calendar_version -> Nullable<Integer>,
        sla_breached -> Bool,
        pending_since -> Nullable<Timestamp>,
        pending_reason -> Nullable<Text>,
        sla_next_at -> Nullable<Timestamp>,
        sla_lease_owner -> Nullable<Text>,
        sla_lease_until -> Nullable<Timestamp>,
        anonymised_at -> Nullable<Timestamp>,
        sla_due_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_comments (id) {
        id -> Text,
        ticket_id -> Text,
        author_id -> Text,
        visibility -> Text,
        body -> Text,
        created_at -> Timestamp,
        from_reporter -> Bool,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        ticket_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        id -> Text,
        occurred_at -> Timestamp,
        actor_id -> Nullable<Text>,
        entity_type -> Text,
        entity_id -> Text,
        ticket_id -> Nullable<Text>,
        action -> Text,
        changes -> Text,
        data -> Text,
        chain_seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        created_at -> Timestamp,
        heads -> Text,
        root -> Text,
        public_key -> Text,
        signature -> Text,
    }
}

diesel::table! {
    calendars (id) {
        id -> Text,
        name -> Text,
        timezone -> Text,
        working_hours -> Text,
        holidays -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_versions (calendar_id, version) {
        calendar_id -> Text,
        version -> Integer,
        timezone -> Text,
        working_hours -> Text,
        holidays -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sla_policies (id) {
        id -> Text,
        name -> Text,
        calendar_id -> Text,
        warn_at_percent -> Integer,
        targets -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_policy_versions (policy_id, version) {
        policy_id -> Text,
        version -> Integer,
        calendar_id -> Text,
        calendar_version -> Integer,
        warn_at_percent -> Integer,
        targets -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sla_targets (id) {
        id -> Text,
        ticket_id -> Text,
        target -> Text,
        tier -> Integer,
        minutes -> BigInt,
        started_at -> Timestamp,
        stops -> Text,
        stop_reason -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        warned_at -> Nullable<Timestamp>,
        breached_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sla_events (seq) {
        seq -> BigInt,
        id -> Text,
        ticket_id -> Text,
        target -> Text,
        tier -> Integer,
        kind -> Text,
        at -> Timestamp,
        reason -> Nullable<Text>,
        policy_id -> Text,
        policy_version -> Integer,
        calendar_id -> Text,
        calendar_version -> Integer,
        data -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        ticket_id -> Nullable<Text>,
        event -> Text,
        source_id -> Text,
        recipient -> Text,
        subject -> Text,
        message_id -> Text,
        thread_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        not_before -> Timestamp,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attachment -> Nullable<Text>,
        body_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_bodies (id) {
        id -> Text,
        body_text -> Text,
        body_html -> Text,
    }
}

diesel::table! {
    ticket_participants (id) {
        id -> Text,
        ticket_id -> Text,
        email -> Text,
        name -> Nullable<Text>,
        added_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    personal_data (digest) {
        digest -> Text,
        ticket_id -> Text,
        salt -> Nullable<Text>,
        value -> Nullable<Text>,
        created_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sanctions (id) {
        id -> Text,
        service_id -> Text,
        level -> Text,
        letter_number -> Nullable<Text>,
        issued_on -> Text,
        addressed_to -> Nullable<Text>,
        report_month -> Nullable<Text>,
        reason -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        lifted_at -> Nullable<Timestamp>,
        lifted_by -> Nullable<Text>,
        remediation -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    reports (period, format) {
        period -> Text,
        format -> Text,
        sha256 -> Text,
        bytes -> BigInt,
        chunks -> Integer,
        generated_at -> Timestamp,
    }
}

diesel::table! {
    report_chunks (period, format, n) {
        period -> Text,
        format -> Text,
        n -> Integer,
        content -> Binary,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(services -> organizations (organization_id));
diesel::joinable!(ticket_comments -> tickets (ticket_id));
diesel::joinable!(sla_targets -> tickets (ticket_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(outbox -> outbox_bodies (body_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    api_tokens,
    services,
    ticket_counters,
    tickets,
    ticket_comments,
    idempotency_keys,
    audit_events,
    calendars,
    calendar_versions,
    sla_policies,
    sla_policy_versions,
    sla_targets,
    sla_events,
    outbox,
    outbox_bodies,
    ticket_participants,
    personal_data,
    sanctions,
    reports,
    report_chunks,
    audit_checkpoints,
    console_links,
    console_sessions,
);

diesel::table! {
    console_links (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf -> Text,
        via -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}
