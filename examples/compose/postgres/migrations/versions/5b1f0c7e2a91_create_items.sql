-- create items
--
-- Revision ID: 5b1f0c7e2a91
-- Revises: 
-- Create Date: 2026-12-07 12:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE TABLE items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE items;
