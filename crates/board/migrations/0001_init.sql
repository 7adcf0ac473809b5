-- Tokenworth board, schema 1: teams, members, devices, tokens, invites, device codes, and the
-- days members sent. Only BIGINT and TEXT columns, so SQLite and PostgreSQL read the same.
-- Costs are whole micro-dollars. Secrets (tokens, invites, codes) are stored as SHA-256 hex.
CREATE TABLE admin_tokens (
    hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE teams (
    name TEXT PRIMARY KEY,
    min_group BIGINT NOT NULL,
    window_days BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE members (
    id TEXT PRIMARY KEY,
    team TEXT NOT NULL REFERENCES teams (name),
    alias TEXT NOT NULL,
    joined_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX members_team_alias ON members (team, alias);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX devices_member ON devices (member_id);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX tokens_member ON tokens (member_id);
CREATE TABLE invites (
    hash TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE device_codes (
    hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE days (
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cache_creation_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    total_tokens BIGINT NOT NULL,
    unpriced_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    has_tools BIGINT NOT NULL,
    has_models BIGINT NOT NULL,
    has_outcomes BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, device_id, day)
);
CREATE INDEX days_team_day ON days (team, day);
CREATE TABLE day_tools (
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    name TEXT NOT NULL,
    total_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    PRIMARY KEY (member_id, device_id, day, name)
);
CREATE INDEX day_tools_team_day ON day_tools (team, day);
CREATE TABLE day_models (
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    name TEXT NOT NULL,
    total_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    PRIMARY KEY (member_id, device_id, day, name)
);
CREATE INDEX day_models_team_day ON day_models (team, day);
CREATE TABLE day_outcomes (
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    outcome TEXT NOT NULL,
    sessions BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    commits BIGINT,
    PRIMARY KEY (member_id, device_id, day, outcome)
);
CREATE INDEX day_outcomes_team_day ON day_outcomes (team, day);
