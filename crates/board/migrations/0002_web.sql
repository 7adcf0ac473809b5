-- Tokenworth board, schema 2: the admin's review list, single-use sign-in links and the
-- page's sessions. A link or session with no member is the admin's.
CREATE TABLE reviews (
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,
    team TEXT NOT NULL,
    reasons TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, device_id, day)
);
CREATE INDEX reviews_team ON reviews (team);
CREATE TABLE signin_links (
    hash TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    member_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE web_sessions (
    hash TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    member_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_member ON web_sessions (member_id);
