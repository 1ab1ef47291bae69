-- add account email
--
-- Revision ID: 8e4d5c6b2a01
-- Revises: 3f1c2a9b7d10
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN email TEXT;
CREATE UNIQUE INDEX ix_accounts_email ON accounts (email);

-- migrate:downgrade
DROP INDEX ix_accounts_email;
ALTER TABLE accounts DROP COLUMN email;
