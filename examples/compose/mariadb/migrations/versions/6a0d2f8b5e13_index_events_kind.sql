-- index events by kind
--
-- Revision ID: 6a0d2f8b5e13
-- Revises: 2e7c9a1d4f60
-- Create Date: 2026-12-07 12:05:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE INDEX ix_events_kind_created ON events (kind, created_at);

-- migrate:downgrade
DROP INDEX ix_events_kind_created ON events;
