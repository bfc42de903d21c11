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
diesel::allow_tables_to_appear_in_same_query!(tenants, sessions, api_keys, events);
