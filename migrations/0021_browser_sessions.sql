-- Browser sessions (I3, I4): signing in exchanges an API token for a
-- short-lived session. Only SHA-256 hashes of the session secret (the
-- HttpOnly cookie) and of its CSRF token are stored. A session is bound to
-- the token it was opened with: revoking that token or disabling its user
-- ends the session on the next request, since every request reads both.
CREATE TABLE browser_sessions (
    id            INTEGER PRIMARY KEY,
    session_hash  TEXT NOT NULL UNIQUE,
    csrf_hash     TEXT NOT NULL,
    token_id      INTEGER NOT NULL REFERENCES api_tokens(id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER
);
CREATE INDEX browser_sessions_token ON browser_sessions(token_id);
