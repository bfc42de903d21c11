//! One schema for both backends: only column types that PostgreSQL and SQLite map the same way
//! (TEXT ids, BIGINT unix-millisecond times, TEXT JSON). The DDL lives in `migrations/{postgres,sqlite}`.

diesel::table! {
    tenants (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        desired_state -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        me_phone_jid -> Nullable<Text>,
        me_lid -> Nullable<Text>,
        me_push_name -> Nullable<Text>,
        config -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        qr_code -> Nullable<Text>,
        qr_expires_at -> Nullable<BigInt>,
        proxy -> Nullable<Text>,
        proxy_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Text,
        session_id -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        tenant_id -> Text,
        session_id -> Nullable<Text>,
        event_type -> Text,
        data -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(sessions -> tenants (tenant_id));
diesel::joinable!(api_keys -> tenants (tenant_id));
diesel::joinable!(events -> tenants (tenant_id));

diesel::table! {
    webhooks (id) {
        id -> Text,
        tenant_id -> Text,
        session_id -> Nullable<Text>,
        url -> Text,
        event_types -> Text,
        headers -> Text,
        secret_sealed -> Text,
        previous_secret_sealed -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<BigInt>,
        ordered -> Bool,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> BigInt,
        session_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        locked_until -> Nullable<BigInt>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        session_id -> Text,
        tenant_id -> Text,
        from_me -> Bool,
        chat_jid -> Text,
        sender_jid -> Text,
        sender_lid -> Nullable<Text>,
        sender_phone -> Nullable<Text>,
        wa_id -> Text,
        msg_type -> Text,
        body -> Text,
        status -> Text,
        error -> Nullable<Text>,
        attempts -> Integer,
        reply_to -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
        wa_timestamp -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        engine_ref -> Nullable<Text>,
        send_at -> Nullable<BigInt>,
        late -> Bool,
        campaign_id -> Nullable<Text>,
    }
}

diesel::table! {
    media (id) {
        id -> Text,
        session_id -> Text,
        tenant_id -> Text,
        message_id -> Nullable<Text>,
        mimetype -> Text,
        filename -> Nullable<Text>,
        size -> BigInt,
        sha256 -> Text,
        data -> Binary,
        created_at -> BigInt,
        object_key -> Nullable<Text>,
    }
}

diesel::table! {
    sinks (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        url_sealed -> Text,
        url_shown -> Text,
        session_id -> Nullable<Text>,
        event_types -> Text,
        destination -> Text,
        max_len -> Nullable<BigInt>,
        secret_sealed -> Text,
        enabled -> Bool,
        cursor -> BigInt,
        delivered -> BigInt,
        failing_since -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_delivered_at -> Nullable<BigInt>,
        owner -> Nullable<Text>,
        lease_until -> BigInt,
        epoch -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sinks, events);

diesel::table! {
    orphan_objects (object_key) {
        object_key -> Text,
        not_before -> BigInt,
    }
}

diesel::joinable!(messages -> sessions (session_id));
diesel::joinable!(media -> sessions (session_id));
diesel::joinable!(webhooks -> tenants (tenant_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::table! {
    contacts (id) {
        id -> Text,
        session_id -> Text,
        phone_jid -> Nullable<Text>,
        lid -> Nullable<Text>,
        name -> Nullable<Text>,
        push_name -> Nullable<Text>,
        business -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    calls (session_id, call_id) {
        session_id -> Text,
        call_id -> Text,
        tenant_id -> Text,
        peer -> Text,
        creator -> Text,
        from_phone -> Nullable<Text>,
        from_lid -> Nullable<Text>,
        video -> Bool,
        status -> Text,
        created_at -> BigInt,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    chat_states (session_id, chat_jid) {
        session_id -> Text,
        chat_jid -> Text,
        archived -> Bool,
        pinned -> Bool,
        muted_until -> Nullable<BigInt>,
        marked_unread -> Bool,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    webhooks,
    webhook_deliveries,
    events,
    sessions,
    tenants,
    api_keys
);
// The retention purge keeps the files of queued sends (a subquery on messages).
diesel::allow_tables_to_appear_in_same_query!(media, messages);
diesel::allow_tables_to_appear_in_same_query!(media, campaigns);

diesel::table! {
    templates (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        msg_type -> Text,
        text -> Nullable<Text>,
        caption -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        status -> Text,
        msg_type -> Text,
        body -> Text,
        template_id -> Nullable<Text>,
        template_source -> Nullable<Text>,
        pacing -> Text,
        skip_unregistered -> Bool,
        media_id -> Nullable<Text>,
        engine_ref -> Nullable<Text>,
        total -> Integer,
        stopped_reason -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        started_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    campaign_recipients (campaign_id, seq) {
        campaign_id -> Text,
        seq -> Integer,
        recipient -> Text,
        variables -> Nullable<Text>,
        status -> Text,
        session_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        error -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    campaign_sessions (campaign_id, session_id) {
        campaign_id -> Text,
        session_id -> Text,
        next_at -> BigInt,
        day -> Text,
        day_count -> Integer,
    }
}

diesel::table! {
    rules (id) {
        id -> Text,
        tenant_id -> Text,
        session_id -> Nullable<Text>,
        name -> Text,
        position -> Integer,
        match_spec -> Text,
        action -> Text,
        cooldown_secs -> Integer,
        stop -> Bool,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    rule_firings (scope, chat_jid) {
        scope -> Text,
        chat_jid -> Text,
        fired_at -> BigInt,
        window_start -> BigInt,
        window_count -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    campaigns,
    campaign_sessions,
    campaign_recipients,
    messages
);

diesel::table! {
    tenant_controls (tenant_id) {
        tenant_id -> Text,
        suspended_at -> Nullable<BigInt>,
        quotas -> Text,
    }
}

diesel::table! {
    suspended_sessions (session_id) {
        session_id -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    usage_daily (tenant_id, day, metric, shard) {
        tenant_id -> Text,
        day -> Text,
        metric -> Text,
        amount -> BigInt,
        shard -> SmallInt,
    }
}

diesel::table! {
    session_working (session_id) {
        session_id -> Text,
        since -> BigInt,
    }
}

diesel::joinable!(session_working -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(session_working, sessions);
diesel::allow_tables_to_appear_in_same_query!(suspended_sessions, sessions);
// A key's look-up reads whether its tenant is suspended in the same statement.
diesel::allow_tables_to_appear_in_same_query!(api_keys, tenant_controls);

diesel::table! {
    audit_log (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        at -> BigInt,
        actor_kind -> Text,
        key_id -> Nullable<Text>,
        action -> Text,
        target -> Text,
        ip -> Text,
        status -> Integer,
    }
}
