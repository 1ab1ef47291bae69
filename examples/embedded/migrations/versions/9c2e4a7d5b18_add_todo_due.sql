-- add todo due date
--
-- Revision ID: 9c2e4a7d5b18
-- Revises: 6a1f0c3b2d41
-- Create Date: 2026-12-07 12:05:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
ALTER TABLE todos ADD COLUMN due DATE;
CREATE INDEX ix_todos_due ON todos (due);

-- migrate:downgrade
DROP INDEX ix_todos_due;
ALTER TABLE todos DROP COLUMN due;
