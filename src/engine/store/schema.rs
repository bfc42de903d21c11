//! Diesel definitions of the engine store's tables (DDL in `migrations/*/2026-11-22-000002_engine_store`).
//! Kept apart from `crate::db::schema` so the engine store evolves without touching shared files.
//! Only portable types: `Text`, `BigInt`, `Bool`, and `Binary` (BYTEA on PostgreSQL, BLOB on SQLite).

diesel::table! {
    session_keys (session_id, key_id) {
        session_id -> Text,
        key_id -> BigInt,
        wrapped -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    sealing_canary (id) {
        id -> Text,
        sealed -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    engine_device (session_id) {
        session_id -> Text,
        sealed -> Binary,
        updated_at -> BigInt,
    }
}

diesel::table! {
    engine_identities (session_id, address) {
        session_id -> Text,
        address -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_signal_sessions (session_id, address) {
        session_id -> Text,
        address -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_prekeys (session_id, id) {
        session_id -> Text,
        id -> BigInt,
        sealed -> Binary,
        uploaded -> Bool,
    }
}

diesel::table! {
    engine_signed_prekeys (session_id, id) {
        session_id -> Text,
        id -> BigInt,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_sender_keys (session_id, address) {
        session_id -> Text,
        address -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_app_state_keys (session_id, key_id) {
        session_id -> Text,
        key_id -> Binary,
        sealed -> Binary,
        seq -> BigInt,
    }
}

diesel::table! {
    engine_app_state_versions (session_id, name) {
        session_id -> Text,
        name -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_app_state_mutation_macs (session_id, name, index_mac) {
        session_id -> Text,
        name -> Text,
        index_mac -> Binary,
        version -> BigInt,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_sender_key_devices (session_id, group_jid, device_jid) {
        session_id -> Text,
        group_jid -> Text,
        device_jid -> Text,
        has_key -> Bool,
    }
}

diesel::table! {
    engine_lid_pn_mappings (session_id, lid) {
        session_id -> Text,
        lid -> Text,
        phone_number -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        learning_source -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    engine_base_keys (session_id, address, message_id) {
        session_id -> Text,
        address -> Text,
        message_id -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_device_registry (session_id, user_id) {
        session_id -> Text,
        user_id -> Text,
        record -> Text,
    }
}

diesel::table! {
    engine_group_metadata (session_id, group_jid) {
        session_id -> Text,
        group_jid -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    engine_tc_tokens (session_id, jid) {
        session_id -> Text,
        jid -> Text,
        sealed -> Binary,
        has_token -> Bool,
        token_timestamp -> BigInt,
        sender_timestamp -> Nullable<BigInt>,
    }
}

diesel::table! {
    engine_sent_messages (session_id, chat_jid, message_id) {
        session_id -> Text,
        chat_jid -> Text,
        message_id -> Text,
        sealed -> Binary,
        created_secs -> BigInt,
    }
}

diesel::table! {
    engine_pending_inbound (session_id, chat_jid, sender_jid, message_id) {
        session_id -> Text,
        chat_jid -> Text,
        sender_jid -> Text,
        message_id -> Text,
        sealed -> Binary,
        created_secs -> BigInt,
    }
}

diesel::table! {
    engine_msg_secrets (session_id, chat_jid, sender_jid, message_id) {
        session_id -> Text,
        chat_jid -> Text,
        sender_jid -> Text,
        message_id -> Text,
        sealed -> Binary,
        expires_at -> BigInt,
        message_ts -> BigInt,
    }
}
