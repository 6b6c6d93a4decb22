-- Admin tokens carry the admin's token version; a password reset or a logout
-- bumps it, so every token issued before stops working.
ALTER TABLE admins ADD COLUMN token_version INTEGER NOT NULL DEFAULT 1;
