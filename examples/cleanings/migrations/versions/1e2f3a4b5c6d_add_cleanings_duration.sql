-- add cleanings duration
--
-- Revision ID: 1e2f3a4b5c6d
-- Revises: 9d8c7b6a5f4e
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
ALTER TABLE cleanings ADD COLUMN duration_minutes INTEGER NOT NULL DEFAULT 60;

-- migrate:downgrade
ALTER TABLE cleanings DROP COLUMN duration_minutes;
