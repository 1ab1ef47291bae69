-- add items.done
--
-- Revision ID: 8d3a6e4b9c20
-- Revises: 5b1f0c7e2a91
-- Create Date: 2026-12-07 12:05:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
ALTER TABLE items ADD COLUMN done BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX ix_items_open ON items (created_at) WHERE NOT done;

-- migrate:downgrade
DROP INDEX ix_items_open;
ALTER TABLE items DROP COLUMN done;
