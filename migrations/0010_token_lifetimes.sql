-- Access that can be taken back (I3): a token's expiry and its last use.
-- Tokens issued through the API expire (90 days unless the admin chooses);
-- a row without an expiry (the bootstrap's, or one issued before this
-- migration) lives until it is revoked. Revoking writes api_tokens.revoked_at,
-- disabling a person users.disabled_at: both take effect on the next request.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
