-- Which token ran each search, so agents can be shown their own searches only. Null for
-- searches from the command line and for those recorded before this column existed.

ALTER TABLE searches ADD COLUMN token_name TEXT;
CREATE INDEX searches_token_name ON searches (token_name, created_at);
